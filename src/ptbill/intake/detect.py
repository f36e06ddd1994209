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


# What a file that is no text at all (or text in another encoding) starts with, as EMRs and
# people send them: named, with what to do, rather than "not recognised" or "not UTF-8".
_PACKAGED: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it first (gunzip FILE) and give that"),
    (
        b"PK\x03\x04",
        "a ZIP archive (an Excel .xlsx workbook is one)",
        "unzip it and give the files inside; from a spreadsheet, save the sheet as CSV",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "an Office document (an Excel .xls workbook?)",
        "save the sheet as CSV (UTF-8)",
    ),
    (b"%PDF", "a PDF document", "give the visits' data, exported from the EMR, not a printout"),
    (b"\xff\xfe", "UTF-16 text", "save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"),
    (b"\xfe\xff", "UTF-16 text", "save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"),
)


# What to do with text in another encoding than UTF-8 (a Windows export's, most often).
NOT_UTF8_FIX = (
    "save it as UTF-8 text (from Excel: Save As, CSV UTF-8; else e.g. "
    "iconv -f WINDOWS-1252 -t UTF-8)"
)


def not_utf8(
    origin: str, e: UnicodeDecodeError | None = None, field: str | None = None
) -> InputError:
    """The refusal of a file that is not UTF-8 text, at its first byte that is not (when known)."""
    at = f" (byte {e.start + 1})" if e is not None else ""
    return InputError(origin, f"not UTF-8 text{at}", NOT_UTF8_FIX, field=field)


def nul_refusal(data: bytes | str, origin: str) -> InputError | None:
    """The refusal of a file holding NUL bytes (binary data: no visit format has them, and a
    name with one goes on a claim as it is); None for text without."""
    if isinstance(data, str):
        at = data.find("\x00")
        at = len(data[:at].encode("utf-8")) if at >= 0 else at
    else:
        at = data.find(b"\x00")
    if at < 0:
        return None
    return InputError(
        origin,
        f"the file holds binary data (NUL bytes, the first at byte {at + 1})",
        f"{_GIVE_VISITS}, as text the way the EMR exports them",
    )


def packaged_refusal(head: bytes, origin: str) -> InputError | None:
    """The refusal of a file whose first bytes show it is compressed, an archive, an office
    document, a PDF or UTF-16 text; None for anything else."""
    for magic, what, fix in _PACKAGED:
        if head.startswith(magic):
            return InputError(origin, f"this is {what}, not visits", fix)
    return None


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
