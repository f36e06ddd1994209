"""Medicare Physician Fee Schedule amount of one unit of a code (billing-rules.md P-1).

amount = (work RVU x work GPCI + PE RVU x PE GPCI + MP RVU x MP GPCI) x conversion factor,
with the non-facility PE RVU: therapy is paid at the non-facility rate in every setting.
Values come only from the date's own year; a missing year is reported, never borrowed. The
one exception is labelled as such: the KX threshold's estimate of a visit's amount when the
year's RVUs are missing (kx_unit_amount), which never prices a claim.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from ptbill.pricing.money import CENT, cents
from ptbill.pricing.sources import DEFAULT_DATA, ReferenceData, RvuTable
from ptbill.reference.catalog import catalog
from ptbill.reference.constants import CONVERSION_FACTOR_BY_YEAR, constant
from ptbill.reference.gpci import Gpci
from ptbill.reference.importers.gpci import GPCI_KIND
from ptbill.reference.importers.pfs import PFS_KIND, RvuRow
from ptbill.reference.store import stamp
from ptbill.reference.store import writes as store_writes

__all__ = [
    "CENT",
    "FeeComponents",
    "UnitPrice",
    "cached_unit_amount",
    "fee_components",
    "kx_unit_amount",
    "pfs_stamp",
    "unit_amount",
]


@dataclass(frozen=True, slots=True)
class FeeComponents:
    """One unit's fee schedule amount split into its three parts, in dollars (unrounded)."""

    row: RvuRow
    gpci: Gpci
    conversion_factor: Decimal
    work: Decimal
    pe: Decimal
    mp: Decimal
    # The fee schedule amount of one unit, rounded to the cent (rounding point 1).
    amount: Decimal

    @property
    def formula(self) -> str:
        r, g = self.row, self.gpci
        return (
            f"({r.work_rvu} x {g.work} + {r.nonfacility_pe_rvu} x {g.pe} + "
            f"{r.mp_rvu or Decimal(0)} x {g.mp}) x {self.conversion_factor} = "
            f"${self.amount} (PE part ${self.pe.quantize(Decimal('0.0001'))})"
        )


def fee_components(row: RvuRow, gpci: Gpci, conversion_factor: Decimal) -> FeeComponents:
    work, pe = row.work_rvu or Decimal(0), row.nonfacility_pe_rvu or Decimal(0)
    mp = row.mp_rvu or Decimal(0)
    cf = conversion_factor
    parts = (work * gpci.work * cf, pe * gpci.pe * cf, mp * gpci.mp * cf)
    return FeeComponents(row, gpci, cf, *parts, amount=cents(sum(parts, Decimal(0))))


@dataclass(frozen=True, slots=True)
class UnitPrice:
    amount: Decimal | None
    # How the amount was computed, or why it could not be.
    basis: str
    # Estimated from another year's RVUs (kx_unit_amount), never a price.
    estimated: bool = False


_STAMP_EVERY = 256
# calls since the data folder was last looked at, this process's write count then, the stamp
_stamp_state: list = [0, -1, ()]


def pfs_stamp() -> tuple[int, ...]:
    """Changes when a PFS or GPCI release is imported (see cached_unit_amount). The data
    folder is looked at once every 256 calls, not on every visit: a release imported by
    another process is seen within 256 visits, one imported by this process at once."""
    if _stamp_state[0] == 0 or _stamp_state[1] != store_writes():
        _stamp_state[1] = store_writes()
        _stamp_state[2] = stamp(PFS_KIND, GPCI_KIND)
    _stamp_state[0] = (_stamp_state[0] + 1) % _STAMP_EVERY
    return _stamp_state[2]


def cached_unit_amount(
    code: str, year: int, locality: str | None, estimate: bool, data_stamp: tuple[int, ...]
) -> UnitPrice:
    """kx_unit_amount on the default data, memoised per `pfs_stamp()`: the coder asks for it
    on every Medicare line, tens of thousands of times a second."""
    return _memo(code, year, locality, estimate, data_stamp)


@lru_cache(maxsize=8192)
def _memo(
    code: str, year: int, locality: str | None, estimate: bool, _stamp: tuple[int, ...]
) -> UnitPrice:
    return kx_unit_amount(code, year, locality, estimate)


def unit_amount(
    code: str,
    year: int,
    locality: str | None,
    data: ReferenceData = DEFAULT_DATA,
    on: dt.date | None = None,
) -> UnitPrice:
    """One unit of `code` before any reduction (the coder's KX estimate uses it)."""
    found = data.rvu_table(year, on)
    if found.value is None:
        return UnitPrice(None, found.text)
    table: RvuTable = found.value
    row = table.row(code)
    if row is None or row.work_rvu is None or row.nonfacility_pe_rvu is None:
        return UnitPrice(None, f"no {year} PFS RVUs for {code} in {table.release}")
    if locality is None:
        return UnitPrice(None, "no Medicare locality for the billing provider")
    gpcis = data.gpci_table(year)
    g = gpcis.value.localities.get(locality) if gpcis.value else None
    if g is None:
        return UnitPrice(None, f"no {year} GPCI for locality {locality}")
    if table.conversion_factor is None:
        return UnitPrice(None, f"no {year} conversion factor in the reference data")
    fee = fee_components(row, g, table.conversion_factor)
    return UnitPrice(fee.amount, f"{fee.formula} [{year}, {locality}, {table.release}]")


def kx_unit_amount(
    code: str,
    year: int,
    locality: str | None,
    estimate: bool,
    data: ReferenceData = DEFAULT_DATA,
) -> UnitPrice:
    """One unit of `code` for the KX threshold, which counts allowed amounts (M-3): the year's
    PFS amount (unit_amount). When the reference data has no RVUs for the year and `estimate`
    is set (payer profile `kx_when_rvus_missing = "estimate"`), an estimate from the RVUs of
    the latest year the bundled data holds, with the year's own conversion factor and GPCIs;
    without the year's conversion factor or GPCI nothing is estimated. Never the charges."""
    if data.rvu_table(year).value is not None:
        return unit_amount(code, year, locality, data)
    missing = f"no {year} PFS RVUs in the reference data"
    if not estimate:
        return UnitPrice(None, f"{missing} (the payer profile does not estimate the KX amount)")
    years = {i.rvu_year for i in catalog().values() if i.rvu_year and i.work_rvu is not None}
    earlier = [y for y in years if y < year]
    rvus = data.rvu_table(max(earlier)).value if earlier else None
    row = rvus.row(code) if rvus else None
    if rvus is None or row is None or row.work_rvu is None or row.nonfacility_pe_rvu is None:
        return UnitPrice(None, f"{missing}, and no earlier RVUs for {code} to estimate from")
    if locality is None:
        return UnitPrice(None, "no Medicare locality for the billing provider")
    cf_name = CONVERSION_FACTOR_BY_YEAR.get(year)
    cf = constant(cf_name, year) if cf_name else None
    if cf is None or cf.value is None:
        return UnitPrice(None, f"{missing} and no {year} conversion factor: not estimated")
    gpcis = data.gpci_table(year).value
    g = gpcis.localities.get(locality) if gpcis else None
    if g is None:
        return UnitPrice(
            None, f"{missing} and no {year} GPCI for locality {locality}: not estimated"
        )
    fee = fee_components(row, g, cf.value)
    return UnitPrice(
        fee.amount,
        f"estimated: {fee.formula} [{rvus.release} RVUs with the {year} conversion factor and "
        f"GPCIs, {locality}; {missing}]",
        estimated=True,
    )
