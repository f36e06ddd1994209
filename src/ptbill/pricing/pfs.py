"""Medicare Physician Fee Schedule amount of one unit of a code (billing-rules.md P-1).

amount = (work RVU x work GPCI + PE RVU x PE GPCI + MP RVU x MP GPCI) x conversion factor,
with the non-facility PE RVU: therapy is paid at the non-facility rate in every setting.
Values come only from the date's own year; a missing year is reported, never borrowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from decimal import ROUND_HALF_UP, Decimal

from ptbill.reference.catalog import lookup
from ptbill.reference.constants import CONVERSION_FACTOR_BY_YEAR, constant
from ptbill.reference.gpci import gpci

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class UnitPrice:
    amount: Decimal | None
    # How the amount was computed, or why it could not be.
    basis: str


@lru_cache(maxsize=4096)
def unit_amount(code: str, year: int, locality: str | None) -> UnitPrice:
    info = lookup(code)
    if info is None:
        return UnitPrice(None, f"{code} is not in the code catalog")
    if info.rvu_year != year or info.work_rvu is None or info.nonfacility_pe_rvu is None:
        return UnitPrice(None, f"no {year} PFS RVUs for {code} in the reference data "
                               f"(bundled: {info.rvu_year}, {info.rvu_release})")
    if locality is None:
        return UnitPrice(None, "no Medicare locality for the billing provider")
    g = gpci(year, locality)
    if g is None:
        return UnitPrice(None, f"no {year} GPCI for locality {locality}")
    cf_name = CONVERSION_FACTOR_BY_YEAR.get(year)
    cf = constant(cf_name, year) if cf_name else None
    if cf is None or cf.value is None:
        return UnitPrice(None, f"no {year} conversion factor in the reference data")
    mp = info.mp_rvu or Decimal(0)
    rvus = info.work_rvu * g.work + info.nonfacility_pe_rvu * g.pe + mp * g.mp
    amount = (rvus * cf.value).quantize(CENT, ROUND_HALF_UP)
    return UnitPrice(amount, f"({info.work_rvu}x{g.work} + {info.nonfacility_pe_rvu}x{g.pe} + "
                             f"{mp}x{g.mp}) x {cf.value} [{year}, {locality}]")
