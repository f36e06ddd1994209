"""Writing X12 276 claim status requests, 005010X212.

A pure function: one request per claim, grouped by payer (2000A/2100A), then the submitter who
asks (2000B/2100B, NM1*41 with its submitter id), then the billing provider (2000C/2100C). Each
claim sits under its subscriber (2000D/2100D) or, when the patient is a dependent, under the
patient (2000E/2100E): TRN*1 the trace number the 277 returns, REF*1K the payer's claim number
when known, REF*EJ our claim id (the 837P's CLM01), AMT*T3 the charge and DTP*472 the dates of
service. A transaction set holds at most 99 requests (ptbill.x12.write_270.write_sets).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ptbill.x12.envelope import InterchangeSettings, Kind, segment
from ptbill.x12.kinds import KIND_276
from ptbill.x12.values import format_amount, format_date
from ptbill.x12.write_270 import Person, payer_level, subscriber_name, write_sets
from ptbill.x12.writer_837p import clean

STATUS_REQUEST = Kind("276 claim status request", "HR", "276", "005010X212", KIND_276)


@dataclass(frozen=True, slots=True)
class StatusInquiry:
    trace: str  # TRN02: unique per request; the 277 returns it
    payer_name: str
    payer_id: str
    receiver_name: str  # who asks: the submitter (1000A of our 837P)
    receiver_id: str
    provider_name: str
    provider_npi: str
    member_id: str
    subscriber: Person
    patient: Person | None  # None when the patient is the subscriber
    claim_id: str  # REF*EJ: CLM01 of the claim as sent
    payer_claim_control_number: str | None
    charge: Decimal
    service_from: dt.date
    service_to: dt.date


def _service_date(q: StatusInquiry) -> str:
    if q.service_from == q.service_to:
        return segment("DTP", "472", "D8", format_date(q.service_from))
    return segment(
        "DTP", "472", "RD8", f"{format_date(q.service_from)}-{format_date(q.service_to)}"
    )


def _claim(q: StatusInquiry) -> list[str]:
    out = [segment("TRN", "1", q.trace[:50])]
    if q.payer_claim_control_number:
        out.append(segment("REF", "1K", q.payer_claim_control_number[:50]))
    out += [
        segment("REF", "EJ", q.claim_id[:50]),
        segment("AMT", "T3", format_amount(q.charge)),
        _service_date(q),
    ]
    return out


def _demographics(p: Person) -> list[str]:
    if p.birth_date is None:
        return []
    return [segment("DMG", "D8", format_date(p.birth_date), p.sex if p.sex in ("F", "M") else "")]


def _subscriber(hl: int, parent: int, q: StatusInquiry) -> tuple[list[str], int]:
    sub, patient = q.subscriber, q.patient
    out = [segment("HL", str(hl), str(parent), "22", "1" if patient else "0")]
    if patient is None:
        out += _demographics(sub)
    out.append(subscriber_name(sub, q.member_id))
    if patient is None:
        return out + _claim(q), hl
    if patient.birth_date is None:
        raise ValueError(f"request {q.trace}: a dependent patient needs a birth date (DMG)")
    out += [
        segment("HL", str(hl + 1), str(hl), "23"),
        *_demographics(patient),
        segment("NM1", "QC", "1", clean(patient.last, 60), clean(patient.first, 35)),
        *_claim(q),
    ]
    return out, hl + 1


def _transaction(items: Sequence[StatusInquiry], reference: str, when: dt.datetime) -> list[str]:
    out = [segment("BHT", "0010", "13", reference, when.strftime("%Y%m%d"), when.strftime("%H%M"))]
    tree: dict[tuple[str, str], dict[tuple[str, str], dict[tuple[str, str], list[StatusInquiry]]]]
    tree = {}
    for q in items:
        tree.setdefault((q.payer_id, q.payer_name), {}).setdefault(
            (q.receiver_id, q.receiver_name), {}
        ).setdefault((q.provider_npi, q.provider_name), []).append(q)
    hl = 0
    for (payer_id, payer_name), receivers in tree.items():
        hl += 1
        source = hl
        out += payer_level(hl, payer_id, payer_name)
        for (receiver_id, receiver_name), providers in receivers.items():
            hl += 1
            receiver = hl
            out += [
                segment("HL", str(hl), str(source), "21", "1"),
                segment(
                    "NM1",
                    "41",
                    "2",
                    clean(receiver_name, 60),
                    "",
                    "",
                    "",
                    "",
                    "46",
                    clean(receiver_id, 80),
                ),
            ]
            for (npi, name), claims in providers.items():
                hl += 1
                provider = hl
                out += [
                    segment("HL", str(hl), str(receiver), "19", "1"),
                    segment("NM1", "1P", "2", clean(name, 60), "", "", "", "", "XX", npi),
                ]
                for q in claims:
                    segments, hl = _subscriber(hl + 1, provider, q)
                    out += segments
    return out


def write_276(requests: Sequence[StatusInquiry], settings: InterchangeSettings) -> str:
    """One interchange (ISA13/GS06 from `settings`) asking the status of every claim."""
    return write_sets(requests, settings, STATUS_REQUEST, _transaction, lambda q: q.trace)
