"""Diagnoses: present, valid and billable ICD-10-CM codes in an allowed order, with pointers
that point at them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ptbill.coding.pointers import MAX_CLAIM_DIAGNOSES, MAX_LINE_POINTERS
from ptbill.scrub import icd10
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Review
from ptbill.scrub.rules._text import listing


@rule("DX-MISSING", "diagnosis", "error", ("C-2", "C-3", "D-2"))
def dx_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """A visit with no diagnosis.

    *What it checks*: `diagnoses` holds at least one code.
    *Why payers care*: every claim line points to the diagnosis it treats (C-2, C-3); a claim
    without one is unprocessable.
    *Fails*: `"diagnoses": []`.
    *Passes*: `"diagnoses": ["M17.11"]`.
    *Fix*: add the treated condition's ICD-10-CM code from the plan of care.
    """
    if not r.visit.diagnoses:
        yield Hit(
            "the visit has no diagnosis code",
            "add the ICD-10-CM code of the condition treated (from the plan of care)",
        )


@dataclass(frozen=True, slots=True)
class _Listed:
    """What the ICD-10-CM lookups say about a visit's diagnoses taken together: the rules
    below look at single codes only when the list holds what they look for."""

    statuses: frozenset[icd10.Status]
    external_cause: bool
    manifestation: bool


@lru_cache(maxsize=4096)  # a clinic's visits repeat a few hundred diagnosis lists
def _listed(codes: tuple[str, ...]) -> _Listed:
    found = [icd10.dx(code) for code in codes]
    return _Listed(
        frozenset(d.status for d in found),
        any(d.external_cause for d in found),
        any(d.manifestation for d in found),
    )


@rule("DX-INVALID", "diagnosis", "error", ("C-1", "ICD10-GUIDE-I.B.2"))
def dx_invalid(r: Review, p: NoParams) -> Iterator[Hit]:
    """A diagnosis that is not an ICD-10-CM code.

    *What it checks*: each diagnosis is a code (category or subcategory) in the ICD-10-CM code
    set of the simple-icd-10-cm package (the release is named on the finding).
    *Why payers care*: a code that does not exist on the date of service makes the claim
    unprocessable (C-1).
    *Fails*: `"diagnoses": ["M17.99"]`.
    *Passes*: `"diagnoses": ["M17.11"]`.
    *Fix*: look the condition up and use a current ICD-10-CM code.
    """
    if "invalid" not in _listed(tuple(r.visit.diagnoses)).statuses:
        return
    for i, code in enumerate(r.visit.diagnoses, start=1):
        if icd10.dx(code).status != "invalid":
            continue
        upper = code.strip().upper()
        fix = (
            f"write it as {upper}"
            if upper != code and icd10.dx(upper).status != "invalid"
            else "use a current ICD-10-CM code for the condition"
        )
        yield Hit(
            f"diagnosis {i} {code!r} is not an ICD-10-CM code",
            fix,
            data_release=icd10.code_set_release(),
        )


@rule("DX-NOT-BILLABLE", "diagnosis", "error", ("C-1", "ICD10-GUIDE-I.B.2", "FINDACODE-ICD"))
def dx_not_billable(r: Review, p: NoParams) -> Iterator[Hit]:
    """A diagnosis that is a category header or lacks its 7th character.

    *What it checks*: each diagnosis is a billable leaf of ICD-10-CM: not a header with more
    specific codes beneath it, and carrying the 7th character where its category requires one.
    *Why payers care*: a code short of its required characters is invalid (C-1,
    ICD10-GUIDE-I.B.2) and the claim is rejected.
    *Fails*: `"diagnoses": ["M17.1"]` (header) or `["S83.511"]` (needs A, D or S).
    *Passes*: `"diagnoses": ["M17.11"]`, `["S83.511D"]`.
    *Fix*: code to the full number of characters; rehabilitation after an injury usually takes
    the 7th character D (subsequent encounter).
    """
    if _listed(tuple(r.visit.diagnoses)).statuses.isdisjoint(("needs_7th", "not_billable")):
        return
    for i, code in enumerate(r.visit.diagnoses, start=1):
        d = icd10.dx(code)
        if d.status == "needs_7th":
            yield Hit(
                f"diagnosis {i} {code} needs its 7th character ({listing(d.completions, 'or')})",
                "add the 7th character (rehabilitation during healing is usually "
                f"{next((c for c in d.completions if c.endswith('D')), d.completions[0])})",
                data_release=icd10.code_set_release(),
            )
        elif d.status == "not_billable":
            yield Hit(
                f"diagnosis {i} {code} is a category, not a billable code",
                f"use the specific code, e.g. {listing(d.completions[:4], 'or')}",
                data_release=icd10.code_set_release(),
            )


def _first_pointed(r: Review) -> Iterator[tuple[int, str, str]]:
    """(line number, code, diagnosis) for the diagnosis each billed line points to first."""
    for n, line in r.billed:
        if line.diagnosis_pointers:
            first = line.diagnosis_pointers[0]
            if 1 <= first <= len(r.visit.diagnoses):
                yield n, line.code, r.visit.diagnoses[first - 1]


@rule("DX-EXTERNAL-CAUSE-FIRST", "diagnosis", "error", ("C-2", "C-3", "ICD10-GUIDE-I.C.20"))
def external_cause_first(r: Review, p: NoParams) -> Iterator[Hit]:
    """An external-cause code (V00-Y99) listed first on the claim or first on a line.

    *What it checks*: the first diagnosis, and the first diagnosis each line points to, is not
    an external-cause code.
    *Why payers care*: external-cause codes say how an injury happened, never what is treated;
    they are never the principal or first-listed diagnosis (ICD-10-CM guideline I.C.20), and
    the line's first pointer must be the condition treated (C-3).
    *Fails*: `"diagnoses": ["W19.XXXD", "S72.001D"]`.
    *Passes*: `"diagnoses": ["S72.001D", "W19.XXXD"]`.
    *Fix*: list the injury or condition first and the external cause after it.
    """
    codes = r.visit.diagnoses
    if not _listed(tuple(codes)).external_cause:
        return
    if codes and icd10.dx(codes[0]).external_cause:
        yield Hit(
            f"the first diagnosis {codes[0]} is an external-cause code (V00-Y99)",
            "list the condition treated first, the external cause after it",
        )
    for n, code, dx in _first_pointed(r):
        if dx != codes[0] and icd10.dx(dx).external_cause:
            yield Hit(
                f"{code} points first to external-cause code {dx}",
                f"point {code} first to the condition it treats",
                n,
            )


@rule("DX-MANIFESTATION-FIRST", "diagnosis", "error", ("C-2", "C-3", "ICD10-GUIDE-I.A.13"))
def manifestation_first(r: Review, p: NoParams) -> Iterator[Hit]:
    """A manifestation code ("in diseases classified elsewhere") listed first.

    *What it checks*: the first diagnosis, and the first diagnosis each line points to, is not
    a manifestation code (its ICD-10-CM title reads "in diseases classified elsewhere").
    *Why payers care*: a manifestation code is always sequenced after its underlying condition
    (ICD-10-CM etiology/manifestation convention, guideline I.A.13); listed first, the claim
    fails the payer's code edits.
    *Fails*: `"diagnoses": ["G63", "E11.42"]`.
    *Passes*: `"diagnoses": ["E11.42", "G63"]`.
    *Fix*: list the underlying condition first, then the manifestation.
    """
    codes = r.visit.diagnoses
    if not _listed(tuple(codes)).manifestation:
        return
    if codes and icd10.dx(codes[0]).manifestation:
        yield Hit(
            f"the first diagnosis {codes[0]} is a manifestation code (it describes a "
            "disease classified elsewhere)",
            "list the underlying condition first, the manifestation after it",
        )
    for n, code, dx in _first_pointed(r):
        if dx != codes[0] and icd10.dx(dx).manifestation:
            yield Hit(
                f"{code} points first to manifestation code {dx}",
                f"point {code} first to the underlying condition",
                n,
            )


@rule("DX-POINTER-INVALID", "diagnosis", "error", ("C-2", "STEDI-POINTER", "STEDI-C004"))
def pointer_invalid(r: Review, p: NoParams) -> Iterator[Hit]:
    """A line whose diagnosis pointers are missing, too many, repeated or out of range.

    *What it checks*: each billed line has 1 to 4 distinct pointers, each between 1 and the
    number of diagnoses (at most 12).
    *Why payers care*: the 837P line carries up to four pointers into up to twelve claim
    diagnoses and each must refer to a diagnosis actually present (C-2, STEDI-POINTER).
    *Fails*: `"diagnosis_pointers": [3]` with two diagnoses.
    *Passes*: `"diagnosis_pointers": [1, 2]`.
    *Fix*: point each line at the diagnoses it treats, by their 1-based position.
    """
    count = min(len(r.visit.diagnoses), MAX_CLAIM_DIAGNOSES)
    if not r.visit.diagnoses:
        return  # DX-MISSING says it
    for n, line in r.billed:
        problem = _pointer_problem(line.code, line.diagnosis_pointers, count)
        if problem is not None:
            yield Hit(*problem, n)


@lru_cache(maxsize=4096)  # lines repeat a few codes and pointer lists
def _pointer_problem(code: str, ptrs: tuple[int, ...], count: int) -> tuple[str, str] | None:
    """(message, fix) when a line's pointers into `count` diagnoses are wrong, else None."""
    bad = [x for x in ptrs if not 1 <= x <= count]
    if not ptrs:
        return (
            f"{code} points to no diagnosis",
            f"give {code} the pointer(s) of the diagnoses it treats",
        )
    if bad:
        return (
            f"{code} points to diagnosis {listing(map(str, bad))}, but the claim has {count}",
            f"point {code} at positions 1 to {count}",
        )
    if len(ptrs) > MAX_LINE_POINTERS:
        return (
            f"{code} has {len(ptrs)} diagnosis pointers; a line holds {MAX_LINE_POINTERS}",
            f"keep the {MAX_LINE_POINTERS} most relevant",
        )
    if len(set(ptrs)) != len(ptrs):
        return f"{code} repeats a diagnosis pointer ({ptrs})", "list each pointer once"
    return None


@rule("DX-DUPLICATE", "diagnosis", "error", ("C-2", "STEDI-DUPDX"))
def dx_duplicate(r: Review, p: NoParams) -> Iterator[Hit]:
    """The same diagnosis code listed twice.

    *What it checks*: no diagnosis code appears twice (ignoring the dot).
    *Why payers care*: clearinghouses reject claims with duplicate diagnosis codes (C-2,
    STEDI-DUPDX).
    *Fails*: `"diagnoses": ["M17.11", "M1711"]`.
    *Passes*: `"diagnoses": ["M17.11", "M25.561"]`.
    *Fix*: remove the repeat and renumber the pointers.
    """
    if len(r.visit.diagnoses) > 1:
        yield from _repeats(tuple(r.visit.diagnoses))


@lru_cache(maxsize=4096)  # a clinic's visits repeat a few hundred diagnosis lists
def _repeats(codes: tuple[str, ...]) -> tuple[Hit, ...]:
    hits = []
    seen: dict[str, int] = {}
    for i, code in enumerate(codes, start=1):
        key = code.replace(".", "").strip().upper()
        if key in seen:
            hits.append(
                Hit(
                    f"diagnosis {i} {code} repeats diagnosis {seen[key]}",
                    "remove the repeated code and renumber the pointers",
                )
            )
        else:
            seen[key] = i
    return tuple(hits)


@rule("DX-TOO-MANY", "diagnosis", "error", ("C-2", "STEDI-POINTER"))
def dx_too_many(r: Review, p: NoParams) -> Iterator[Hit]:
    """More diagnoses than an 837P claim holds.

    *What it checks*: at most 12 diagnoses.
    *Why payers care*: the claim's HI segment holds twelve diagnosis codes (C-2); the rest are
    lost and pointers past 12 are invalid.
    *Fails*: 13 diagnosis codes.
    *Passes*: the 12 most relevant.
    *Fix*: keep the 12 codes that the billed services treat.
    """
    if len(r.visit.diagnoses) > MAX_CLAIM_DIAGNOSES:
        yield Hit(
            f"the visit lists {len(r.visit.diagnoses)} diagnoses; a claim holds "
            f"{MAX_CLAIM_DIAGNOSES}",
            f"keep the {MAX_CLAIM_DIAGNOSES} most relevant codes",
        )


@rule("DX-CODE-SET-DATE", "diagnosis", "info", ("C-1",))
def code_set_date(r: Review, p: NoParams) -> Iterator[Hit]:
    """The date of service falls outside the ICD-10-CM year the checks used.

    *What it checks*: the date of service lies in the fiscal year of the installed ICD-10-CM
    code set (simple-icd-10-cm); outside it, validity was checked against that code set anyway.
    *Why payers care*: codes must be valid on the date of service (C-1); the code set changes
    every 1 October (and some Aprils).
    *Fails*: a date of service of 2025-03-02 (FY2025) checked with the FY2026 code set.
    *Passes*: a date of service of 2026-03-02.
    *Fix*: confirm the diagnosis codes against the code set of the date of service.
    """
    if r.visit.diagnoses and not icd10.VALID_FROM <= r.dos <= icd10.VALID_TO:
        yield _outside_code_set(r.dos)


@lru_cache(maxsize=1024)  # a run spans a few hundred dates of service
def _outside_code_set(dos: dt.date) -> Hit:
    return Hit(
        f"date of service {dos} is outside {icd10.VALID_FROM}..{icd10.VALID_TO}: the "
        "diagnoses were checked against that code set, not the one in force then",
        "confirm the codes against the ICD-10-CM release for the date of service",
        data_release=icd10.code_set_release(),
    )
