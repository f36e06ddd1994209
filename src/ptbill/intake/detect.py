"""Which format a visit file is in: given (`--from`), or recognised from its content."""

from __future__ import annotations

import re
from typing import Literal

from ptbill.errors import InputError
from ptbill.x12.errors import X12Error
from ptbill.x12.kinds import WrongKindError
from ptbill.x12.recognize import FILE_KINDS, HEAD, recognize

Format = Literal["json", "fhir", "hl7", "csv"]
FORMATS: tuple[Format, ...] = ("json", "fhir", "hl7", "csv")
NAMES: dict[str, str] = {
    "json": "ptbill visit JSON",
    "fhir": "FHIR R4 JSON",
    "hl7": "HL7 v2 (DFT^P03)",
    "csv": "CSV charges",
}
_GIVE_VISITS = f"give the visits as {', '.join(NAMES.values())}"
_RESOURCE = re.compile(r'"resourceType"\s*:')
_VISIT = re.compile(r'"visit_id"\s*:')


def sniff(text: str) -> Format | None:
    """The format the start of `text` shows, or None."""
    head = text[:8192].lstrip("\ufeff \t\r\n\x0b")
    if head[:3] == "ISA":  # X12, whose first line may hold a CSV separator (ISA16 '|')
        return None
    if head[:3] in ("MSH", "FHS", "BHS"):
        return "hl7"
    if head[:1] in ("{", "["):
        resource, visit = _RESOURCE.search(head), _VISIT.search(head)
        if resource and (not visit or resource.start() < visit.start()):
            return "fhir"
        return "json"
    first = head.split("\n", 1)[0]
    if first and any(sep in first for sep in (",", ";", "\t", "|")):
        return "csv"
    return None


def choose(text: str, origin: str, fmt: str | None) -> tuple[Format, bool]:
    """(format, whether it was recognised rather than given)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(
                file=origin,
                visit_id=None,
                field="--from",
                problem=f"unknown format {fmt!r}",
                fix=f"use one of {', '.join(FORMATS)}",
            )
        return fmt, False
    if not text.lstrip("\ufeff \t\r\n\x0b"):
        raise InputError(origin, "the file is empty", _GIVE_VISITS)
    found = sniff(text)
    if found is None:
        raise x12_refusal(text, origin) or InputError(
            file=origin,
            visit_id=None,
            field=None,
            problem="the format could not be recognised from the content",
            fix=f"give --from {'|'.join(FORMATS)}",
        )
    return found, True


def x12_refusal(text: str, origin: str) -> InputError | None:
    """The refusal of an X12 file given where visits are read, naming what it is and what
    reads it (a WrongKindError when ptbill reads its kind); None when it is not X12."""
    if not text.lstrip("\ufeff \t\r\n").startswith("ISA"):
        return None
    try:
        kind = FILE_KINDS.get(recognize(text[:HEAD]))
    except X12Error:
        kind = None
    if kind is None:
        return InputError(
            file=origin,
            visit_id=None,
            field=None,
            problem="this is an X12 interchange, not a visit file",
            fix=_GIVE_VISITS,
        )
    return WrongKindError(origin, None, f"this is {kind.what}, not a visit file", kind)


def notice(origin: str, fmt: Format) -> str:
    return f"{origin}: read as {NAMES[fmt]} (recognised from its content; --from chooses)"
