"""Uploaded files, checked before any workflow sees them: size, type and content.

A file that passes is written to a private temporary folder under its own (cleaned) name, so
that the ledger's readers, which take paths, report problems under the name the user knows.
Nothing is posted from a file that fails: the error names the file and the problem.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends
from starlette.datastructures import UploadFile
from starlette.requests import Request

from ptbill.errors import InputError, named
from ptbill.intake.detect import not_utf8, nul_refusal, packaged_refusal, sniff, x12_refusal
from ptbill.web.auth import ApiWriter, PageWriter
from ptbill.x12.kinds import WrongKindError

Kind = Literal["x12", "visits"]
_EXTENSIONS: dict[Kind, tuple[str, ...]] = {
    # .837 too: the readers then name the kind and what takes it, not the extension.
    "x12": (
        ".835",
        ".999",
        ".277",
        ".ta1",
        ".837",
        ".270",
        ".271",
        ".276",
        ".x12",
        ".edi",
        ".txt",
        ".dat",
        "",
    ),
    "visits": (".json", ".jsonl", ".ndjson", ".fhir", ".hl7", ".txt", ".csv"),
}
_WHAT = {
    "x12": "an X12 file (835, 999, 277CA or TA1)",
    "visits": "a visit file (JSON or JSON Lines, FHIR R4 JSON, HL7 v2 DFT^P03 or CSV)",
}
_BINARY_TYPES = (
    "image/",
    "audio/",
    "video/",
    "application/pdf",
    "application/zip",
    "application/x-zip",
    "application/vnd.",
    "application/msword",
    "application/octet-stream+zip",
)


@dataclass(frozen=True, slots=True)
class Upload:
    name: str  # as the user named it (cleaned)
    path: Path  # where it was written for the reader
    text: str


def clean_name(name: str | None, kind: Kind) -> str:
    base = Path(name or "").name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or f"upload-{kind}"
    return base[-120:]


# Where the workbench takes each kind of file (ptbill.x12.kinds.FileKind.reads).
_UPLOAD_TO = {
    "ack": "upload it on the Acknowledgements page (API: POST /api/v1/acknowledgements)",
    "remit": "upload it on the Remittances page (API: POST /api/v1/remittances)",
    "eligibility": "upload it on the Payers page (API: POST /api/v1/eligibility/responses)",
    "status": "upload it on the Payers page (API: POST /api/v1/claim-status/responses)",
}


@contextmanager
def kind_named_for_the_web() -> Iterator[None]:
    """A file of another kind is refused with where the workbench takes it (the readers'
    fix names the command line's commands)."""
    try:
        yield
    except WrongKindError as e:
        upload = _UPLOAD_TO.get(e.found.reads or "")
        if upload is None:  # no upload takes it: the command line's words stand
            raise
        raise e.reworded(upload) from None


def _refuse(name: str, problem: str, fix: str) -> InputError:
    return InputError(name, problem, fix, field="file")


async def read_upload(file: UploadFile | None, kind: Kind, limit: int) -> tuple[str, str]:
    """(cleaned name, text) of an upload, or InputError naming what is wrong with it."""
    if file is None or not isinstance(file, UploadFile):
        raise InputError(
            "upload",
            "no file was sent",
            f"send {_WHAT[kind]} as the multipart field `file`",
            field="file",
        )
    name = clean_name(file.filename, kind)
    suffix = Path(name).suffix.lower()
    if suffix not in _EXTENSIONS[kind]:
        raise _refuse(
            name,
            f"a {suffix or 'nameless'} file is not {_WHAT[kind]}",
            f"upload a file ending in {', '.join(e for e in _EXTENSIONS[kind] if e)}",
        )
    ctype = (file.content_type or "").lower()
    if ctype.startswith(_BINARY_TYPES):
        raise _refuse(name, f"the file was sent as {ctype}, not text", f"upload {_WHAT[kind]}")
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise _refuse(
            name,
            f"the file is larger than the upload limit of {limit:,} bytes",
            "split it into smaller files, or raise PTBILL_MAX_UPLOAD_MB",
        )
    if not data.strip():
        raise _refuse(name, "the file is empty", f"upload {_WHAT[kind]}")
    packaged = packaged_refusal(data[:8], name) if kind == "visits" else None
    if packaged is not None:  # a workbook, an archive, a PDF: named as the command line names it
        raise _refuse(name, packaged.problem, packaged.fix)
    binary = nul_refusal(data, name)
    if binary is not None:
        raise _refuse(name, binary.problem, f"upload {_WHAT[kind]}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        refused = not_utf8(name, e)
        fix = refused.fix if kind == "visits" else "upload the file exactly as the payer sent it"
        raise _refuse(name, refused.problem, fix) from None
    head = text.lstrip()[:3]
    if kind == "x12" and head != "ISA":
        raise _refuse(
            name,
            "the file does not start with an ISA segment: it is not X12",
            "upload the 835/999/277CA file exactly as the payer sent it",
        )
    if kind == "visits" and sniff(text) is None:
        wrong = x12_refusal(text, name)
        if wrong is not None:  # an 835, a 999...: named, with where the workbench takes it
            with kind_named_for_the_web():
                raise wrong
        raise _refuse(
            name,
            "the file is not visit JSON, FHIR R4 JSON, HL7 v2 or CSV",
            "upload visits as JSON (one visit or a list), JSON Lines, a FHIR Bundle or Claim, "
            "HL7 DFT^P03 messages or a CSV charge export",
        )
    return name, text


async def upload_from(request: Request, kind: Kind) -> tuple[str, str]:
    """read_upload of the form's `file` (ptbill.web.bodies.BodyLimit bounds it as it
    streams)."""
    form = await request.form(max_files=1, max_fields=10)
    file = form.get("file")
    try:
        return await read_upload(
            file if isinstance(file, UploadFile) else None,
            kind,
            request.app.state.settings.max_upload_bytes,
        )
    finally:
        await form.close()  # the spooled file, now read


# An upload as a dependency of the check of who is asking (see ptbill.web.bodies): the API's
# (Bearer token or cookie and X-CSRF-Token) and a page form's (cookie and csrf_token).


async def _api_x12(request: Request, who: ApiWriter) -> tuple[str, str]:
    return await upload_from(request, "x12")


async def _api_visits(request: Request, who: ApiWriter) -> tuple[str, str]:
    return await upload_from(request, "visits")


async def _page_x12(request: Request, who: PageWriter) -> tuple[str, str]:
    return await upload_from(request, "x12")


async def _page_visits(request: Request, who: PageWriter) -> tuple[str, str]:
    return await upload_from(request, "visits")


ApiX12 = Annotated[tuple[str, str], Depends(_api_x12)]
ApiVisits = Annotated[tuple[str, str], Depends(_api_visits)]
PageX12 = Annotated[tuple[str, str], Depends(_page_x12)]
PageVisits = Annotated[tuple[str, str], Depends(_page_visits)]


@contextmanager
def saved(name: str, text: str) -> Iterator[Upload]:
    """The upload written to a private temporary folder for the length of the block; input
    errors raised inside name the upload, not the temporary path."""
    folder = Path(tempfile.mkdtemp(prefix="ptbill-upload-"))
    path = folder / name
    try:
        path.write_text(text, encoding="utf-8")
        with named(str(path), name):
            yield Upload(name, path, text)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
