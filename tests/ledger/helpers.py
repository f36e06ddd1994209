"""Builders for ledger tests: visits with known amounts, and 835s with hand-chosen decisions
(built with the simulated payer's writer, so they are valid, balanced X12)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files
from ptbill.ledger.submit import SubmitResult, submit
from ptbill.payer_sim.adjudicate import Decision, LineDecision
from ptbill.payer_sim.read_837 import SimClaim, SimLine, read_837p
from ptbill.payer_sim.write import remittance_claims, reversal_claims, write_835
from ptbill.remit.post import post_text
from ptbill.remit.post_summary import PostSummary
from tests.factories import timed, visit_dict

WHO = "tester"
DOS = dt.date(2025, 3, 3)
SUBMIT_DAY = dt.date(2025, 3, 10)
PAID_DAY = dt.date(2025, 3, 24)
D = Decimal
ZERO = Decimal(0)


def medicare_visit(
    visit_id: str, patient: str = "P-1", dos: dt.date = DOS, **overrides: Any
) -> dict[str, Any]:
    """A clean Medicare visit: 97110 24 min + 97140 14 min = 38 timed minutes -> 2 + 1 units
    (CMS total-time rule, billing-rules U-10/U-16); charges 2 x $48 + $47 = $143 from the demo
    clinic's chargemaster."""
    v = visit_dict(
        timed("97110", 24),
        timed("97140", 14, body_region="right knee"),
        visit_id=visit_id,
        date_of_service=dos.isoformat(),
        signed={"by_npi": "1234567893", "date": dos.isoformat()},
        total_timed_minutes=38,
        total_treatment_minutes=38,
        episode={
            "plan_of_care": {
                "start_date": "2025-02-17",
                "end_date": "2025-05-16",
                "certified_date": "2025-02-20",
                "certifying_npi": "1245319599",
            },
            "visit_number": 6,
            "therapy_amount_ytd": "0",
        },
    )
    v["patient"]["id"] = patient
    v.update(copy.deepcopy(overrides))
    return v


def commercial_visit(
    visit_id: str, patient: str = "P-9", dos: dt.date = DOS, **overrides: Any
) -> dict[str, Any]:
    v = medicare_visit(
        visit_id,
        patient,
        dos,
        payer="commercial",
        subscriber={"member_id": "XYH123456789", "relationship": "self", "group_number": "G12345"},
        **overrides,
    )
    v["episode"]["authorization"] = {
        "number": "PA1234567",
        "start_date": "2025-02-17",
        "end_date": "2025-05-16",
        "visits_authorized": 20,
        "visits_used": 5,
    }
    return v


def write_visits(path: Path, visits: Sequence[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(v) + "\n" for v in visits), encoding="utf-8")
    return str(path)


def import_and_submit(
    ledger: Ledger, config: Config, path: str, as_of: dt.date = SUBMIT_DAY
) -> SubmitResult:
    with ledger.transaction() as s:
        import_files(s, [path], as_of=as_of, config=config, who=WHO)
    with ledger.transaction() as s:
        return submit(s, config, as_of=as_of, who=WHO, file_name="test.837")


def sim_claims(text_837: str) -> dict[str, SimClaim]:
    return {c.claim_id: c for t in read_837p(io.StringIO(text_837)) for c in t.claims}


def paid(
    line: SimLine, allowed: Decimal, coinsurance: Decimal = ZERO, sequestration: Decimal = ZERO
) -> LineDecision:
    adjustments = []
    if line.charge != allowed:
        adjustments.append(("CO", "45", line.charge - allowed))
    if coinsurance:
        adjustments.append(("PR", "2", coinsurance))
    if sequestration:
        adjustments.append(("CO", "253", sequestration))
    return LineDecision(line, allowed, allowed - coinsurance - sequestration, adjustments)


def denied(line: SimLine, group: str, carc: str, rarc: str | None = None) -> LineDecision:
    return LineDecision(line, D(0), D(0), [(group, carc, line.charge)], [rarc] if rarc else [])


def decision(
    claim: SimClaim,
    lines: list[LineDecision],
    status: str = "1",
    icn: str = "22012345678900",
    received: dt.date = SUBMIT_DAY,
) -> Decision:
    return Decision(claim, "medicare", icn, received, status=status, lines=lines)


def remit(
    entries: list[tuple[list[str], Decimal]],
    when: dt.date = PAID_DAY,
    number: int = 1,
    payer: str = "MEDICARE PART B",
) -> str:
    return write_835(
        [(payer, "MEDICARE", entries)],
        payee=("ELM STREET PT", "1234567893"),
        receiver="ELMST001",
        number=number,
        when=when,
    )


def remit_of(decisions: list[Decision], **kwargs: Any) -> str:
    return remit([remittance_claims(d) for d in decisions], **kwargs)


def with_plb(text: str, plbs: list[tuple[str, str]]) -> str:
    """The 835 with PLB pairs (reason:reference, amount) added to its payment: BPR02 is the
    claims' payments less the PLB amounts (positive: taken back), as an 835 balances."""
    segs = text.split("~\n")
    bpr = next(i for i, x in enumerate(segs) if x.startswith("BPR*"))
    se = next(i for i, x in enumerate(segs) if x.startswith("SE*"))
    fields = segs[bpr].split("*")
    total = Decimal(fields[2]) - sum((Decimal(a) for _, a in plbs), Decimal(0))
    fields[2] = f"{total:.2f}"
    segs[bpr] = "*".join(fields)
    pairs = "*".join(f"{r}*{a}" for r, a in plbs)
    count = segs[se].split("*")
    segs[se] = f"SE*{int(count[1]) + 1}*{count[2]}"
    segs.insert(se, f"PLB*1234567893*20251231*{pairs}")
    return "~\n".join(segs)


def reversal(original: Decision, corrected: Decision, **kwargs: Any) -> str:
    return remit([reversal_claims(original, corrected)], **kwargs)


def count(session: Session, model: type[m.Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def claim(session: Session, number: str) -> m.Claim:
    found = session.scalar(select(m.Claim).where(m.Claim.claim_number == number))
    assert found is not None
    return found


def open_items(session: Session, number: str | None = None) -> list[m.WorkItem]:
    q = select(m.WorkItem).where(m.WorkItem.status == "open").order_by(m.WorkItem.id)
    if number is not None:
        q = q.where(m.WorkItem.reference == number)
    return list(session.scalars(q))


def table_counts(session: Session) -> dict[str, int]:
    return {
        t: count(session, model)
        for t, model in (
            ("claims", m.Claim),
            ("audit", m.AuditEntry),
            ("work", m.WorkItem),
            ("remittances", m.Remittance),
            ("payments", m.Payment),
            ("claim_payments", m.ClaimPayment),
            ("line_payments", m.LinePayment),
            ("adjustments", m.Adjustment),
            ("visits", m.Visit),
            ("lines", m.ClaimLine),
        )
    }


def post_835(ledger: Ledger, config: Config, text: str, name: str = "r.835") -> PostSummary:
    """Post an 835's text in a transaction of its own."""
    with ledger.transaction() as s:
        return post_text(s, text, name, who=WHO, config=config, as_of=None)


def paid_in_full(c: SimClaim) -> list[LineDecision]:
    """medicare_visit's lines paid: 97110 x2 ($96) allowed $60, 97140 ($47) allowed $20;
    coinsurance 20%, sequestration 2% (CO-253)."""
    return [
        paid(c.lines[0], D("60.00"), D("12.00"), D("0.96")),
        paid(c.lines[1], D("20.00"), D("4.00"), D("0.32")),
    ]
