"""Which reference data prices a date of service: a release imported in the run's reference
snapshot for the date's year over the bundled data, never another year's values.

- PFS RVUs: the imported PPRRVU release of the year whose effective date (first day of the
  quarter it is named for) is the latest on or before the date; the bundled RVUs (codes.csv)
  when no release of that year is imported. With `as_of`, releases CMS published after that
  date are left out (bundled data always counts).
- GPCIs: an imported addendum of the year (the last by release name), else the bundled file.
- ZIP to locality: the imported ZIP5 release of the latest quarter on or before the date.
- Contract fee schedules: the release the payer profile pins, else the latest effective on or
  before the date (a release without an effective date applies from the start).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Generic, TypeVar

from ptbill.reference.catalog import catalog
from ptbill.reference.constants import CONVERSION_FACTOR_BY_YEAR, constant
from ptbill.reference.gpci import Gpci, gpcis
from ptbill.reference.importers.fees import FeeSchedule, stored_fee_schedules
from ptbill.reference.importers.gpci import (
    ZipLocality,
    stored_gpci_releases,
    stored_zip_releases,
)
from ptbill.reference.importers.pfs import RvuRow, stored_pfs_releases
from ptbill.reference.snapshot import ReferenceSnapshot


@dataclass(frozen=True)
class RvuTable:
    year: int
    # The release as people name it, e.g. "imported PPRRVU2026_Jul_nonQPP (RVU file ...)".
    release: str
    conversion_factor: Decimal | None
    cf_source: str
    rows: dict[str, RvuRow]
    # Said on every line priced from this table (e.g. a release later than the date).
    caveat: str | None = None

    def row(self, code: str) -> RvuRow | None:
        return self.rows.get(code)


@dataclass(frozen=True)
class GpciTable:
    year: int
    release: str
    localities: dict[str, Gpci]


T = TypeVar("T")


@dataclass(frozen=True)
class Found(Generic[T]):
    value: T | None
    # Where the value came from, or why there is none.
    text: str


@cache
def _bundled_rvus(year: int) -> RvuTable | None:
    rows: dict[str, RvuRow] = {}
    releases = set()
    for info in catalog().values():
        if info.rvu_year != year or info.work_rvu is None or info.nonfacility_pe_rvu is None:
            continue
        releases.add(info.rvu_release)
        rows[info.code] = RvuRow(
            info.code,
            "",
            info.mpfs_status or "",
            False,
            info.work_rvu,
            info.nonfacility_pe_rvu,
            info.facility_pe_rvu,
            info.mp_rvu,
            "5" if info.mppr_applies else "",
        )
    if not rows:
        return None
    cf_name = CONVERSION_FACTOR_BY_YEAR.get(year)
    cf = constant(cf_name, year) if cf_name else None
    return RvuTable(
        year,
        f"bundled {', '.join(sorted(releases))} (codes.csv)",
        cf.value if cf else None,
        f"constants.csv {cf_name} {year}" if cf and cf.value is not None else "none",
        rows,
    )


def rvu_table(
    reference: ReferenceSnapshot,
    year: int,
    on: dt.date | None = None,
    as_of: dt.date | None = None,
) -> Found[RvuTable]:
    known = [
        r
        for r in stored_pfs_releases(reference)
        if r.year == year and (as_of is None or r.released is None or r.released <= as_of)
    ]
    if known:
        in_force = [r for r in known if on is None or r.effective <= on]
        caveat = None
        if in_force:
            chosen = max(in_force, key=lambda r: (r.effective, r.released or dt.date.min, r.name))
        else:
            chosen = min(known, key=lambda r: (r.effective, r.name))
            caveat = (
                f"release {chosen.name} takes effect {chosen.effective}, after the "
                f"date of service; no earlier {year} release is imported"
            )
        rows = {code: row for (code, mod), row in chosen.rows.items() if mod == ""}
        label = f"imported {chosen.name} ({chosen.source_file}, effective {chosen.effective})"
        table = RvuTable(
            year, label, chosen.conversion_factor, f"CONV FACTOR of {chosen.name}", rows, caveat
        )
        return Found(table, label)
    bundled = _bundled_rvus(year)
    if bundled is None:
        return Found(
            None,
            f"no {year} PFS RVUs: the bundled RVUs are for other years; "
            f"import CMS's {year} file with `ptbill reference import pfs "
            f"PPRRVU{year}_....csv`",
        )
    return Found(bundled, bundled.release)


def gpci_table(reference: ReferenceSnapshot, year: int) -> Found[GpciTable]:
    imported = [r for r in stored_gpci_releases(reference) if r.year == year]
    if imported:
        chosen = max(imported, key=lambda r: r.name)
        label = f"imported {chosen.name} ({chosen.source_file})"
        return Found(GpciTable(year, label, chosen.localities), label)
    bundled = gpcis(year)
    if bundled:
        label = f"bundled gpci_{year}.csv (CY {year} PFS final rule, Addendum E)"
        return Found(GpciTable(year, label, bundled), label)
    return Found(
        None,
        f"no {year} GPCIs: import CMS's {year} GPCI addendum with "
        "`ptbill reference import gpci FILE`",
    )


def zip_locality(reference: ReferenceSnapshot, zip_code: str, on: dt.date) -> Found[ZipLocality]:
    releases = stored_zip_releases(reference)
    if not releases:
        return Found(
            None,
            "CMS's ZIP code to carrier locality file is not imported "
            "(`ptbill reference import zip-locality ZIP5_....txt`)",
        )
    quarter = f"{on.year}{(on.month - 1) // 3 + 1}"
    earlier = [r for r in releases if (r.year_quarter or "") <= quarter]
    chosen = max(earlier or releases, key=lambda r: (r.year_quarter or "", r.name))
    z = chosen.zips.get(zip_code[:5])
    label = f"imported ZIP file {chosen.name} ({chosen.year_quarter or 'quarter unknown'})"
    if z is None:
        return Found(None, f"ZIP {zip_code[:5]} is not in {label}")
    return Found(z, label)


def fee_schedule(
    reference: ReferenceSnapshot,
    payer: str,
    on: dt.date,
    pinned: str | None = None,
    as_of: dt.date | None = None,
) -> Found[FeeSchedule]:
    schedules = stored_fee_schedules(reference, payer)
    if pinned:
        chosen = next((s for s in schedules if s.name == pinned), None)
        if chosen is None:
            return Found(
                None,
                f"the payer profile names fee schedule {pinned!r}, which is "
                f"not imported (`ptbill reference import fees {payer} FILE "
                f"--release {pinned}`)",
            )
        return Found(chosen, f"fee schedule {chosen.name} (pinned by the payer profile)")
    if not schedules:  # said without the date, which adds nothing here
        return Found(None, f"no fee schedule is imported for payer {payer!r}")
    limit = min(on, as_of) if as_of else on
    in_force = [s for s in schedules if s.effective is None or s.effective <= limit]
    if not in_force:
        return Found(
            None,
            f"no fee schedule for payer {payer!r} in force on {on}"
            + (f" (as of {as_of})" if as_of else ""),
        )
    chosen = max(in_force, key=lambda s: (s.effective or dt.date.min, s.name))
    since = f"effective {chosen.effective}" if chosen.effective else "no effective date"
    return Found(chosen, f"fee schedule {chosen.name} ({chosen.source_file}, {since})")
