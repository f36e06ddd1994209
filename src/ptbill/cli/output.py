"""What a command prints for programs: a JSON document, JSON Lines or CSV, written as each
record is made (orjson), never held whole.

`--json` stays one JSON document (a list, written element by element: the text is the same as
one `json.dumps(..., indent=2)` of the whole list); `--jsonl` is one compact object a line;
`--format csv` is a header and a row per record. Bytes go to the binary stdout in blocks of
64 KB. A reader that stops early (`| head`) ends the command quietly (see main.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

import click

from ptbill.cli.common import binary_stdout, json_bytes, out
from ptbill.reports.cells import spreadsheet_text

_BLOCK = 64 * 1024


class Writer:
    """Bytes to stdout (or `stream`) in blocks."""

    def __init__(self, stream: IO[bytes] | None = None) -> None:
        self.stream = stream or binary_stdout()
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.size >= _BLOCK:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.stream.write(b"".join(self.parts))
            self.parts.clear()
            self.size = 0
        self.stream.flush()


class JsonList:
    """A JSON list written element by element: `add` each record as it is made. `count`:
    how many were added (a run of records given to add_text at once counts as one)."""

    def __init__(self, lines: bool, stream: IO[bytes] | None = None) -> None:
        self.lines, self.writer, self.count = lines, Writer(stream), 0

    def add(self, record: Any) -> None:
        w = self.writer
        if self.lines:
            w.write(json_bytes(record, pretty=False) + b"\n")
        else:
            w.write(b"[\n  " if not self.count else b",\n  ")
            # The record as an element of a list, indented by orjson: cheaper than indenting
            # its text again (a --json of 100,000 remittance claims is 120 MB).
            w.write(json_bytes([record])[4:-2])
        self.count += 1

    @property
    def between(self) -> bytes:
        """What this list writes between two records."""
        return b"\n" if self.lines else b",\n  "

    def add_text(self, text: bytes) -> None:
        """A record its caller wrote as JSON: as `add` would write it (indented as an element
        of the list, or compact for a line), without the line's end. Or several records in a
        row, joined by `between`: the same bytes as adding them one by one."""
        w = self.writer
        if self.lines:
            w.write(text + b"\n")
        else:
            w.write(b"[\n  " if not self.count else b",\n  ")
            w.write(text)
        self.count += 1

    def close(self) -> None:
        if not self.lines:
            self.writer.write(b"\n]\n" if self.count else b"[]\n")
        self.writer.flush()


def write_json_list(records: Iterable[Any], lines: bool) -> int:
    """Write every record (a JSON list, or JSON Lines); how many there were."""
    sink = JsonList(lines)
    for record in records:
        sink.add(record)
    sink.close()
    return sink.count


def csv_cell(value: Any) -> str:
    """A value as CSV shows it: as JSON would (decimals and dates as text), lists joined by
    spaces, None empty, text that a spreadsheet would run as a formula made plain text
    (ptbill.reports.cells)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(csv_cell(x) for x in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return spreadsheet_text(str(value))


class CsvRows:
    """CSV with a header, a row at a time."""

    def __init__(self, columns: Sequence[str], stream: IO[bytes] | None = None) -> None:
        self.columns = list(columns)
        self.text = io.StringIO()
        self.csv = csv.writer(self.text, lineterminator="\n")
        self.writer = Writer(stream)
        self.csv.writerow(self.columns)

    def add(self, row: dict[str, Any]) -> None:
        self.csv.writerow([csv_cell(row.get(c)) for c in self.columns])
        if self.text.tell() >= _BLOCK:
            self._drain()

    def _drain(self) -> None:
        self.writer.write(self.text.getvalue().encode("utf-8"))
        self.text.seek(0)
        self.text.truncate()

    def close(self) -> None:
        self._drain()
        self.writer.flush()


def write_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    sink = CsvRows(columns)
    for row in rows:
        sink.add(row)
    sink.close()


@contextmanager
def held() -> Iterator[IO[bytes]]:
    """A place to write output that must not be seen half-made (a file read in one pass that
    may still turn out bad): memory up to 8 MB, then a temporary file. `release` it to stdout
    once the whole input has read; an exception discards it."""
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
        yield spool


def release(spool: IO[bytes]) -> None:
    """What was held, to stdout: by the kernel (sendfile) from a spool that went to disk,
    else copied."""
    spool.seek(0)
    stream = binary_stdout()
    if getattr(spool, "_rolled", False) and _send(spool, stream):
        return
    shutil.copyfileobj(spool, stream, 1 << 20)
    stream.flush()


def _send(spool: IO[bytes], stream: IO[bytes]) -> bool:
    """The spool's file to the stream's by sendfile; False (nothing sent) when the stream has
    no file that takes it."""
    try:
        target = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return False
    spool.flush()
    stream.flush()
    source, sent = spool.fileno(), 0
    size = os.fstat(source).st_size
    while sent < size:
        try:
            n = os.sendfile(target, source, sent, size - sent)
        except OSError:
            if sent:
                raise
            return False  # e.g. a stream sendfile does not write to: copied instead
        if not n:
            break
        sent += n
    return True


# --- the options ---------------------------------------------------------------------------


def format_options(*formats: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--json, --jsonl (where a command writes a list) and --format (text, json and `formats`),
    resolved into one `output` argument: 'text', 'json', 'jsonl' or 'csv' (--from is the
    input's format)."""
    choices = ("text", "json", *formats)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = click.option(
            "--format",
            "output",
            type=click.Choice(choices),
            default=None,
            help="Output format (default text; "
            + (
                "--json and --jsonl are short for two of them)."
                if "jsonl" in formats
                else "--json is short for json)."
            ),
        )(fn)
        if "jsonl" in formats:
            fn = click.option(
                "--jsonl",
                "output",
                flag_value="jsonl",
                help="JSON Lines: one compact JSON object a line, written as it is made.",
            )(fn)
        return click.option(
            "--json",
            "output",
            flag_value="json",
            help="Machine-readable output (one JSON document).",
        )(fn)

    return decorate


def output_of(value: str | None) -> str:
    return value or "text"


quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="No progress bar and no summary (the results only)."
)

workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    envvar="PTBILL_WORKERS",
    help="Processes that make the --json and --jsonl output of JSON Lines files (the same "
    "bytes however many). Default: the usable CPUs (at most 8) for an input of 8 MB or more "
    "(about 4,000 visits), else 1; other formats always 1. Also PTBILL_WORKERS.",
)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table for people whose cells are never cut (money above all): when it is wider than
    the terminal, its columns go into as many tables as it takes, each with the first column
    (the row's name). Right-aligned but the first."""
    from rich.table import Table

    # A cell's width plus rich's borders and padding (3 a column, 1 at the end).
    widths = [max(len(c), *(len(r[i]) for r in rows), 1) + 3 for i, c in enumerate(columns)]
    chunks: list[list[int]] = [[]]
    used = widths[0] + 1
    for i in range(1, len(columns)):
        if chunks[-1] and used + widths[i] > out.width:
            chunks.append([])
            used = widths[0] + 1
        chunks[-1].append(i)
        used += widths[i]
    for n, chunk in enumerate(chunks):
        table = Table(title=title if n == 0 else None, title_justify="left")
        table.add_column(columns[0], no_wrap=True)
        for i in chunk:
            table.add_column(columns[i], justify="right", no_wrap=True)
        for r in rows:
            table.add_row(r[0], *(r[i] for i in chunk))
        out.print(table)


def page(lines: Iterator[str]) -> None:
    """Lines for people: through a pager on a terminal, else straight to stdout."""
    if out.is_terminal:
        click.echo_via_pager(line + "\n" for line in lines)
        return
    w = Writer()
    for line in lines:
        w.write(line.encode("utf-8") + b"\n")
    w.flush()
