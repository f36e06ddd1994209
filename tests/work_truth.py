"""The work queue's figures computed the plain way, for the tests: every open item read as a
row, then filtered and grouped in Python (the code under test does both in SQL)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.ledger import models as m

# The kinds whose amount is the claim's whole charge (one item per finding of a blocked
# claim; a rejection and a claim status item carry the charge too): once per claim.
CHARGE = {"blocked", "rejection", "status"}


@dataclass(frozen=True)
class Row:
    id: int
    reference: str
    claim: int | None
    kind: str
    category: str
    rule: str | None
    carc: str | None
    amount: Decimal | None
    due: dt.date
    created: dt.date
    payer: str | None
    clinic: str | None


def open_rows(s: Session) -> list[Row]:
    q = select(
        m.WorkItem.id,
        m.WorkItem.reference,
        m.WorkItem.claim_id,
        m.WorkItem.kind,
        m.WorkItem.category,
        m.WorkItem.rule,
        m.WorkItem.carc,
        m.WorkItem.amount,
        m.WorkItem.due_date,
        m.WorkItem.created_on,
        m.WorkItem.status,
        m.WorkItem.patient_id,
    ).order_by(m.WorkItem.id)
    payer_of = dict(
        s.execute(
            select(m.Claim.id, m.Payer.key).join(m.Payer, m.Payer.id == m.Claim.payer_id)
        ).all()
    )
    clinic_of = dict(
        s.execute(
            select(m.Claim.id, m.Clinic.key)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .join(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
        ).all()
    )
    # An item of no claim about a patient's own money (a refund) is its patient's clinic's.
    patient_clinic = dict(
        s.execute(
            select(m.Patient.id, m.Clinic.key).join(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
        ).all()
    )
    return [
        Row(
            *r[:10],  # type: ignore[misc]
            payer_of.get(r[2]),
            clinic_of.get(r[2]) if r[2] is not None else patient_clinic.get(r[11]),
        )
        for r in s.execute(q)
        if r[10] == "open"
    ]


def amount(rows: list[Row]) -> Decimal:
    """Money at stake, counted once: a claim's charge once, other items each."""
    once: dict[Any, Decimal] = {}
    for r in rows:
        key = ("claim", r.claim) if r.kind in CHARGE and r.claim is not None else ("item", r.id)
        once[key] = r.amount or Decimal(0)
    return sum(once.values(), Decimal(0))


def figures(rows: list[Row], as_of: dt.date) -> dict[str, Any]:
    return {
        "count": len(rows),
        "claims": len({r.claim for r in rows if r.claim is not None}),
        "amount": amount(rows),
        "overdue": sum(1 for r in rows if r.due < as_of),
    }


KEYS: dict[str, Callable[[Row], tuple[Any, ...]]] = {
    "rule": lambda r: (r.kind, r.rule),
    "reason": lambda r: (r.kind, r.category, r.carc),
    "kind": lambda r: (r.kind,),
    "category": lambda r: (r.category,),
    "payer": lambda r: (r.payer,),
    "clinic": lambda r: (r.clinic,),
}


def groups(rows: list[Row], by: str, as_of: dt.date) -> dict[tuple[Any, ...], dict[str, Any]]:
    grouped: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for r in rows:
        grouped[KEYS[by](r)].append(r)
    return {
        key: {**figures(found, as_of), "ids": {r.id for r in found}}
        for key, found in grouped.items()
    }


def due_window(window: str, as_of: dt.date) -> Callable[[Row], bool]:
    week, month = as_of + dt.timedelta(days=7), as_of + dt.timedelta(days=30)
    return {
        "overdue": lambda r: r.due < as_of,
        "7d": lambda r: as_of <= r.due <= week,
        "30d": lambda r: as_of <= r.due <= month,
        "later": lambda r: r.due > month,
    }[window]
