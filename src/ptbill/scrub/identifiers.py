"""Format checks for the identifiers on a claim: NPI, Medicare Beneficiary Identifier,
NUCC taxonomy. Pure string arithmetic; messages never repeat a member id (PHI)."""

from __future__ import annotations

import re
from functools import lru_cache

# The NPI check digit is the Luhn digit of the first nine digits prefixed with 80840, the
# ISO health-industry prefix (CMS NPI standard, 45 CFR 162.406).
NPI_PREFIX = "80840"


def npi_check_digit(base: str) -> int:
    """The NPI check digit of a 9-digit base: Luhn over the base prefixed by 80840.
    CMS's example: 123456789 -> 3."""
    if len(base) != 9 or not base.isdigit():
        raise ValueError("an NPI base is 9 digits")
    total = 0
    for position, ch in enumerate(reversed(NPI_PREFIX + base)):
        d = ord(ch) - 48
        if position % 2 == 0:  # every second digit from the right, starting with the last
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


@lru_cache(maxsize=1 << 16)
def npi_valid(npi: str) -> bool:
    return len(npi) == 10 and npi.isdigit() and int(npi[9]) == npi_check_digit(npi[:9])


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


@lru_cache(maxsize=1024)  # a clinic has few providers
def is_taxonomy(code: str) -> bool:
    """Whether `code` has the form of a NUCC taxonomy code: 10 characters ending in X."""
    return TAXONOMY.match(code) is not None
