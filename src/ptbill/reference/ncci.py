"""NCCI procedure-to-procedure (PTP) edits.

ptbill ships no verified Medicare PTP table (see data/SOURCES.md section 2). The bundled
table is the *unverified* candidate list and says so in its release name, which every
decision that uses it repeats. Official CMS quarterly files replace it once imported
(`ptbill reference import ncci-ptp FILE...`, stored by ptbill.reference.store as a release
such as `ptp-2026q3`); a payer profile's `ncci_table` names the release to use, which the
run's reference snapshot must hold.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ptbill.errors import InputError
from ptbill.reference import store
from ptbill.reference._csv import rows
from ptbill.reference.snapshot import BUNDLED_ONLY, ReferenceSnapshot

BUNDLED = "unverified-candidates"
UNVERIFIED_RELEASE = "unverified-candidates (third-party derivative, not a CMS release)"
PTP_KIND = "ncci-ptp"


@dataclass(frozen=True, slots=True)
class PtpEdit:
    column1: str
    column2: str
    # "0" never bypassed, "1" bypassed by a distinct-service modifier, "9" not applicable.
    modifier_indicator: str
    rationale: str
    effective: dt.date | None
    deletion: dt.date | None

    def in_effect(self, on: dt.date) -> bool:
        if self.modifier_indicator == "9":
            return False
        if self.effective and on < self.effective:
            return False
        # The deletion date is the last day the edit applies.
        return not (self.deletion and on > self.deletion)


@dataclass(frozen=True)
class PtpTable:
    release: str
    verified: bool
    # Every row for a pair (CMS files may list a pair again for another period).
    edits: dict[tuple[str, str], tuple[PtpEdit, ...]]

    def edit_for(self, a: str, b: str, on: dt.date) -> PtpEdit | None:
        """The edit in effect on that date between two codes, in either column order."""
        for key in ((a, b), (b, a)):
            for edit in self.edits.get(key, ()):
                if edit.in_effect(on):
                    return edit
        return None


def _date(text: str) -> dt.date | None:
    text = text.strip()
    return None if text in ("", "unknown", "*") else dt.date.fromisoformat(text)


def _index(edits: list[PtpEdit]) -> dict[tuple[str, str], tuple[PtpEdit, ...]]:
    out: dict[tuple[str, str], tuple[PtpEdit, ...]] = {}
    for e in edits:
        key = (e.column1, e.column2)
        out[key] = (*out.get(key, ()), e)
    return out


def _edit(r: dict[str, str]) -> PtpEdit:
    """One PTP edit from a row of our stored layout (bundled or imported)."""
    return PtpEdit(
        r["column1"],
        r["column2"],
        r["modifier_indicator"],
        r["rationale"],
        _date(r["effective_date"]),
        _date(r["deletion_date"]),
    )


@cache
def bundled_candidates() -> PtpTable:
    edits = [_edit(r) for r in rows("ncci_ptp_unverified_candidates.csv")]
    return PtpTable(UNVERIFIED_RELEASE, verified=False, edits=_index(edits))


def _read_release(path: Path) -> PtpTable:
    with path.open(encoding="utf-8", newline="") as f:
        edits = [_edit(r) for r in csv.DictReader(f)]
    return PtpTable(path.stem, verified=True, edits=_index(edits))


def check_release(
    reference: ReferenceSnapshot, kind: str, name: str, setting: str, command: str
) -> None:
    """Refuse, naming the payer profile's `setting` and the fix, a release name that the
    snapshot does not hold (the release file name rules: ptbill.reference.store)."""
    if not store.RELEASE_NAME.match(name):
        raise InputError(
            "payer profile",
            f"release name {name!r}: use letters, digits, '.', '_' or '-'",
            f"name an imported release such as {kind.removeprefix('ncci-')}-2026q3",
            field=setting,
        )
    if name not in reference.names(kind):
        have = ", ".join(reference.names(kind)) or "none imported yet"
        raise InputError(
            f"reference data ({reference.where()})",
            "no such release",
            f"import it with `ptbill reference import {command} FILE...` or name one of: {have}",
            field=f"{kind} release {name!r}",
        )


def ptp_table(name: str, reference: ReferenceSnapshot = BUNDLED_ONLY) -> PtpTable:
    """The bundled unverified candidates, or a CMS release imported in the snapshot, by name."""
    if name in ("", BUNDLED):
        return bundled_candidates()
    check_release(reference, PTP_KIND, name, "ncci_table", "ncci-ptp")
    return reference.one(PTP_KIND, name, _read_release)
