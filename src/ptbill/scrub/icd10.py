"""ICD-10-CM lookups from the maintained simple-icd-10-cm package (never a hand list).

The package parses its code set on import (about 3 s), so it is imported on first use; every
answer is cached per code string, so a batch pays one dictionary lookup per diagnosis.

The package holds one code-set version. VALID_FROM..VALID_TO is the fiscal year that version
belongs to; a date of service outside it is checked against this version all the same and the
DX-CODE-SET-DATE rule says so. Update these constants with the package (a test pins both).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from types import ModuleType
from typing import Literal

from ptbill.coding.pointers import is_external_cause

PACKAGE = "simple-icd-10-cm"
PACKAGE_VERSION = "1.5.0"
# simple-icd-10-cm 1.5.0 ships CMS's "April 1, 2026" ICD-10-CM tabular list: FY2026 with the
# April update (FY2026 runs 2025-10-01 .. 2026-09-30).
CODE_SET_NAME = "ICD-10-CM FY2026 (April 1, 2026 update)"
VALID_FROM = dt.date(2025, 10, 1)
VALID_TO = dt.date(2026, 9, 30)

Status = Literal["billable", "not_billable", "needs_7th", "invalid"]


@cache
def code_set_release() -> str:
    return f"{CODE_SET_NAME}, {PACKAGE} {version(PACKAGE)}"


@cache
def _cm() -> ModuleType:
    # The package reads its data with importlib.resources calls that newer Pythons deprecate;
    # that is the package's business, not a warning for ptbill's users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm


@dataclass(frozen=True, slots=True)
class Dx:
    code: str
    status: Status
    # Billable codes under a header, or the 7th-character completions of a short code.
    completions: tuple[str, ...]
    manifestation: bool
    external_cause: bool


@cache
def dx(code: str) -> Dx:
    cm = _cm()
    external = is_external_cause(code)
    if not cm.is_valid_item(code) or not cm.is_category_or_subcategory(code):
        return Dx(code, "invalid", (), False, external)
    if cm.is_leaf(code):
        # Manifestation codes ("... in diseases classified elsewhere") are never listed first
        # (ICD-10-CM guideline I.A.13: etiology/manifestation convention).
        manifest = "in diseases classified elsewhere" in cm.get_description(code).lower()
        return Dx(code, "billable", (), manifest, external)
    children = tuple(cm.get_children(code))
    short = len(cm.remove_dot(code)) < 7
    if short and children and all(len(cm.remove_dot(c)) == 7 for c in children):
        return Dx(code, "needs_7th", children, False, external)
    leaves = tuple(c for c in cm.get_descendants(code) if cm.is_leaf(c))[:6]
    return Dx(code, "not_billable", leaves, False, external)


def pinned_version_installed() -> bool:
    return version(PACKAGE) == PACKAGE_VERSION
