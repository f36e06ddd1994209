"""Reading visit files for import in batches, so that memory does not grow with the file.

JSON Lines files are read a line at a time; a JSON list or a single pretty-printed object is
read whole (ptbill.intake); a FHIR, HL7 or CSV file once however many passes are made over it
(ptbill.intake.stream.Once). Each batch is validated as ptbill.intake validates a file; the
import decides what an invalid batch means (nothing is written, every error is reported).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, unreadable
from ptbill.intake.load import FIX_JSON, file_format, parse_documents
from ptbill.intake.stream import Once, item_errors


def _open(path: str) -> Any:
    try:
        return Path(path).open(encoding="utf-8")
    except OSError as e:
        raise unreadable(path, e) from None


def _is_json_lines(path: str) -> bool:
    with _open(path) as f:
        for line in f:
            if line.strip():
                if line.lstrip().startswith("["):
                    return False
                try:
                    return isinstance(json.loads(line), dict)
                except json.JSONDecodeError:
                    return False
    return False


def count_visits(path: str) -> int | None:
    """How many visits a JSON Lines file holds (for a progress bar); None for other layouts."""
    try:
        if not _is_json_lines(path):
            return None
        with _open(path) as f:
            return sum(1 for line in f if line.strip())
    except (InputError, UnicodeDecodeError):
        return None


def _raw_items(
    path: str, fmt: str | None = None, config: Config | None = None, once: Once | None = None
) -> Iterator[tuple[str, str | Any]]:
    """(label, JSON text, parsed document or, from another format, Visit or its JSON) per
    visit, in file order. A FHIR, HL7 or CSV file is read once through `once`, however many
    times its items are asked for (ptbill.intake.stream.Once)."""
    chosen = file_format(path, fmt)[0]
    if chosen != "json":
        yield from (once or Once(keep=False)).items(path, chosen, config)
        return
    try:
        if _is_json_lines(path):
            with _open(path) as f:
                for number, line in enumerate(f, start=1):
                    if line.strip():
                        yield f"line {number}", line
            return
        with _open(path) as f:
            text = f.read()
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text", FIX_JSON) from None
    for index, doc in enumerate(parse_documents(text, path), start=1):
        yield f"item {index}", doc


def raw_batches(
    path: str,
    size: int,
    fmt: str | None = None,
    config: Config | None = None,
    once: Once | None = None,
) -> Iterator[list[tuple[str, str | Any]]]:
    """The file's items (label, JSON text or parsed document), `size` at a time."""
    batch: list[tuple[str, str | Any]] = []
    for item in _raw_items(path, fmt, config, once):
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def parse_item(item: str | Any) -> Visit:
    """A visit from its JSON text or parsed document (raises pydantic's ValidationError)."""
    if isinstance(item, str | bytes):
        return Visit.model_validate_json(item)
    return Visit.model_validate(item)


def validate_items(
    path: str,
    items: list[tuple[str, str | Any]],
) -> tuple[list[Visit | None], list[InputError]]:
    """Each item's visit (None where it is invalid) and the input errors of the invalid ones."""
    visits: list[Visit | None] = []
    errors: list[InputError] = []
    for label, item in items:
        try:
            visits.append(parse_item(item))
        except ValidationError:
            visits.append(None)
            errors.extend(item_errors(path, label, item))
    return visits, errors
