"""The arithmetic from a line's fee to what the payer pays, shared by pricing and by the
underpayment check (which reruns it under other assumptions).

Rounding points (cents, half-up), in order:
1. one unit's fee schedule amount (pfs.FeeComponents.amount);
2. the MPPR cut of one reduced unit: 50% of that unit's PE part;
3. the CQ/CO cut of the line: 15% of the line after MPPR;
4. a percent-of-Medicare contract: that percent of the Medicare allowed amount;
5. the coinsurance: its percent of (allowed - deductible); the payer's share is the remainder;
6. sequestration: 2% of the payer's share.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ptbill.pricing.model import LineMath, Settlement
from ptbill.pricing.money import HUNDRED, ZERO, percent_of


@dataclass(frozen=True, slots=True)
class AllowedParts:
    gross: Decimal  # units x unit fee
    mppr: Decimal
    cq: Decimal
    allowed: Decimal


def allowed_parts(m: LineMath) -> AllowedParts:
    gross = m.unit_fee * m.units
    mppr = m.mppr_cut * (m.units - m.full_units)
    cq = percent_of(gross - mppr, m.cq_percent)
    base = gross - mppr - cq
    allowed = base if m.scale_percent == HUNDRED else percent_of(base, m.scale_percent)
    return AllowedParts(gross, mppr, cq, allowed)


def settle(
    allowed: Decimal,
    deductible_available: Decimal,
    coinsurance_percent: Decimal,
    sequestration_percent: Decimal | None,
    applies_sequestration: bool,
) -> Settlement:
    """Deductible first, then coinsurance on the rest (P-6); sequestration cuts the payer's
    share only, after both (P-7)."""
    deductible = max(ZERO, min(allowed, deductible_available))
    coinsurance = percent_of(allowed - deductible, coinsurance_percent)
    payer = allowed - deductible - coinsurance
    if not applies_sequestration:
        sequestration: Decimal | None = ZERO
    elif sequestration_percent is None:
        sequestration = None
    else:
        sequestration = percent_of(payer, sequestration_percent)
    return Settlement(
        allowed, deductible, coinsurance, payer, sequestration, payer - (sequestration or ZERO)
    )


def settle_line(m: LineMath, deductible_available: Decimal) -> tuple[AllowedParts, Settlement]:
    parts = allowed_parts(m)
    return parts, settle(
        parts.allowed,
        deductible_available,
        m.coinsurance_percent,
        m.sequestration_percent,
        m.applies_sequestration,
    )
