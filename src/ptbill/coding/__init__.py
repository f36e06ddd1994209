"""Coding: CPT/HCPCS lines with units, modifiers and diagnosis pointers from a visit."""

from ptbill.coding.context import VisitContext, resolve
from ptbill.coding.engine import UnitResult, code_visit, units_for

__all__ = ["UnitResult", "VisitContext", "code_visit", "resolve", "units_for"]
