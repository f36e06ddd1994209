"""Payment constants by year (conversion factors, KX and review thresholds, CQ, MPPR,
sequestration), each with the source it was read from. A year without a value is unknown."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from ptbill.reference._csv import decimal_or_none, rows


@dataclass(frozen=True, slots=True)
class Constant:
    name: str
    year: int
    value: Decimal | None
    source: str


@cache
def constants() -> dict[tuple[str, int], Constant]:
    out = {}
    for r in rows("constants.csv"):
        c = Constant(r["name"], int(r["year"]), decimal_or_none(r["value"]), r["source"])
        out[(c.name, c.year)] = c
    return out


def constant(name: str, year: int) -> Constant | None:
    """The constant for that year, or None when the data has no row for it (unknown)."""
    return constants().get((name, year))


KX_THRESHOLD = "kx_threshold_pt_slp_combined_usd"
REVIEW_THRESHOLD = "targeted_medical_review_threshold_pt_slp_usd"
CONVERSION_FACTOR_BY_YEAR = {2025: "pfs_conversion_factor", 2026: "pfs_conversion_factor_non_qp"}
CQ_REDUCTION = "cq_co_payment_reduction_percent"
CQ_DE_MINIMIS = "cq_co_de_minimis_percent"
MPPR = "mppr_pe_reduction_percent"
SEQUESTRATION = "sequestration_reduction_percent"
