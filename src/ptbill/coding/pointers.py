"""Diagnosis pointers (billing-rules.md C-2): up to 4 per line, pointing into up to 12
claim-level diagnoses."""

from __future__ import annotations

from functools import lru_cache

MAX_CLAIM_DIAGNOSES = 12
MAX_LINE_POINTERS = 4


def is_external_cause(code: str) -> bool:
    # ICD-10-CM chapter 20 (V00-Y99) explains how an injury happened; it is never the
    # diagnosis a service treats, so it never heads a line (ICD-10-CM guideline I.C.20).
    return code[:1].upper() in "VWXY"


@lru_cache(maxsize=4096)
def assign_pointers(diagnoses: tuple[str, ...]) -> tuple[tuple[int, ...], str]:
    """The default pointers for a line whose visit gave none, and why."""
    usable = [
        i
        for i, code in enumerate(diagnoses[:MAX_CLAIM_DIAGNOSES], start=1)
        if not is_external_cause(code)
    ][:MAX_LINE_POINTERS]
    if not usable:
        return (), "no diagnosis to point to"
    return tuple(usable), (
        f"pointers {', '.join(map(str, usable))} assigned: the visit's first "
        f"{len(usable)} treatable diagnoses (external-cause codes never point)"
    )
