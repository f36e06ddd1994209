"""The therapy multiple procedure payment reduction (billing-rules.md P-3, P-4).

On one date for one patient, of all units of always-therapy codes (MPPR indicator 5), the one
unit with the highest PE payment is paid in full; every other unit keeps its full work and
malpractice parts and gets 50% of its PE part. Ranking is by the PE payment; a tie goes to the
higher total fee, taken after any CQ/CO reduction (so of two equal units the one without CQ is
the full-price one); a remaining tie goes to the line listed first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ptbill.pricing.money import HUNDRED


@dataclass(frozen=True, slots=True)
class MpprUnit:
    """One line's units as MPPR sees them (every unit of a line has the same amounts)."""

    line: int
    code: str
    units: int
    pe: Decimal  # PE part of one unit, dollars
    fee: Decimal  # one unit's fee schedule amount
    cq_percent: Decimal  # the line's assistant reduction (0 when none)


def full_price_line(candidates: Sequence[MpprUnit]) -> int | None:
    """The line whose first unit is paid in full, or None when no unit is subject to MPPR."""
    live = [c for c in candidates if c.units > 0]
    if not live:
        return None
    best = max(live, key=lambda c: (c.pe, c.fee * (HUNDRED - c.cq_percent), -c.line))
    return best.line


def explain(candidates: Sequence[MpprUnit], full_line: int | None) -> str:
    units = sum(c.units for c in candidates)
    if full_line is None or units == 0:
        return "MPPR: no always-therapy unit today"
    best = next(c for c in candidates if c.line == full_line)
    if units == 1:
        return f"MPPR: {best.code} is the day's only always-therapy unit: paid in full"
    return (
        f"MPPR: {units} always-therapy units today; one unit of {best.code} has the highest "
        f"PE payment (${best.pe.quantize(Decimal('0.0001'))}) and is paid in full; the other "
        f"{units - 1} get 50% of their PE (P-3)"
    )
