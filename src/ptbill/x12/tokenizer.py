"""Splitting an X12 interchange into segments and elements.

The interchange declares its own delimiters in the fixed-length ISA segment: the element
separator is its 4th character, the repetition separator ISA11, the component separator
ISA16 and the segment terminator the 106th character. Line breaks are layout and dropped, and
so are spaces and tabs between a terminator and the next segment id (files pretty-printed with
one indented segment a line). The text is read in chunks, so a file of any size is split in
flat memory.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import length_hint
from pathlib import Path
from typing import TextIO

from ptbill.x12.errors import X12Error

ISA_LENGTH = 106
# Where the element separator must stand in the fixed-length ISA (0-based).
_ISA_SEPARATORS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
CHUNK_SIZE = 1 << 20
LEADING = "\ufeff \t\r\n"  # a byte-order mark and blank lines, before the ISA
MAX_SEGMENT = 1 << 20  # far longer than any real segment: past it, the terminator is wrong
_SPACES_LOOKED_AT = 2048  # per chunk, before one search for a terminator and a space

Source = str | os.PathLike[str] | TextIO


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str | None = "^"
    segment: str = "~"


def read_isa(head: str) -> Delimiters:
    """The delimiters declared by the ISA segment at the start of `head`."""
    if not head.startswith("ISA"):
        raise X12Error(
            "the file does not start with an ISA segment: it is not an X12 interchange",
            segment_number=1,
        )
    sep = head[3:4]
    if (
        len(head) >= ISA_LENGTH
        and all(head[i] == sep for i in _ISA_SEPARATORS)
        and head.count(sep, 0, 105) == 16
    ):
        component, terminator, repetition = head[104], head[105], head[82]
    elif (trimmed := _read_trimmed_isa(head, sep)) is not None:
        component, terminator, repetition = trimmed
    elif len(head) < ISA_LENGTH:
        raise X12Error(
            f"the ISA segment is cut short ({len(head)} of {ISA_LENGTH} characters)",
            segment_number=1,
            segment_id="ISA",
        )
    else:
        raise X12Error(
            f"the ISA segment is not {ISA_LENGTH} characters of 16 fixed-width elements",
            segment_number=1,
            segment_id="ISA",
        )
    used = {sep, component, terminator}
    if len(used) != 3 or any(c.isalnum() or c == " " for c in used):
        raise X12Error(
            "the element separator, component separator (ISA16) and segment "
            "terminator must be three different non-alphanumeric characters",
            segment_number=1,
            segment_id="ISA",
            element="ISA16",
        )
    # ISA11 is the repetition separator from version 00501 on (a letter, "U", before that).
    rep: str | None = repetition
    if repetition.isalnum() or repetition == " ":
        rep = None
    elif repetition in used:
        raise X12Error(
            "the repetition separator (ISA11) repeats another delimiter",
            segment_number=1,
            segment_id="ISA",
            element="ISA11",
        )
    return Delimiters(sep, component, rep, terminator)


# The ISA elements whose length and digits are fixed even when the padding is left out.
_ISA_SHAPES = {1: 2, 3: 2, 5: 2, 7: 2, 11: 1, 14: 1, 15: 1}
_ISA_DIGITS = {9: 6, 10: 4, 12: 5, 13: 9}


def _read_trimmed_isa(head: str, sep: str) -> tuple[str, str, str] | None:
    """(component, terminator, repetition) of an ISA whose elements are not padded to their
    fixed widths (some senders trim them), when every element that has one fixed length has
    it; None otherwise. The component separator (ISA16) follows the 16th element separator
    and the segment terminator follows it."""
    if not sep or sep.isalnum() or sep == " ":
        return None
    elements = head[: 2 * ISA_LENGTH].split(sep, 16)
    if len(elements) != 17 or len(elements[16]) < 2:
        return None
    if any(len(elements[i]) != n for i, n in _ISA_SHAPES.items()):
        return None
    if any(len(elements[i]) != n or not elements[i].isdigit() for i, n in _ISA_DIGITS.items()):
        return None
    return elements[16][0], elements[16][1], elements[11]


def open_source(source: Source) -> tuple[TextIO, bool]:
    """A text stream for a path or an open stream; True when we opened it (and must close)."""
    if hasattr(source, "read"):
        return source, False  # type: ignore[return-value]
    # Undecodable bytes become U+FFFD: they can only sit in free text, never in an amount.
    return open(Path(source), encoding="utf-8", errors="replace", newline=""), True  # noqa: SIM115


def opening(head: str) -> Delimiters:
    """The delimiters of the interchange whose text starts with `head` (past a byte-order
    mark and blank lines); X12Error when it is empty or starts with no ISA segment."""
    head = head.lstrip(LEADING)
    if not head:
        raise X12Error("the file is empty")
    return read_isa(head)


class SegmentReader:
    """The segments of one X12 stream, in batches of raw segment strings."""

    def __init__(self, stream: TextIO, chunk_size: int = CHUNK_SIZE) -> None:
        self._stream = stream
        self._chunk_size = chunk_size
        first = stream.read(max(chunk_size, ISA_LENGTH))
        while len(first) < ISA_LENGTH + 3:  # a short read from a pipe: keep reading
            more = stream.read(chunk_size)
            if not more:
                break
            first += more
        first = first.lstrip(LEADING)
        self.delimiters = opening(first)
        term = self.delimiters.segment
        # Line breaks after terminators are layout, unless a line break is the terminator.
        self._breaks = tuple(c for c in "\r\n" if c != term)
        self._indented = False  # set for good once a segment is seen to start with a blank
        self._first = first

    def _clean(self, chunk: str) -> str:
        for c in self._breaks:
            if c in chunk:
                chunk = chunk.replace(c, "")
        return chunk

    def _blank_after_terminator(self, chunk: str) -> bool:
        """Whether a space or tab follows a segment terminator in `chunk` (or starts it).

        A search of the whole chunk for "~ " would cost a third of splitting it; spaces are
        few in X12 (names, addresses), so each is looked at, found by memchr, up to a bound."""
        if chunk[:1] in (" ", "\t"):
            return True
        term = self.delimiters.segment
        if "\t" in chunk and term + "\t" in chunk:
            return True
        find, at = chunk.find, chunk.find(" ")
        for _ in range(_SPACES_LOOKED_AT):
            if at < 0:
                return False
            if chunk[at - 1] == term:
                return True
            at = find(" ", at + 1)
        return term + " " in chunk  # many spaces: one search of the rest

    def batches(self) -> Iterator[list[str]]:
        term = self.delimiters.segment
        tail = ""
        chunk = self._first
        while chunk:
            chunk = self._clean(chunk)
            parts = chunk.split(term)
            # The tail is a segment cut by the chunk's end (no terminator in it): joining it to
            # the first segment copies less than joining it to the whole chunk.
            parts[0] = tail + parts[0]
            if not self._indented:
                self._indented = self._blank_after_terminator(chunk)
            if self._indented:
                # A segment id never starts with a blank: only indentation is dropped.
                parts = [p.lstrip(" \t") for p in parts]
            tail = parts.pop()
            if parts:
                yield parts
            elif len(tail) > MAX_SEGMENT:
                raise X12Error(
                    f"no segment terminator ({term!r}) in {len(tail):,} characters: "
                    "the file is damaged or not X12"
                )
            chunk = self._stream.read(self._chunk_size)
        # A last segment without its terminator is still read; blanks after the end are not.
        tail = tail.strip()
        if tail:
            yield [tail]


class Segments:
    """The segments of a stream, each split into its list of elements, one batch at a time.

    A reader loops `for e in segments.batch` (a C iterator: each segment is split and handed
    over without a Python call) and calls `advance()` when the batch runs out. A reader that
    would rather split only some segments loops `for raw in segments.raws` (the same batch
    unsplit: both draw from one iterator, so they can take turns). `number()` is the number of
    the last segment handed over, counted from the ISA (1-based): it is worked out from the
    position in the batch, not counted one segment at a time.
    """

    def __init__(self, reader: SegmentReader) -> None:
        self._batches = reader.batches()
        self.separator = reader.delimiters.element
        self._before = 0  # segments in the batches before this one
        self._size = 0
        self.raws: Iterator[str] = iter(())
        self.batch: Iterator[list[str]] = iter(())

    def advance(self) -> bool:
        """Move on to the next batch; False at the end of the stream."""
        raws = next(self._batches, None)
        if raws is None:
            return False
        self._before += self._size
        self._size = len(raws)
        self.raws = iter(raws)
        self.batch = map(str.split, self.raws, repeat(self.separator))
        return True

    def next(self) -> list[str] | None:
        """The next segment (None at the end), for the few segments read one at a time."""
        while True:
            e = next(self.batch, None)
            if e is not None or not self.advance():
                return e

    def number(self) -> int:
        return self._before + self._size - length_hint(self.raws)


def split_text(text: str) -> list[list[str]]:
    """Every segment of an interchange as its list of elements (for small texts and tests)."""
    reader = SegmentReader(io.StringIO(text))
    sep = reader.delimiters.element
    return [raw.split(sep) for batch in reader.batches() for raw in batch]
