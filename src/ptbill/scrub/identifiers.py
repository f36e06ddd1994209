"""Format checks for the identifiers on a claim: NPI, Medicare Beneficiary Identifier,
NUCC taxonomy. Pure string arithmetic; messages never repeat a member id (PHI)."""

from __future__ import annotations

import re
from functools import lru_cache

# The NPI check digit is the Luhn digit of the first nine digits prefixed with 80840, the
# ISO health-industry prefix (CMS NPI standard, 45 CFR 162.406).
NPI_PREFIX = "80840"


@lru_cache(maxsize=1 << 16)
def npi_valid(npi: str) -> bool:
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(NPI_PREFIX + npi)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# MBI: 11 characters, no dashes on a claim. Letters exclude S, L, O, I, B and Z.
_LETTER = "ACDEFGHJKMNPQRTUVWXY"
_MBI_POSITIONS = (
    ("1-9", "123456789"),
    ("letter", _LETTER),
    ("letter or digit", _LETTER + "0123456789"),
    ("digit", "0123456789"),
    ("letter", _LETTER),
    ("letter or digit", _LETTER + "0123456789"),
    ("digit", "0123456789"),
    ("letter", _LETTER),
    ("letter", _LETTER),
    ("digit", "0123456789"),
    ("digit", "0123456789"),
)


@lru_cache(maxsize=1 << 16)
def mbi_problem(member_id: str) -> str | None:
    """Why this is not a Medicare Beneficiary Identifier, or None. Never echoes the id."""
    if "-" in member_id:
        return "it contains dashes (they are for display only, never on a claim)"
    if len(member_id) != 11:
        return f"it has {len(member_id)} characters, an MBI has 11"
    for position, (ch, (kind, allowed)) in enumerate(
        zip(member_id.upper(), _MBI_POSITIONS, strict=True), start=1
    ):
        if ch not in allowed:
            extra = " (never S, L, O, I, B or Z)" if "letter" in kind else ""
            return f"character {position} must be a {kind}{extra}"
    return None


TAXONOMY = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")
