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
from functools import cache, lru_cache

from ptbill.errors import InputError
from ptbill.reference import store
from ptbill.reference.catalog import catalog
from ptbill.reference.ncci import unknown_release

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


@lru_cache(maxsize=8)
def _imported(release: str, path: str, mtime_ns: int) -> MueTable:
    with open(path, encoding="utf-8", newline="") as f:
        entries = {
            r["code"]: MueEntry(
                r["code"], int(r["mue"]), int(r["mai"]) if r["mai"] else None, r["rationale"]
            )
            for r in csv.DictReader(f)
        }
    return MueTable(release, entries, {})


def mue_table(name: str) -> MueTable:
    """The catalog's MUEs, or an imported CMS practitioner MUE release by name."""
    if name in ("", CATALOG):
        return catalog_mues()
    try:
        path = store.release_path(MUE_KIND, name)
    except ValueError as e:
        raise InputError(
            "payer profile",
            None,
            "rules.MUE-UNITS.table",
            str(e),
            "name an imported release such as mue-2026q3",
        ) from None
    if not path.exists():
        raise unknown_release(MUE_KIND, name, "ncci-mue")
    return _imported(name, str(path), path.stat().st_mtime_ns)
