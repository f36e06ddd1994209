"""Visits: the list, and one visit as given and as the ledger completed it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope
from ptbill.web.problems import NotFound
from ptbill.web.queries.common import PAGE, paged


def visit_detail(session: Session, scope: Scope, visit_id: str) -> dict[str, Any]:
    row = session.execute(
        select(m.Visit, m.Claim)
        .join(m.Claim, m.Claim.visit_pk == m.Visit.id)
        .where(m.Visit.visit_id == visit_id, scope.visits())
    ).first()
    if row is None:
        raise NotFound("visit", visit_id)
    v, c = row
    return {
        "visit_id": v.visit_id,
        "clinic_id": v.clinic_id,
        "date_of_service": v.date_of_service,
        "claim_number": c.claim_number,
        "claim_state": c.state,
        "source_file": v.source_file,
        "imported_on": v.imported_on,
        "derived": (v.derived or "").split(",") if v.derived else [],
        "visit": json.loads(v.source_json),
        "effective": json.loads(v.effective_json) if v.effective_json else None,
    }


def list_visits(
    session: Session, scope: Scope, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
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
        .where(scope.visits())
    )
    total = session.scalar(select(func.count()).select_from(m.Visit).where(scope.visits()))
    rows = session.execute(
        q.order_by(m.Visit.date_of_service.desc(), m.Visit.visit_id).limit(limit).offset(offset)
    ).all()
    visits = [
        {"visit_id": v, "date_of_service": d, "claim_state": s, "payer": p, "patient_id": pid}
        for v, d, s, p, pid in rows
    ]
    return paged("visits", visits, limit=limit, offset=offset, total=total)
