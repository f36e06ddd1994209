"""ICD-10-CM lookups against the code set shipped in the simple-icd-10-cm package.

Provenance: CMS's public-domain ICD-10-CM FY2026 release, April 1, 2026 update, as the files
`data/code-list-April-2026.txt` (every code in tabular order) and
`data/icd10c-tabular-April-1-2026.xml` (the tabular list) inside simple-icd-10-cm 1.5.0. They
are read in place by ptbill.scrub.icd10_index rather than through the package's import, which
builds an object per code (about 3 s and over 100 MB in every process); the first lookup here
costs a fraction of a second and a few MB. Answers match the package's own (is_valid_item,
is_category_or_subcategory, is_leaf, get_children, get_descendants, get_description), which
tests/scrub/test_icd10_equivalence.py checks for every code. Each answer is cached per code
string, so a batch pays one dictionary lookup per diagnosis.

The package holds one code-set version. VALID_FROM..VALID_TO is the fiscal year that version
belongs to; a date of service outside it is checked against this version all the same and the
DX-CODE-SET-DATE rule says so. Update these constants with the package (a test pins both) and
the file names in icd10_index with them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from itertools import islice
from typing import Literal

from ptbill.coding.pointers import is_external_cause
from ptbill.scrub.icd10_index import (
    PACKAGE,
    children,
    dotted,
    family,
    leaves,
    manifestation_codes,
)

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


@dataclass(frozen=True, slots=True)
class Dx:
    code: str
    status: Status
    # Billable codes under a header, or the 7th-character completions of a short code.
    completions: tuple[str, ...]
    manifestation: bool
    external_cause: bool


def _dotless(code: str) -> str | None:
    """The code-list spelling of `code`, read as simple-icd-10-cm reads a code: exactly as
    written, upper case, with the dot after the third character or without any dot."""
    if len(code) < 4 or code[3] != ".":
        return code
    bare = code[:3] + code[4:]
    return bare if len(bare) > 3 else None  # "M17." is no code; "M17" is


@cache
def dx(code: str) -> Dx:
    external = is_external_cause(code)
    key = _dotless(code)
    tree = family(key) if key else ()
    if not tree:
        return Dx(code, "invalid", (), False, external)
    below = tree[1:]
    if not below:
        # Manifestation codes ("... in diseases classified elsewhere") are never listed first
        # (ICD-10-CM guideline I.A.13: etiology/manifestation convention).
        return Dx(code, "billable", (), tree[0] in manifestation_codes(), external)
    kids = tuple(children(below))
    if len(tree[0]) < 7 and all(len(c) == 7 for c in kids):
        return Dx(code, "needs_7th", tuple(map(dotted, kids)), False, external)
    examples = tuple(map(dotted, islice(leaves(below), 6)))
    return Dx(code, "not_billable", examples, False, external)


def pinned_version_installed() -> bool:
    return version(PACKAGE) == PACKAGE_VERSION
