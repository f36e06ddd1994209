"""Pricing: what each line should be paid (Medicare PFS with GPCI, MPPR, CQ and sequestration;
contract fee schedules), the KX threshold tracker and underpayment detection.

The tracker's and the underpayment check's names are imported from their modules when first
asked for: a command that only codes and scrubs (`scrub --json`) never uses them, and their 13
dataclasses are about 3% of its start (each generated method is compiled at import)."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ptbill.pricing.engine import price_visit
from ptbill.pricing.model import PricedLine, PricedVisit

if TYPE_CHECKING:
    from ptbill.pricing.kx import KxTracker, RemitLine, TherapyYtd, bucket_of
    from ptbill.pricing.underpayment import (
        Adjustment,
        PaidLine,
        Tolerance,
        Underpayment,
        find_underpayments,
    )

_LATER = {
    **dict.fromkeys(("KxTracker", "RemitLine", "TherapyYtd", "bucket_of"), "kx"),
    **dict.fromkeys(
        ("Adjustment", "PaidLine", "Tolerance", "Underpayment", "find_underpayments"),
        "underpayment",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = [
    "Adjustment",
    "KxTracker",
    "PaidLine",
    "PricedLine",
    "PricedVisit",
    "RemitLine",
    "TherapyYtd",
    "Tolerance",
    "Underpayment",
    "bucket_of",
    "find_underpayments",
    "price_visit",
]
