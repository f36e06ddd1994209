"""What the pages and the API show: read-only queries over the ledger, as plain dicts.

The API returns these dicts as JSON and the pages render the same dicts, so that a figure is
computed once. Nothing here writes; changes go through the ledger's workflow functions.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.remit.actions import outstanding
from ptbill.web.errors import NotFound
from ptbill.web.segments import claim_segments_835, claim_segments_837

PAGE = 50


def _patient_name(p: m.Patient) -> str:
    return f"{p.last_name}, {p.first_name}"


def _current_version(session: Session, claim: m.Claim) -> m.ClaimVersion:
    return session.scalars(
        select(m.ClaimVersion).where(
            m.ClaimVersion.claim_id == claim.id, m.ClaimVersion.version == claim.version
        )
    ).one()


def claim_row(c: m.Claim, payer: m.Payer, patient: m.Patient) -> dict[str, Any]:
    return {
        "claim_number": c.claim_number,
        "visit_id": c.claim_number,
        "state": c.state,
        "version": c.version,
        "date_of_service": c.date_of_service,
        "payer": payer.key,
        "payer_name": payer.name,
        "patient_id": patient.id,
        "patient": _patient_name(patient),
        "charge": c.charge,
        "expected_payment": c.expected_payment,
        "paid": c.paid,
        "patient_responsibility": c.patient_responsibility,
        "balance": outstanding(c),
        "first_submitted_on": c.first_submitted_on,
        "determined_on": c.determined_on,
    }


def list_claims(
    session: Session,
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
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "claims": [claim_row(c, p, pt) for c, p, pt in rows],
    }


def state_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(m.Claim.state, func.count()).group_by(m.Claim.state)).all())


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


def _claim(session: Session, claim_number: str) -> tuple[m.Claim, m.Payer, m.Patient]:
    row = session.execute(
        select(m.Claim, m.Payer, m.Patient)
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .join(m.Patient, m.Patient.id == m.Claim.patient_id)
        .where(m.Claim.claim_number == claim_number)
    ).first()
    if row is None:
        raise NotFound("claim", claim_number)
    return row[0], row[1], row[2]


def claim_detail(session: Session, claim_number: str) -> dict[str, Any]:
    """Everything about one claim: lines (units explained, modifiers, price), findings,
    versions, audit trail, submissions, acknowledgements, payments, work and appeals."""
    c, payer, patient = _claim(session, claim_number)
    version = _current_version(session, c)
    lines = session.scalars(
        select(m.ClaimLine)
        .where(m.ClaimLine.version_id == version.id)
        .order_by(m.ClaimLine.line_number)
    ).all()
    out = claim_row(c, payer, patient)
    visit = session.get(m.Visit, c.visit_pk)
    assert visit is not None
    out.update(
        {
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
                    .where(m.AckResult.claim_id == c.id)
                    .order_by(m.AckResult.id)
                )
            ],
            "payments": _claim_payments(session, c.id),
            "work_items": [
                work_item(w)
                for w in session.scalars(
                    select(m.WorkItem).where(m.WorkItem.claim_id == c.id).order_by(m.WorkItem.id)
                )
            ],
            "appeals": [
                {"id": a.id, "level": a.level, "created_on": a.created_on, "due_date": a.due_date}
                for a in session.scalars(
                    select(m.Appeal).where(m.Appeal.claim_id == c.id).order_by(m.Appeal.id)
                )
            ],
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


def adjustment(a: m.Adjustment) -> dict[str, Any]:
    return {
        "group": a.group_code,
        "carc": a.carc,
        "rarc": a.rarc,
        "amount": a.amount,
        "category": a.category,
        "action": a.action,
    }


def work_item(w: m.WorkItem) -> dict[str, Any]:
    return {
        "id": w.id,
        "claim_id": w.reference if w.claim_id else None,
        "reference": w.reference,
        "visit_id": w.visit_id,
        "kind": w.kind,
        "category": w.category,
        "carc": w.carc,
        "rarc": w.rarc,
        "amount": w.amount,
        "action": w.action,
        "detail": w.detail,
        "due_date": w.due_date,
        "status": w.status,
        "created_on": w.created_on,
        "closed_on": w.closed_on,
        "resolution": w.resolution,
        "source": w.source,
    }


def claim_segments(session: Session, claim_number: str) -> dict[str, list[dict[str, Any]]]:
    """The 837P and 835 segments that concern the claim, per file that carried them."""
    c, _, _ = _claim(session, claim_number)
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


# --- visits ------------------------------------------------------------------------------------


def visit_detail(session: Session, visit_id: str) -> dict[str, Any]:
    row = session.execute(
        select(m.Visit, m.Claim)
        .join(m.Claim, m.Claim.visit_pk == m.Visit.id)
        .where(m.Visit.visit_id == visit_id)
    ).first()
    if row is None:
        raise NotFound("visit", visit_id)
    v, c = row
    return {
        "visit_id": v.visit_id,
        "date_of_service": v.date_of_service,
        "claim_number": c.claim_number,
        "claim_state": c.state,
        "source_file": v.source_file,
        "imported_on": v.imported_on,
        "derived": (v.derived or "").split(",") if v.derived else [],
        "visit": json.loads(v.source_json),
        "effective": json.loads(v.effective_json) if v.effective_json else None,
    }


def list_visits(session: Session, *, limit: int = PAGE, offset: int = 0) -> dict[str, Any]:
    q = (
        select(
            m.Visit.visit_id,
            m.Visit.date_of_service,
            m.Claim.state,
            m.Payer.key,
            m.Visit.patient_id,
        )
        .join(m.Claim, m.Claim.visit_pk == m.Visit.id)
        .join(m.Payer, m.Payer.id == m.Visit.payer_id)
    )
    total = session.scalar(select(func.count()).select_from(m.Visit))
    rows = session.execute(
        q.order_by(m.Visit.date_of_service.desc(), m.Visit.visit_id).limit(limit).offset(offset)
    ).all()
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "visits": [
            {"visit_id": v, "date_of_service": d, "claim_state": s, "payer": p, "patient_id": pid}
            for v, d, s, p, pid in rows
        ],
    }


# --- findings ---------------------------------------------------------------------------------


def list_findings(
    session: Session,
    *,
    severity: str | None = None,
    rule: str | None = None,
    category: str | None = None,
    state: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The findings of every claim's current version (filtered), newest claims first."""
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
        .where(m.ClaimVersion.findings_json != "[]")
    )
    if state:
        q = q.where(m.Claim.state == state)
    out: list[dict[str, Any]] = []
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
            out.append(
                {"claim_number": number, "claim_state": claim_state, "date_of_service": dos, **f}
            )
            if len(out) >= limit:
                return out
    return out


# --- submissions, acknowledgements, remittances -------------------------------------------------


def list_submissions(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "interchange_control_number": s.interchange_control_number,
            "group_control_number": s.group_control_number,
            "file_name": s.file_name,
            "created_on": s.created_on,
            "claim_count": s.claim_count,
            "total_charge": s.total_charge,
        }
        for s in session.scalars(select(m.Submission).order_by(m.Submission.id.desc()))
    ]


def submission_detail(session: Session, submission_id: int) -> dict[str, Any]:
    s = session.get(m.Submission, submission_id)
    if s is None:
        raise NotFound("submission", submission_id)
    claims = session.execute(
        select(
            m.Claim.claim_number, m.Claim.state, m.Claim.charge, m.SubmissionClaim.transaction_set
        )
        .join(m.SubmissionClaim, m.SubmissionClaim.claim_id == m.Claim.id)
        .where(m.SubmissionClaim.submission_id == s.id)
        .order_by(m.Claim.claim_number)
    ).all()
    return {
        "id": s.id,
        "interchange_control_number": s.interchange_control_number,
        "group_control_number": s.group_control_number,
        "file_name": s.file_name,
        "created_on": s.created_on,
        "claim_count": s.claim_count,
        "total_charge": s.total_charge,
        "sha256": s.sha256,
        "claims": [
            {"claim_number": n, "state": st, "charge": ch, "transaction_set": ts}
            for n, st, ch, ts in claims
        ],
    }


def submission_text(session: Session, submission_id: int) -> tuple[str, str]:
    s = session.get(m.Submission, submission_id)
    if s is None:
        raise NotFound("submission", submission_id)
    return s.file_name, s.content


def list_acknowledgements(session: Session) -> list[dict[str, Any]]:
    counts = dict(
        session.execute(select(m.AckResult.ack_id, func.count()).group_by(m.AckResult.ack_id)).all()
    )
    rejected = dict(
        session.execute(
            select(m.AckResult.ack_id, func.count())
            .where(m.AckResult.status == "rejected")
            .group_by(m.AckResult.ack_id)
        ).all()
    )
    return [
        {
            "id": a.id,
            "kind": a.kind,
            "file_name": a.file_name,
            "received_on": a.received_on,
            "results": counts.get(a.id, 0),
            "rejected": rejected.get(a.id, 0),
        }
        for a in session.scalars(select(m.Acknowledgement).order_by(m.Acknowledgement.id.desc()))
    ]


def acknowledgement_detail(session: Session, ack_id: int) -> dict[str, Any]:
    a = session.get(m.Acknowledgement, ack_id)
    if a is None:
        raise NotFound("acknowledgement", ack_id)
    results = session.execute(
        select(m.AckResult, m.Claim.claim_number)
        .outerjoin(m.Claim, m.Claim.id == m.AckResult.claim_id)
        .where(m.AckResult.ack_id == a.id)
        .order_by(m.AckResult.id)
    ).all()
    return {
        "id": a.id,
        "kind": a.kind,
        "file_name": a.file_name,
        "received_on": a.received_on,
        "results": [
            {
                "reference": r.reference,
                "claim_number": n,
                "version": r.version,
                "status": r.status,
                "detail": r.detail,
            }
            for r, n in results
        ],
    }


def list_remittances(session: Session) -> list[dict[str, Any]]:
    unmatched = dict(
        session.execute(
            select(m.Payment.remittance_id, func.count())
            .join(m.ClaimPayment, m.ClaimPayment.payment_id == m.Payment.id)
            .where(m.ClaimPayment.claim_id.is_(None))
            .group_by(m.Payment.remittance_id)
        ).all()
    )
    return [
        {
            "id": r.id,
            "file_name": r.file_name,
            "received_on": r.received_on,
            "payment_count": r.payment_count,
            "claim_count": r.claim_count,
            "total_paid": r.total_paid,
            "unmatched": unmatched.get(r.id, 0),
        }
        for r in session.scalars(select(m.Remittance).order_by(m.Remittance.id.desc()))
    ]


def remittance_detail(session: Session, remittance_id: int) -> dict[str, Any]:
    """What one 835 posted: each payment, each claim payment (matched or not), PLB."""
    r = session.get(m.Remittance, remittance_id)
    if r is None:
        raise NotFound("remittance", remittance_id)
    payments = []
    for p in session.scalars(
        select(m.Payment).where(m.Payment.remittance_id == r.id).order_by(m.Payment.id)
    ):
        claims = []
        for cp, number in session.execute(
            select(m.ClaimPayment, m.Claim.claim_number)
            .outerjoin(m.Claim, m.Claim.id == m.ClaimPayment.claim_id)
            .where(m.ClaimPayment.payment_id == p.id)
            .order_by(m.ClaimPayment.id)
        ):
            adjustments = session.scalars(
                select(m.Adjustment)
                .where(m.Adjustment.claim_payment_id == cp.id)
                .order_by(m.Adjustment.id)
            ).all()
            claims.append(
                {
                    "clp01": cp.clp01,
                    "claim_number": number,
                    "matched": number is not None,
                    "status": cp.status,
                    "charge": cp.charge,
                    "paid": cp.paid,
                    "patient_responsibility": cp.patient_responsibility,
                    "reversal": cp.reversal,
                    "state_after": cp.state_after,
                    "adjustments": [adjustment(a) for a in adjustments],
                }
            )
        plb = [
            {"reason": x.reason, "reference": x.reference, "amount": x.amount}
            for x in session.scalars(
                select(m.ProviderAdjustment)
                .where(m.ProviderAdjustment.payment_id == p.id)
                .order_by(m.ProviderAdjustment.id)
            )
        ]
        payments.append(
            {
                "trace_number": p.trace_number,
                "payment_date": p.payment_date,
                "amount": p.amount,
                "method": p.method,
                "payer": p.payer_name,
                "payee_npi": p.payee_npi,
                "claims": claims,
                "provider_adjustments": plb,
            }
        )
    return {
        "id": r.id,
        "file_name": r.file_name,
        "received_on": r.received_on,
        "payment_count": r.payment_count,
        "claim_count": r.claim_count,
        "total_paid": r.total_paid,
        "sha256": r.sha256,
        "payments": payments,
        "matched": sum(c["matched"] for p in payments for c in p["claims"]),
        "unmatched": sum(not c["matched"] for p in payments for c in p["claims"]),
    }


# --- patients -----------------------------------------------------------------------------------


def list_patients(
    session: Session, *, search: str | None = None, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    claims = (
        select(
            m.Claim.patient_id,
            func.count().label("n"),
            func.max(m.Claim.date_of_service).label("last"),
        )
        .group_by(m.Claim.patient_id)
        .subquery()
    )
    q = select(m.Patient, claims.c.n, claims.c.last).outerjoin(
        claims, claims.c.patient_id == m.Patient.id
    )
    count = select(func.count()).select_from(m.Patient)
    if search:
        like = f"%{search}%"
        cond = (
            m.Patient.last_name.ilike(like)
            | m.Patient.first_name.ilike(like)
            | m.Patient.external_id.ilike(like)
        )
        q, count = q.where(cond), count.where(cond)
    rows = session.execute(
        q.order_by(m.Patient.last_name, m.Patient.first_name, m.Patient.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return {
        "total": session.scalar(count),
        "limit": limit,
        "offset": offset,
        "patients": [
            {
                "id": p.id,
                "external_id": p.external_id,
                "name": _patient_name(p),
                "claims": n or 0,
                "last_visit": last,
            }
            for p, n, last in rows
        ],
    }


def patient_row(session: Session, patient_id: int) -> m.Patient:
    p = session.get(m.Patient, patient_id)
    if p is None:
        raise NotFound("patient", patient_id)
    return p


def current_findings(session: Session, claim_numbers: list[str]) -> dict[str, list[dict]]:
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
            .where(m.Claim.claim_number.in_(claim_numbers[i : i + 500]))
        )
        for number, text in session.execute(q):
            out[number] = json.loads(text)
    return out


def claim_facts(session: Session, claim_numbers: list[str]) -> dict[str, dict[str, Any]]:
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
            )
            .join(p, p.id == c.payer_id)
            .join(pt, pt.id == c.patient_id)
            .where(c.claim_number.in_(claim_numbers[i : i + 500]))
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
        ) in session.execute(q):
            out[number] = {
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


def collections_by_month(
    session: Session, as_of: dt.date, months: int = 6
) -> list[tuple[str, Decimal]]:
    """What payers paid on claims (reversals net), by month of the payer's decision, for the
    `months` months up to as_of."""
    first = dt.date(as_of.year, as_of.month, 1)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    totals: dict[str, Decimal] = {}
    q = select(m.ClaimPayment.determined_on, m.ClaimPayment.paid).where(
        m.ClaimPayment.determined_on >= first, m.ClaimPayment.determined_on <= as_of
    )
    for day, paid in session.execute(q):
        key = day.strftime("%Y-%m")
        totals[key] = totals.get(key, Decimal(0)) + paid
    out = []
    month = first
    while month <= as_of:
        key = month.strftime("%Y-%m")
        out.append((key, totals.get(key, Decimal(0))))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def open_work_counts(session: Session) -> dict[str, int]:
    """Open work items by kind."""
    return dict(
        session.execute(
            select(m.WorkItem.kind, func.count())
            .where(m.WorkItem.status == "open")
            .group_by(m.WorkItem.kind)
        ).all()
    )
