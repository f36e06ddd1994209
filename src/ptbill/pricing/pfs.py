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

from ptbill.pricing.money import CENT, cents
from ptbill.pricing.sources import RvuTable, gpci_table, rvu_table
from ptbill.reference.catalog import catalog
from ptbill.reference.constants import CONVERSION_FACTOR_BY_YEAR, constant
from ptbill.reference.gpci import Gpci
from ptbill.reference.importers.pfs import RvuRow
from ptbill.reference.snapshot import BUNDLED_ONLY, ReferenceSnapshot

__all__ = [
    "CENT",
    "FeeComponents",
    "UnitPrice",
    "cached_unit_amount",
    "fee_components",
    "kx_unit_amount",
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


def cached_unit_amount(
    code: str, year: int, locality: str | None, estimate: bool, reference: ReferenceSnapshot
) -> UnitPrice:
    """kx_unit_amount, kept on the snapshot: the coder asks for it on every Medicare line, tens
    of thousands of times a second, and its answer depends on the snapshot's data only."""
    memo = reference.memo("kx_unit_amount")
    key = (code, year, locality, estimate)
    found = memo.get(key)
    if found is None:
        found = memo[key] = kx_unit_amount(code, year, locality, estimate, reference)
    return found


def unit_amount(
    code: str,
    year: int,
    locality: str | None,
    reference: ReferenceSnapshot = BUNDLED_ONLY,
    on: dt.date | None = None,
) -> UnitPrice:
    """One unit of `code` before any reduction (the coder's KX estimate uses it)."""
    found = rvu_table(reference, year, on)
    if found.value is None:
        return UnitPrice(None, found.text)
    table: RvuTable = found.value
    row = table.row(code)
    if row is None or row.work_rvu is None or row.nonfacility_pe_rvu is None:
        return UnitPrice(None, f"no {year} PFS RVUs for {code} in {table.release}")
    if locality is None:
        return UnitPrice(None, "no Medicare locality for the billing provider")
    gpcis = gpci_table(reference, year)
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
    reference: ReferenceSnapshot = BUNDLED_ONLY,
) -> UnitPrice:
    """One unit of `code` for the KX threshold, which counts allowed amounts (M-3): the year's
    PFS amount (unit_amount). When the reference data has no RVUs for the year and `estimate`
    is set (payer profile `kx_when_rvus_missing = "estimate"`), an estimate from the RVUs of
    the latest year the bundled data holds, with the year's own conversion factor and GPCIs;
    without the year's conversion factor or GPCI nothing is estimated. Never the charges."""
    if rvu_table(reference, year).value is not None:
        return unit_amount(code, year, locality, reference)
    missing = f"no {year} PFS RVUs in the reference data"
    if not estimate:
        return UnitPrice(None, f"{missing} (the payer profile does not estimate the KX amount)")
    years = {i.rvu_year for i in catalog().values() if i.rvu_year and i.work_rvu is not None}
    earlier = [y for y in years if y < year]
    rvus = rvu_table(reference, max(earlier)).value if earlier else None
    row = rvus.row(code) if rvus else None
    if rvus is None or row is None or row.work_rvu is None or row.nonfacility_pe_rvu is None:
        return UnitPrice(None, f"{missing}, and no earlier RVUs for {code} to estimate from")
    if locality is None:
        return UnitPrice(None, "no Medicare locality for the billing provider")
    cf_name = CONVERSION_FACTOR_BY_YEAR.get(year)
    cf = constant(cf_name, year) if cf_name else None
    if cf is None or cf.value is None:
        return UnitPrice(None, f"{missing} and no {year} conversion factor: not estimated")
    gpcis = gpci_table(reference, year).value
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
