"""The ISA/GS/ST ... SE/GE/IEA envelope: read with its counts and control numbers checked,
and written around the transaction sets a writer builds.

`read_transactions` is the one loop every reader shares: it splits the stream, checks the
envelope, hands the segments inside a transaction set to the parser (to its handler for each
segment id, or to its own `body` loop) and yields what the parser builds at each SE. An error
anywhere names the segment number (counted from the ISA, 1-based), the segment id, the element
and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ptbill.x12.errors import X12Error
from ptbill.x12.kinds import (
    KIND_277CA,
    KIND_835,
    KIND_837P,
    KIND_999,
    KIND_TA1,
    FileKind,
    WrongKind,
    kind_of_group,
)
from ptbill.x12.tokenizer import Delimiters, SegmentReader, Segments, Source, open_source
from ptbill.x12.values import count, element_name, optional, shown, text

T = TypeVar("T", covariant=True)
Handler = Callable[[list[str]], None]

ENVELOPE_IDS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


@dataclass(frozen=True, slots=True)
class Kind:
    """One transaction set type as the envelope declares it."""

    name: str
    functional_id: str  # GS01
    transaction: str  # ST01
    version: str  # GS08; any errata suffix after the first 10 characters is accepted
    file_kind: FileKind
    st03: bool = True  # whether ST03 repeats the version (the 835 guide leaves it out)

    def check_version(self, version: str) -> bool:
        return version[:10] == self.version[:10]


REMITTANCE = Kind("835 remittance", "HP", "835", "005010X221A1", KIND_835, st03=False)
ACKNOWLEDGMENT = Kind("999 acknowledgment", "FA", "999", "005010X231A1", KIND_999)
CLAIM_ACK = Kind("277CA claim acknowledgment", "HN", "277", "005010X214", KIND_277CA)
CLAIM = Kind("837P claim", "HC", "837", "005010X222A1", KIND_837P)


class TransactionParser(Protocol[T]):
    """What a reader gives `read_transactions`: a handler per segment id, and the result of
    each transaction set. A parser may instead read the body of a set itself with a method
    `body(segments) -> first segment not its own` (as `run_handlers` does with the handlers),
    as the 835 reader does for speed."""

    @property
    def handlers(self) -> Mapping[str, Handler]: ...  # read-only: a parser's dict will do

    def begin(self, st: list[str], delimiters: Delimiters) -> None: ...

    def end(self) -> T: ...


def located(exc: Exception, n: int, e: list[str]) -> X12Error:
    """An error raised while reading segment n (elements e), as the X12Error that names it.

    Handlers check what they read; IndexError, ValueError and ArithmeticError are a safety
    net and name no element."""
    if isinstance(exc, X12Error):
        return exc.located(n, e[0])
    return X12Error(
        f"the segment is malformed ({type(exc).__name__})", segment_number=n, segment_id=e[0][:3]
    )


def run_handlers(handlers: Mapping[str, Handler], segments: Segments) -> list[str] | None:
    """The body of a transaction set: each segment to the handler for its id. Returns the
    first segment without one (SE, or one out of place), None at the end of the input."""
    e = ["ST"]  # the segment before the first of the body, should reading it fail
    try:
        while True:
            for e in segments.batch:
                handler = handlers.get(e[0])
                if handler is None:
                    return e
                handler(e)
            if not segments.advance():
                return None
    except (X12Error, IndexError, ValueError, ArithmeticError) as exc:
        raise located(exc, segments.number(), e) from None


def _control(e: list[str], i: int, low: int, high: int) -> str:
    s = text(e, i)
    if not (s.isascii() and s.isdigit()) or not low <= len(s) <= high:
        raise X12Error(
            f"{shown(s)} is not a control number of {low} to {high} digits",
            element=element_name(e, i),
        )
    return s


class _Envelope:
    """The state of the envelope while reading: which headers are open, counts and numbers."""

    def __init__(self, kind: Kind, reader: SegmentReader) -> None:
        self.kind, self.reader = kind, reader
        self.isa: str | None = None
        self.gs: str | None = None
        self.st: str | None = None
        self.st_at = 0
        self.groups = self.sets = 0
        self.interchanges = 0
        self.seen: dict[tuple[str, str, str], int] = {}  # interchanges by sender and ISA13

    def open_isa(self, e: list[str]) -> None:
        if self.isa is not None:
            raise X12Error(f"ISA inside interchange {self.isa}: its IEA is missing")
        if len(e) != 17:
            raise X12Error(f"the ISA has {len(e) - 1} elements instead of 16")
        d = self.reader.delimiters
        if e[16] != d.component or (d.repetition is not None and e[11] != d.repetition):
            raise X12Error(
                "this interchange declares other delimiters than the first one: "
                "split the file into one file per interchange"
            )
        self.isa = _control(e, 13, 9, 9)
        # A control number is the sender's (ISA05/ISA06): two senders may use the same one.
        key = (e[5], e[6].strip(), self.isa)
        self.seen[key] = self.seen.get(key, 0) + 1
        self.groups = 0
        self.interchanges += 1

    def repeats(self) -> list[str]:
        """A warning for each interchange control number used more than once in the file."""
        return [
            f"interchange control number (ISA13) {icn} is used by {n} interchanges of this "
            "file: a sender numbers each interchange once, so the same interchange may have "
            "been sent more than once"
            for (_, _, icn), n in self.seen.items()
            if n > 1
        ]

    def open_gs(self, e: list[str]) -> None:
        if self.isa is None:
            raise X12Error("GS outside an interchange (no ISA before it)")
        if self.gs is not None:
            raise X12Error(f"GS inside functional group {self.gs}: its GE is missing")
        kind = self.kind
        gs01, version = text(e, 1), optional(e, 8)
        found = kind_of_group(gs01, version)
        if found is not None and found.label != kind.file_kind.label:
            raise WrongKind(
                found, kind.file_kind.what, element="GS01" if gs01 != kind.functional_id else "GS08"
            )
        if gs01 != kind.functional_id:
            raise X12Error(
                f"this group holds functional group {shown(gs01)}, not {kind.name} "
                f"(GS01 {kind.functional_id})",
                element="GS01",
            )
        if not kind.check_version(version):
            raise X12Error(
                f"version {version!r} is not {kind.version}: ptbill reads "
                f"{kind.name} {kind.version}",
                element="GS08",
                fix=f"ask the sender for the file in version {kind.version} (HIPAA 5010)",
            )
        self.gs = _control(e, 6, 1, 9)
        self.sets = 0
        self.groups += 1

    def open_st(self, e: list[str], number: int) -> None:
        if self.gs is None:
            raise X12Error("ST outside a functional group (no GS before it)")
        if self.st is not None:
            raise X12Error(f"ST inside transaction set {self.st}: its SE is missing")
        st01 = text(e, 1)
        if st01 != self.kind.transaction:
            raise X12Error(f"transaction set {st01!r} is not a {self.kind.name}", element="ST01")
        self.st = _control(e, 2, 4, 9)
        self.st_at = number
        self.sets += 1

    def close_st(self, e: list[str], number: int) -> None:
        if self.st is None:
            raise X12Error("SE without an ST before it")
        counted = number - self.st_at + 1
        declared = count(e, 1)
        if declared != counted:
            raise X12Error(
                f"transaction set {self.st} has {counted} segments from ST to SE, "
                f"but SE01 says {declared}",
                element="SE01",
            )
        if text(e, 2) != self.st:
            raise X12Error(f"SE02 {shown(e[2])} does not match ST02 {self.st!r}", element="SE02")
        self.st = None

    def close_gs(self, e: list[str]) -> None:
        if self.gs is None or self.st is not None:
            raise X12Error(
                "GE without its GS"
                if self.gs is None
                else f"GE before the SE of transaction set {self.st}"
            )
        declared = count(e, 1)
        if declared != self.sets:
            raise X12Error(
                f"functional group {self.gs} holds {self.sets} transaction sets, "
                f"but GE01 says {declared}",
                element="GE01",
            )
        if text(e, 2) != self.gs:
            raise X12Error(f"GE02 {shown(e[2])} does not match GS06 {self.gs!r}", element="GE02")
        self.gs = None

    def close_isa(self, e: list[str]) -> None:
        if self.isa is None or self.gs is not None:
            raise X12Error(
                "IEA without its ISA"
                if self.isa is None
                else f"IEA before the GE of functional group {self.gs}"
            )
        declared = count(e, 1)
        if declared != self.groups:
            raise X12Error(
                f"interchange {self.isa} holds {self.groups} functional groups, "
                f"but IEA01 says {declared}",
                element="IEA01",
            )
        if text(e, 2) != self.isa:
            raise X12Error(
                f"IEA02 {shown(e[2])} does not match ISA13 {self.isa!r}", element="IEA02"
            )
        self.isa = None

    def finish(self, number: int) -> None:
        if self.st is not None:
            raise X12Error(
                f"the file ends inside transaction set {self.st} (no SE): it is cut short",
                segment_number=number,
            )
        if self.isa is not None:
            raise X12Error(
                "the file ends before the IEA that closes the interchange: it is cut short",
                segment_number=number,
            )


def read_transactions(
    source: Source,
    kind: Kind,
    parser: TransactionParser[T],
    outside: Mapping[str, Handler] | None = None,
    warnings: list[str] | None = None,
) -> Iterator[T]:
    """Yield `parser.end()` for every transaction set in `source`, checking the envelope.

    `outside` handles segments allowed between the envelope headers (TA1 in a 999 file).
    What is odd but readable (an interchange control number used twice) is added to
    `warnings` once the whole file is read.
    """
    stream, owned = open_source(source)
    segments: Segments | None = None
    e: list[str] | None = [""]
    # From each ST to just before its result is yielded the cyclic garbage collector is
    # paused (if it was on): what a parser builds is acyclic and alive until then, and the
    # collector would only walk it again and again (as Mercurial's nogc). It is on again
    # before any code of the caller runs, and on any way out.
    paused = False
    try:
        reader = SegmentReader(stream)
        env = _Envelope(kind, reader)
        outside = outside or {}
        own_body = getattr(parser, "body", None)
        segments = Segments(reader)
        e = segments.next()
        while e is not None:
            n = segments.number()
            sid = e[0]
            if sid == "ST":
                env.open_st(e, n)
                parser.begin(e, reader.delimiters)
                if gc.isenabled():
                    gc.disable()
                    paused = True
                e = (
                    own_body(segments)
                    if own_body is not None
                    else run_handlers(parser.handlers, segments)
                )
                continue
            if sid == "SE":
                env.close_st(e, n)
                result = parser.end()
                if paused:
                    gc.enable()
                    paused = False
                yield result
            elif sid == "GS":
                env.open_gs(e)
            elif sid == "GE":
                env.close_gs(e)
            elif sid == "ISA":
                env.open_isa(e)
            elif sid == "IEA":
                env.close_isa(e)
            elif sid in outside and env.gs is None:
                outside[sid](e)
            elif sid == "TA1" and env.gs is None:
                raise WrongKind(KIND_TA1, kind.file_kind.what)
            else:
                raise _misplaced(sid, kind, env.st is not None)
            e = segments.next()
        env.finish(segments.number())
        if warnings is not None:
            warnings += env.repeats()
    except (X12Error, IndexError, ValueError, ArithmeticError) as exc:
        raise located(exc, segments.number() if segments else 0, e or [""]) from None
    finally:
        if paused:
            gc.enable()
        if owned:
            stream.close()


def _misplaced(sid: str, kind: Kind, in_set: bool) -> X12Error:
    if not sid:
        return X12Error("empty segment (two terminators in a row)")
    if len(sid) > 3 or not sid.isalnum():
        return X12Error(
            f"a segment starts with {shown(sid)}, not a segment id: the text is "
            "damaged or the delimiters are wrong"
        )
    if in_set:
        return X12Error(f"{sid} is not a segment of a {kind.name}")
    return X12Error(f"{sid} outside a transaction set (between the envelope segments)")


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterchangeSettings:
    """What the caller decides for an outgoing interchange. The control numbers must be unique
    per sender: the caller keeps them (the ledger persists the last one used)."""

    sender_id: str
    receiver_id: str
    interchange_control_number: int
    group_control_number: int
    created: dt.datetime  # explicit: output is reproducible, never the clock
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    usage: str = "P"  # P production, T test
    ack_requested: bool = False

    def __post_init__(self) -> None:
        for name in ("interchange_control_number", "group_control_number"):
            if not 1 <= getattr(self, name) <= 999_999_999:
                raise ValueError(f"{name} must be 1 to 999999999")
        if self.usage not in ("P", "T"):
            raise ValueError("usage must be P (production) or T (test)")
        for name in ("sender_id", "receiver_id"):
            if not 1 <= len(getattr(self, name)) <= 15:
                raise ValueError(f"{name} must be 1 to 15 characters")


def segment(*elements: str) -> str:
    """One segment (without terminator), trailing empty elements dropped."""
    return "*".join(elements).rstrip("*")


class InterchangeWriter:
    """An interchange written as it is made: the ISA and GS at once, a transaction set per
    `add` (its segments may come from a generator: SE counts them as they go), the GE and IEA
    at `close`. `write` takes each piece of text (a file's write, or a list's append)."""

    def __init__(
        self,
        settings: InterchangeSettings,
        kind: Kind,
        write: Callable[[str], object],
        line_breaks: bool = True,
    ) -> None:
        self.settings, self.kind, self.write = settings, kind, write
        self.end = "~\n" if line_breaks else "~"
        self.sets = 0
        s, when = settings, settings.created
        self._put(
            segment(
                "ISA",
                "00",
                " " * 10,
                "00",
                " " * 10,
                s.sender_qualifier,
                s.sender_id.ljust(15),
                s.receiver_qualifier,
                s.receiver_id.ljust(15),
                when.strftime("%y%m%d"),
                when.strftime("%H%M"),
                "^",
                "00501",
                f"{s.interchange_control_number:09d}",
                "1" if s.ack_requested else "0",
                s.usage,
                ":",
            )
        )
        self._put(
            segment(
                "GS",
                kind.functional_id,
                s.sender_id,
                s.receiver_id,
                when.strftime("%Y%m%d"),
                when.strftime("%H%M"),
                str(s.group_control_number),
                "X",
                kind.version,
            )
        )

    def _put(self, seg: str) -> None:
        self.write(seg + self.end)

    def add(self, body: Iterable[str]) -> None:
        """One transaction set: the segments between its ST and SE (ST02 0001, 0002...)."""
        self.sets += 1
        st02 = f"{self.sets:04d}"
        kind = self.kind
        self._put(segment("ST", kind.transaction, st02, kind.version if kind.st03 else ""))
        if isinstance(body, Sequence):  # in one piece (a generator's, a segment at a time)
            n = len(body)
            if n:
                self.write(self.end.join(body) + self.end)
        else:
            n = 0
            for seg in body:
                self._put(seg)
                n += 1
        self._put(segment("SE", str(n + 2), st02))

    def close(self) -> None:
        s = self.settings
        self._put(segment("GE", str(self.sets), str(s.group_control_number)))
        self._put(segment("IEA", "1", f"{s.interchange_control_number:09d}"))


def write_interchange(
    settings: InterchangeSettings,
    kind: Kind,
    bodies: Sequence[Sequence[str]],
    line_breaks: bool = True,
) -> str:
    """The interchange text: one functional group holding a transaction set per body.

    A body is the list of segments between ST and SE; ST02 numbers the sets 0001, 0002...
    """
    parts: list[str] = []
    writer = InterchangeWriter(settings, kind, parts.append, line_breaks)
    for body in bodies:
        writer.add(body)
    writer.close()
    return "".join(parts)


def functional_group_of(source: Source) -> str | None:
    """GS01 of the first functional group in `source` (None when the interchange has none,
    as a lone TA1 acknowledgment). Reads only the head of the file."""
    stream, owned = open_source(source)
    try:
        reader = SegmentReader(stream, chunk_size=1 << 14)
        sep = reader.delimiters.element
        for batch in reader.batches():
            for raw in batch[:20]:
                if raw.startswith("GS" + sep):
                    return raw.split(sep)[1]
            return None
        return None
    finally:
        if owned:
            stream.close()


def identify(source: Source) -> tuple[FileKind | None, int]:
    """The kind of the file by its head, and the number of the segment that tells it: the
    first functional group (GS01 and GS08), or TA1 when a TA1 comes before any group. None
    when the group is one ptbill does not know or there is none (the reader then says what is
    wrong). Reads up to the first GS."""
    stream, owned = open_source(source)
    try:
        reader = SegmentReader(stream, chunk_size=1 << 14)
        sep = reader.delimiters.element
        ta1, number = 0, 0
        for batch in reader.batches():
            for raw in batch:
                number += 1
                sid = raw.partition(sep)[0]
                if sid == "GS":
                    e = raw.split(sep)
                    return kind_of_group(optional(e, 1), optional(e, 8)), number
                if sid == "TA1":
                    ta1 = ta1 or number
                elif sid not in ("ISA", "IEA"):
                    return (KIND_TA1, ta1) if ta1 else (None, number)
        return (KIND_TA1, ta1) if ta1 else (None, number)
    finally:
        if owned:
            stream.close()
