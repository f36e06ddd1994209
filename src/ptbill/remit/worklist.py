"""The worklist: what a biller must do about each claim and by when (`ptbill worklist`).

One shape, `WorkItem`, and one query, `open_items`, for the command line, the REST API and
the pages, which page it (`limit`, `offset`); a claim's page lists its items of any status
with `claim_items`. Each takes the caller's `Scope` (ptbill.ledger.scope): the items of the
claims of its clinics (an item with no claim is of no clinic: unscoped callers only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any, TypedDict, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


class WorkItem(TypedDict):
    id: int
    claim_id: str  # the claim number; for a payment that matched no claim, its CLP01
    visit_id: str | None
    kind: str  # one of KINDS (ptbill.remit.work_kinds)
    category: str
    carc: str | None
    rarc: str | None
    amount: Decimal | None
    action: str
    detail: str
    due_date: dt.date
    overdue: bool  # open and due before the business date
    payer: str | None  # the claim's payer key
    status: str  # open or done
    created_on: dt.date
    closed_on: dt.date | None
    resolution: str | None
    source: str


def work_item(w: m.WorkItem, payer: str | None, as_of: dt.date | None) -> WorkItem:
    return {
        "id": w.id,
        "claim_id": w.reference,
        "visit_id": w.visit_id,
        "kind": w.kind,
        "category": w.category,
        "carc": w.carc,
        "rarc": w.rarc,
        "amount": w.amount,
        "action": w.action,
        "detail": w.detail,
        "due_date": w.due_date,
        "overdue": bool(as_of and w.status == "open" and w.due_date < as_of),
        "payer": payer,
        "status": w.status,
        "created_on": w.created_on,
        "closed_on": w.closed_on,
        "resolution": w.resolution,
        "source": w.source,
    }


def _where(
    q: SelectT,
    scope: Scope,
    kinds: Collection[str] | None,
    category: str | None,
    claims: Collection[int] | None,
) -> SelectT:
    q = q.where(m.WorkItem.status == "open", scope.work_items())
    if kinds is not None:
        q = q.where(m.WorkItem.kind.in_(list(kinds)))
    if category:
        q = q.where(m.WorkItem.category == category)
    if claims is not None:
        q = q.where(m.WorkItem.claim_id.in_(list(claims)))
    return q


def _kinds(kind: str | None, kinds: Collection[str] | None) -> Collection[str] | None:
    return [kind] if kind else kinds


def open_items(
    session: Session,
    scope: Scope,
    *,
    kind: str | None = None,
    kinds: Collection[str] | None = None,
    category: str | None = None,
    claims: Collection[int] | None = None,
    as_of: dt.date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[WorkItem]:
    """Open work items (of `kind`, or of any of `kinds`; of `category`; of the claims whose
    keys are `claims`), the earliest deadline first; all of them unless `limit`."""
    q = (
        select(m.WorkItem, m.Payer.key)
        .outerjoin(m.Claim, m.Claim.id == m.WorkItem.claim_id)
        .outerjoin(m.Payer, m.Payer.id == m.Claim.payer_id)
    )
    q = _where(q, scope, _kinds(kind, kinds), category, claims)
    q = q.order_by(m.WorkItem.due_date, m.WorkItem.id)
    if limit is not None:
        q = q.limit(limit).offset(offset)
    return [work_item(w, payer, as_of) for w, payer in session.execute(q)]


def count_open(
    session: Session,
    scope: Scope,
    *,
    kind: str | None = None,
    kinds: Collection[str] | None = None,
    category: str | None = None,
) -> int:
    q = select(func.count()).select_from(m.WorkItem)
    return session.scalar(_where(q, scope, _kinds(kind, kinds), category, None)) or 0


def claim_items(session: Session, claim_pk: int, as_of: dt.date | None) -> list[WorkItem]:
    """Every work item of one claim, open or done, in the order they were made."""
    q = (
        select(m.WorkItem, m.Payer.key)
        .join(m.Claim, m.Claim.id == m.WorkItem.claim_id)
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .where(m.WorkItem.claim_id == claim_pk)
        .order_by(m.WorkItem.id)
    )
    return [work_item(w, payer, as_of) for w, payer in session.execute(q)]
