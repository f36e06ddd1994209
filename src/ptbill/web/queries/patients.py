"""Patients: the list (searched by name or id) and one patient's row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope
from ptbill.web.problems import NotFound
from ptbill.web.queries.common import PAGE, paged, patient_name


def list_patients(
    session: Session, scope: Scope, *, search: str | None = None, limit: int = PAGE, offset: int = 0
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
    q = (
        select(m.Patient, claims.c.n, claims.c.last)
        .outerjoin(claims, claims.c.patient_id == m.Patient.id)
        .where(scope.patients())
    )
    count = select(func.count()).select_from(m.Patient).where(scope.patients())
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
    patients = [
        {
            "id": p.id,
            "external_id": p.external_id,
            "name": patient_name(p),
            "claims": n or 0,
            "last_visit": last,
        }
        for p, n, last in rows
    ]
    return paged("patients", patients, limit=limit, offset=offset, total=session.scalar(count))


def patient_row(session: Session, scope: Scope, patient_id: int) -> m.Patient:
    """The patient, if the scope reaches its clinic (else not found, as if it did not exist)."""
    p = session.get(m.Patient, patient_id)
    if p is None or not scope.allows(p.clinic_id):
        raise NotFound("patient", patient_id)
    return p
