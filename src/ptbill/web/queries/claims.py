"""Claims: the list, one claim in full, its segments, its findings; and the facts and
findings of many claims at once for the work pages."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope
from ptbill.remit.actions import outstanding, sent_for
from ptbill.remit.worklist import claim_items
from ptbill.web.problems import NotFound
from ptbill.web.queries.common import PAGE, adjustment, claim_status, paged, patient_name
from ptbill.web.segments import claim_segments_835, claim_segments_837


def _current_version(session: Session, claim: m.Claim) -> m.ClaimVersion:
    return session.scalars(
        select(m.ClaimVersion).where(
            m.ClaimVersion.claim_id == claim.id, m.ClaimVersion.version == claim.version
        )
    ).one()


SEQUENCE_NAMES = {1: "primary", 2: "secondary", 3: "tertiary"}


def payer_chain(session: Session, claim: m.Claim) -> list[dict[str, Any]]:
    """The claims of `claim`'s visit, one per payer in order (primary, secondary...)."""
    head = claim.primary_claim_id or claim.id
    q = (
        select(m.Claim, m.Payer.key)
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .where((m.Claim.id == head) | (m.Claim.primary_claim_id == head))
        .order_by(m.Claim.sequence)
    )
    return [
        {
            "claim_id": c.claim_number,
            "sequence": c.sequence,
            "role": SEQUENCE_NAMES.get(c.sequence, str(c.sequence)),
            "payer": key,
            "state": c.state,
            "crossover": c.crossover,
            "charge": c.charge,
            "paid": c.paid,
            "patient_responsibility": c.patient_responsibility,
            "this": c.id == claim.id,
        }
        for c, key in session.execute(q)
    ]


def claim_row(
    c: m.Claim, payer: m.Payer, patient: m.Patient, sent: dict[int, Decimal] | None = None
) -> dict[str, Any]:
    """A claim as the lists show it (`sent`: what next payers' claims were billed for, by
    claim id: their balance is owed out of that, not out of the visit's charge)."""
    return {
        "claim_number": c.claim_number,
        "visit_id": c.claim_number,
        "state": c.state,
        "version": c.version,
        "date_of_service": c.date_of_service,
        "payer": payer.key,
        "payer_name": payer.name,
        "patient_id": patient.id,
        "patient": patient_name(patient),
        "charge": c.charge,
        "expected_payment": c.expected_payment,
        "paid": c.paid,
        "patient_responsibility": c.patient_responsibility,
        "balance": outstanding(c, (sent or {}).get(c.id)),
        "first_submitted_on": c.first_submitted_on,
        "determined_on": c.determined_on,
    }


def list_claims(
    session: Session,
    scope: Scope,
    *,
    state: str | None = None,
    payer: str | None = None,
    patient_id: int | None = None,
    search: str | None = None,
    limit: int = PAGE,
    offset: int = 0,
) -> dict[str, Any]:
    q = (
        select(m.Claim, m.Payer, m.Patient)
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .join(m.Patient, m.Patient.id == m.Claim.patient_id)
        .where(scope.patients())
    )
    if state:
        q = q.where(m.Claim.state == state)
    if payer:
        q = q.where(m.Payer.key == payer)
    if patient_id is not None:
        q = q.where(m.Claim.patient_id == patient_id)
    if search:
        q = q.where(m.Claim.claim_number.contains(search))
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    rows = session.execute(
        q.order_by(m.Claim.date_of_service.desc(), m.Claim.claim_number).limit(limit).offset(offset)
    ).all()
    sent = sent_for(session, [c for c, _, _ in rows])
    claims = [claim_row(c, p, pt, sent) for c, p, pt in rows]
    return paged("claims", claims, limit=limit, offset=offset, total=total)


def state_counts(session: Session, scope: Scope) -> dict[str, int]:
    return dict(
        session.execute(
            select(m.Claim.state, func.count()).where(scope.claims()).group_by(m.Claim.state)
        ).all()
    )


def _line(x: m.ClaimLine) -> dict[str, Any]:
    price = json.loads(x.price_json) if x.price_json else {}
    return {
        "line_number": x.line_number,
        "code": x.code,
        "modifiers": x.modifiers.split(),
        "units": x.units,
        "minutes": x.minutes,
        "assistant_minutes": x.assistant_minutes,
        "diagnosis_pointers": [int(p) for p in x.pointers.split(",") if p],
        "charge": x.charge,
        "control_number": x.control_number,
        "units_explanation": json.loads(x.explanation_json),
        "price_status": x.price_status,
        "expected_allowed": x.expected_allowed,
        "expected_payment": x.expected_payment,
        "expected_patient": x.expected_patient,
        "price_basis": price.get("basis", []),
        "price_source": price.get("source") or None,
    }


def _claim(session: Session, scope: Scope, claim_number: str) -> tuple[m.Claim, m.Payer, m.Patient]:
    row = session.execute(
        select(m.Claim, m.Payer, m.Patient)
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .join(m.Patient, m.Patient.id == m.Claim.patient_id)
        .where(m.Claim.claim_number == claim_number, scope.patients())
    ).first()
    if row is None:
        raise NotFound("claim", claim_number)
    return row[0], row[1], row[2]


def claim_detail(session: Session, scope: Scope, claim_number: str) -> dict[str, Any]:
    """Everything about one claim: lines (units explained, modifiers, price), findings,
    versions, audit trail, submissions, acknowledgements, payments, work, appeals and the
    visit's chain of payers."""
    c, payer, patient = _claim(session, scope, claim_number)
    version = _current_version(session, c)
    lines = session.scalars(
        select(m.ClaimLine)
        .where(m.ClaimLine.version_id == version.id)
        .order_by(m.ClaimLine.line_number)
    ).all()
    out = claim_row(c, payer, patient, sent_for(session, [c]))
    visit = session.get(m.Visit, c.visit_pk)
    assert visit is not None
    out.update(
        {
            "patient_external_id": patient.external_id,
            "clinic_id": patient.clinic_id,
            "contractual": c.contractual,
            "denied": c.denied,
            "written_off": c.written_off,
            "expected_allowed": c.expected_allowed,
            "payer_control_number": c.payer_control_number,
            "last_submitted_on": c.last_submitted_on,
            "created_on": c.created_on,
            "closed_on": c.closed_on,
            "frequency_code": version.frequency_code,
            "scrub_status": version.scrub_status,
            "findings": json.loads(version.findings_json),
            "pricing_notes": json.loads(version.pricing_notes_json or "[]"),
            "lines": [_line(x) for x in lines],
            "diagnoses": json.loads(visit.source_json).get("diagnoses", []),
            "derived": (visit.derived or "").split(",") if visit.derived else [],
            "versions": [
                {
                    "version": v.version,
                    "frequency_code": v.frequency_code,
                    "original_claim_id": v.original_claim_id,
                    "scrub_status": v.scrub_status,
                    "charge": v.charge,
                    "created_on": v.created_on,
                    "reason": v.reason,
                }
                for v in session.scalars(
                    select(m.ClaimVersion)
                    .where(m.ClaimVersion.claim_id == c.id)
                    .order_by(m.ClaimVersion.version)
                )
            ],
            "audit": [
                {
                    "on_date": a.on_date,
                    "who": a.who,
                    "from_state": a.from_state,
                    "to_state": a.to_state,
                    "why": a.why,
                }
                for a in session.scalars(
                    select(m.AuditEntry)
                    .where(m.AuditEntry.claim_id == c.id)
                    .order_by(m.AuditEntry.id)
                )
            ],
            "submissions": [
                {
                    "id": s.id,
                    "interchange_control_number": s.interchange_control_number,
                    "created_on": s.created_on,
                    "file_name": s.file_name,
                    "transaction_set": sc.transaction_set,
                    "version": session.scalar(
                        select(m.ClaimVersion.version).where(m.ClaimVersion.id == sc.version_id)
                    ),
                }
                for sc, s in session.execute(
                    select(m.SubmissionClaim, m.Submission)
                    .join(m.Submission, m.Submission.id == m.SubmissionClaim.submission_id)
                    .options(defer(m.Submission.content))  # a day's 837P: 20 MB, not shown
                    .where(m.SubmissionClaim.claim_id == c.id)
                    .order_by(m.Submission.id)
                )
            ],
            "acknowledgements": [
                {
                    "kind": a.kind,
                    "received_on": a.received_on,
                    "file_name": a.file_name,
                    "status": r.status,
                    "detail": r.detail,
                }
                for r, a in session.execute(
                    select(m.AckResult, m.Acknowledgement)
                    .join(m.Acknowledgement, m.Acknowledgement.id == m.AckResult.ack_id)
                    .options(defer(m.Acknowledgement.content))
                    .where(m.AckResult.claim_id == c.id)
                    .order_by(m.AckResult.id)
                )
            ],
            "payments": _claim_payments(session, c.id),
            "work_items": claim_items(session, c.id, None),
            "appeals": [
                {"id": a.id, "level": a.level, "created_on": a.created_on, "due_date": a.due_date}
                for a in session.scalars(
                    select(m.Appeal).where(m.Appeal.claim_id == c.id).order_by(m.Appeal.id)
                )
            ],
            "payers": payer_chain(session, c),
        }
    )
    return out


def _claim_payments(session: Session, claim_id: int) -> list[dict[str, Any]]:
    out = []
    rows = session.execute(
        select(m.ClaimPayment, m.Payment)
        .join(m.Payment, m.Payment.id == m.ClaimPayment.payment_id)
        .where(m.ClaimPayment.claim_id == claim_id)
        .order_by(m.ClaimPayment.id)
    ).all()
    for cp, pay in rows:
        adjustments = session.scalars(
            select(m.Adjustment)
            .where(m.Adjustment.claim_payment_id == cp.id)
            .order_by(m.Adjustment.id)
        ).all()
        out.append(
            {
                "remittance_id": pay.remittance_id,
                "trace_number": pay.trace_number,
                "payment_date": pay.payment_date,
                "status": cp.status,
                "status_text": claim_status(cp.status),
                "charge": cp.charge,
                "paid": cp.paid,
                "patient_responsibility": cp.patient_responsibility,
                "payer_control_number": cp.payer_control_number,
                "reversal": cp.reversal,
                "state_after": cp.state_after,
                "adjustments": [adjustment(a) for a in adjustments],
            }
        )
    return out


def claim_segments(
    session: Session, scope: Scope, claim_number: str
) -> dict[str, list[dict[str, Any]]]:
    """The 837P and 835 segments that concern the claim, per file that carried them."""
    c, _, _ = _claim(session, scope, claim_number)
    sent = []
    for s in session.scalars(
        select(m.Submission)
        .join(m.SubmissionClaim, m.SubmissionClaim.submission_id == m.Submission.id)
        .where(m.SubmissionClaim.claim_id == c.id)
        .order_by(m.Submission.id)
    ):
        sent.append(
            {
                "submission_id": s.id,
                "file_name": s.file_name,
                "segments": claim_segments_837(s.content, c.claim_number),
            }
        )
    paid = []
    for r in session.scalars(
        select(m.Remittance)
        .join(m.Payment, m.Payment.remittance_id == m.Remittance.id)
        .join(m.ClaimPayment, m.ClaimPayment.payment_id == m.Payment.id)
        .where(m.ClaimPayment.claim_id == c.id)
        .distinct()
        .order_by(m.Remittance.id)
    ):
        paid.append(
            {
                "remittance_id": r.id,
                "file_name": r.file_name,
                "segments": claim_segments_835(r.content, c.claim_number),
            }
        )
    return {"837": sent, "835": paid}


# --- findings ---------------------------------------------------------------------------------


def list_findings(
    session: Session,
    scope: Scope,
    *,
    severity: str | None = None,
    rule: str | None = None,
    category: str | None = None,
    state: str | None = None,
    limit: int = PAGE,
    offset: int = 0,
) -> dict[str, Any]:
    """A page of the findings of every claim's current version (filtered), newest claims
    first. The filters read each claim's findings, so there is no total: `next_offset`
    says whether another page follows."""
    q = (
        select(
            m.Claim.claim_number,
            m.Claim.state,
            m.Claim.date_of_service,
            m.ClaimVersion.findings_json,
        )
        .join(
            m.ClaimVersion,
            (m.ClaimVersion.claim_id == m.Claim.id) & (m.ClaimVersion.version == m.Claim.version),
        )
        .where(m.ClaimVersion.findings_json != "[]", scope.claims())
    )
    if state:
        q = q.where(m.Claim.state == state)
    out: list[dict[str, Any]] = []
    skip = offset
    for number, claim_state, dos, text in session.execute(
        q.order_by(m.Claim.date_of_service.desc(), m.Claim.claim_number)
    ):
        for f in json.loads(text):
            if (
                (severity and f["severity"] != severity)
                or (rule and f["rule"] != rule)
                or (category and f["category"] != category)
            ):
                continue
            if skip:
                skip -= 1
                continue
            out.append(
                {"claim_number": number, "claim_state": claim_state, "date_of_service": dos, **f}
            )
            if len(out) > limit:  # one past the page: another page follows
                return paged("findings", out, limit=limit, offset=offset, total=None)
    return paged("findings", out, limit=limit, offset=offset, total=None)


def current_findings(
    session: Session, scope: Scope, claim_numbers: list[str]
) -> dict[str, list[dict]]:
    """The current version's findings of each claim named."""
    out: dict[str, list[dict]] = {}
    for i in range(0, len(claim_numbers), 500):
        q = (
            select(m.Claim.claim_number, m.ClaimVersion.findings_json)
            .join(
                m.ClaimVersion,
                (m.ClaimVersion.claim_id == m.Claim.id)
                & (m.ClaimVersion.version == m.Claim.version),
            )
            .where(m.Claim.claim_number.in_(claim_numbers[i : i + 500]), scope.claims())
        )
        for number, text in session.execute(q):
            out[number] = json.loads(text)
    return out


def claim_facts(
    session: Session, scope: Scope, claim_numbers: list[str]
) -> dict[str, dict[str, Any]]:
    """State, date of service, patient, payer, charge and paid of each claim named (work
    lists: plain rows, no ORM objects, since a page asks for many)."""
    c, p, pt = m.Claim, m.Payer, m.Patient
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(claim_numbers), 500):
        q = (
            select(
                c.claim_number,
                c.state,
                c.date_of_service,
                c.charge,
                c.paid,
                p.key,
                p.name,
                pt.id,
                pt.last_name,
                pt.first_name,
                c.primary_claim_id,
            )
            .join(p, p.id == c.payer_id)
            .join(pt, pt.id == c.patient_id)
            .where(c.claim_number.in_(claim_numbers[i : i + 500]), scope.patients())
        )
        for (
            number,
            state,
            dos,
            charge,
            paid,
            payer,
            payer_name,
            pid,
            last,
            first,
            primary,
        ) in session.execute(q):
            out[number] = {
                "next_payer": primary is not None,  # its visit is the primary claim's
                "claim_number": number,
                "state": state,
                "date_of_service": dos,
                "payer": payer,
                "payer_name": payer_name,
                "patient_id": pid,
                "patient": f"{last}, {first}",
                "charge": charge,
                "paid": paid,
            }
    return out
