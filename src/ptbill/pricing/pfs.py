"""Medicare Physician Fee Schedule amount of one unit of a code (billing-rules.md P-1).

amount = (work RVU x work GPCI + PE RVU x PE GPCI + MP RVU x MP GPCI) x conversion factor,
with the non-facility PE RVU: therapy is paid at the non-facility rate in every setting.
Values come only from the date's own year; a missing year is reported, never borrowed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ptbill.pricing.money import CENT, cents
from ptbill.pricing.sources import RvuTable, gpci_table, rvu_table
from ptbill.reference.gpci import Gpci
from ptbill.reference.importers.pfs import RvuRow
from ptbill.reference.snapshot import BUNDLED_ONLY, ReferenceSnapshot

__all__ = [
    "CENT",
    "FeeComponents",
    "UnitPrice",
    "cached_unit_amount",
    "fee_components",
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


def cached_unit_amount(
    code: str, year: int, locality: str | None, reference: ReferenceSnapshot
) -> UnitPrice:
    """unit_amount, kept on the snapshot: the coder asks for it on every Medicare line, tens
    of thousands of times a second, and its answer depends on the snapshot's data only."""
    memo = reference.memo("unit_amount")
    key = (code, year, locality)
    found = memo.get(key)
    if found is None:
        found = memo[key] = unit_amount(code, year, locality, reference)
    return found  # type: ignore[no-any-return]


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
