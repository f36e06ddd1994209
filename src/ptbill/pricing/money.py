"""Money arithmetic for pricing: Decimal only, rounded to the cent half-up at named points."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def percent_of(value: Decimal, percent: Decimal) -> Decimal:
    """percent % of value, rounded to the cent."""
    return cents(value * percent / HUNDRED)


def money(value: Decimal | None) -> str:
    return "unknown" if value is None else f"${cents(value)}"
