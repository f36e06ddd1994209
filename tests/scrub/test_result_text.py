"""scrub --json's writer (ResultText: each result written from parts) writes what JsonList.add
of result_json writes, byte for byte."""

from __future__ import annotations

import io

import pytest

from ptbill.cli.output import JsonList
from ptbill.cli.scrub_cmds import ResultText, result_json
from ptbill.domain import Visit
from ptbill.scrub import Finding, ScrubResult
from tests.scrub.test_scrub_equivalence import visits


@pytest.mark.parametrize("lines", [False, True])
def test_the_result_text_is_what_json_list_writes(lines: bool) -> None:
    """ResultText (scrub --json's writer) against JsonList.add of result_json: odd characters,
    no findings, a finding shared by two visits, one with a data release."""
    shared = Finding("DX-MISSING", "diagnosis", "error", None, 'no "dx" \u00e9\u2028', "fix\n")
    other = Finding("NCCI-PTP", "ncci", "warning", 2, "m", "f", ("M-14", "M-16"), "2025Q1 \\")
    base = Visit.model_validate(next(visits(1, 3)))
    cases = [
        (base.model_copy(update={"visit_id": 'V-"\u00fc\u4e2d'}), ()),
        (base.model_copy(update={"payer": "acme-ppo"}), (shared,)),
        (base, (shared, other)),
    ]
    expected, made = io.BytesIO(), io.BytesIO()
    plain, fast = JsonList(lines, stream=expected), JsonList(lines, stream=made)
    text = ResultText(lines)
    for v, findings in cases:
        r = ScrubResult(v.visit_id, "blocked" if findings else "ready", findings)
        plain.add(result_json(v, r))
        fast.add_text(text(v, r))
    plain.close()
    fast.close()
    assert made.getvalue() == expected.getvalue()
