"""Reading X12 271 eligibility responses (005010X279A1).

A 271 answers a 270 patient by patient: under the payer (2000A/2100A) and the provider who asked
(2000B/2100B), each subscriber (2000C/2100C) and dependent (2000D/2100D) comes back with the
trace number of the inquiry (TRN*2), the payer's own errors (AAA), dates (DTP) and the benefits
(2110C/2110D: one EB each, with its dates, messages, AAA errors and related entities such as
another payer, 2120C). ptbill.x12.benefits reads what a PT biller needs out of the benefits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ptbill.x12.eligibility_codes import FOLLOW_UPS, REJECT_REASONS
from ptbill.x12.envelope import Handler, Kind, located, read_transactions
from ptbill.x12.errors import X12Error
from ptbill.x12.kinds import KIND_271
from ptbill.x12.tokenizer import Delimiters, Segments, Source
from ptbill.x12.values import amount, date8, optional, parse_date8, shown, text

RESPONSE = Kind("271 eligibility response", "HB", "271", "005010X279A1", KIND_271)
_LEVELS = {"20": "source", "21": "receiver", "22": "subscriber", "23": "dependent"}
_AAA_LEVEL = {"source": "payer", "receiver": "provider", "subscriber": "subscriber"}

DateRange = tuple[dt.date, dt.date | None]
_PAD = [""] * 15
_EB_MEMO_SIZE = 1 << 14  # distinct EB texts kept; past it the memo starts again


def date_or_range(e: list[str]) -> DateRange:
    """A DTP's date (D8: the date and None) or range (RD8: its first and last dates)."""
    text(e, 1)
    fmt, value = text(e, 2), text(e, 3)
    if fmt == "D8":
        return date8(e, 3), None
    if fmt == "RD8":
        start, _, stop = value.partition("-")
        return parse_date8(start, "DTP03"), parse_date8(stop, "DTP03")
    raise X12Error(f"date format {shown(fmt)} is neither D8 nor RD8", element="DTP02")


class OneBht:
    """A BHT, once per transaction set (`seen_bht` is reset by the parser's `begin`)."""

    seen_bht = False
    transaction = ""

    def _bht(self, e: list[str]) -> None:
        if self.seen_bht:
            raise X12Error("a second BHT in one transaction set")
        self.seen_bht = True

    def _check_bht(self) -> None:
        if not self.seen_bht:
            raise X12Error(f"the {self.transaction} has no BHT")


@dataclass(slots=True)
class Rejection:
    """One AAA: the payer could not (fully) answer, why, and what it allows next."""

    level: str  # payer, provider, subscriber, dependent, benefit
    valid: bool  # AAA01 Y: the request was valid (the data was not)
    reason: str  # AAA03
    follow_up: str  # AAA04

    @property
    def message(self) -> str:
        why = REJECT_REASONS.get(self.reason) or f"reject reason {self.reason or '(none)'}"
        next_step = FOLLOW_UPS.get(self.follow_up) or f"follow-up {self.follow_up or '(none)'}"
        return f"{self.level}: {why}; {next_step}"

    def as_json(self) -> dict[str, object]:
        return {
            "level": self.level,
            "code": self.reason or None,
            "follow_up": self.follow_up or None,
            "message": self.message,
        }


@dataclass(slots=True)
class RelatedEntity:
    """2120C/2120D: another payer, a primary care provider ... named by the payer."""

    entity: str  # NM101: PRP primary payer, SEP secondary, PR payer, P3 PCP ...
    name: str
    id_qualifier: str
    identifier: str


@dataclass(slots=True)
class Benefit:
    """One EB segment and what qualifies it."""

    code: str  # EB01
    coverage_level: str  # EB02: IND, FAM ...
    service_types: tuple[str, ...]  # EB03 (repeats)
    insurance_type: str  # EB04
    plan: str  # EB05
    period: str  # EB06
    amount: Decimal | None  # EB07
    percent: Decimal | None  # EB08, a fraction (0.2 is 20%)
    quantity_qualifier: str  # EB09
    quantity: Decimal | None  # EB10
    authorization: str  # EB11: Y prior authorization or certification required
    in_network: str  # EB12: Y in network, N out of network, W not applicable, U unknown
    procedure: str  # EB13, e.g. HC:97110
    text: str  # the EB segment as read: in one file, the same text says the same
    # Most EB segments come alone: these stay the shared empty values below until a DTP,
    # MSG, AAA, NM1 or REF of the benefit gives the parser something to put in them.
    dates: dict[str, DateRange] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    errors: list[Rejection] = field(default_factory=list)
    entities: list[RelatedEntity] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)

    def own(self, name: str) -> Any:
        """The container `name`, made this benefit's own before it is first written to."""
        value = getattr(self, name)
        if value is _SHARED[name]:
            value = type(value)()
            setattr(self, name, value)
        return value


# Read-only stand-ins for a benefit's empty containers (never written to: see Benefit.own).
_SHARED: dict[str, Any] = {
    "dates": {},
    "messages": [],
    "errors": [],
    "entities": [],
    "references": {},
}


@dataclass(slots=True)
class Eligibility:
    """The answer about one person: a subscriber, or a dependent of one."""

    control_number: str  # ST02
    payer_name: str
    payer_id: str
    provider_npi: str | None
    level: str  # subscriber or dependent ("source" when the payer answered nobody)
    trace: str | None = None  # TRN*2 TRN02: the inquiry's trace number
    member_id: str | None = None
    last_name: str = ""
    first_name: str = ""
    birth_date: dt.date | None = None
    dates: dict[str, DateRange] = field(default_factory=dict)
    errors: list[Rejection] = field(default_factory=list)
    benefits: list[Benefit] = field(default_factory=list)


class _Parser(OneBht):
    transaction = "271"

    # read_transactions hands the segments to `body`, which hands all but EB to _HANDLERS
    # (plain functions, not bound methods: a parser holding its own methods would be a cycle,
    # and all it read would wait for the cyclic collector to be freed).
    handlers: Mapping[str, Handler] = MappingProxyType({})

    def __init__(self) -> None:
        # What each distinct EB text says, for the whole file (`body`).
        self.memo: dict[str, tuple[Any, ...]] = {}

    def begin(self, st: list[str], delimiters: Delimiters) -> None:
        self.repetition = delimiters.repetition
        self.control = st[2]
        self.results: list[Eligibility] = []
        self.level = ""
        self.payer_name = self.payer_id = ""
        self.provider: str | None = None
        self.upper_errors: list[Rejection] = []  # source and receiver levels
        self.person: Eligibility | None = None
        self.subscriber: Eligibility | None = None
        self.benefit: Benefit | None = None
        self.in_entities = False
        self.seen_bht = False
        self.holders: set[int] = set()  # subscribers with a dependent level

    def end(self) -> list[Eligibility]:
        self._check_bht()
        # A subscriber who is only the holder of a dependent's coverage says nothing alone.
        self.results = [
            p
            for p in self.results
            if p.benefits
            or p.level != "subscriber"
            or id(p) not in self.holders
            or len(p.errors) > len(self.upper_errors)
        ]
        if not self.results:  # the payer answered nobody: its errors still count
            self.results.append(
                Eligibility(
                    self.control,
                    self.payer_name,
                    self.payer_id,
                    self.provider,
                    "source",
                    errors=list(self.upper_errors),
                )
            )
        return self.results

    def _hl(self, e: list[str]) -> None:
        code = text(e, 3)
        level = _LEVELS.get(code)
        if level is None:
            raise X12Error(
                f"hierarchical level {shown(code)} is not one of a 271 (20, 21, 22, 23)",
                element="HL03",
            )
        self.level, self.benefit, self.in_entities = level, None, False
        if level in ("subscriber", "dependent"):
            person = Eligibility(self.control, self.payer_name, self.payer_id, self.provider, level)
            person.errors = list(self.upper_errors)
            if level == "dependent":
                if self.subscriber is None:
                    raise X12Error("a dependent level (HL 23) without its subscriber")
                person.member_id = self.subscriber.member_id
                person.trace = self.subscriber.trace
                self.holders.add(id(self.subscriber))
            else:
                self.subscriber = person
            self.person = person
            self.results.append(person)
        else:
            self.person = self.subscriber = None
            if level == "source":
                self.upper_errors = []

    def _aaa(self, e: list[str]) -> None:
        rejection = Rejection(
            "benefit" if self.benefit is not None else _AAA_LEVEL.get(self.level, self.level),
            text(e, 1) == "Y",
            optional(e, 3),
            optional(e, 4),
        )
        if self.benefit is not None:
            self.benefit.own("errors").append(rejection)
        if self.person is not None:
            self.person.errors.append(rejection)
        else:
            self.upper_errors.append(rejection)

    def _nm1(self, e: list[str]) -> None:
        entity = text(e, 1)
        if self.in_entities and self.benefit is not None:
            self.benefit.own("entities").append(
                RelatedEntity(entity, optional(e, 3), optional(e, 8), optional(e, 9))
            )
        elif self.level == "source":
            self.payer_name, self.payer_id = optional(e, 3), optional(e, 9)
        elif self.level == "receiver":
            self.provider = optional(e, 9) if optional(e, 8) == "XX" else None
        elif self.person is not None:
            self.person.last_name, self.person.first_name = optional(e, 3), optional(e, 4)
            if self.level == "subscriber" and optional(e, 9):
                self.person.member_id = e[9]
        else:
            raise X12Error(f"NM1*{shown(entity)} before any HL")

    def _trn(self, e: list[str]) -> None:
        # TRN*2 is the inquiry's trace number returned; TRN*1 one the payer added.
        if self.person is not None and text(e, 1) == "2":
            self.person.trace = text(e, 2)

    def _ref(self, e: list[str]) -> None:
        if self.benefit is not None:
            self.benefit.own("references")[text(e, 1)] = optional(e, 2)

    def _dmg(self, e: list[str]) -> None:
        if self.person is not None and optional(e, 1) == "D8" and optional(e, 2):
            self.person.birth_date = date8(e, 2)

    def _dtp(self, e: list[str]) -> None:
        when = date_or_range(e)
        if self.benefit is not None:
            self.benefit.own("dates")[e[1]] = when
        elif self.person is not None:
            self.person.dates[e[1]] = when

    def body(self, segments: Segments) -> list[str] | None:
        """Read the segments of the transaction set up to the first that is not a 271 body
        segment (its SE, or one out of place) and return that one (None at the end).

        An EB (most of a 271) whose text was read before in the file only becomes a new
        Benefit of what that reading found; another segment is split and goes to its handler."""
        memo, handlers, sep = self.memo, _HANDLERS, segments.separator
        remembered, eb = memo.get, "EB" + sep
        raw = "ST"  # the segment before the first of the body, should reading it fail
        try:
            while True:
                for raw in segments.raws:
                    if not raw.startswith(eb):
                        e = raw.split(sep)
                        handler = handlers.get(e[0])
                        if handler is not None:
                            handler(self, e)
                            continue
                        if e[0] != "EB":
                            return e
                    person = self.person
                    if person is None:
                        raise X12Error("EB outside a subscriber or dependent")
                    fields = remembered(raw)
                    if fields is None:
                        fields = (*self._eb_fields(raw.split(sep)), raw, *_EMPTY)
                        if len(memo) >= _EB_MEMO_SIZE:
                            memo.clear()
                        memo[raw] = fields
                    self.benefit = benefit = Benefit(*fields)
                    self.in_entities = False
                    person.benefits.append(benefit)
                if not segments.advance():
                    return None
        except (X12Error, IndexError, ValueError, ArithmeticError) as exc:
            raise located(exc, segments.number(), raw.split(sep)) from None

    def _eb_fields(self, e: list[str]) -> tuple[Any, ...]:
        """What an EB says, as Benefit's fields from EB01 to EB13."""
        if len(e) < 15:
            e = e + _PAD[: 15 - len(e)]
        services = e[3]
        rep = self.repetition
        return (
            e[1] or text(e, 1),
            e[2],
            tuple(s for s in services.split(rep) if s) if rep and services else (services,),
            e[4],
            e[5],
            e[6],
            amount(e, 7) if e[7] else None,
            amount(e, 8) if e[8] else None,
            e[9],
            amount(e, 10) if e[10] else None,
            e[11],
            e[12],
            e[13],
        )

    def _msg(self, e: list[str]) -> None:
        if self.benefit is not None:
            self.benefit.own("messages").append(optional(e, 1))

    def _ls(self, e: list[str]) -> None:
        if self.benefit is None:
            raise X12Error("LS outside an EB loop")
        self.in_entities = True

    def _le(self, e: list[str]) -> None:
        self.in_entities = False


_EMPTY = tuple(_SHARED.values())


def _ignore(parser: _Parser, e: list[str]) -> None:
    return None


_HANDLERS: dict[str, Callable[[_Parser, list[str]], None]] = {
    "BHT": _Parser._bht,
    "HL": _Parser._hl,
    "AAA": _Parser._aaa,
    "NM1": _Parser._nm1,
    "PER": _ignore,
    "REF": _Parser._ref,
    "N3": _ignore,
    "N4": _ignore,
    "PRV": _ignore,
    "DMG": _Parser._dmg,
    "INS": _ignore,
    "HI": _ignore,
    "MPI": _ignore,
    "TRN": _Parser._trn,
    "DTP": _Parser._dtp,
    "HSD": _ignore,
    "MSG": _Parser._msg,
    "III": _ignore,
    "LS": _Parser._ls,
    "LE": _Parser._le,
}


def read_271(source: Source) -> list[Eligibility]:
    """Every person answered in every 271 transaction set in `source`, in file order."""
    return [p for people in read_transactions(source, RESPONSE, _Parser()) for p in people]
