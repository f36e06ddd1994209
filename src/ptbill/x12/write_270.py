"""Writing X12 270 eligibility inquiries, 005010X279A1.

A pure function: inquiries and the interchange settings in, X12 text out. Inquiries are grouped
by payer (2000A information source) and provider (2000B information receiver); each inquiry is
a subscriber (2000C/2100C) and, when the patient is a dependent, the dependent (2000D/2100D),
whose 2110 loops ask one EQ per service type (PT, AE, 30 ... as the payer profile says) for
the date of service (DTP*291). TRN*1 carries the inquiry's trace number, which the payer's 271
returns, so that an answer finds its patient. A transaction set holds at most 99 inquiries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ptbill.x12.envelope import InterchangeSettings, Kind, segment, write_interchange
from ptbill.x12.kinds import KIND_270
from ptbill.x12.values import format_date
from ptbill.x12.writer_837p import clean

T = TypeVar("T")
INQUIRY = Kind("270 eligibility inquiry", "HS", "270", "005010X279A1", KIND_270)
MAX_PER_SET = 99


@dataclass(frozen=True, slots=True)
class Person:
    last: str
    first: str
    birth_date: dt.date | None = None
    sex: str | None = None  # F, M (U is not sent)


@dataclass(frozen=True, slots=True)
class EligibilityInquiry:
    trace: str  # TRN02: unique per inquiry; the 271 returns it
    payer_name: str
    payer_id: str
    provider_name: str
    provider_npi: str
    provider_tax_id: str  # TRN03 is "1" and the provider's EIN
    member_id: str
    subscriber: Person
    patient: Person | None  # None when the patient is the subscriber
    service_date: dt.date
    service_types: tuple[str, ...]
    group_number: str | None = None

    def __post_init__(self) -> None:
        if not self.service_types:
            raise ValueError(f"inquiry {self.trace}: no service type to ask about")
        if not 1 <= len(self.trace) <= 50:
            raise ValueError("a trace number is 1 to 50 characters")


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def _person_segments(p: Person, when: dt.date) -> list[str]:
    out = []
    if p.birth_date is not None:
        sex = p.sex if p.sex in ("F", "M") else ""
        out.append(segment("DMG", "D8", format_date(p.birth_date), sex))
    out.append(segment("DTP", "291", "D8", format_date(when)))
    return out


def _inquiries(service_types: Sequence[str]) -> list[str]:
    return [segment("EQ", code) for code in service_types]


def _subscriber(hl: int, parent: int, q: EligibilityInquiry) -> list[str]:
    """2000C and 2100C; the 2110C inquiries when the subscriber is the patient; then 2000D."""
    dependent = q.patient is not None
    trace = segment("TRN", "1", q.trace[:50], ("1" + _digits(q.provider_tax_id))[:10])
    sub = q.subscriber
    out = [
        segment("HL", str(hl), str(parent), "22", "1" if dependent else "0"),
        trace,
        subscriber_name(sub, q.member_id),
    ]
    if q.group_number:
        out.append(segment("REF", "6P", q.group_number[:50]))
    if dependent:
        # The subscriber's own birth date is sent when known; the date asked about is the
        # dependent's (2100D), where the inquiries go.
        if sub.birth_date is not None:
            out.append(segment("DMG", "D8", format_date(sub.birth_date)))
        assert q.patient is not None
        p = q.patient
        out += [
            segment("HL", str(hl + 1), str(hl), "23", "0"),
            trace,
            segment("NM1", "03", "1", clean(p.last, 60), clean(p.first, 35)),
            *_person_segments(p, q.service_date),
            *_inquiries(q.service_types),
        ]
    else:
        out += [*_person_segments(sub, q.service_date), *_inquiries(q.service_types)]
    return out


def subscriber_name(p: Person, member_id: str) -> str:
    """NM1*IL: the subscriber, identified by the member id (2100C of a 270, 2100D of a 276)."""
    return segment(
        "NM1", "IL", "1", clean(p.last, 60), clean(p.first, 35), "", "", "", "MI", member_id
    )


def payer_level(hl: int, payer_id: str, payer_name: str) -> list[str]:
    """2000A and 2100A: the payer asked (information source), identified by its payer id."""
    return [
        segment("HL", str(hl), "", "20", "1"),
        segment("NM1", "PR", "2", clean(payer_name, 60), "", "", "", "", "PI", clean(payer_id, 80)),
    ]


def _transaction(
    inquiries: Sequence[EligibilityInquiry], reference: str, when: dt.datetime
) -> list[str]:
    out = [segment("BHT", "0022", "13", reference, when.strftime("%Y%m%d"), when.strftime("%H%M"))]
    hl = 0
    by_payer: dict[tuple[str, str], dict[tuple[str, str], list[EligibilityInquiry]]] = {}
    for q in inquiries:
        by_payer.setdefault((q.payer_id, q.payer_name), {}).setdefault(
            (q.provider_npi, q.provider_name), []
        ).append(q)
    for (payer_id, payer_name), providers in by_payer.items():
        hl += 1
        source = hl
        out += payer_level(hl, payer_id, payer_name)
        for (npi, name), items in providers.items():
            hl += 1
            receiver = hl
            out += [
                segment("HL", str(hl), str(source), "21", "1"),
                segment("NM1", "1P", "2", clean(name, 60), "", "", "", "", "XX", npi),
            ]
            for q in items:
                hl += 1
                out += _subscriber(hl, receiver, q)
                if q.patient is not None:
                    hl += 1
    return out


def write_sets(
    items: Sequence[T],
    settings: InterchangeSettings,
    kind: Kind,
    transaction: Callable[[Sequence[T], str, dt.datetime], list[str]],
    traces: Callable[[T], str],
) -> str:
    """One interchange of transaction sets of at most MAX_PER_SET items each (BHT03 numbers
    them as the 837P writer does), the trace numbers unique within it."""
    if not items:
        raise ValueError(f"nothing to write in a {kind.name}")
    found = [traces(i) for i in items]
    if len(set(found)) != len(found):
        raise ValueError("trace numbers must be unique within an interchange")
    bodies = []
    for number, first in enumerate(range(0, len(items), MAX_PER_SET), start=1):
        reference = f"{settings.interchange_control_number:09d}{number:04d}"
        bodies.append(transaction(items[first : first + MAX_PER_SET], reference, settings.created))
    return write_interchange(settings, kind, bodies)


def write_270(inquiries: Sequence[EligibilityInquiry], settings: InterchangeSettings) -> str:
    """One interchange (ISA13/GS06 from `settings`) asking every inquiry, as X12 text."""
    return write_sets(inquiries, settings, INQUIRY, _transaction, lambda q: q.trace)
