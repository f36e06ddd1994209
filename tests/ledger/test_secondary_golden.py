"""Claims to the next payers, pinned: for a varied set of posted primaries the next-payer claims
(rows, versions, lines, audit, work items) and every 837P that sends them (and the primaries'
837P) must stay byte for byte what they were before the bulk rewrite of
ptbill.ledger.secondary (issue #18), and pyx12 must accept each 837P.

The primaries (Medicare, one patient each; the amounts of tests.ledger.helpers.medicare_visit):

- V-1 Medigap next: several CAS groups on each line and a claim-level adjustment (CLP-level
  CAS OA-94, $2 less paid);
- V-2 Medigap: 97110 partly paid (deductible $20 and coinsurance $8), 97140 denied (CO-50);
- V-3 Medigap then a commercial plan (rank 3): the Medigap plan pays half of what Medicare
  left, so a tertiary claim names both earlier payers;
- V-4 Medicaid: Medicare crossed it over (MA18, NM1*TT): recorded, not sent;
- V-5 Medigap: reversed and decided again before the secondary was sent (rebuilt in place);
- V-6 Medigap: reversed and decided again after the secondary was paid (a replacement, 7);
- V-7 Medigap: Medicare left the patient nothing (no secondary).

The golden file was written by the code before the rewrite:

    .venv/bin/python -m tests.ledger.test_secondary_golden > tests/ledger/data/secondary.golden

Write it again only for a change that means to change the next payers' claims, and say so.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.config import load_config
from ptbill.config.profiles import Config
from ptbill.domain.visit import Subscriber
from ptbill.ledger import coverages
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.submit import submit
from ptbill.payer_sim.adjudicate import Decision, LineDecision
from ptbill.payer_sim.read_837 import SimClaim
from ptbill.payer_sim.write import remittance_claims, reversal_claims, write_835
from tests.ledger.helpers import (
    DOS,
    PAID_DAY,
    WHO,
    decision,
    denied,
    import_and_submit,
    medicare_visit,
    paid,
    paid_in_full,
    post_835,
    remit,
    sim_claims,
    write_visits,
)
from tests.x12.pyx12_check import assert_valid

D = Decimal
GOLDEN = Path(__file__).parent / "data" / "secondary.golden"
SECOND_DAY = PAID_DAY + dt.timedelta(days=7)
LATER = PAID_DAY + dt.timedelta(days=21)
NEXT = {  # patient: the coverages after Medicare, by rank
    "P-1": ["medigap"],
    "P-2": ["medigap"],
    "P-3": ["medigap", "commercial"],
    "P-4": ["medicaid"],
    "P-5": ["medigap"],
    "P-6": ["medigap"],
    "P-7": ["medigap"],
}


def _many_groups(c: SimClaim) -> Decision:
    """Each line: CO-45, PR-1 and PR-2, CO-253 and OA-23; and a claim-level OA-94 of $2."""
    first = [("CO", "45", D(36)), ("PR", "1", D(5)), ("PR", "2", D(11)), ("CO", "253", D("0.5"))]
    second = [("CO", "45", D(27)), ("PR", "2", D(4)), ("CO", "253", D("0.25"))]
    lines = [
        LineDecision(c.lines[0], D(60), D(33), [*first, ("OA", "23", D("10.50"))]),
        LineDecision(c.lines[1], D(20), D(12), [*second, ("OA", "23", D("3.75"))]),
    ]
    return decision(c, lines, icn="A1")


def _with_claim_adjustment(clp: tuple[list[str], Decimal]) -> tuple[list[str], Decimal]:
    """The claim payment less $2 (CLP04), the $2 a claim-level CAS OA-94."""
    segments, amount = clp
    fields = segments[0].split("*")
    fields[4] = str(D(fields[4]) - 2)
    return ["*".join(fields), "CAS*OA*94*2", *segments[1:]], amount - 2


def _partly_and_denied(c: SimClaim) -> Decision:
    adjustments = [
        ("CO", "45", D(36)),
        ("PR", "1", D(20)),
        ("PR", "2", D(8)),
        ("CO", "253", D("0.64")),
    ]
    partly = LineDecision(c.lines[0], D(60), D("31.36"), adjustments)
    return decision(c, [partly, denied(c.lines[1], "CO", "50", "N115")], icn="A2")


def _decided_again(c: SimClaim, icn: str) -> Decision:
    """Medicare's corrected decision: 97140 allowed $25 (was $20)."""
    again = [paid(c.lines[0], D(60), D(12), D("0.96")), paid(c.lines[1], D(25), D(5), D("0.40"))]
    return decision(c, again, icn=icn)


def _pays(c: SimClaim, earlier: Decision, share: Decimal, payer: str, icn: str) -> Decision:
    """The next payer pays `share` of what the earlier payer left; the rest of what was left
    stays the patient's (PR-2), what the earlier payer paid or adjusted is OA-23."""
    lines = []
    for x, p in zip(c.lines, earlier.lines, strict=True):
        owed = sum((a for g, _, a in p.adjustments if g == "PR"), D(0))
        pays = (owed * share).quantize(D("0.01"))
        adjustments = [("OA", "23", x.charge - owed)]
        if owed - pays:
            adjustments.append(("PR", "2", owed - pays))
        lines.append(LineDecision(x, owed, pays, adjustments))
    return Decision(c, payer, icn, SECOND_DAY, lines=lines)


def _remit_from(payer: tuple[str, str], entries: list[tuple[list[str], Decimal]], n: int) -> str:
    return write_835(
        [(payer[0], payer[1], entries)],
        payee=("ELM STREET PT", "1234567893"),
        receiver="ELMST001",
        number=n,
        when=SECOND_DAY,
    )


MEDIGAP = ("MEDICARE SUPPLEMENT PLAN", "MEDIGAP")


def scenario(ledger: Ledger, config: Config, tmp_path: Path) -> str:
    """The pinned run: every 837P it writes and the next-payer claims it leaves, as text."""
    visits = [medicare_visit(f"V-{i}", patient=f"P-{i}") for i in range(1, 8)]
    sent = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    out = [("primary.837", assert_valid(sent.text))]
    primaries = sim_claims(sent.text)
    with ledger.transaction() as s:
        for external, keys in NEXT.items():
            patient = s.scalar(select(m.Patient.id).where(m.Patient.external_id == external))
            assert patient is not None
            for rank, key in enumerate(keys, start=2):
                coverages.record(
                    s,
                    patient_pk=patient,
                    profile=config.payers[key],
                    subscriber=Subscriber(member_id=f"{key[:3].upper()}{external[2:]}{rank}"),
                    rank=rank,
                    start=DOS - dt.timedelta(days=60),
                    source="test",
                )
    c = primaries
    first = {
        "V-1": _many_groups(c["V-1"]),
        "V-2": _partly_and_denied(c["V-2"]),
        "V-3": decision(c["V-3"], paid_in_full(c["V-3"]), icn="A3"),
        "V-4": decision(c["V-4"], paid_in_full(c["V-4"]), icn="A4"),
        "V-5": decision(c["V-5"], paid_in_full(c["V-5"]), icn="A5"),
        "V-6": decision(c["V-6"], paid_in_full(c["V-6"]), icn="A6"),
        "V-7": decision(c["V-7"], [paid(x, x.charge) for x in c["V-7"].lines], icn="A7"),
    }
    first["V-4"].crossover = ("STATE MEDICAID", "MEDICAID")
    entries = [remittance_claims(d) for d in first.values()]
    entries[0] = _with_claim_adjustment(entries[0])
    post_835(ledger, config, remit(entries))
    # V-5: Medicare decides again before the secondary is sent.
    again = _decided_again(c["V-5"], "A5B")
    post_835(ledger, config, remit([reversal_claims(first["V-5"], again)], when=LATER, number=2))
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=PAID_DAY, who=WHO, file_name="second.837")
    out.append(("second.837", assert_valid(sent.text)))
    # The Medigap plan answers V-3 (half of what was left: a tertiary claim) and V-6 (in full).
    secondaries = sim_claims(sent.text)
    answers = [
        _pays(secondaries["V-3-S"], first["V-3"], D("0.5"), "medigap", "MG3"),
        _pays(secondaries["V-6-S"], first["V-6"], D(1), "medigap", "MG6"),
    ]
    post_835(ledger, config, _remit_from(MEDIGAP, [remittance_claims(d) for d in answers], 3))
    # V-6: Medicare decides again after the secondary was paid: a replacement.
    corrected = _decided_again(c["V-6"], "A6B")
    post_835(
        ledger, config, remit([reversal_claims(first["V-6"], corrected)], when=LATER, number=4)
    )
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=LATER, who=WHO, file_name="third.837")
    out.append(("third.837", assert_valid(sent.text)))
    with ledger.transaction() as s:
        return "".join(f"== {name}\n{text}" for name, text in out) + "".join(_ledger(s))


def _ledger(s: Session) -> Iterator[str]:
    """The next-payer claims as stored, without database ids."""
    payers = {p.id: p.key for p in s.scalars(select(m.Payer))}
    claims = s.scalars(
        select(m.Claim).where(m.Claim.sequence > 1).order_by(m.Claim.claim_number)
    ).all()
    for c in claims:
        yield (
            f"== claim {c.claim_number} {payers[c.payer_id]} seq {c.sequence} {c.state} "
            f"v{c.version} charge {_money(c.charge)} crossover {c.crossover} "
            f"submitted {c.first_submitted_on}/{c.last_submitted_on} created {c.created_on}\n"
        )
        versions = _of(s, m.ClaimVersion.claim_id, c.id, m.ClaimVersion.version)
        for v in versions:
            basis = s.get(m.ClaimPayment, v.basis_payment_id) if v.basis_payment_id else None
            icn = basis.payer_control_number if basis else None
            yield _say("  version", v.version, "freq", v.frequency_code, "original")
            yield _say("", v.original_claim_id, v.scrub_status, "charge", _money(v.charge), "on")
            yield _say("", v.created_on, "basis", icn, "\n    reason", v.reason, "\n    findings")
            yield _say("", v.findings_json, "\n")
            lines = _of(s, m.ClaimLine.version_id, v.id, m.ClaimLine.line_number)
            for x in lines:
                yield _say("    line", x.line_number, x.code, repr(x.modifiers), f"x{x.units}")
                yield _say("", _money(x.charge), x.pointers, f"{x.minutes}/{x.assistant_minutes}")
                yield _say("", x.date_of_service, x.control_number, x.price_status)
                yield _say("", x.explanation_json, "\n")
        audit = _of(s, m.AuditEntry.claim_id, c.id, m.AuditEntry.id)
        for a in audit:
            yield f"  audit {a.on_date} {a.who} {a.from_state}->{a.to_state}: {a.why}\n"
        items = _of(s, m.WorkItem.claim_id, c.id, m.WorkItem.id)
        for w in items:
            yield (
                f"  work {w.kind}/{w.category} {w.action} {_money(w.amount)} due {w.due_date} "
                f"{w.status} {w.source}: {w.detail}\n"
            )


def _say(*values: object) -> str:
    """The values with a space between (each part of a row line; "\n" ends it)."""
    return " ".join(map(str, values)).replace(" \n", "\n")


def _of(s: Session, column: Any, value: int, order: Any) -> Any:
    """The rows of column's table whose column is value, in order."""
    return s.scalars(select(column.class_).where(column == value).order_by(order))


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def test_the_next_payers_claims_and_their_837ps_are_as_pinned(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    got = scenario(ledger, config, tmp_path)
    assert got == GOLDEN.read_text(encoding="utf-8")
    # What the scenario means to cover is in it (so a golden file written again stays one).
    for needle in (
        "CLM*V-3-T*",  # a tertiary claim
        "SBR*S*",  # ... naming the secondary payer's decision in its 2320
        "CAS*OA*94*2",  # a claim-level adjustment in a 2320
        "CAS*CO*50*47",  # the denied line in its 2430
        "CLM*V-6-S*143***11:B:7",  # the replacement
        "== claim V-4-S medicaid seq 2 submitted",  # the crossover, recorded
        "basis A5B",  # rebuilt in place from the corrected decision
    ):
        assert needle in got, needle
    assert "V-7-S" not in got


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        led = Ledger(f"sqlite:///{Path(tmp) / 'ledger.db'}")
        buffer = io.StringIO()
        buffer.write(scenario(led, load_config(None), Path(tmp)))
        led.close()
        sys.stdout.write(buffer.getvalue())
