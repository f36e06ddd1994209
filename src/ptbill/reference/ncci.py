"""NCCI procedure-to-procedure (PTP) edits.

ptbill ships no verified Medicare PTP table (see data/SOURCES.md section 2). The bundled
table is the *unverified* candidate list and says so in its release name, which every
decision that uses it repeats. Official CMS quarterly files replace it once imported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from ptbill.reference._csv import rows

UNVERIFIED_RELEASE = "unverified-candidates (third-party derivative, not a CMS release)"


@dataclass(frozen=True, slots=True)
class PtpEdit:
    column1: str
    column2: str
    # "0" never bypassed, "1" bypassed by a distinct-service modifier, "9" not in effect
    modifier_indicator: str
    rationale: str
    effective: dt.date | None
    deletion: dt.date | None

    def in_effect(self, on: dt.date) -> bool:
        if self.modifier_indicator == "9":
            return False
        if self.effective and on < self.effective:
            return False
        return not (self.deletion and on > self.deletion)


@dataclass(frozen=True)
class PtpTable:
    release: str
    verified: bool
    edits: dict[tuple[str, str], PtpEdit]

    def edit_for(self, a: str, b: str, on: dt.date) -> PtpEdit | None:
        """The edit in effect on that date between two codes, in either column order."""
        for key in ((a, b), (b, a)):
            edit = self.edits.get(key)
            if edit and edit.in_effect(on):
                return edit
        return None


def _date(text: str) -> dt.date | None:
    text = text.strip()
    return None if text in ("", "unknown", "*") else dt.date.fromisoformat(text)


@cache
def bundled_candidates() -> PtpTable:
    edits = {}
    for r in rows("ncci_ptp_unverified_candidates.csv"):
        e = PtpEdit(
            r["column1"], r["column2"], r["modifier_indicator"], r["rationale"],
            _date(r["effective_date"]), _date(r["deletion_date"]),
        )
        edits[(e.column1, e.column2)] = e
    return PtpTable(UNVERIFIED_RELEASE, verified=False, edits=edits)


def ptp_table(name: str) -> PtpTable:
    if name in ("", "unverified-candidates"):
        return bundled_candidates()
    raise KeyError(f"unknown NCCI PTP table {name!r}")
