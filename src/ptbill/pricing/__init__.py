"""Pricing: what each line should be paid (Medicare PFS with GPCI, MPPR, CQ and sequestration;
contract fee schedules), the KX threshold tracker and underpayment detection."""

from ptbill.pricing.engine import price_visit
from ptbill.pricing.kx import KxTracker, RemitLine, TherapyYtd, bucket_of
from ptbill.pricing.model import PricedLine, PricedVisit
from ptbill.pricing.underpayment import (
    Adjustment,
    PaidLine,
    Tolerance,
    Underpayment,
    find_underpayments,
)

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
