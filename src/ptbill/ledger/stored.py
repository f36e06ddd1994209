"""Core results as the ledger stores them, and back: priced lines (so that an underpayment can
be explained when its 835 is posted, without pricing the claim again) and coded claim lines
(so that the 837P carries exactly the lines that were scrubbed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from ptbill.domain.coded import CodedLine, CodedVisit
from ptbill.ledger.jsontext import to_json
from ptbill.pricing.model import LineMath, PricedLine, PricedVisit
from ptbill.scrub import ScrubResult
from ptbill.x12.values import remember

if TYPE_CHECKING:  # workers of an import compute texts without loading the database layer
    from ptbill.ledger import models as m

T = TypeVar("T")


def _revive(cls: type[T], data: dict[str, Any]) -> T:
    """A dataclass from its JSON dict: Decimal fields from their strings, tuples from lists."""
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        value = data[f.name]
        kind = str(f.type)
        if value is not None and "Decimal" in kind:
            value = Decimal(value)
        elif value is not None and "tuple" in kind:
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


class StoredLine(NamedTuple):
    """A billed line as the claim_lines table keeps it (without its ids and numbers)."""

    code: str
    modifiers: str
    units: int
    charge: Decimal | None
    pointers: str
    minutes: int | None
    assistant_minutes: int
    explanation_json: str
    price_status: str
    expected_allowed: Decimal | None
    expected_payment: Decimal | None
    expected_patient: Decimal | None
    price_json: str | None


class Blocker(NamedTuple):
    """An error finding, as the blocked work item and the import summary tell it."""

    rule: str
    category: str
    message: str
    fix: str


@dataclasses.dataclass(frozen=True, slots=True)
class Stored:
    """What the ledger keeps of a coded, scrubbed and priced visit: plain values and JSON text,
    made where the results are computed (an import's worker processes send this back, about a
    third of the pickled size of the results themselves)."""

    charge: Decimal
    expected_allowed: Decimal | None
    expected_payment: Decimal | None
    units_billed: int
    scrub_status: str
    blockers: tuple[Blocker, ...]
    findings_json: str
    pricing_notes_json: str
    lines: tuple[StoredLine, ...]

    @property
    def blocked(self) -> bool:
        return self.scrub_status == "blocked"


class PricedPart(NamedTuple):
    """What the ledger keeps of a pricing: per priced line (by its index in the coded visit)
    its status, amounts and JSON text, and the visit's notes as JSON. Made once per kind of
    visit during an import (ptbill.pricing.memo)."""

    lines: dict[int, tuple[str, Decimal | None, Decimal | None, Decimal | None, str]]
    allowed: Decimal | None
    expected_payment: Decimal | None
    notes_json: str


def priced_part(priced: PricedVisit, texts: dict[object, str] | None = None) -> PricedPart:
    """`texts`: the JSON text of lines and notes made before, by value (a memo of the run).
    A priced line's text is its dataclass fields in order, `math` nested (or null)."""
    texts = {} if texts is None else texts

    def text(x: object) -> str:
        made = texts.get(x)
        if made is None:
            if len(texts) >= 65536:  # a bound, never reached by one clinic's codes
                texts.clear()
            made = texts[x] = to_json(x)
        return made

    return PricedPart(
        {
            p.index: (p.status, p.allowed, p.expected_payment, p.patient_responsibility, text(p))
            for p in priced.lines
        },
        priced.allowed,
        priced.expected_payment,
        text(priced.notes),
    )


_UNPRICED = ("unpriced", None, None, None, None)


def stored_of(
    coded: CodedVisit, scrub: ScrubResult, priced: PricedVisit, part: PricedPart | None = None
) -> Stored:
    """`part`: priced_part(priced), when the caller has it already."""
    if part is None:
        part = priced_part(priced)
    lines = []
    for index, x in enumerate(coded.lines):
        if x.units <= 0:
            continue
        lines.append(
            StoredLine(
                x.code,
                " ".join(x.modifiers),
                x.units,
                x.charge,
                ",".join(map(str, x.diagnosis_pointers)),
                x.minutes,
                x.assistant_minutes,
                to_json(x.explanation),
                *part.lines.get(index, _UNPRICED),
            )
        )
    return Stored(
        coded.total_charge,
        part.allowed,
        part.expected_payment,
        sum(x.units for x in lines),
        scrub.status,
        tuple(
            Blocker(f.rule, f.category, f.message, f.fix)
            for f in scrub.findings
            if f.severity == "error"
        ),
        to_json([f.to_json() for f in scrub.findings]),
        part.notes_json,
        tuple(lines),
    )


def priced_line_from_json(text: str) -> PricedLine:
    data = json.loads(text)
    math = data.pop("math", None)
    line = _revive(PricedLine, data)
    if math is not None:
        line = dataclasses.replace(line, math=_revive(LineMath, math))
    return line


def priced_visit(
    claim: m.Claim, version: m.ClaimVersion, lines: list[m.ClaimLine], pricing: str
) -> PricedVisit:
    """The PricedVisit of a stored claim version (lines that were priced at import)."""
    priced = [priced_line_from_json(x.price_json) for x in lines if x.price_json]
    notes = tuple(json.loads(version.pricing_notes_json or "[]"))
    return PricedVisit(
        claim.claim_number,
        claim.date_of_service,
        "",
        pricing,  # type: ignore[arg-type]
        None,
        tuple(priced),
        notes,
    )


class LineValues(Protocol):
    """What coded_from_lines reads of a stored line (a claim_lines row, or its values)."""

    @property
    def line_number(self) -> int: ...

    @property
    def code(self) -> str: ...

    @property
    def units(self) -> int: ...

    @property
    def modifiers(self) -> str: ...

    @property
    def pointers(self) -> str: ...

    @property
    def minutes(self) -> int | None: ...

    @property
    def assistant_minutes(self) -> int: ...

    @property
    def charge(self) -> Decimal | None: ...

    @property
    def date_of_service(self) -> dt.date: ...

    @property
    def explanation_json(self) -> str: ...


# A run's lines have a few modifier and pointer texts ("GP", "1,2"): each is split once (the
# tuples are shared: immutable). Bounded, like any memo of stored values.
_SPLIT: dict[str, tuple[str, ...]] = {}
_POINTERS: dict[str, tuple[int, ...]] = {}
_MEMO_SIZE = 4096
by_line_number = attrgetter("line_number")


def coded_from_lines(visit_id: str, payer: str, lines: Sequence[LineValues]) -> CodedVisit:
    """A CodedVisit holding the stored billed lines, in their order (their line numbers)."""
    coded = []
    dos = None
    for x in sorted(lines, key=by_line_number):
        modifiers, pointers = _SPLIT.get(x.modifiers), _POINTERS.get(x.pointers)
        if modifiers is None:
            modifiers = remember(_SPLIT, x.modifiers, tuple(x.modifiers.split()), _MEMO_SIZE)
        if pointers is None:
            text = x.pointers
            pointers = remember(
                _POINTERS, text, tuple(int(p) for p in text.split(",") if p), _MEMO_SIZE
            )
        explanation = x.explanation_json  # "[]": a next payer's claim and submit read none
        # CodedLine's fields in order: code, units, modifiers, diagnosis_pointers, minutes,
        # assistant_minutes, charge, services, explanation.
        coded.append(
            CodedLine(
                x.code,
                x.units,
                modifiers,
                pointers,
                x.minutes,
                x.assistant_minutes,
                x.charge,
                (),
                () if explanation == "[]" else tuple(json.loads(explanation)),
            )
        )
        if dos is None or x.date_of_service < dos:
            dos = x.date_of_service
    if dos is None:
        raise ValueError(f"{visit_id}: no stored line")  # as min() of none
    return CodedVisit(visit_id, dos, payer, "cms", 0, 0, tuple(coded))
