"""Reading visit files for import in batches, so that memory does not grow with the file.

The items are ptbill.intake.stream's, as scrub reads them: JSON Lines a line at a time (a line
that holds a fraction read with exact decimals), a JSON list an element at a time (an 80 MB
list on one line was read whole: some 600 MB), a FHIR, HL7 or CSV file once however many passes
are made over it (ptbill.intake.stream.Once). Each batch is validated as ptbill.intake
validates a file; the import decides what an invalid batch means (nothing is written, every
error is reported).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError
from ptbill.intake.stream import (
    Once,
    Raw,
    first_line,
    is_json_lines,
    item_errors,
    line_of,
    parse_visit,
    raw_items,
)


def count_visits(path: str) -> int | None:
    """How many visits a JSON Lines file holds (for a progress bar); None for other layouts
    (and for a file ptbill.intake.stream will refuse, which says why)."""
    try:
        with Path(path).open("rb") as f:
            if not is_json_lines(first_line(f)):
                return None
            count = 0
            while line := line_of(f):
                count += bool(line.strip())
            return count
    except (OSError, ValueError):
        return None


def raw_batches(
    path: str,
    size: int,
    fmt: str | None = None,
    config: Config | None = None,
    once: Once | None = None,
) -> Iterator[list[tuple[str, Raw]]]:
    """The file's items (label, JSON text or parsed document), `size` at a time."""
    batch: list[tuple[str, Raw]] = []
    for item in raw_items(path, fmt, config, once):
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def validate_items(
    path: str,
    items: list[tuple[str, Raw]],
) -> tuple[list[Visit | None], list[InputError]]:
    """Each item's visit (None where it is invalid) and the input errors of the invalid ones."""
    visits: list[Visit | None] = []
    errors: list[InputError] = []
    for label, item in items:
        try:
            visits.append(parse_visit(item))
        except ValueError:  # pydantic's ValidationError is one
            visits.append(None)
            errors.extend(item_errors(path, label, item))
    return visits, errors
