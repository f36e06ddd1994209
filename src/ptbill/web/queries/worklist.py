"""The work pages' queries over the shared worklist (ptbill.remit.worklist, whose one query
reads every work item): the work queue (a page of the items a filter selects, or their groups,
with the figures of the whole selection), and the follow-up of everything but blocked claims
(denials, rejections, underpayments, unmatched payments, eligibility, claim status, exchange
files) with totals by category. The counts and totals are computed by the database, never by
loading every item."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope
from ptbill.remit.work_kinds import KINDS
from ptbill.remit.worklist import (
    EVERY_ITEM,
    WorkFilter,
    count_open,
    group_filter,
    open_groups,
    open_items,
    selection,
)
from ptbill.web.queries.claims import claim_facts

# Every kind of open item but the blocked claims: the denials page's.
FOLLOW_UP = tuple(k for k in KINDS if k != "blocked")


def queue_page(
    session: Session,
    scope: Scope,
    filters: WorkFilter,
    as_of: dt.date | None,
    *,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """A page of the items `filters` selects (the earliest deadline first) with their claims'
    facts, and the figures of everything selected (`whole`: count, claims, amount, overdue,
    version)."""
    items = open_items(session, scope, filters=filters, as_of=as_of, limit=limit, offset=offset)
    numbers = sorted({i["claim_id"] for i in items if i["kind"] != "unmatched"})
    return {
        "items": items,
        "facts": claim_facts(session, scope, numbers),
        "whole": selection(session, scope, filters, as_of),
    }


def queue_groups(
    session: Session, scope: Scope, filters: WorkFilter, by: str, as_of: dt.date | None
) -> dict[str, Any]:
    """The groups of the items `filters` selects, each with the query that opens it."""
    groups = [
        {**g, "label": group_label(g["key"]), "params": group_filter(filters, g["key"]).params()}
        for g in open_groups(session, scope, by, filters=filters, as_of=as_of)
    ]
    return {"groups": groups, "whole": selection(session, scope, filters, as_of)}


def group_label(key: dict[str, str | None]) -> str:
    """A group's key in words: "blocked · TIMELY-FILING", "denial · medical necessity ·
    CARC 50", "denial · no rule"."""
    words = []
    for name, value in key.items():
        if value is None:
            words.append({"rule": "no rule", "carc": "no CARC"}.get(name, f"(no {name})"))
        elif name == "carc":
            words.append(f"CARC {value}")
        elif name in ("kind", "category"):
            words.append(value.replace("_", " "))
        else:
            words.append(value)
    return " · ".join(words) or "everything"


def choices(session: Session, scope: Scope, as_of: dt.date | None) -> dict[str, Any]:
    """What the filters offer: the rules that hold open items of the scope (with their
    counts), the payers and the scope's clinics."""
    blocked = EVERY_ITEM.but(kinds=("blocked",))
    rules = [
        (g["key"]["rule"], g["count"])
        for g in open_groups(session, scope, "rule", filters=blocked)
        if g["key"]["rule"]
    ]
    payers = session.execute(select(m.Payer.key, m.Payer.name).order_by(m.Payer.key)).all()
    clinics = session.execute(
        select(m.Clinic.key, m.Clinic.name).where(scope.clinic_rows()).order_by(m.Clinic.key)
    ).all()
    return {
        "rules": sorted(rules),
        "payers": [tuple(p) for p in payers],
        "clinics": [tuple(c) for c in clinics],
    }


def follow_up_totals(session: Session, scope: Scope, as_of: dt.date | None) -> list[dict[str, Any]]:
    """Open follow-up items by category (count, amount, how many overdue), the largest
    amount first."""
    follow = EVERY_ITEM.but(kinds=FOLLOW_UP)
    groups = open_groups(session, scope, "category", filters=follow, as_of=as_of)
    return [
        {
            "category": g["key"]["category"],
            "count": g["count"],
            "amount": g["amount"],
            "overdue": g["overdue"],
        }
        for g in groups
    ]


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
