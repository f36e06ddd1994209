"""The files the ledger exchanges with payers: the 837P submissions sent, the 999/277CA
acknowledgements applied and the 835 remittances posted; each list paged, and each file's
own rows (claims sent, results, claim payments) paged too."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.web.queries.common import PAGE, adjustment, claim_status, get_or_404, paged


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- submissions (837P out) ---------------------------------------------------------------------


def _submission(s: m.Submission) -> dict[str, Any]:
    return {
        "id": s.id,
        "interchange_control_number": s.interchange_control_number,
        "group_control_number": s.group_control_number,
        "file_name": s.file_name,
        "created_on": s.created_on,
        "claim_count": s.claim_count,
        "total_charge": s.total_charge,
    }


def list_submissions(session: Session, *, limit: int = PAGE, offset: int = 0) -> dict[str, Any]:
    """The 837P interchanges sent, the newest first."""
    rows = session.scalars(
        select(m.Submission).order_by(m.Submission.id.desc()).limit(limit).offset(offset)
    )
    return paged(
        "submissions",
        [_submission(s) for s in rows],
        limit=limit,
        offset=offset,
        total=_count(session, m.Submission),
    )


def submission_detail(
    session: Session, submission_id: int, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """One interchange and a page of the claims it carried."""
    s = get_or_404(session, m.Submission, submission_id, "submission")
    rows = session.execute(
        select(
            m.Claim.claim_number, m.Claim.state, m.Claim.charge, m.SubmissionClaim.transaction_set
        )
        .join(m.SubmissionClaim, m.SubmissionClaim.claim_id == m.Claim.id)
        .where(m.SubmissionClaim.submission_id == s.id)
        .order_by(m.Claim.claim_number)
        .limit(limit)
        .offset(offset)
    ).all()
    claims = [
        {"claim_number": n, "state": st, "charge": ch, "transaction_set": ts}
        for n, st, ch, ts in rows
    ]
    total = _count(session, m.SubmissionClaim, m.SubmissionClaim.submission_id == s.id)
    return {
        **_submission(s),
        "sha256": s.sha256,
        **paged("claims", claims, limit=limit, offset=offset, total=total),
    }


def submission_text(session: Session, submission_id: int) -> tuple[str, str]:
    s = get_or_404(session, m.Submission, submission_id, "submission")
    return s.file_name, s.content


# --- acknowledgements (999, 277CA in) -----------------------------------------------------------


def list_acknowledgements(
    session: Session, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """The acknowledgements applied, the newest first, with their result counts."""
    acks = session.scalars(
        select(m.Acknowledgement).order_by(m.Acknowledgement.id.desc()).limit(limit).offset(offset)
    ).all()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"results": 0, "rejected": 0})
    for ack_id, status, n in session.execute(
        select(m.AckResult.ack_id, m.AckResult.status, func.count())
        .where(m.AckResult.ack_id.in_([a.id for a in acks]))
        .group_by(m.AckResult.ack_id, m.AckResult.status)
    ):
        counts[ack_id]["results"] += n
        if status == "rejected":
            counts[ack_id]["rejected"] += n
    rows = [
        {
            "id": a.id,
            "kind": a.kind,
            "file_name": a.file_name,
            "received_on": a.received_on,
            **counts[a.id],
        }
        for a in acks
    ]
    total = _count(session, m.Acknowledgement)
    return paged("acknowledgements", rows, limit=limit, offset=offset, total=total)


def acknowledgement_detail(
    session: Session, ack_id: int, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """One acknowledgement and a page of its results (a claim accepted, rejected...)."""
    a = get_or_404(session, m.Acknowledgement, ack_id, "acknowledgement")
    rows = session.execute(
        select(m.AckResult, m.Claim.claim_number)
        .outerjoin(m.Claim, m.Claim.id == m.AckResult.claim_id)
        .where(m.AckResult.ack_id == a.id)
        .order_by(m.AckResult.id)
        .limit(limit)
        .offset(offset)
    ).all()
    results = [
        {
            "reference": r.reference,
            "claim_number": n,
            "version": r.version,
            "status": r.status,
            "detail": r.detail,
        }
        for r, n in rows
    ]
    total = _count(session, m.AckResult, m.AckResult.ack_id == a.id)
    return {
        "id": a.id,
        "kind": a.kind,
        "file_name": a.file_name,
        "received_on": a.received_on,
        **paged("results", results, limit=limit, offset=offset, total=total),
    }


# --- remittances (835 in) -----------------------------------------------------------------------


def _unmatched(session: Session, remittance_ids: list[int]) -> dict[int, int]:
    return dict(
        session.execute(
            select(m.Payment.remittance_id, func.count())
            .join(m.ClaimPayment, m.ClaimPayment.payment_id == m.Payment.id)
            .where(m.ClaimPayment.claim_id.is_(None), m.Payment.remittance_id.in_(remittance_ids))
            .group_by(m.Payment.remittance_id)
        ).all()
    )


def list_remittances(session: Session, *, limit: int = PAGE, offset: int = 0) -> dict[str, Any]:
    """The 835s posted, the newest first."""
    remits = session.scalars(
        select(m.Remittance).order_by(m.Remittance.id.desc()).limit(limit).offset(offset)
    ).all()
    unmatched = _unmatched(session, [r.id for r in remits])
    rows = [
        {
            "id": r.id,
            "file_name": r.file_name,
            "received_on": r.received_on,
            "payment_count": r.payment_count,
            "claim_count": r.claim_count,
            "total_paid": r.total_paid,
            "unmatched": unmatched.get(r.id, 0),
        }
        for r in remits
    ]
    total = _count(session, m.Remittance)
    return paged("remittances", rows, limit=limit, offset=offset, total=total)


def _payments(session: Session, remittance_id: int) -> list[dict[str, Any]]:
    """The payments of one 835 (a BPR/TRN each) with their provider-level adjustments."""
    payments = session.scalars(
        select(m.Payment).where(m.Payment.remittance_id == remittance_id).order_by(m.Payment.id)
    ).all()
    plb: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for x in session.scalars(
        select(m.ProviderAdjustment)
        .where(m.ProviderAdjustment.payment_id.in_([p.id for p in payments]))
        .order_by(m.ProviderAdjustment.id)
    ):
        plb[x.payment_id].append({"reason": x.reason, "reference": x.reference, "amount": x.amount})
    return [
        {
            "trace_number": p.trace_number,
            "payment_date": p.payment_date,
            "amount": p.amount,
            "method": p.method,
            "payer": p.payer_name,
            "payee_npi": p.payee_npi,
            "provider_adjustments": plb[p.id],
        }
        for p in payments
    ]


def remittance_detail(
    session: Session, remittance_id: int, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """What one 835 posted: its payments, and a page of its claim payments (each matched to
    a claim or not, with its adjustments)."""
    r = get_or_404(session, m.Remittance, remittance_id, "remittance")
    of_file = (m.Payment.id == m.ClaimPayment.payment_id) & (m.Payment.remittance_id == r.id)
    rows = session.execute(
        select(m.ClaimPayment, m.Claim.claim_number, m.Payment.trace_number)
        .join(m.Payment, of_file)
        .outerjoin(m.Claim, m.Claim.id == m.ClaimPayment.claim_id)
        .order_by(m.ClaimPayment.id)
        .limit(limit)
        .offset(offset)
    ).all()
    adjustments: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in session.scalars(
        select(m.Adjustment)
        .where(m.Adjustment.claim_payment_id.in_([cp.id for cp, _, _ in rows]))
        .order_by(m.Adjustment.id)
    ):
        adjustments[a.claim_payment_id].append(adjustment(a))
    claims = [
        {
            "trace_number": trace,
            "clp01": cp.clp01,
            "claim_number": number,
            "matched": number is not None,
            "status": cp.status,
            "status_text": claim_status(cp.status),
            "charge": cp.charge,
            "paid": cp.paid,
            "patient_responsibility": cp.patient_responsibility,
            "reversal": cp.reversal,
            "state_after": cp.state_after,
            "adjustments": adjustments[cp.id],
        }
        for cp, number, trace in rows
    ]
    counted = select(func.count()).select_from(m.ClaimPayment).join(m.Payment, of_file)
    total = session.scalar(counted) or 0
    unmatched = _unmatched(session, [r.id]).get(r.id, 0)
    return {
        "id": r.id,
        "file_name": r.file_name,
        "received_on": r.received_on,
        "payment_count": r.payment_count,
        "claim_count": r.claim_count,
        "total_paid": r.total_paid,
        "sha256": r.sha256,
        "payments": _payments(session, r.id),
        "matched": total - unmatched,
        "unmatched": unmatched,
        **paged("claims", claims, limit=limit, offset=offset, total=total),
    }
