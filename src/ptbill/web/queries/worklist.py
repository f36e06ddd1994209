"""The work pages' queries over the shared worklist (ptbill.remit.worklist): the queue of
blocked claims, a page of claims at a time; the follow-up of everything else (denials,
rejections, underpayments, unmatched payments, eligibility, claim status, exchange files),
with totals by category. Each page is one query of
its rows; the totals are counted by the database, never by loading every item."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope
from ptbill.remit.work_kinds import KINDS
from ptbill.remit.worklist import count_open, open_items
from ptbill.web.queries.claims import claim_facts, current_findings

# Every kind of open item but the blocked claims (the work queue's): the denials page's.
FOLLOW_UP = tuple(k for k in KINDS if k != "blocked")


def open_work_counts(session: Session, scope: Scope) -> dict[str, int]:
    """Open work items by kind."""
    return dict(
        session.execute(
            select(m.WorkItem.kind, func.count())
            .where(m.WorkItem.status == "open", scope.work_items())
            .group_by(m.WorkItem.kind)
        ).all()
    )


def blocked_queue(
    session: Session, scope: Scope, as_of: dt.date | None, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the blocked claims, the earliest deadline first, each with its open items
    and its findings; and how many blocked claims there are in all."""
    blocked = (m.WorkItem.status == "open") & (m.WorkItem.kind == "blocked") & scope.work_items()
    by_claim = (
        select(m.WorkItem.claim_id, func.min(m.WorkItem.due_date), func.min(m.WorkItem.id))
        .where(blocked)
        .group_by(m.WorkItem.claim_id)
    )
    total = session.scalar(select(func.count()).select_from(by_claim.subquery())) or 0
    keys = [
        key
        for key, _, _ in session.execute(
            by_claim.order_by(func.min(m.WorkItem.due_date), func.min(m.WorkItem.id))
            .limit(limit)
            .offset(offset)
        )
        if key is not None  # a blocked item always has its claim
    ]
    items = open_items(session, scope, kind="blocked", claims=keys, as_of=as_of)
    its: dict[str, list[Any]] = {}
    for item in items:
        its.setdefault(item["claim_id"], []).append(item)

    def first(n: str) -> tuple[dt.date, int]:  # the page's order, as the query's
        return min(i["due_date"] for i in its[n]), min(i["id"] for i in its[n])

    numbers = sorted(its, key=first)
    findings = current_findings(session, scope, numbers)
    facts = claim_facts(session, scope, numbers)
    queue = [
        {
            "claim": facts.get(n, {"claim_number": n}),
            "due_date": min(i["due_date"] for i in its[n]),
            "overdue": any(i["overdue"] for i in its[n]),
            "items": its[n],
            "findings": [f for f in findings.get(n, []) if f["severity"] != "info"],
        }
        for n in numbers
    ]
    return queue, total


def follow_up_totals(session: Session, scope: Scope, as_of: dt.date | None) -> list[dict[str, Any]]:
    """Open follow-up items by category (count, amount, how many overdue), the largest
    amount first."""
    overdue = func.sum(case((m.WorkItem.due_date < as_of, 1), else_=0)) if as_of else func.sum(0)
    rows = session.execute(
        select(
            m.WorkItem.category,
            func.count(),
            func.coalesce(func.sum(m.WorkItem.amount), 0),
            overdue,
        )
        .where(
            m.WorkItem.status == "open",
            m.WorkItem.kind.in_(FOLLOW_UP),
            scope.work_items(),
        )
        .group_by(m.WorkItem.category)
    ).all()
    totals = [
        {"category": c, "count": n, "amount": Decimal(amount), "overdue": int(late or 0)}
        for c, n, amount, late in rows
    ]
    return sorted(totals, key=lambda t: (-t["amount"], t["category"]))


def follow_up(
    session: Session,
    scope: Scope,
    as_of: dt.date | None,
    *,
    kind: str | None,
    category: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """A page of the open follow-up items (of one kind, of one category), the earliest
    deadline first; and how many match in all."""
    kinds = [kind] if kind in FOLLOW_UP else FOLLOW_UP
    items = open_items(
        session, scope, kinds=kinds, category=category, as_of=as_of, limit=limit, offset=offset
    )
    return items, count_open(session, scope, kinds=kinds, category=category)
