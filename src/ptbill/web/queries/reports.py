"""The dashboard's and the reports' figures beyond `ptbill report`: collections by month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope


def collections_by_month(
    session: Session, scope: Scope, as_of: dt.date, months: int = 6
) -> list[tuple[str, Decimal]]:
    """What payers paid on claims (reversals net), by month of the payer's decision, for the
    `months` months up to as_of; as the report's paid_total, a payment that matched no claim
    is not among them (the report's unmatched_paid)."""
    first = dt.date(as_of.year, as_of.month, 1)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    totals: dict[str, Decimal] = {}
    q = (
        select(m.ClaimPayment.determined_on, m.ClaimPayment.paid)
        .join(m.Payment, m.Payment.id == m.ClaimPayment.payment_id)
        .where(
            m.ClaimPayment.determined_on >= first,
            m.ClaimPayment.determined_on <= as_of,
            m.ClaimPayment.claim_id.is_not(None),
            scope.claim_payments(),
        )
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
