"""The simulated payer's answers as X12: a 999 per 837P functional group, a 277CA claim
acknowledgment, and 835 remittances (one payment per payer, balanced by construction). Built
with ptbill.x12's envelope writer; every value is synthetic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from ptbill.payer_sim.adjudicate import Decision, LineDecision
from ptbill.payer_sim.read_837 import SimClaim
from ptbill.x12.envelope import (
    ACKNOWLEDGMENT,
    CLAIM_ACK,
    REMITTANCE,
    InterchangeSettings,
    segment,
    write_interchange,
)
from ptbill.x12.synthetic import synthetic_bpr
from ptbill.x12.values import format_amount, format_date

SENDER = "PTBILLSIM"
MAX_CLAIMS_PER_PAYMENT = 5000


def answer_settings(receiver: str, number: int, when: dt.date) -> InterchangeSettings:
    """The envelope of an answer to `receiver`, numbered `number`, made at 08:00 on `when`."""
    return _settings(receiver, number, when)


def _settings(receiver: str, number: int, when: dt.date) -> InterchangeSettings:
    return InterchangeSettings(
        sender_id=SENDER,
        receiver_id=receiver[:15] or "RECEIVER",
        interchange_control_number=number,
        group_control_number=number,
        created=dt.datetime.combine(when, dt.time(8, 0)),
    )


def write_999(
    group_control_number: str,
    transaction_sets: Sequence[str],
    rejected: Iterable[str],
    *,
    receiver: str,
    number: int,
    when: dt.date,
) -> str:
    """A 999 answering one 837P functional group: each transaction set A, or R if rejected."""
    bad = set(rejected)
    body = [segment("AK1", "HC", group_control_number, "005010X222A1")]
    for st02 in transaction_sets:
        body.append(segment("AK2", "837", st02, "005010X222A1"))
        body.append(segment("IK5", "R", "5") if st02 in bad else segment("IK5", "A"))
    ok = len([s for s in transaction_sets if s not in bad])
    verdict = "A" if ok == len(transaction_sets) else ("R" if ok == 0 else "P")
    body.append(
        segment("AK9", verdict, str(len(transaction_sets)), str(len(transaction_sets)), str(ok))
    )
    return write_interchange(_settings(receiver, number, when), ACKNOWLEDGMENT, [body])


def write_277ca(
    decisions: Sequence[Decision], *, payer_name: str, receiver: str, number: int, when: dt.date
) -> str:
    """One 277CA: every claim accepted into adjudication (A2:20) or rejected (A6/A7...)."""
    d8 = format_date(when)
    accepted = [d for d in decisions if d.rejection is None]
    rejected = [d for d in decisions if d.rejection is not None]
    total = sum((d.claim.charge for d in decisions), Decimal(0))
    body = [
        segment("BHT", "0085", "08", f"SIM{number:09d}", d8, "0800", "TH"),
        segment("HL", "1", "", "20", "1"),
        segment("NM1", "PR", "2", payer_name[:60], "", "", "", "", "PI", "PTBILLSIM"),
        segment("TRN", "1", f"SIM{number:09d}"),
        segment("DTP", "050", "D8", d8),
        segment("DTP", "009", "D8", d8),
        segment("HL", "2", "1", "21", "1"),
        segment("NM1", "41", "2", "SUBMITTER", "", "", "", "", "46", receiver[:15]),
        segment("TRN", "2", f"SIM{number:09d}"),
        segment("STC", "A1:19:PR", d8, "WQ", format_amount(total)),
        segment("QTY", "90", str(len(accepted))),
        segment("QTY", "AA", str(len(rejected))),
    ]
    hl = 2
    by_provider: dict[tuple[str, str], list[Decision]] = {}
    for d in decisions:
        by_provider.setdefault((d.claim.billing_npi, d.claim.billing_name), []).append(d)
    for (npi, name), group in by_provider.items():
        hl += 1
        provider_hl = hl
        body += [
            segment("HL", str(hl), "2", "19", "1"),
            segment("NM1", "85", "2", name[:60], "", "", "", "", "XX", npi),
            segment("TRN", "1", "0"),
        ]
        for d in group:
            hl += 1
            c = d.claim
            body += [
                segment("HL", str(hl), str(provider_hl), "PT"),
                _patient(c),
            ]
            body.append(segment("TRN", "2", c.claim_id))
            if d.rejection is None:
                body.append(segment("STC", "A2:20:PR", d8, "WQ", format_amount(c.charge)))
                body.append(segment("REF", "1K", d.icn))
            else:
                r = d.rejection
                status = ":".join(x for x in (r.category, r.code, r.entity) if x)
                body.append(segment("STC", status, d8, "U", format_amount(c.charge)))
            body.append(segment("DTP", "472", "D8", format_date(c.date_of_service)))
    return write_interchange(_settings(receiver, number, when), CLAIM_ACK, [body])


def _patient(c: SimClaim) -> str:
    """NM1*QC, the patient as the claim named the subscriber (277CA 2100D, 835 2100)."""
    return segment(
        "NM1",
        "QC",
        "1",
        c.subscriber_last[:60],
        c.subscriber_first[:35],
        "",
        "",
        "",
        "MI",
        c.member_id,
    )


def _line_segments(x: LineDecision) -> list[str]:
    line = x.line
    out = [
        segment(
            "SVC",
            ":".join(("HC", line.code, *line.modifiers)),
            format_amount(line.charge),
            format_amount(x.paid),
            "",
            str(line.units),
        )
    ]
    if line.date_of_service is not None:
        out.append(segment("DTM", "472", format_date(line.date_of_service)))
    by_group: dict[str, list[tuple[str, Decimal]]] = {}
    for group, carc, amount in x.adjustments:
        by_group.setdefault(group, []).append((carc, amount))
    for group, items in by_group.items():
        for i in range(0, len(items), 6):
            parts: list[str] = ["CAS", group]
            for carc, amount in items[i : i + 6]:
                parts += [carc, format_amount(amount), ""]
            out.append(segment(*parts))
    if line.control_number:
        out.append(segment("REF", "6R", line.control_number))
    if x.allowed:
        out.append(segment("AMT", "B6", format_amount(x.allowed)))
    out += [segment("LQ", "HE", r) for r in x.remarks]
    return out


def _clp(d: Decision, status: str, lines: list[LineDecision], icn: str) -> list[str]:
    c = d.claim
    charge = sum((x.line.charge for x in lines), Decimal(0))
    paid = sum((x.paid for x in lines), Decimal(0))
    patient = sum((a for x in lines for g, _, a in x.adjustments if g == "PR"), Decimal(0))
    out = [
        segment(
            "CLP",
            c.claim_id,
            status,
            format_amount(charge),
            format_amount(paid),
            format_amount(patient),
            c.filing_indicator or "CI",
            icn,
            c.place_of_service or "11",
            c.frequency_code,
        ),
        _patient(c),
    ]
    if d.crossover is not None and status != "22":
        out += [
            segment("NM1", "TT", "2", d.crossover[0][:60], "", "", "", "", "PI", d.crossover[1]),
            segment("MOA", "", "", "MA18"),
        ]
    out.append(segment("DTM", "050", format_date(d.received)))
    for x in lines:
        out += _line_segments(x)
    return out


def remittance_claims(d: Decision) -> tuple[list[str], Decimal]:
    return _clp(d, d.status, d.lines, d.icn), d.paid


def reversal_claims(original: Decision, corrected: Decision) -> tuple[list[str], Decimal]:
    """A reversal of an earlier payment (CLP02 22, negative amounts) and its correction."""
    reversed_lines = [x.negated() for x in original.lines]
    out = _clp(original, "22", reversed_lines, original.icn)
    out += _clp(corrected, corrected.status, corrected.lines, corrected.icn)
    return out, corrected.paid - original.paid


def write_835(
    payments: Sequence[tuple[str, str, Sequence[tuple[list[str], Decimal]]]],
    *,
    payee: tuple[str, str],
    receiver: str,
    number: int,
    when: dt.date,
) -> str:
    """An 835 interchange: per (payer name, payer id, claims) one payment (transaction set),
    split at MAX_CLAIMS_PER_PAYMENT claims. BPR02 is the sum of the claims' payments."""
    d8 = format_date(when)
    bodies = []
    trace = 0
    for payer_name, payer_id, claims in payments:
        for first in range(0, len(claims), MAX_CLAIMS_PER_PAYMENT):
            part = claims[first : first + MAX_CLAIMS_PER_PAYMENT]
            trace += 1
            total = sum((paid for _, paid in part), Decimal(0))
            body = [
                synthetic_bpr(format_amount(abs(total)), d8, total >= 0, "ACH" if total else "NON"),
                segment("TRN", "1", f"SIM{number:06d}{trace:04d}", "1512345678"),
                segment("DTM", "405", d8),
                segment("N1", "PR", payer_name[:60], "XV", payer_id),
                segment("N1", "PE", payee[0][:60], "XX", payee[1]),
                segment("LX", "1"),
            ]
            for segments, _ in part:
                body += segments
            bodies.append(body)
    return write_interchange(_settings(receiver, number, when), REMITTANCE, bodies)


def claims_of(decisions: Iterable[Decision]) -> list[SimClaim]:
    return [d.claim for d in decisions]
