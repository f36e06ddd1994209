"""NCCI pair lookups (M-14): the per-table memo of candidate pairs must not change answers."""

from __future__ import annotations

import datetime as dt

from ptbill.coding.modifiers import ncci_pairs
from ptbill.reference.ncci import PtpEdit, PtpTable


def table(*edits: PtpEdit, release: str = "test") -> PtpTable:
    return PtpTable(release, True, {(e.column1, e.column2): (e,) for e in edits})


def edit(c1: str, c2: str, effective: dt.date | None = None, indicator: str = "1") -> PtpEdit:
    return PtpEdit(c1, c2, indicator, "test rationale", effective, None)


def test_the_date_still_decides_after_the_codes_were_seen() -> None:
    t = table(edit("97140", "97530", effective=dt.date(2026, 7, 1)))
    codes = ["97530", "97140"]
    assert ncci_pairs(t, codes, dt.date(2026, 6, 30)) == []
    (hit,) = ncci_pairs(t, codes, dt.date(2026, 7, 1))
    assert (hit.column1, hit.column2, hit.release) == ("97140", "97530", "test")
    assert ncci_pairs(t, codes, dt.date(2026, 6, 30)) == []


def test_each_table_answers_for_itself() -> None:
    codes = ["97110", "97140", "97530"]
    on = dt.date(2026, 3, 2)
    a = table(edit("97140", "97530"), release="a")
    b = table(edit("97110", "97140", indicator="0"), release="b")
    assert [(h.column1, h.column2, h.release) for h in ncci_pairs(a, codes, on)] == [
        ("97140", "97530", "a")
    ]
    assert [(h.column2, h.indicator) for h in ncci_pairs(b, codes, on)] == [("97140", "0")]
    assert ncci_pairs(table(), codes, on) == [] and ncci_pairs(None, codes, on) == []


def test_a_code_on_two_lines_meets_its_partner_once() -> None:
    # A CQ split leaves two lines of one code: still one edit for the pair.
    t = table(edit("97140", "97530"))
    hits = ncci_pairs(t, ["97530", "97140", "97530"], dt.date(2026, 3, 2))
    assert [(h.column1, h.column2) for h in hits] == [("97140", "97530")]


def test_an_edit_with_indicator_9_is_never_in_effect() -> None:
    t = table(edit("97140", "97530", indicator="9"))
    assert ncci_pairs(t, ["97140", "97530"], dt.date(2026, 3, 2)) == []
