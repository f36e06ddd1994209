"""User-facing errors: each names the file, the visit, the field, what is wrong and the fix.

The CLI prints these and exits 2; nothing is ever half-written when one is raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError


def clip(value: object, limit: int = 40, quote: bool = False) -> str:
    """A value as a message shows it: at most `limit` characters of it, then its length (an
    error never echoes a long input back). `quote`: as repr() shows a string."""
    text = value if isinstance(value, str) else repr(value)
    short = text if len(text) <= limit else text[:limit]
    shown = repr(short) if quote and isinstance(value, str) else short
    return shown if short is text else f"{shown}… ({len(text):,} characters)"


# Acronyms read letter by letter whose first letter sounds a vowel ("an HL7", "an MSH").
_VOWEL_LETTERS = frozenset("AEFHILMNORSX")


def a_or_an(word: str) -> str:
    """`word` after its indefinite article, as a message says it: "an ADT^A01", "an 837",
    "an Encounter", "a Patient", "a 999"."""
    first = word[:1]
    head = re.match(r"[A-Z0-9]+", word)
    acronym = head is not None and len(head.group()) > 1 and not word[1:2].islower()
    sounds_vowel = (
        first in "8"
        or word.startswith(("11", "18"))
        or (acronym and first in _VOWEL_LETTERS)
        or (not acronym and first.lower() in "aeio")
    )
    return f"{'an' if sounds_vowel else 'a'} {word}"


class InputError(Exception):
    """What is wrong with the input in `file` (of visit `visit_id`, at `field`, when known)
    and the fix."""

    def __init__(
        self,
        file: str,
        problem: str,
        fix: str,
        *,
        visit_id: str | None = None,
        field: str | None = None,
    ) -> None:
        # A visit id is at most 38 characters; a longer one is input to be clipped.
        visit_id = clip(visit_id) if isinstance(visit_id, str) else visit_id
        self.file, self.visit_id, self.field = file, visit_id, field
        self.problem, self.fix = problem, fix
        super().__init__(self.render())

    def render(self) -> str:
        where = [self.file]
        if self.visit_id:
            where.append(f"visit {self.visit_id}")
        if self.field:
            where.append(self.field)
        return f"{': '.join(where)}: {self.problem}. Fix: {self.fix}"


class AlreadyApplied(InputError):
    """An answer file (999, 277CA, 271, 277) whose content was applied before: nothing to do.
    The commands take it as done (exit 0), saying when: `record` is the row that keeps it
    ("acknowledgement", "inbound file"), `record_id` its id; None when another process
    applied it just now."""

    def __init__(
        self, file: str, what: str, record: str, applied_on: object, record_id: int | None
    ) -> None:
        self.record, self.applied_on, self.record_id = record, applied_on, record_id
        when = f" on {applied_on} ({record} #{record_id})" if record_id is not None else ""
        self.said = f"already applied{when}; nothing was changed"
        super().__init__(file, f"this {what} was {self.said}", "nothing to do: it applies once")

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "applied": False,
            "already_applied": True,
            "applied_on": self.applied_on,
            f"{self.record.replace(' ', '_')}_id": self.record_id,
            "message": self.said,
        }


def unreadable(path: str, error: OSError) -> InputError:
    """The InputError for a file that cannot be opened or read (missing, a folder, no access)."""
    if isinstance(error, FileNotFoundError):
        return InputError(path, "cannot read the file: no such file", "check the path")
    return InputError(
        path,
        f"cannot read the file ({error.strerror})",
        "check the path and its permissions",
    )


def read_bounded(path: str | Path, limit: int, what: str, fix: str) -> bytes:
    """A file read whole, at most `limit` bytes: a larger one (or a device such as /dev/zero)
    is refused unread, as "the file is larger than N MB, {what}: it was not read", and one
    that cannot be read is `unreadable`."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise unreadable(str(path), e) from None
    if len(data) > limit:
        raise InputError(
            str(path), f"the file is larger than {limit >> 20} MB, {what}: it was not read", fix
        )
    return data


@contextmanager
def named(temp: str, name: str) -> Iterator[None]:
    """The input errors of the block about the temporary file `temp` (an upload, a download)
    said of `name`, the file as its user knows it."""

    def rename(err: InputError) -> None:
        if err.file == temp or err.file.startswith(temp):
            err.file = name + err.file[len(temp) :]
        err.args = (err.render(),)

    try:
        yield
    except InputErrors as e:
        for err in e.errors:
            rename(err)
        raise InputErrors(e.errors) from None
    except InputError as e:
        rename(e)
        raise


class InputErrors(Exception):
    """Several input errors found in one pass (all are reported, none is acted on)."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))


def field_path(loc: tuple[int | str, ...]) -> str:
    """('services', 1, 'minutes') -> 'services[1].minutes' (1-based where people count)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = clip(part)  # a key is input too: an unknown one may be long
            out += f".{name}" if out else name
    return out


_CENTS = "write the amount in dollars and cents, e.g. 1234.50 (at most 2 decimal places, 12 digits)"
_FIXES = {
    "extra_forbidden": "remove the key or check its spelling (custom data goes under 'extensions')",
    "missing": "add the field",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "literal_error": "use one of the allowed values",
    "string_pattern_mismatch": "use the documented format",
    # money (every Decimal field of the visit format, the API's bodies): dollars and cents
    "decimal_parsing": "write the amount as a plain number of dollars and cents, e.g. 1234.50 "
    "(no currency sign or thousands separator)",
    "decimal_max_places": _CENTS,
    "decimal_max_digits": _CENTS,
    "decimal_whole_digits": _CENTS,
}


def validation_errors(
    e: ValidationError, file: str, visit_id: str | None, about: str = "`ptbill schema visit`"
) -> list[InputError]:
    """Each error of a validation, in our words; `about`: where the expected shape is told
    (a visit's schema; an API request's documentation)."""
    out = []
    for err in e.errors(include_url=False):
        loc = tuple(err["loc"])
        problem = err["msg"]
        if err["type"] == "extra_forbidden":
            problem = f"unknown key {clip(loc[-1], quote=True)}"
        elif err["type"] == "string_pattern_mismatch":
            problem = f"{clip(err['input'], quote=True)} is not in the expected format"
        out.append(
            InputError(
                file,
                problem,
                _FIXES.get(err["type"], f"correct the value (see {about})"),
                visit_id=visit_id,
                field=field_path(loc) or "(visit)",
            )
        )
    return out
