"""Claim status: 276 requests for claims the payer has not answered, 277 answers applied.

- `candidates`: claims still with the payer (submitted or accepted: no remittance) whose last
  submission, or acceptance, is at least the payer's `status_after_days` ago, and that no 276
  asked about within that window.
- `request`: the 276 for them (ptbill.x12.write_276), kept with each claim's trace number.
  A next payer's claim is asked of its payer, for the patient's member id with it; a
  crossover by the claim number the earlier payer forwarded.
- `apply_277`: each claim answered becomes a `claim_status_checks` row, found by its trace
  number (else by our claim id, REF*EJ):
  pending: a submitted claim is in adjudication, so it becomes accepted;
  finalized or denied: the remittance is due; a `status` work item says to get and post it;
  not found (or rejected): the payer has no claim on file, so the claim becomes rejected with a
  `rejection` work item to resubmit it (`ptbill correct`, then `ptbill submit`).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.coding import resolve
from ptbill.config.profiles import Config
from ptbill.denials.classify import payer_due_date
from ptbill.domain.visit import Visit
from ptbill.errors import InputError
from ptbill.ledger import coverages as cov
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.bulk import among
from ptbill.ledger.outbound import Written, record, register_inbound, settings, submitter_of
from ptbill.ledger.scope import EVERYTHING, Scope
from ptbill.ledger.secondary import for_payer
from ptbill.ledger.states import State, audit_row
from ptbill.ledger.submit import stored_visit
from ptbill.x12 import X12Error
from ptbill.x12.kinds import WrongKind, WrongKindError
from ptbill.x12.read_277 import ClaimStatus, read_277
from ptbill.x12.write_270 import Person
from ptbill.x12.write_276 import StatusInquiry, write_276

WITH_PAYER = (str(State.SUBMITTED), str(State.ACCEPTED))
FIX_277 = (
    "check that this is the whole 277 claim status response (005010X212) as it was "
    "received; if it was cut or altered, ask for it again"
)


def candidates(
    session: Session, config: Config, as_of: dt.date, scope: Scope = EVERYTHING
) -> list[m.Claim]:
    """Claims of `scope`'s clinics to ask about on `as_of` (see the module doc), in claim
    order."""
    accepted = (
        select(m.AuditEntry.claim_id, func.max(m.AuditEntry.on_date).label("on"))
        .where(m.AuditEntry.to_state == str(State.ACCEPTED))
        .group_by(m.AuditEntry.claim_id)
        .subquery()
    )
    asked = (
        select(pm.OutboundItem.claim_id, func.max(pm.OutboundFile.created_on).label("on"))
        .join(pm.OutboundFile, pm.OutboundFile.id == pm.OutboundItem.outbound_id)
        .where(pm.OutboundFile.kind == "276", pm.OutboundItem.claim_id.is_not(None))
        .group_by(pm.OutboundItem.claim_id)
        .subquery()
    )
    q = (
        select(m.Claim, m.Payer.key, accepted.c.on, asked.c.on)
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .outerjoin(accepted, accepted.c.claim_id == m.Claim.id)
        .outerjoin(asked, asked.c.claim_id == m.Claim.id)
        .where(m.Claim.state.in_(WITH_PAYER), scope.claims())
        .order_by(m.Claim.id)
    )
    out = []
    for claim, payer, accepted_on, asked_on in session.execute(q):
        profile = config.payer(payer)
        window = dt.timedelta(days=profile.status_after_days if profile else 30)
        since = max(d for d in (claim.last_submitted_on, accepted_on) if d is not None)
        if since + window > as_of:
            continue
        if asked_on is not None and asked_on + window > as_of:
            continue
        out.append(claim)
    return out


def request(
    session: Session,
    config: Config,
    *,
    as_of: dt.date,
    file_name: str,
    claims: list[str] | None = None,
    scope: Scope = EVERYTHING,
) -> Written:
    """The 276 for the claims given, or for every candidate of `scope`'s clinics (nothing to
    ask: empty text)."""
    written = Written("276")
    if claims:
        chosen = list(session.scalars(select(m.Claim).where(m.Claim.claim_number.in_(claims))))
        missing = sorted(set(claims) - {c.claim_number for c in chosen})
        if missing:
            raise InputError(
                f"claim {missing[0]}",
                "no such claim in the ledger",
                "use the claim id shown by `ptbill worklist` (the visit id)",
            )
    else:
        chosen = candidates(session, config, as_of, scope)
    if not chosen:
        return written
    clinics = session.scalars(
        select(m.Clinic.key)
        .join(m.Visit, m.Visit.clinic_id == m.Clinic.id)
        .where(among(session.get_bind().dialect, m.Visit.id, sorted({c.visit_pk for c in chosen})))
    ).all()
    submitter, _ = submitter_of(config, clinics)
    s = settings(session, config, as_of, clinics)
    coverage = cov.of_patients(session, [c.patient_id for c in chosen if c.sequence > 1])
    requests, rows = [], []
    for n, claim in enumerate(chosen, start=1):
        visit_row = session.get(m.Visit, claim.visit_pk)
        assert visit_row is not None
        visit = _as_billed(stored_visit(visit_row), claim, coverage)
        ctx = resolve(visit, config, f"claim {claim.claim_number}")
        p, sub = visit.patient, visit.subscriber
        patient = Person(p.last_name, p.first_name, p.birth_date, p.sex)
        self_pay = sub.relationship == "self"
        subscriber = patient if self_pay else Person(sub.last_name or "", sub.first_name or "")
        trace = f"S{s.interchange_control_number:09d}{n:04d}"
        requests.append(
            StatusInquiry(
                trace=trace,
                payer_name=ctx.profile.payer_name,
                payer_id=ctx.profile.payer_id,
                receiver_name=submitter.name,
                receiver_id=submitter.id,
                provider_name=ctx.billing_provider.name,
                provider_npi=ctx.billing_provider.npi,
                member_id=sub.member_id,
                subscriber=subscriber,
                patient=None if self_pay else patient,
                claim_id=_as_received(session, claim),
                payer_claim_control_number=claim.payer_control_number,
                charge=claim.charge,
                service_from=claim.date_of_service,
                service_to=claim.date_of_service,
            )
        )
        rows.append(
            {
                "trace": trace,
                "patient_id": claim.patient_id,
                "payer_id": claim.payer_id,
                "claim_id": claim.id,
                "visit_id": claim.claim_number,
                "payer_key": visit.payer,
                "service_date": claim.date_of_service,
            }
        )
        written.items.append({"trace": trace, "claim_id": claim.claim_number})
    written.text = write_276(requests, s)
    written.interchange_control_number = s.interchange_control_number
    record(session, written, file_name, as_of, rows)
    return written


def _as_billed(visit: Visit, claim: m.Claim, coverage: dict[int, list[cov.InForce]]) -> Visit:
    """The visit as its claim's payer has it: a next payer's claim (a secondary, a crossover)
    is asked of that payer, for the subscriber of the patient's coverage with it."""
    if claim.sequence == 1:
        return visit
    mine = [c for c in coverage.get(claim.patient_id, []) if c.payer_pk == claim.payer_id]
    found = next((c for c in mine if c.covers(claim.date_of_service)), mine[-1] if mine else None)
    return visit if found is None else for_payer(visit, found.payer_key, found.subscriber)


def _as_received(session: Session, claim: m.Claim) -> str:
    """The claim's id as its payer received it: a crossover is the claim the earlier payer
    forwarded (its number), any other claim our own."""
    if claim.crossover and claim.primary_claim_id is not None:
        head = session.get(m.Claim, claim.primary_claim_id)
        return head.claim_number if head is not None else claim.claim_number
    return claim.claim_number


# --- applying a 277 -------------------------------------------------------------------------


@dataclass
class StatusSummary:
    file: str
    inbound_id: int = 0
    claims: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    work_items: int = 0
    unmatched: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "inbound_id": self.inbound_id,
            "claims": self.claims,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "work_items": self.work_items,
            "unmatched": self.unmatched,
        }


def read_277_text(text: str, name: str) -> list[ClaimStatus]:
    try:
        return read_277(io.StringIO(text))
    except WrongKind as e:  # another kind of file: named with what reads it
        raise WrongKindError(name, e.where() or None, e.problem, e.found) from None
    except X12Error as e:
        raise InputError(name, e.problem, FIX_277, field=e.where() or None) from None


def status_json(c: ClaimStatus) -> dict[str, Any]:
    first = c.statuses[0] if c.statuses else None
    return {
        "trace": c.trace,
        "claim_id": c.claim_id,
        "status": c.status,
        "detail": c.detail,
        "payer_claim_control_number": c.payer_claim_control_number,
        "codes": [
            {"category": x.category, "code": x.code or None, "message": x.message}
            for s in c.statuses[:1]
            for x in s.codes
        ],
        "charge": first.charge if first else None,
        "paid": first.paid if first else None,
        "adjudicated": first.adjudicated if first else None,
        "check_date": first.check_date if first else None,
        "check_number": (first.check_number or None) if first else None,
        "service_start": c.service_start,
        "service_end": c.service_end,
    }


def apply_277(
    session: Session,
    text: str,
    name: str,
    *,
    as_of: dt.date,
    who: str,
    run_id: int | None = None,
) -> StatusSummary:
    """Apply a 277 claim status response (its text) in the caller's transaction, once."""
    answers = read_277_text(text, name)
    inbound = register_inbound(session, text, name, "277", as_of=as_of, run_id=run_id)
    summary = StatusSummary(name, inbound.id)
    items = {
        i.trace: i
        for i in session.scalars(
            select(pm.OutboundItem).where(pm.OutboundItem.trace.in_([a.trace for a in answers]))
        )
    }
    for answer in answers:
        item = items.get(answer.trace)
        claim = None
        if item is not None and item.claim_id is not None:
            claim = session.get(m.Claim, item.claim_id)
        elif answer.claim_id:
            claim = session.scalar(select(m.Claim).where(m.Claim.claim_number == answer.claim_id))
        data = status_json(answer)
        summary.claims.append(data)
        first = answer.statuses[0].codes[0] if answer.statuses else None
        session.add(
            pm.ClaimStatusCheck(
                inbound_id=inbound.id,
                claim_id=claim.id if claim else None,
                trace=answer.trace[:50],
                reference=(answer.claim_id or answer.trace)[:50],
                checked_on=as_of,
                status=answer.status,
                category=first.category[:4] if first else "",
                code=first.code[:10] if first else "",
                detail=answer.detail,
                payer_claim_control_number=answer.payer_claim_control_number,
                paid=data["paid"],
            )
        )
        if claim is None:
            summary.unmatched.append(answer.claim_id or answer.trace)
            continue
        if answer.payer_claim_control_number:
            claim.payer_control_number = answer.payer_claim_control_number
        _apply_one(session, claim, answer, data, inbound.id, summary, as_of, who)
    return summary


def _apply_one(
    session: Session,
    claim: m.Claim,
    answer: ClaimStatus,
    data: dict[str, Any],
    inbound_id: int,
    summary: StatusSummary,
    as_of: dt.date,
    who: str,
) -> None:
    status = answer.status
    if claim.state not in WITH_PAYER:
        return  # already answered by a remittance or a rejection: the 277 is history
    why = f"277 claim status: {answer.detail}"
    if status == "pending" and claim.state == State.SUBMITTED:
        _move(session, claim, State.ACCEPTED, who, as_of, why)
        summary.accepted.append(claim.claim_number)
    elif status in ("finalized", "denied"):
        paid = f", paid {data['paid']}" if data["paid"] is not None else ""
        check = f" (check or EFT {data['check_number']})" if data["check_number"] else ""
        category = "awaiting_remittance" if status == "finalized" else "denied_per_277"
        detail = (
            f"the payer finalized the claim ({answer.detail}{paid}){check} but no 835 was "
            "posted: get the remittance from the clearinghouse or the payer and post it"
        )
        w = m.WorkItem
        open_item = session.scalar(
            select(w).where(w.claim_id == claim.id, w.kind == "status", w.status == "open")
        )
        if open_item is not None:  # asked again, still no 835: the one item, as of now
            open_item.category, open_item.detail = category, detail
            open_item.source = f"277:{inbound_id}"
            return
        _work(
            session,
            claim,
            "status",
            category,
            "get_remittance",
            detail,
            as_of + dt.timedelta(days=14),
            as_of,
            inbound_id,
        )
        summary.work_items += 1
    elif status in ("not_found", "rejected"):
        _move(session, claim, State.REJECTED, who, as_of, why)
        payer = session.get(m.Payer, claim.payer_id)
        assert payer is not None
        due = payer_due_date(
            "correct_and_resubmit",
            payer,
            date_of_service=claim.date_of_service,
            determined_on=as_of,
            processed=False,
        )
        _work(
            session,
            claim,
            "rejection",
            "not_on_file",
            "correct_and_resubmit",
            f"the payer has no record of the claim ({answer.detail}): resubmit it with "
            f"`ptbill correct {claim.claim_number}`, then `ptbill submit`",
            due,
            as_of,
            inbound_id,
        )
        summary.rejected.append(claim.claim_number)
        summary.work_items += 1


def _move(session: Session, claim: m.Claim, to: State, who: str, as_of: dt.date, why: str) -> None:
    session.add(m.AuditEntry(**audit_row(claim.id, claim.state, to, who, as_of, why)))
    claim.state = str(to)


def _work(
    session: Session,
    claim: m.Claim,
    kind: str,
    category: str,
    action: str,
    detail: str,
    due: dt.date,
    as_of: dt.date,
    inbound_id: int,
) -> None:
    session.add(
        m.WorkItem(
            claim_id=claim.id,
            reference=claim.claim_number,
            visit_id=claim.claim_number,
            kind=kind,
            category=category,
            carc=None,
            rarc=None,
            amount=claim.charge,
            action=action,
            detail=detail,
            due_date=due,
            status="open",
            created_on=as_of,
            source=f"277:{inbound_id}",
        )
    )
