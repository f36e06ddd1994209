"""The files the ledger exchanges with payers: the 837P submissions sent, the 999/277CA
acknowledgements applied and the 835 remittances posted; each list paged, and each file's
own rows (claims sent, results, claim payments) paged too.

A file may span clinics: a scoped caller (ptbill.ledger.scope) is shown only its clinics'
part of it (their claims, results, payments and claim payments) with the counts and totals of
that part; a file with nothing of theirs is not found. The 837P text itself is served only
to a caller who may see every claim it carries."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope
from ptbill.web.problems import NotFound
from ptbill.web.queries.common import PAGE, adjustment, claim_status, paged


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _visible(session: Session, model: Any, key: int, seen: Any, what: str) -> Any:
    """The row of `model` whose id is `key` if the scope's predicate `seen` reaches it, else
    NotFound (a file of another clinic is answered as one that does not exist)."""
    # The file's text is read only where it is shown (its download): a day's 837P is MBs.
    row = session.scalar(select(model).options(defer(model.content)).where(model.id == key, seen))
    if row is None:
        raise NotFound(what, key)
    return row


# --- submissions (837P out) ---------------------------------------------------------------------


def _submission(s: m.Submission, part: tuple[int, Decimal] | None) -> dict[str, Any]:
    count, charge = part if part is not None else (s.claim_count, s.total_charge)
    return {
        "id": s.id,
        "interchange_control_number": s.interchange_control_number,
        "group_control_number": s.group_control_number,
        "file_name": s.file_name,
        "created_on": s.created_on,
        "claim_count": count,
        "total_charge": charge,
    }


def _submission_parts(
    session: Session, scope: Scope, ids: list[int]
) -> dict[int, tuple[int, Decimal]] | None:
    """The scope's part of each submission: its claims and their charges (None: unscoped,
    the whole file's stored figures stand)."""
    if scope.everything:
        return None
    q = (
        select(m.SubmissionClaim.submission_id, func.count(), func.sum(m.ClaimVersion.charge))
        .join(m.ClaimVersion, m.ClaimVersion.id == m.SubmissionClaim.version_id)
        .where(
            m.SubmissionClaim.submission_id.in_(ids),
            scope.claim_ids(m.SubmissionClaim.claim_id),
        )
        .group_by(m.SubmissionClaim.submission_id)
    )
    return {sid: (n, Decimal(total or 0)) for sid, n, total in session.execute(q)}


def list_submissions(
    session: Session, scope: Scope, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """The 837P interchanges sent, the newest first."""
    rows = session.scalars(
        select(m.Submission)
        .options(defer(m.Submission.content))
        .where(scope.submissions())
        .order_by(m.Submission.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    parts = _submission_parts(session, scope, [s.id for s in rows])
    return paged(
        "submissions",
        [_submission(s, None if parts is None else parts[s.id]) for s in rows],
        limit=limit,
        offset=offset,
        total=_count(session, m.Submission, scope.submissions()),
    )


def submission_detail(
    session: Session, scope: Scope, submission_id: int, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """One interchange and a page of the claims it carried."""
    s = _visible(session, m.Submission, submission_id, scope.submissions(), "submission")
    mine = (m.SubmissionClaim.submission_id == s.id) & scope.claim_ids(m.SubmissionClaim.claim_id)
    rows = session.execute(
        select(
            m.Claim.claim_number, m.Claim.state, m.Claim.charge, m.SubmissionClaim.transaction_set
        )
        .join(m.SubmissionClaim, m.SubmissionClaim.claim_id == m.Claim.id)
        .where(mine)
        .order_by(m.Claim.claim_number)
        .limit(limit)
        .offset(offset)
    ).all()
    claims = [
        {"claim_number": n, "state": st, "charge": ch, "transaction_set": ts}
        for n, st, ch, ts in rows
    ]
    total = _count(session, m.SubmissionClaim, mine)
    parts = _submission_parts(session, scope, [s.id])
    whole = parts is None or parts[s.id][0] == s.claim_count
    return {
        **_submission(s, None if parts is None else parts[s.id]),
        "sha256": s.sha256 if whole else None,
        # The 837P text carries every claim of the file: only for who may see them all.
        "file_available": whole,
        **paged("claims", claims, limit=limit, offset=offset, total=total),
    }


def submission_text(session: Session, scope: Scope, submission_id: int) -> tuple[str, str]:
    """The 837P as sent, to a caller who may see every claim in it (a file that also carries
    another clinic's claims is not found for a caller of one clinic: ask a company admin)."""
    s = _visible(session, m.Submission, submission_id, scope.submissions(), "submission")
    outside = ~scope.claim_ids(m.SubmissionClaim.claim_id)
    if not scope.everything and _count(
        session, m.SubmissionClaim, m.SubmissionClaim.submission_id == s.id, outside
    ):
        raise NotFound("submission file", submission_id)
    return s.file_name, s.content


# --- acknowledgements (999, 277CA in) -----------------------------------------------------------


def list_acknowledgements(
    session: Session, scope: Scope, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """The acknowledgements applied, the newest first, with their result counts."""
    acks = session.scalars(
        select(m.Acknowledgement)
        .options(defer(m.Acknowledgement.content))
        .where(scope.acknowledgements())
        .order_by(m.Acknowledgement.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"results": 0, "rejected": 0})
    for ack_id, status, n in session.execute(
        select(m.AckResult.ack_id, m.AckResult.status, func.count())
        .where(m.AckResult.ack_id.in_([a.id for a in acks]), scope.claim_ids(m.AckResult.claim_id))
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
    total = _count(session, m.Acknowledgement, scope.acknowledgements())
    return paged("acknowledgements", rows, limit=limit, offset=offset, total=total)


def acknowledgement_detail(
    session: Session, scope: Scope, ack_id: int, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """One acknowledgement and a page of its results (a claim accepted, rejected...)."""
    a = _visible(session, m.Acknowledgement, ack_id, scope.acknowledgements(), "acknowledgement")
    mine = (m.AckResult.ack_id == a.id) & scope.claim_ids(m.AckResult.claim_id)
    rows = session.execute(
        select(m.AckResult, m.Claim.claim_number)
        .outerjoin(m.Claim, m.Claim.id == m.AckResult.claim_id)
        .where(mine)
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
    total = _count(session, m.AckResult, mine)
    return {
        "id": a.id,
        "kind": a.kind,
        "file_name": a.file_name,
        "received_on": a.received_on,
        **paged("results", results, limit=limit, offset=offset, total=total),
    }


# --- remittances (835 in) -----------------------------------------------------------------------


def _remittance_parts(session: Session, scope: Scope, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per 835: the payments, claim payments, amount paid and unmatched claim payments the
    scope sees (unscoped: the whole file's)."""
    parts: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"payment_count": 0, "claim_count": 0, "total_paid": Decimal(0), "unmatched": 0}
    )
    for rid, n, paid in session.execute(
        select(m.Payment.remittance_id, func.count(), func.sum(m.Payment.amount))
        .where(m.Payment.remittance_id.in_(ids), scope.payments())
        .group_by(m.Payment.remittance_id)
    ):
        parts[rid]["payment_count"] = n
        parts[rid]["total_paid"] = Decimal(paid or 0)
    for rid, unmatched, n in session.execute(
        select(m.Payment.remittance_id, m.ClaimPayment.claim_id.is_(None), func.count())
        .join(m.ClaimPayment, m.ClaimPayment.payment_id == m.Payment.id)
        .where(m.Payment.remittance_id.in_(ids), scope.claim_payments())
        .group_by(m.Payment.remittance_id, m.ClaimPayment.claim_id.is_(None))
    ):
        parts[rid]["claim_count"] += n
        if unmatched:
            parts[rid]["unmatched"] += n
    return parts


def _remittance(r: m.Remittance, part: dict[str, Any], scope: Scope) -> dict[str, Any]:
    whole = {
        "payment_count": r.payment_count,
        "claim_count": r.claim_count,
        "total_paid": r.total_paid,
    }
    return {
        "id": r.id,
        "file_name": r.file_name,
        "received_on": r.received_on,
        **(whole if scope.everything else {k: part[k] for k in whole}),
        "unmatched": part["unmatched"],
    }


def list_remittances(
    session: Session, scope: Scope, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """The 835s posted, the newest first (a scoped caller: its clinics' part of each)."""
    remits = session.scalars(
        select(m.Remittance)
        .options(defer(m.Remittance.content))
        .where(scope.remittances())
        .order_by(m.Remittance.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    parts = _remittance_parts(session, scope, [r.id for r in remits])
    rows = [_remittance(r, parts[r.id], scope) for r in remits]
    total = _count(session, m.Remittance, scope.remittances())
    return paged("remittances", rows, limit=limit, offset=offset, total=total)


def _payments(session: Session, scope: Scope, remittance_id: int) -> list[dict[str, Any]]:
    """The payments of one 835 (a BPR/TRN each) with their provider-level adjustments."""
    payments = session.scalars(
        select(m.Payment)
        .where(m.Payment.remittance_id == remittance_id, scope.payments())
        .order_by(m.Payment.id)
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
    session: Session, scope: Scope, remittance_id: int, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """What one 835 posted: its payments, and a page of its claim payments (each matched to
    a claim or not, with its adjustments)."""
    r = _visible(session, m.Remittance, remittance_id, scope.remittances(), "remittance")
    of_file = (m.Payment.id == m.ClaimPayment.payment_id) & (m.Payment.remittance_id == r.id)
    rows = session.execute(
        select(m.ClaimPayment, m.Claim.claim_number, m.Payment.trace_number)
        .join(m.Payment, of_file)
        .outerjoin(m.Claim, m.Claim.id == m.ClaimPayment.claim_id)
        .where(scope.claim_payments())
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
    part = _remittance_parts(session, scope, [r.id])[r.id]
    total = part["claim_count"]
    return {
        **_remittance(r, part, scope),
        "sha256": r.sha256 if scope.everything else None,
        "payments": _payments(session, scope, r.id),
        "matched": total - part["unmatched"],
        **paged("claims", claims, limit=limit, offset=offset, total=total),
    }
