"""Refunds the clinic sends a payer for a claim's over-payment (`ptbill payer-refund`): a check
or an EFT paying back what the claim's open `refund` items (ptbill.ledger.overpayments) say
the payer is owed.

A refund is money given back, once: it is stored (`payer_refunds`), the claim's audit trail
says who sent it, the over-payment finder counts it as it counts a PLB taking the money back
(the claim's items then say what is left, or close; a later posting does not find it again),
and the report takes it off the payer's collections. Its reference (the check number, the EFT
trace) counts once at the claim's clinic, whatever its case and the spaces around it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.balances import cents
from ptbill.ledger.overpayments import find
from ptbill.ledger.patient_pay import checked_reference
from ptbill.ledger.scope import EVERYTHING, Scope

ZERO = Decimal(0)
CENT = Decimal("0.01")
METHODS = ("check", "eft")


@dataclass
class Refunded:
    """What a refund to a payer did: the amount owed back before it and what is left."""

    claim_id: str  # the claim number
    payer: str
    amount: Decimal
    method: str
    reference: str
    on: dt.date
    owed_before: Decimal  # what the claim's open refund items said before
    left: Decimal  # what they say now

    def as_json(self) -> dict[str, Any]:
        return cents(asdict(self))


def _refuse(field_name: str, problem: str, fix: str) -> InputError:
    return InputError(file="command line", field=field_name, problem=problem, fix=fix)


def owed_back(session: Session, claim_id: int) -> Decimal:
    """What the claim's open over-payment items say the clinic owes its payer."""
    w = m.WorkItem
    total = session.scalar(
        select(func.sum(w.amount)).where(
            w.claim_id == claim_id,
            w.kind == "refund",
            w.action == "refund_payer",
            w.status == "open",
        )
    )
    return total or ZERO


def record_payer_refund(
    session: Session,
    *,
    claim: str,
    amount: Decimal,
    method: str,
    reference: str,
    on: dt.date,
    who: str,
    scope: Scope = EVERYTHING,
) -> Refunded:
    """Record a refund sent to the payer of `claim` (a claim number of the clinics of
    `scope`): at most what its open refund items say is owed back; then the items are found
    again with it counted."""
    # The claim's row locked (PostgreSQL) until the refund commits: two refunds at once are
    # checked against what is owed one after the other, not both against the same amount.
    q = select(m.Claim).where(m.Claim.claim_number == claim, scope.claims())
    c = session.scalar(q.with_for_update(of=m.Claim))
    if c is None:
        where = "in the ledger" if scope.everything else "at the clinics given"
        raise _refuse("CLAIM", f"no claim {claim!r} {where}", "check the claim number")
    if method not in METHODS:
        raise _refuse(
            "--method", f"{method!r} is not a refund method", f"use one of {', '.join(METHODS)}"
        )
    if not (amount.is_finite() and amount > 0) or amount != amount.quantize(CENT):
        raise _refuse(
            "AMOUNT", f"{amount} is not an amount of dollars and cents above 0", "give e.g. 25.00"
        )
    owed = owed_back(session, c.id)
    if amount > owed:
        raise _refuse(
            "AMOUNT",
            f"the open refund items of {claim} say {owed} is owed back to the payer, less than "
            f"{amount}",
            "refund at most what is owed (`ptbill worklist --kind refund`)",
        )
    reference = checked_reference(reference)
    if not reference:
        raise _refuse("--ref", "no reference", "give the check number or the EFT trace number")
    clinic_id = session.scalar(select(m.Patient.clinic_id).where(m.Patient.id == c.patient_id))
    assert clinic_id is not None  # every claim has a patient of a clinic
    key = reference.upper()
    earlier = session.scalar(
        select(m.PayerRefund).where(
            m.PayerRefund.clinic_id == clinic_id, m.PayerRefund.reference_key == key
        )
    )
    if earlier is not None:
        raise _refuse(
            "--ref",
            f"a refund {earlier.reference!r} was recorded on {earlier.on_date} "
            f"({earlier.amount}); it counts once",
            "if this is another refund, give its own reference",
        )
    session.add(
        m.PayerRefund(
            claim_id=c.id,
            clinic_id=clinic_id,
            amount=amount,
            on_date=on,
            method=method,
            reference=reference,
            reference_key=key,
            who=who[:64],
        )
    )
    why = f"refund to the payer: {amount} by {method} {reference}"
    session.add(
        m.AuditEntry(
            claim_id=c.id, who=who[:64], on_date=on, from_state=c.state, to_state=c.state, why=why
        )
    )
    session.flush()
    find(session, [c.id], on=on, source=f"refund {reference}"[:40])
    payer = session.scalar(select(m.Payer.key).where(m.Payer.id == c.payer_id)) or ""
    return Refunded(claim, payer, amount, method, reference, on, owed, owed_back(session, c.id))
