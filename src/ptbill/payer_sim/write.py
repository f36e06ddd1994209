"""The simulated payer's answers as X12: a 999 per 837P functional group, a 277CA claim
acknowledgment, and 835 remittances (one payment per payer, balanced by construction). Built
with ptbill.x12's envelope writer; every value is synthetic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ptbill.payer_sim.adjudicate import Decision, LineDecision
from ptbill.payer_sim.read_837 import SimClaim
from ptbill.x12.envelope import (
    ACKNOWLEDGMENT,
    CLAIM_ACK,
    REMITTANCE,
    InterchangeSettings,
    InterchangeWriter,
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


@dataclass
class AckCounts:
    """What the 277CA's head says of all the claims: the payer named, the claims accepted and
    rejected and their total charge."""

    payer_name: str | None = None  # the first claim's payer
    accepted: int = 0
    rejected: int = 0
    total: Decimal = Decimal(0)

    def add(self, d: Decision) -> None:
        if self.payer_name is None:
            self.payer_name = d.claim.payer_name
        self.total += d.claim.charge
        if d.rejection is None:
            self.accepted += 1
        else:
            self.rejected += 1


def ack_277_claim(d: Decision, when: dt.date) -> list[str]:
    """A claim's 277CA segments after its HL: the patient, the claim id, the status."""
    d8 = format_date(when)
    c = d.claim
    out = [_patient(c), segment("TRN", "2", c.claim_id)]
    if d.rejection is None:
        out.append(segment("STC", "A2:20:PR", d8, "WQ", format_amount(c.charge)))
        out.append(segment("REF", "1K", d.icn))
    else:
        r = d.rejection
        status = ":".join(x for x in (r.category, r.code, r.entity) if x)
        out.append(segment("STC", status, d8, "U", format_amount(c.charge)))
    out.append(segment("DTP", "472", "D8", format_date(c.date_of_service)))
    return out


ProviderClaims = Iterable[tuple[tuple[str, str], Iterable[list[str]]]]


def ack_277_body(
    counts: AckCounts, providers: ProviderClaims, *, receiver: str, number: int, when: dt.date
) -> Iterator[str]:
    """The 277CA's one transaction set: its head, then per billing provider (npi, name) its
    claims, each the segments ack_277_claim made."""
    d8 = format_date(when)
    name = "PAYER" if counts.payer_name is None else counts.payer_name
    yield from (
        segment("BHT", "0085", "08", f"SIM{number:09d}", d8, "0800", "TH"),
        segment("HL", "1", "", "20", "1"),
        segment("NM1", "PR", "2", name[:60], "", "", "", "", "PI", "PTBILLSIM"),
        segment("TRN", "1", f"SIM{number:09d}"),
        segment("DTP", "050", "D8", d8),
        segment("DTP", "009", "D8", d8),
        segment("HL", "2", "1", "21", "1"),
        segment("NM1", "41", "2", "SUBMITTER", "", "", "", "", "46", receiver[:15]),
        segment("TRN", "2", f"SIM{number:09d}"),
        segment("STC", "A1:19:PR", d8, "WQ", format_amount(counts.total)),
        segment("QTY", "90", str(counts.accepted)),
        segment("QTY", "AA", str(counts.rejected)),
    )
    hl = 2
    for (npi, name), claims in providers:
        hl += 1
        provider_hl = hl
        yield segment("HL", str(hl), "2", "19", "1")
        yield segment("NM1", "85", "2", name[:60], "", "", "", "", "XX", npi)
        yield segment("TRN", "1", "0")
        for claim in claims:
            hl += 1
            yield segment("HL", str(hl), str(provider_hl), "PT")
            yield from claim


def write_277ca(
    decisions: Sequence[Decision], *, payer_name: str, receiver: str, number: int, when: dt.date
) -> str:
    """One 277CA: every claim accepted into adjudication (A2:20) or rejected (A6/A7...)."""
    counts = AckCounts()
    by_provider: dict[tuple[str, str], list[list[str]]] = {}
    for d in decisions:
        counts.add(d)
    counts.payer_name = payer_name
    for d in decisions:
        key = (d.claim.billing_npi, d.claim.billing_name)
        by_provider.setdefault(key, []).append(ack_277_claim(d, when))
    body = list(
        ack_277_body(counts, by_provider.items(), receiver=receiver, number=number, when=when)
    )
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


Part = tuple[Decimal, Iterable[list[str]]]  # a payment's total paid, and its claims' segments


def remit_bodies(
    payments: Iterable[tuple[str, str, Iterable[Part]]],
    *,
    payee: tuple[str, str],
    number: int,
    when: dt.date,
) -> Iterator[Iterator[str]]:
    """The 835's transaction sets: per payer (name, id) its parts of at most
    MAX_CLAIMS_PER_PAYMENT claims, each a payment whose BPR02 is the part's total."""
    d8 = format_date(when)
    trace = 0
    for payer_name, payer_id, parts in payments:
        for total, claims in parts:
            trace += 1
            yield _payment(total, claims, payer_name, payer_id, payee, d8, number, trace)


def _payment(
    total: Decimal,
    claims: Iterable[list[str]],
    payer_name: str,
    payer_id: str,
    payee: tuple[str, str],
    d8: str,
    number: int,
    trace: int,
) -> Iterator[str]:
    yield from (
        synthetic_bpr(format_amount(abs(total)), d8, total >= 0, "ACH" if total else "NON"),
        segment("TRN", "1", f"SIM{number:06d}{trace:04d}", "1512345678"),
        segment("DTM", "405", d8),
        segment("N1", "PR", payer_name[:60], "XV", payer_id),
        # The payer's address and its EDI contact (required in 1000A; invented: a simulator).
        segment("N3", "PO BOX 1"),
        segment("N4", "SPRINGFIELD", "IL", "62701"),
        segment("PER", "BL", "EDI HELP", "TE", "8005550100"),
        segment("N1", "PE", payee[0][:60], "XX", payee[1]),
        segment("LX", "1"),
    )
    for segments in claims:
        yield from segments


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

    def parts(claims: Sequence[tuple[list[str], Decimal]]) -> Iterator[Part]:
        for first in range(0, len(claims), MAX_CLAIMS_PER_PAYMENT):
            part = claims[first : first + MAX_CLAIMS_PER_PAYMENT]
            yield sum((paid for _, paid in part), Decimal(0)), (x for x, _ in part)

    parts_of = ((name, pid, parts(claims)) for name, pid, claims in payments)
    parts_list: list[str] = []
    writer = InterchangeWriter(_settings(receiver, number, when), REMITTANCE, parts_list.append)
    for body in remit_bodies(parts_of, payee=payee, number=number, when=when):
        writer.add(body)
    writer.close()
    return "".join(parts_list)


def claims_of(decisions: Iterable[Decision]) -> list[SimClaim]:
    return [d.claim for d in decisions]
