"""A simulated payer: reads an 837P and answers with a 999, a 277CA and an 835, deterministic
by seed, with configurable rejection and denial patterns (ptbill.payer_sim.patterns). The demo
and the tests use it to run the whole claim loop without a real payer."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ptbill.config.profiles import Config
from ptbill.payer_sim.adjudicate import Decision, PayerSim
from ptbill.payer_sim.patterns import DenialPattern, Rejection, SimConfig
from ptbill.payer_sim.read_837 import SimClaim, read_837p
from ptbill.payer_sim.write import (
    remittance_claims,
    reversal_claims,
    write_277ca,
    write_835,
    write_999,
)
from ptbill.x12.tokenizer import SegmentReader

__all__ = [
    "answer_files",
    "answer_crossovers",
    "DenialPattern",
    "PayerSim",
    "Rejection",
    "SimConfig",
    "SimOutput",
    "envelope_of",
    "recoup",
    "simulate",
]


@dataclass
class SimOutput:
    ack_999: str
    ack_277: str
    remit_835: str | None  # None when no claim was accepted
    decisions: list[Decision] = field(default_factory=list)
    paid_on: dt.date | None = None


def envelope_of(text: str) -> tuple[str, str]:
    """(ISA06 sender, GS06 group control number) of an interchange."""
    reader = SegmentReader(io.StringIO(text[:4096]))
    sep = reader.delimiters.element
    sender = gcn = ""
    for batch in reader.batches():
        for raw in batch[:3]:
            e = raw.split(sep)
            if e[0] == "ISA":
                sender = e[6].strip()
            elif e[0] == "GS":
                gcn = e[6]
        break
    return sender, gcn


# A claim the 835 pays: its adjudication, the remark codes of the claim, what remittance_claims
# made of it (the service lines' remarks and the patient's share).
Remitted = tuple[SimClaim, list[str], tuple[list[str], Decimal]]


def _remit(
    payer: PayerSim,
    items: list[Remitted],
    receiver: str,
    number: int,
    when: dt.date,
) -> str:
    by_payer: dict[tuple[str, str], list] = defaultdict(list)
    payee = ("", "")
    for claim, _, entry in items:
        by_payer[(claim.payer_name, claim.payer_id)].append(entry)
        payee = (claim.billing_name, claim.billing_npi)
    payments = [(name, pid, entries) for (name, pid), entries in by_payer.items()]
    return write_835(payments, payee=payee, receiver=receiver, number=number, when=when)


def simulate(
    text_837: str,
    config: Config,
    sim: SimConfig | None = None,
    *,
    received: dt.date,
    number: int = 1,
    payer: PayerSim | None = None,
) -> SimOutput:
    """Adjudicate every claim of an 837P received on `received`. The 999 and 277CA are dated
    that day, the 835 `days_to_pay` later. `number` numbers the answer interchanges."""
    payer = payer or PayerSim(config, sim)
    sender, gcn = envelope_of(text_837)
    sets = read_837p(io.StringIO(text_837))
    decisions = [payer.adjudicate(c, received) for s in sets for c in s.claims]
    ack_999 = write_999(
        gcn, [s.control_number for s in sets], (), receiver=sender, number=number, when=received
    )
    payer_name = next((d.claim.payer_name for d in decisions), "PAYER")
    ack_277 = write_277ca(
        decisions, payer_name=payer_name, receiver=sender, number=number, when=received
    )
    paid_on = received + dt.timedelta(days=payer.sim.days_to_pay)
    items: list[Remitted] = [
        (d.claim, [], remittance_claims(d)) for d in decisions if d.rejection is None
    ]
    remit = _remit(payer, items, sender, number, paid_on) if items else None
    return SimOutput(ack_999, ack_277, remit, decisions, paid_on)


def recoup(
    payer: PayerSim, decisions: list[Decision], *, received: dt.date, number: int, receiver: str
) -> tuple[str | None, list[Decision]]:
    """A later 835 in which the payer reverses some paid claims and pays them again, correctly
    (every underpaid claim, and `recoup_rate` of the others): reversal + correction pairs."""
    chosen = []
    for d in decisions:
        if d.rejection is not None or d.status != "1" or d.paid <= 0:
            continue
        if d.underpaid or payer.rng(d.claim, "recoup").random() < payer.sim.recoup_rate:
            chosen.append(d)
    if not chosen:
        return None, []
    corrected = [payer.correction(d, received) for d in chosen]
    items: list[Remitted] = [
        (d.claim, [], reversal_claims(d, c)) for d, c in zip(chosen, corrected, strict=True)
    ]
    return _remit(payer, items, receiver, number, received), corrected


def answer_crossovers(
    payer: PayerSim, decisions: list[Decision], *, received: dt.date, number: int, receiver: str
) -> tuple[str | None, list[Decision]]:
    """The crossover payers' 835: for every claim Medicare forwarded (MA18, NM1*TT) with a
    share left to the patient, the supplemental plan or Medicaid pays it, answering with
    Medicare's claim number."""
    answers = [
        payer.crossover_answer(d, received)
        for d in decisions
        if d.crossover is not None and d.rejection is None and d.patient > 0
    ]
    if not answers:
        return None, []
    items: list[Remitted] = [(d.claim, [], remittance_claims(d)) for d in answers]
    return _remit(payer, items, receiver, number, received), answers


@dataclass
class Answered:
    files: list[Path]  # the 999, the 277CA and (when a claim was accepted) the 835
    claims: int
    paid_on: dt.date


def answer_files(
    path: Path,
    folder: Path,
    config: Config,
    sim: SimConfig | None = None,
    *,
    received: dt.date,
    number: int = 1,
    payer: PayerSim | None = None,
) -> Answered:
    """TEMPORARY baseline: simulate() of the whole text."""
    out = simulate(
        path.read_text(encoding="ascii"), config, sim, received=received, number=number, payer=payer
    )
    files = []
    for suffix, body in (("999", out.ack_999), ("277", out.ack_277), ("835", out.remit_835)):
        if body is not None:
            target = folder / f"{path.stem}.{suffix}"
            target.write_text(body, encoding="ascii")
            files.append(target)
    return Answered(files, len(out.decisions), out.paid_on or received)
