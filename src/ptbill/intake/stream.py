"""Visit files read one visit at a time, so that a command's memory does not grow with its
input: JSON Lines a line at a time, a JSON list an element at a time (from a window of the
file that slides past what was read), a single object whole. A file in another intake format
(FHIR, HL7 v2, CSV) is read visit by visit where its reader allows (ptbill.intake.load.visits_of),
and once a command however many passes the command makes (`Once`).

`raw_items` gives each visit's raw form (its JSON text, or the parsed document), labelled by
where it is in the file; `parse_visit` makes a Visit of it, and `item_errors` says what is
wrong with one that fails, in the words ptbill.intake uses for a whole file (the file, the
visit or its line, the field and the fix).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from ptbill.config.profiles import Config, load_config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, unreadable, validation_errors
from ptbill.intake.detect import Format, not_utf8
from ptbill.intake.exact_json import visit_json
from ptbill.intake.load import FIX_JSON, file_format, read_file, visits_of
from ptbill.intake.numbers import exact, loads, out_of_range_at

# A JSON Lines line as read, a document parsed from a list or an object, or (another format)
# a Visit already read.
Raw = bytes | Any

_CHUNK = 1 << 20
# The most a visit's JSON may take (docs/visit-format.md): a visit is a few KB, its notes and
# extensions leave room to spare; past it the file is refused, read no further than that (a
# 150 MB line was read whole, made a visit and scrubbed, in 90 s and 480 MB).
MAX_VISIT_BYTES = 2 << 20
_TOO_LONG = f"a visit longer than {MAX_VISIT_BYTES >> 20} MB"
_FIX_TOO_LONG = (
    "a visit holds its own fields: keep documents and other large data out of it "
    "(extensions included), or split the file's lines if several visits ran together"
)


class VisitTooLong(ValueError):
    """A JSON Lines line longer than MAX_VISIT_BYTES."""


def line_of(f: BinaryIO) -> bytes:
    """The next line of a JSON Lines file (b"" at its end), read no further than a visit may
    take: VisitTooLong past it."""
    line = f.readline(MAX_VISIT_BYTES + 1)
    if len(line) > MAX_VISIT_BYTES:
        raise VisitTooLong(_TOO_LONG)
    return line


_DECODER = json.JSONDecoder(parse_float=exact)


def _not_utf8(origin: str, where: str | None = None) -> InputError:
    return not_utf8(origin, field=where)


# A JSON Lines file's read buffer: a few dozen visits. With the default 8 KB, one line in four
# of a 2 KB visit crosses the buffer's end, and readline then gathers it in pieces (a line
# read in 1.9 us instead of 0.75).
READ_BUFFER = 1 << 16


def _open(path: str) -> BinaryIO:
    try:
        return Path(path).open("rb", buffering=READ_BUFFER)
    except OSError as e:
        raise unreadable(path, e) from None


def blank(line: bytes) -> bool:
    """Whether a line holds nothing but white space, as `not line.strip()` says, without the
    copy of the line that strip makes (1.8 us of a 2 KB visit's line)."""
    return not line or line.isspace()


def first_line(f: BinaryIO) -> bytes:
    """The first line with anything on it (the file is left where it was)."""
    at = f.tell()
    try:
        # Read no further than a visit may take: a longer line is no line of JSON Lines.
        while line := f.readline(MAX_VISIT_BYTES + 1):
            if line.strip():
                return line
        return b""
    finally:
        f.seek(at)


def is_json_lines(head: bytes) -> bool:
    """Whether a file whose first non-blank line is `head` is JSON Lines: that line is a whole
    JSON object by itself (a list, or an object over several lines, is not)."""
    if head.lstrip().startswith((b"[", b"\xef\xbb\xbf[")):
        return False
    try:
        return isinstance(json.loads(head.removeprefix(b"\xef\xbb\xbf")), dict)
    except (ValueError, UnicodeDecodeError):
        return False


class Once:
    """The FHIR, HL7 v2 and CSV files of one command, read once however many passes the
    command makes over its input. The first pass reads a file, its visits validated as the
    reader gives them (ptbill.intake.load.visits_of), and keeps each visit's JSON (the fields
    the file set, as the ledger stores a visit: about the size of the visit in JSON Lines); a
    later pass reads that JSON back as a JSON Lines line is read. A pass that stops early (an
    input error) keeps nothing, and the next reads the file again."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep  # False: a command of one pass
        self.kept: dict[tuple[str, str], list[bytes]] = {}

    def items(self, path: str, fmt: Format, config: Config | None) -> Iterator[tuple[str, Raw]]:
        """('visit N', the Visit or its JSON) for each visit of a file in `fmt` (not json)."""
        kept = self.kept.get((path, fmt))
        if kept is not None:
            for index, line in enumerate(kept, start=1):
                yield f"visit {index}", line
            return
        new: list[bytes] = []
        text = read_file(path)
        for index, visit in enumerate(visits_of(text, path, fmt, config or load_config()), 1):
            if self.keep:
                new.append(visit.model_dump_json(exclude_unset=True).encode())
            yield f"visit {index}", visit
        if self.keep:
            self.kept[(path, fmt)] = new


def raw_items(
    path: str, fmt: str | None = None, config: Config | None = None, once: Once | None = None
) -> Iterator[tuple[str, Raw]]:
    """(label, raw visit) for each visit of the file, in order: 'line N' and the line's bytes
    for JSON Lines, 'item N' and the parsed document for a list or a single object, 'visit N'
    and the Visit (or, read again through `once`, its JSON) for another format (`fmt`, else
    recognised; `config` maps it). Raises InputError for what makes the file unreadable
    (missing, empty, not JSON)."""
    with _open(path) as f:
        head = first_line(f)
        if not head:
            raise InputError(
                file=path, visit_id=None, field=None, problem="the file is empty", fix=FIX_JSON
            )
        chosen = file_format(path, fmt)[0]
        if chosen != "json":
            yield from (once or Once(keep=False)).items(path, chosen, config)
            return
        if is_json_lines(head):
            number = 0
            try:
                while line := line_of(f):
                    number += 1
                    if number == 1:
                        line = line.removeprefix(b"\xef\xbb\xbf")
                    if not blank(line):
                        yield f"line {number}", line
            except VisitTooLong:
                raise InputError(
                    path, _TOO_LONG, _FIX_TOO_LONG, field=f"line {number + 1}"
                ) from None
            return
        for index, doc in enumerate(_documents(f, path), start=1):
            yield f"item {index}", doc


class _Window:
    """The part of a file being decoded: text read but not yet consumed, and where it starts
    (line and column) so that an error names its place in the whole file."""

    def __init__(self, f: BinaryIO, origin: str) -> None:
        self.f, self.origin = f, origin
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text, self.pos, self.eof = "", 0, False
        self.line, self.column = 1, 0  # of text[0]: 1-based line, 0-based column

    def more(self) -> bool:
        """Read another chunk; False at the end of the file."""
        if self.eof:
            return False
        chunk = self.f.read(_CHUNK)
        try:
            decoded = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise _not_utf8(self.origin) from None
        self.eof = not chunk
        # Drop what was consumed, keeping count of its lines.
        done = self.text[: self.pos]
        newlines = done.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(done) - done.rfind("\n") - 1
        else:
            self.column += len(done)
        self.text, self.pos = self.text[self.pos :] + decoded, 0
        return bool(chunk) or bool(decoded)

    def skip_space(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            self.pos = pos
            if pos < len(text):
                return text[pos]
            if not self.more():
                return ""

    def value(self) -> Any:
        """The JSON value that starts here (waiting for more of the file while it is cut)."""
        while True:
            try:
                doc, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as e:
                if len(self.text) - self.pos > MAX_VISIT_BYTES:
                    raise self.error(_TOO_LONG, self.pos, _FIX_TOO_LONG) from None
                if self.eof or not self.more():
                    raise self.error(e.msg, e.pos) from None
                continue
            except RecursionError:
                raise self.error("nested too deeply", self.pos) from None
            except ArithmeticError:  # decimal.InvalidOperation: an exponent beyond any Decimal's
                at = out_of_range_at(self.text, self.pos)
                raise self.error("a number is out of range", at) from None
            if end - self.pos > MAX_VISIT_BYTES:
                raise self.error(_TOO_LONG, self.pos, _FIX_TOO_LONG)
            if end < len(self.text) or self.eof:  # a number could go on in the next chunk
                self.pos = end
                return doc
            self.more()

    def error(self, msg: str, at: int, fix: str | None = None) -> InputError:
        before = self.text[:at]
        newlines = before.count("\n")
        line = self.line + newlines
        column = at - before.rfind("\n") if newlines else self.column + at + 1
        return InputError(
            file=self.origin,
            visit_id=None,
            field=f"line {line} column {column}",
            problem=f"not valid JSON ({msg})" if fix is None else msg,
            fix=FIX_JSON if fix is None else fix,
        )


def _documents(f: BinaryIO, origin: str) -> Iterator[Any]:
    """The documents of a JSON list (each element) or of a single JSON value."""
    w = _Window(f, origin)
    first = w.skip_space()
    if first != "[":
        doc = w.value()
        if w.skip_space():
            raise w.error("Extra data", w.pos)
        yield doc
        return
    w.pos += 1
    if w.skip_space() == "]":
        w.pos += 1
    else:
        while True:
            yield w.value()
            after = w.skip_space()
            w.pos += 1
            if after == "]":
                break
            if after != ",":
                raise w.error("Expecting ',' delimiter", w.pos - 1)
            w.skip_space()
    if w.skip_space():
        raise w.error("Extra data", w.pos)


def parse_visit(raw: Raw) -> Visit:
    """A Visit of a raw item (raises pydantic's ValidationError, or ValueError for a line that
    is not JSON or not UTF-8: item_errors says which). A JSON Lines line goes to pydantic's
    JSON parser (about twice json's speed) unless it holds a number that parser would read as a
    float (ptbill.intake.exact_json)."""
    if isinstance(raw, Visit):
        return raw
    if isinstance(raw, bytes):
        visit = visit_json(raw)
        if visit is not None:
            return visit
        # A float, a lax value or an error: read exactly, the model's answer (or its errors).
        raw = loads(raw)
    return Visit.model_validate(raw)


def item_errors(origin: str, label: str, raw: Raw) -> list[InputError]:
    """What is wrong with a raw item that parse_visit refused (or, from
    ptbill.ledger.reading, a JSON Lines line read as text)."""
    if isinstance(raw, bytes | str):
        try:
            raw = loads(raw)
        except UnicodeDecodeError:
            return [_not_utf8(origin, label)]
        except json.JSONDecodeError as e:
            return [
                InputError(
                    file=origin,
                    visit_id=None,
                    field=f"{label} column {e.colno}",
                    problem=f"not valid JSON ({e.msg})",
                    fix=FIX_JSON,
                )
            ]
    if not isinstance(raw, dict):
        return [
            InputError(
                file=origin,
                visit_id=None,
                field=label,
                problem=f"expected a visit object, found {type(raw).__name__}",
                fix="each visit is a JSON object",
            )
        ]
    visit_id = raw.get("visit_id")
    try:
        Visit.model_validate(raw)
    except ValidationError as e:
        named = str(visit_id) if isinstance(visit_id, str | int) else label
        return validation_errors(e, origin, named)
    return []
