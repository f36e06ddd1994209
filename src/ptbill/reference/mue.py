"""Medically Unlikely Edits: the most units of a code a practitioner may report for one
patient on one date of service, with the MUE Adjudication Indicator (MAI) saying how the
limit is applied (CMS NCCI MUE).

The default table is the code catalog's MUE columns (codes.csv `mue_practitioner`, `mue_mai`,
named by `mue_release`). An imported CMS practitioner MUE file (`ptbill reference import
ncci-mue FILE`) replaces it for a payer whose MUE-UNITS rule names its release (`table`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ptbill.reference.catalog import catalog
from ptbill.reference.ncci import check_release
from ptbill.reference.snapshot import BUNDLED_ONLY, ReferenceSnapshot

CATALOG = "catalog"
MUE_KIND = "ncci-mue"

# MAI 1: a claim-line edit (units on separately justified lines are tested line by line);
# MAI 2: a per-day edit from policy (an absolute date-of-service limit);
# MAI 3: a per-day edit from clinical data (may be paid on appeal with documentation).
MAI_MEANING = {
    1: "line edit",
    2: "date-of-service edit: policy",
    3: "date-of-service edit: clinical",
}


@dataclass(frozen=True, slots=True)
class MueEntry:
    code: str
    value: int
    mai: int | None
    rationale: str


@dataclass(frozen=True)
class MueTable:
    release: str
    entries: dict[str, MueEntry]
    # Per-code release names, where entries came from different releases (the catalog).
    release_of: dict[str, str]

    def get(self, code: str) -> MueEntry | None:
        return self.entries.get(code)

    def release_for(self, code: str) -> str:
        return self.release_of.get(code, self.release)


@cache
def catalog_mues() -> MueTable:
    entries, release_of = {}, {}
    for code, info in catalog().items():
        if info.mue is not None:
            entries[code] = MueEntry(code, info.mue, info.mue_mai, "")
            release_of[code] = info.mue_release
    names = sorted(set(release_of.values()))
    return MueTable("; ".join(names) or "code catalog", entries, release_of)


def _read_release(path: Path) -> MueTable:
    with path.open(encoding="utf-8", newline="") as f:
        entries = {
            r["code"]: MueEntry(
                r["code"], int(r["mue"]), int(r["mai"]) if r["mai"] else None, r["rationale"]
            )
            for r in csv.DictReader(f)
        }
    return MueTable(path.stem, entries, {})


def mue_table(name: str, reference: ReferenceSnapshot = BUNDLED_ONLY) -> MueTable:
    """The catalog's MUEs, or a CMS practitioner MUE release imported in the snapshot."""
    if name in ("", CATALOG):
        return catalog_mues()
    check_release(reference, MUE_KIND, name, "rules.MUE-UNITS.table", "ncci-mue")
    return reference.one(MUE_KIND, name, _read_release)
