"""A simulated payer: reads an 837P and answers with a 999, a 277CA and an 835, deterministic
by seed, with configurable rejection and denial patterns (ptbill.payer_sim.patterns). The demo
and the tests use it to run the whole claim loop without a real payer."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ptbill.config.profiles import Config
from ptbill.payer_sim.adjudicate import Decision, PayerSim
from ptbill.payer_sim.patterns import DenialPattern, Rejection, SimConfig
from ptbill.payer_sim.read_837 import SimClaim, read_837p, transactions_837p
from ptbill.payer_sim.write import (
    MAX_CLAIMS_PER_PAYMENT,
    AckCounts,
    Part,
    ack_277_body,
    ack_277_claim,
    answer_settings,
    remit_bodies,
    remittance_claims,
    reversal_claims,
    write_277ca,
    write_835,
    write_999,
)
from ptbill.x12.envelope import CLAIM_ACK, REMITTANCE, InterchangeWriter
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


class _Spool:
    """Records of text (one a line) put aside in a temporary file, read back in order: a
    group's claims' segments (no segment holds a line break or the terminator)."""

    def __init__(self) -> None:
        # Closed by answer_files (its `finally`), whatever happens.
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.count = 0

    def add(self, segments: list[str]) -> None:
        self.file.write("~".join(segments) + "\n")
        self.count += 1

    def read(self, limit: int | None = None) -> Iterator[list[str]]:
        """The next `limit` records (all when None), from where the last read stopped."""
        n = 0
        while limit is None or n < limit:
            line = self.file.readline()
            if not line:
                return
            n += 1
            yield line[:-1].split("~")

    def rewind(self) -> None:
        self.file.seek(0)

    def close(self) -> None:
        self.file.close()


class _Remits:
    """The 835's claims by payer, spooled, with each payment's total (MAX_CLAIMS_PER_PAYMENT
    claims a payment)."""

    def __init__(self) -> None:
        self.spools: dict[tuple[str, str], _Spool] = {}
        self.totals: dict[tuple[str, str], list[Decimal]] = {}
        self.payee = ("", "")

    def add(self, d: Decision) -> None:
        segments, paid = remittance_claims(d)
        key = (d.claim.payer_name, d.claim.payer_id)
        spool = self.spools.get(key) or self.spools.setdefault(key, _Spool())
        totals = self.totals.setdefault(key, [])
        if spool.count % MAX_CLAIMS_PER_PAYMENT == 0:
            totals.append(Decimal(0))
        totals[-1] += paid
        spool.add(segments)
        self.payee = (d.claim.billing_name, d.claim.billing_npi)

    def payments(self) -> Iterator[tuple[str, str, Iterator[Part]]]:
        for key, spool in self.spools.items():
            spool.rewind()
            parts = ((t, spool.read(MAX_CLAIMS_PER_PAYMENT)) for t in self.totals[key])
            yield key[0], key[1], parts


def _write_file(target: Path, write: Callable[[Callable[[str], object]], None]) -> Path:
    """`write(put)` into `target`, whole or not at all (a part file renamed into place)."""
    tmp = target.with_name(f".{target.name}.part")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        write(f.write)
    os.replace(tmp, target)
    return target


def answer_files(
    path: Path,
    folder: Path,
    config: Config,
    sim: SimConfig | None = None,
    *,
    received: dt.date,
    number: int = 1,
    payer: PayerSim | None = None,
    each: Callable[[Decision], None] | None = None,
) -> Answered:
    """`simulate` of the 837P file `path`, its answers written to `folder` as STEM.999,
    STEM.277 and (when a claim was accepted) STEM.835, the same text as `simulate`'s. Read a
    transaction set at a time, each claim adjudicated, handed to `each` and its answers' text
    put aside in temporary files: memory does not grow with the file."""
    payer = payer or PayerSim(config, sim)
    with path.open(encoding="utf-8", errors="replace") as f:
        sender, gcn = envelope_of(f.read(4096))
    sets: list[str] = []
    counts = AckCounts()
    providers: dict[tuple[str, str], _Spool] = {}
    remits = _Remits()
    try:
        for s in transactions_837p(path):
            sets.append(s.control_number)
            for c in s.claims:
                d = payer.adjudicate(c, received)
                counts.add(d)
                key = (c.billing_npi, c.billing_name)
                spool = providers.get(key) or providers.setdefault(key, _Spool())
                spool.add(ack_277_claim(d, received))
                if d.rejection is None:
                    remits.add(d)
                if each is not None:
                    each(d)
        return _write_answers(
            path.stem,
            folder,
            sender,
            gcn,
            sets,
            counts,
            providers,
            remits,
            payer,
            received=received,
            number=number,
        )
    finally:
        for spool in (*providers.values(), *remits.spools.values()):
            spool.close()


def _write_answers(
    stem: str,
    folder: Path,
    sender: str,
    gcn: str,
    sets: list[str],
    counts: AckCounts,
    providers: dict[tuple[str, str], _Spool],
    remits: _Remits,
    payer: PayerSim,
    *,
    received: dt.date,
    number: int,
) -> Answered:
    def ack_999(put: Callable[[str], object]) -> None:
        put(write_999(gcn, sets, (), receiver=sender, number=number, when=received))

    def ack_277(put: Callable[[str], object]) -> None:
        for spool in providers.values():
            spool.rewind()
        claims = ((key, spool.read()) for key, spool in providers.items())
        body = ack_277_body(counts, claims, receiver=sender, number=number, when=received)
        writer = InterchangeWriter(answer_settings(sender, number, received), CLAIM_ACK, put)
        writer.add(body)
        writer.close()

    paid_on = received + dt.timedelta(days=payer.sim.days_to_pay)

    def remit(put: Callable[[str], object]) -> None:
        bodies = remit_bodies(remits.payments(), payee=remits.payee, number=number, when=paid_on)
        writer = InterchangeWriter(answer_settings(sender, number, paid_on), REMITTANCE, put)
        for body in bodies:
            writer.add(body)
        writer.close()

    files = [
        _write_file(folder / f"{stem}.999", ack_999),
        _write_file(folder / f"{stem}.277", ack_277),
    ]
    if remits.spools:
        files.append(_write_file(folder / f"{stem}.835", remit))
    return Answered(files, counts.accepted + counts.rejected, paid_on)
