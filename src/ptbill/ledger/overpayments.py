"""Insurance over-payments, found after a posting: money a payer will ask back, as `refund`
work items with the amount.

- **paid twice**: what the claim's posted payments add up to (reversals net) exceeds what its
  decision in force paid -- the payer sent a second payment for a decision it did not reverse;
- **paid above the allowed amount**: a line of the decision in force paid more than the payer
  allowed for it (AMT*B6);
- **a later payer paid more than was left**: a secondary or tertiary claim paid more than the
  share the earlier payer left it;
- **paid above the charge**: the claim's payments add up to more than it charged, when none of
  the causes above accounts for it (money counted once).

What the payer took back outside claims for a claim (PLB amounts whose reference names it,
net: a WO offset), and what the clinic refunded it (ptbill.ledger.payer_refunds), is no
longer to refund: it lowers the claim's over-payments, in the order above, and an item it
settles closes.

A decision a new payment carries again (an 835 posted twice under other bytes) is not applied
to its claim at all: posting opens its `paid_twice` item (ptbill.remit.post_batch).

Each finding is one open item per claim and cause; a later posting or refund that changes the
amount replaces it, due by the date the one it replaces was (the days run from when the
over-payment was found); one that clears it closes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk
from ptbill.ledger.cob_data import in_force
from ptbill.remit.post_match import select_in

ZERO = Decimal(0)
REFUND_DAYS = 60  # most payers ask an over-payment back within 60 days of finding it
_CAUSES = ("paid_twice", "above_allowed", "more_than_left", "above_charge")
_LINES_SQL = (
    "SELECT claim_payment_id, code, paid, allowed FROM line_payments "
    "WHERE claim_payment_id IN ({}) AND allowed > 0 AND paid > allowed"
)


_CANDIDATES_SQL = (
    "SELECT claim_payments.claim_id FROM claim_payments "
    "JOIN claims ON claims.id = claim_payments.claim_id WHERE claim_payments.claim_id IN ({}) "
    "GROUP BY claim_payments.claim_id, claims.primary_claim_id "
    "HAVING COUNT(*) > 1 OR claims.primary_claim_id IS NOT NULL"
)
_ABOVE_SQL = (
    "SELECT DISTINCT claim_payments.claim_id FROM line_payments JOIN claim_payments ON "
    "claim_payments.id = line_payments.claim_payment_id WHERE claim_payments.claim_id IN ({}) "
    "AND line_payments.allowed > 0 AND line_payments.paid > line_payments.allowed"
)

_ABOVE_CHARGE_SQL = "SELECT id FROM claims WHERE id IN ({}) AND paid > charge"


def candidates(conn: Connection, claim_ids: list[int]) -> list[int]:
    """The claims that may hold an over-payment: paid more than once, a next payer's, with
    a line paid above its allowed amount, or paid above its charge."""
    out = {cid for (cid,) in select_in(conn, _CANDIDATES_SQL, claim_ids)}
    for sql in (_ABOVE_SQL, _ABOVE_CHARGE_SQL):
        out |= {cid for (cid,) in select_in(conn, sql, claim_ids)}
    return sorted(out)


def find(
    session: Session, claim_ids: Iterable[int], *, on: dt.date, source: str
) -> list[m.WorkItem]:
    """Open (or update, or close) the refund items of these claims; the items opened."""
    ids = list(dict.fromkeys(claim_ids))
    if not ids:
        return []
    bulk = Bulk(session)
    money = bulk.from_driver(m.Claim, "paid")
    basis = in_force(bulk.conn, ids)
    claims = {
        c.id: c
        for i in range(0, len(ids), 500)
        for c in session.scalars(select(m.Claim).where(m.Claim.id.in_(ids[i : i + 500])))
    }
    decided_paid = {
        pid: paid
        for i in range(0, len(ids), 500)
        for pid, paid in session.execute(
            select(m.ClaimPayment.id, m.ClaimPayment.paid).where(
                m.ClaimPayment.id.in_([p for p in list(basis.values())[i : i + 500] if p])
            )
        )
    }
    above: dict[int, Decimal] = {}
    for pid, _code, paid, allowed in select_in(
        bulk.conn, _LINES_SQL, [p for p in basis.values() if p is not None]
    ):
        above[pid] = above.get(pid, ZERO) + money(paid) - money(allowed)
    left = _left_for_next(session, [c for c in claims.values() if c.primary_claim_id])
    found: dict[tuple[int, str], tuple[Decimal, str]] = {}
    for cid, c in claims.items():
        payment = basis.get(cid)
        if payment is None:
            continue
        twice = c.paid - decided_paid.get(payment, ZERO)
        if twice > 0:
            found[(cid, "paid_twice")] = (
                twice,
                f"{c.claim_number}: the payer's payments add up to {c.paid} but its decision "
                f"in force paid {decided_paid[payment]}: {twice} was paid twice",
            )
        if above.get(payment, ZERO) > 0:
            found[(cid, "above_allowed")] = (
                above[payment],
                f"{c.claim_number}: lines were paid {above[payment]} more than the payer allowed",
            )
        if cid in left and c.paid > left[cid]:
            excess = c.paid - left[cid]
            found[(cid, "more_than_left")] = (
                excess,
                f"{c.claim_number}: paid {c.paid}, but the earlier payer left only {left[cid]}",
            )
        if c.paid > c.charge and not any((cid, cause) in found for cause in _CAUSES):
            found[(cid, "above_charge")] = (
                c.paid - c.charge,
                f"{c.claim_number}: paid {c.paid} on a charge of {c.charge}",
            )
    _less_taken_back(session, found)
    return _sync(session, claims, found, on, source)


def _less_taken_back(session: Session, found: dict[tuple[int, str], tuple[Decimal, str]]) -> None:
    """`found` less what the payer took back for each claim outside claims (PLB, net) and
    what the clinic refunded it, in the order of _CAUSES; a cause it settles is dropped."""
    ids = list({cid for cid, _ in found})
    taken: dict[int, Decimal] = {}
    for table in (m.ProviderAdjustment, m.PayerRefund):
        for i in range(0, len(ids), 500):
            q = (
                select(table.claim_id, func.sum(table.amount))
                .where(table.claim_id.in_(ids[i : i + 500]))
                .group_by(table.claim_id)
            )
            for cid, total in session.execute(q):
                assert cid is not None  # the query's: claim_id IN ids
                taken[cid] = taken.get(cid, ZERO) + total
    for cid, total in taken.items():
        left = total
        for cause in _CAUSES:
            if left <= 0 or (cid, cause) not in found:
                continue
            amount, detail = found[(cid, cause)]
            take = min(left, amount)
            left -= take
            if take == amount:
                del found[(cid, cause)]
            else:
                found[(cid, cause)] = (
                    amount - take,
                    f"{detail}; {take} was taken back (PLB) or refunded: {amount - take} is left",
                )


def _left_for_next(session: Session, claims: list[m.Claim]) -> dict[int, Decimal]:
    """For each next-payer claim, the share the payer before it left (its version's basis)."""
    out: dict[int, Decimal] = {}
    for c in claims:
        q = (
            select(m.ClaimPayment.patient_responsibility)
            .join(m.ClaimVersion, m.ClaimVersion.basis_payment_id == m.ClaimPayment.id)
            .where(m.ClaimVersion.claim_id == c.id, m.ClaimVersion.version == c.version)
        )
        share = session.scalar(q)
        if share is not None:
            out[c.id] = share
    return out


def _sync(
    session: Session,
    claims: dict[int, m.Claim],
    found: dict[tuple[int, str], tuple[Decimal, str]],
    on: dt.date,
    source: str,
) -> list[m.WorkItem]:
    open_items = {
        (w.claim_id, w.category): w
        for w in session.scalars(
            select(m.WorkItem).where(
                m.WorkItem.claim_id.in_(list(claims)),
                m.WorkItem.kind == "refund",
                m.WorkItem.status == "open",
            )
        )
    }

    def amount_found(claim_id: int | None, category: str) -> Decimal | None:
        entry = found.get((claim_id, category)) if claim_id is not None else None
        return entry[0] if entry is not None else None

    stale = [
        w.id for (cid, category), w in open_items.items() if amount_found(cid, category) != w.amount
    ]
    if stale:
        session.execute(
            update(m.WorkItem)
            .where(m.WorkItem.id.in_(stale))
            .values(status="done", closed_on=on, resolution=f"recomputed after {source}")
        )
    made = []
    for (cid, cause), (amount, detail) in found.items():
        replaced = open_items.get((cid, cause))
        if replaced is not None and replaced.id not in stale:
            continue
        # What is left of an over-payment found earlier (after a partial refund or offset)
        # is owed by the date it was owed by: the 60 days run from when it was found.
        due = on + dt.timedelta(days=REFUND_DAYS)
        if replaced is not None and replaced.due_date is not None:
            due = min(due, replaced.due_date)
        c = claims[cid]
        item = m.WorkItem(
            claim_id=cid,
            reference=c.claim_number[:50],
            visit_id=c.claim_number[:38],
            kind="refund",
            category=cause,
            carc=None,
            rarc=None,
            amount=amount,
            action="refund_payer",
            detail=detail
            + ": confirm with the payer, then refund it (record it: ptbill payer-refund) or let"
            " it offset (PLB)",
            due_date=due,
            status="open",
            created_on=on,
            closed_on=None,
            resolution=None,
            source=source[:40],
        )
        session.add(item)
        made.append(item)
    session.flush()
    return made
