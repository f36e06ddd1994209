"""Reading visit files: ptbill's JSON (one visit, a list of visits, or JSON Lines), and
through `read_visits`/`load_visits` FHIR R4, HL7 v2 DFT^P03 and CSV exports.

Every visit is validated before any is returned: a file with one bad visit yields errors
for all its bad visits and no result at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ptbill.config.profiles import Config, load_config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors, read_bounded, unreadable, validation_errors
from ptbill.intake.detect import (
    Format,
    choose,
    not_utf8,
    notice,
    nul_refusal,
    packaged_refusal,
)
from ptbill.intake.numbers import loads

Notify = Callable[[str], None]

# Visits of a FHIR, HL7 or CSV file read ahead of their use (see _ahead).
AHEAD = 1000

FIX_JSON = "save the file as JSON (one visit, a list of visits) or JSON Lines"


def parse_documents(text: str, origin: str) -> list[Any]:
    """The raw visit objects in a file, in order, whatever of the three layouts it uses."""
    stripped = text.strip()
    if not stripped:
        raise InputError(origin, "the file is empty", FIX_JSON)
    try:
        doc = loads(stripped)
    except json.JSONDecodeError as first:
        if first.msg != "Extra data":
            raise InputError(
                origin,
                f"not valid JSON ({first.msg})",
                FIX_JSON,
                field=f"line {first.lineno} column {first.colno}",
            ) from None
        return _json_lines(text, origin)
    return doc if isinstance(doc, list) else [doc]


def _json_lines(text: str, origin: str) -> list[Any]:
    docs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            docs.append(loads(line))
        except json.JSONDecodeError as e:
            raise InputError(
                origin,
                f"not valid JSON ({e.msg})",
                FIX_JSON,
                field=f"line {number} column {e.colno}",
            ) from None
    return docs


def validate_visits(docs: list[Any], origin: str) -> list[Visit]:
    visits: list[Visit] = []
    errors: list[InputError] = []
    for index, doc in enumerate(docs, start=1):
        if not isinstance(doc, dict):
            errors.append(
                InputError(
                    origin,
                    f"expected a visit object, found {type(doc).__name__}",
                    "each visit is a JSON object",
                    field=f"item {index}",
                )
            )
            continue
        visit_id = doc.get("visit_id")
        label = str(visit_id) if isinstance(visit_id, str | int) else f"#{index}"
        try:
            visits.append(Visit.model_validate(doc))
        except ValidationError as e:
            errors.extend(validation_errors(e, origin, label))
    if errors:
        raise InputErrors(errors)
    return visits


# The most of a file read whole (a FHIR Bundle, an HL7 batch, a CSV export): a busy day of a
# billing company's clinics is some tens of MB; JSON Lines is read a visit at a time, unbounded.
MAX_DOCUMENT_BYTES = 256 << 20


def read_file(path: str | Path) -> str:
    origin = str(path)
    data = read_bounded(
        origin,
        MAX_DOCUMENT_BYTES,
        "the most of a FHIR, HL7 or CSV export read whole",
        "export a day or a clinic a file, or the visits as JSON Lines (read a visit at a time, "
        "of any size)",
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise not_utf8(origin, e) from None
    binary = nul_refusal(text, origin)
    if binary is not None:
        raise binary
    return text


def read_visits(
    text: str,
    origin: str,
    fmt: str | None = None,
    config: Config | None = None,
    notify: Notify | None = None,
) -> list[Visit]:
    """The visits of a text in any format (given, or recognised from the content; `notify`
    hears which was recognised), or InputError(s) naming the file, the message or row, the
    field and the fix."""
    chosen, recognised = choose(text, origin, fmt)
    if recognised and notify is not None and chosen != "json":
        notify(notice(origin, chosen))
    if chosen == "json":
        return validate_visits(parse_documents(text, origin), origin)
    config = config or load_config()
    if chosen == "fhir":
        from ptbill.intake import fhir

        return fhir.read(text, origin, config)
    if chosen == "hl7":
        from ptbill.intake import hl7v2

        return hl7v2.read(text, origin, config)
    from ptbill.intake import csv_charges

    return csv_charges.read(text, origin, config)


def visits_of(text: str, origin: str, fmt: Format, config: Config) -> Iterator[Visit]:
    """The visits of a FHIR, HL7 v2 or CSV text, each as it is read and validated where the
    reader allows (HL7, CSV, a FHIR Bundle the typed reader reads; other FHIR files are read
    whole): until the first bad one, with InputError(s) for all the bad ones raised at the
    end, as read_visits raises them."""
    if fmt == "fhir":
        from ptbill.intake import fhir

        yield from _ahead(fhir.visits(text, origin, config))
        return
    if fmt == "hl7":
        from ptbill.intake import hl7v2

        yield from _ahead(hl7v2.visits(text, origin, config))
        return
    if fmt == "csv":
        from ptbill.intake import csv_charges

        yield from _ahead(csv_charges.visits(text, origin, config))
        return
    yield from validate_visits(parse_documents(text, origin), origin)


def _ahead(visits: Iterator[Visit], size: int = AHEAD) -> Iterator[Visit]:
    """The visits read `size` at a time before any is given: a reader's work and its caller's
    interleaved visit by visit ran slower (`ptbill scrub --json` of 20,000 HL7 messages: 7.4 s
    of CPU against 5.8 s for the file read whole, 5.4 s read a thousand at a time)."""
    while chunk := list(islice(visits, size)):
        yield from chunk


def load_visits(
    path: str | Path,
    fmt: str | None = None,
    config: Config | None = None,
    notify: Notify | None = None,
) -> list[Visit]:
    """All visits in a file, or InputError(s) naming the file, visit and field."""
    return read_visits(read_file(path), str(path), fmt, config, notify)


def file_format(path: str | Path, fmt: str | None = None) -> tuple[Format, bool]:
    """A file's format (given, or recognised from its first 8 KB) and whether it was
    recognised rather than given."""
    if fmt is not None:
        return choose("", str(path), fmt)
    try:
        with Path(path).open("rb") as f:
            head = f.read(8192)
    except OSError as e:
        raise unreadable(str(path), e) from None
    packaged = packaged_refusal(head, str(path))
    if packaged is not None:
        raise packaged
    text = head.decode("utf-8-sig", errors="replace")
    return choose(text.replace("\r\n", "\n").replace("\r", "\n"), str(path), None)
