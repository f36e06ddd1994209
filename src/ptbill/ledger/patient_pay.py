"""The patient's own money: payments, refunds and write-offs (`ptbill pay`, `ptbill refund`,
`ptbill patient-writeoff`), applied to the visits' patient balances (ptbill.ledger.balances).

A payment is applied to the oldest balance first (or to the visit asked for); what is left is
the patient's credit, applied to the next balance as it appears (`apply_credits`, run after
each posting and before statements) or refunded. While a patient holds a credit, an open
`refund` work item says how much. A later decision that lowers a visit's share below what was
applied to it gives the difference back to the credit (a negative application).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.balances import PatientBalance, balances, cents
from ptbill.ledger.patient_models import PatientApplication, PatientTransaction
from ptbill.ledger.scope import EVERYTHING, Scope
from ptbill.ledger.work_items import checked_reason, close_open

ZERO = Decimal(0)
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")
# An amount as a person types it at the desk: 25, 25.50, $25.50, 1,250.00 (thousands grouped by
# threes). Not 1e2, 0x19 or NaN, which Decimal would read.
_TYPED = re.compile(r"\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
METHODS = ("card", "cash", "check")
REFUND_DAYS = 30  # the refund work item's deadline (ptbill's housekeeping default)


@dataclass
class Applied:
    """What a payment, write-off or refund did."""

    patient: str
    kind: str
    amount: Decimal
    applied: list[dict[str, Any]] = field(default_factory=list)  # claim, amount
    credit: Decimal = ZERO  # the patient's credit afterwards
    balance: Decimal = ZERO  # the patient's balance afterwards

    def as_json(self) -> dict[str, Any]:
        return cents(
            {
                "patient_id": self.patient,
                "kind": self.kind,
                "amount": self.amount,
                "applied": self.applied,
                "credit": self.credit,
                "balance": self.balance,
            }
        )


def _refuse(field_name: str, problem: str, fix: str) -> InputError:
    return InputError(
        file="command line", visit_id=None, field=field_name, problem=problem, fix=fix
    )


MONEY_DAY = "the patient's money is recorded on the day it comes in or goes out"
STATEMENT_DAY = "a statement is dated the day it is made (a later date moves the dunning on)"


def recorded_on(day: dt.date, today: dt.date, field_name: str, why: str = MONEY_DAY) -> dt.date:
    """The day a payment, refund or write-off (or a statement run) is recorded on: not after
    today (the edges read the clock), so that no balance of today misses money recorded for a
    later date, and no statement moves the dunning cycle ahead of its time."""
    if day > today:
        raise _refuse(
            field_name,
            f"{day} is after today ({today}): {why}",
            "give today's date or an earlier one",
        )
    return day


def find_patient(session: Session, external_id: str, scope: Scope = EVERYTHING) -> m.Patient:
    """The patient of this id at the clinics of `scope` (a patient of another clinic is not
    found, as if it did not exist)."""
    found = list(
        session.scalars(
            select(m.Patient).where(m.Patient.external_id == external_id, scope.patients())
        )
    )
    if not found:
        where = "in the ledger" if scope.everything else "at the clinics given"
        raise _refuse("PATIENT", f"no patient {external_id!r} {where}", "check the id and --clinic")
    if len(found) > 1:
        raise _refuse(
            "PATIENT",
            f"{len(found)} clinics have a patient {external_id!r}",
            "name the clinic with --clinic",
        )
    return found[0]


def typed_amount(text: str, file: str, field_name: str, fix: str) -> Decimal:
    """The amount a person typed (see _TYPED) in `field_name` of `file` (the command line, a
    form), else the InputError saying so with `fix`; whether it is dollars and cents within
    the ledger's money is checked where it is recorded."""
    found = _TYPED.fullmatch(text.strip())
    if found is None:
        raise InputError(
            file=file,
            visit_id=None,
            field=field_name,
            problem=f"{text!r} is not an amount",
            fix=fix,
        )
    return Decimal(found[1].replace(",", "") + (found[2] or ""))


def _amount(value: Decimal, name: str = "AMOUNT") -> Decimal:
    """Dollars and cents above 0 and within the ledger's money (12 digits, as the visit
    format's amounts); NaN and Infinity, which Decimal reads, are none."""
    if not (value.is_finite() and 0 < value <= MAX_AMOUNT) or value != value.quantize(CENT):
        raise _refuse(
            name,
            f"{value} is not an amount of dollars and cents above 0 (at most {MAX_AMOUNT})",
            "give e.g. 25.00",
        )
    return value


MAX_REFERENCE = 50  # the ledger's column (PatientTransaction.reference, PayerRefund.reference)


def checked_reference(reference: str) -> str:
    """The reference stripped, refused when longer than the ledger keeps: cut, two check
    numbers alike in their first 50 characters would be taken for one payment."""
    reference = reference.strip()
    if len(reference) > MAX_REFERENCE:
        raise _refuse(
            "--ref",
            f"the reference has {len(reference)} characters; the ledger keeps {MAX_REFERENCE}",
            f"give the check number, card authorization or trace number (at most "
            f"{MAX_REFERENCE} characters)",
        )
    return reference


def _money_in(
    session: Session,
    patient: str,
    scope: Scope,
    amount: Decimal,
    method: str,
    what: str,
    reference: str,
) -> tuple[m.Patient, Decimal]:
    """The patient and amount of a payment or refund (`what`), refused when either is wrong
    or when the same one was recorded before: a card authorization or check number names one
    payment or refund (without a reference, nothing tells two apart), whatever its case and the
    spaces around it (callers record it stripped: `reference.strip()`)."""
    if method not in METHODS:
        raise _refuse(
            "--method", f"{method!r} is not a {what} method", f"use one of {', '.join(METHODS)}"
        )
    p, money = find_patient(session, patient, scope), _amount(amount)
    t = PatientTransaction
    earlier = reference and session.scalar(
        select(t).where(
            t.patient_id == p.id,
            t.kind == what,
            t.method == method,
            func.upper(t.reference) == reference.upper(),
        )
    )
    if earlier:
        raise _refuse(
            "--ref",
            f"the {what} by {method} {earlier.reference!r} was recorded on {earlier.on_date} "
            f"({earlier.amount}); it counts once",
            f"if this is another {what}, give its own reference",
        )
    return p, money


def _claim_of(session: Session, patient: m.Patient, number: str) -> int:
    claim = session.scalar(select(m.Claim).where(m.Claim.claim_number == number))
    if claim is None or claim.patient_id != patient.id:
        raise _refuse("--claim", f"no claim {number!r} of this patient", "check the claim number")
    return claim.primary_claim_id or claim.id


def _apply(
    session: Session,
    tx: PatientTransaction,
    amount: Decimal,
    bal: PatientBalance,
    on: dt.date,
    only: int | None,
) -> tuple[Decimal, list[dict[str, Any]]]:
    """Apply up to `amount` of a transaction to the patient's balances, oldest first."""
    left, out = amount, []
    for v in bal.visits:
        if left <= 0:
            break
        if v.balance <= 0 or (only is not None and v.claim_id != only):
            continue
        part = min(left, v.balance)
        session.add(
            PatientApplication(transaction_id=tx.id, claim_id=v.claim_id, amount=part, on_date=on)
        )
        v.applied += part
        left -= part
        out.append({"claim_id": v.claim_number, "amount": part})
    session.flush()
    return left, out


def pay(
    session: Session,
    *,
    patient: str,
    amount: Decimal,
    method: str,
    reference: str,
    on: dt.date,
    who: str,
    claim: str | None = None,
    scope: Scope = EVERYTHING,
) -> Applied:
    """Record a patient payment and apply it (oldest balance first, or to `claim`)."""
    reference = checked_reference(reference)
    p, amount = _money_in(session, patient, scope, amount, method, "payment", reference)
    only = _claim_of(session, p, claim) if claim else None
    tx = _transaction(session, p, "payment", amount, method, reference, on, who, "")
    result = _result(session, p, "payment", amount, on)
    _, result.applied = _apply(session, tx, amount, balances(session, on, [p.id])[p.id], on, only)
    _sync_refund_item(session, p, on, who)
    return _finish(session, p, result, on)


def write_off(
    session: Session,
    *,
    patient: str,
    reason: str,
    on: dt.date,
    who: str,
    claim: str | None = None,
    amount: Decimal | None = None,
    scope: Scope = EVERYTHING,
) -> Applied:
    """Write off the patient's balance (all of it, a visit's, or an amount)."""
    reason = checked_reason(reason, f"patient {patient}")
    p = find_patient(session, patient, scope)
    only = _claim_of(session, p, claim) if claim else None
    bal = balances(session, on, [p.id])[p.id]
    owed = sum(
        (v.balance for v in bal.visits if v.balance > 0 and only in (None, v.claim_id)), ZERO
    )
    wanted = owed if amount is None else _amount(amount)
    if owed <= 0 or wanted > owed:
        raise _refuse(
            "AMOUNT",
            f"the patient owes {owed} there; nothing to write off {wanted}",
            "check the balance (`ptbill balance`)",
        )
    tx = _transaction(session, p, "writeoff", wanted, "none", "", on, who, reason)
    result = _result(session, p, "writeoff", wanted, on)
    _, result.applied = _apply(session, tx, wanted, bal, on, only)
    return _finish(session, p, result, on)


def refund(
    session: Session,
    *,
    patient: str,
    amount: Decimal,
    method: str,
    reference: str,
    on: dt.date,
    who: str,
    scope: Scope = EVERYTHING,
) -> Applied:
    """Pay back part or all of the patient's credit."""
    reference = checked_reference(reference)
    p, amount = _money_in(session, patient, scope, amount, method, "refund", reference)
    credit = balances(session, on, [p.id])[p.id].credit
    if amount > credit:
        raise _refuse(
            "AMOUNT",
            f"the patient's credit is {credit}, less than {amount}",
            "refund at most the credit",
        )
    _transaction(session, p, "refund", amount, method, reference, on, who, "")
    _sync_refund_item(session, p, on, who)
    return _finish(session, p, _result(session, p, "refund", amount, on), on)


def apply_credits(session: Session, patient_ids: Iterable[int], *, on: dt.date, who: str) -> None:
    """Credits to new balances, and over-applied visits back to credit (after a posting).
    A patient's money moves on `on`, or on the day of their latest payment or refund when
    that is later (an 835 dated before a payment recorded since): a balance as of any date
    then counts each application with the payment it comes from."""
    ids = list(dict.fromkeys(patient_ids))
    t = PatientTransaction
    days: dict[dt.date, list[int]] = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        q = select(t.patient_id, func.max(t.on_date)).where(t.patient_id.in_(part))
        latest = {pid: day for pid, day in session.execute(q.group_by(t.patient_id))}
        for pid in part:
            days.setdefault(max(on, latest.get(pid) or on), []).append(pid)
    for day, group in sorted(days.items()):
        _apply_credits(session, group, day, who)


def _apply_credits(session: Session, ids: list[int], on: dt.date, who: str) -> None:
    for pid, bal in balances(session, on, ids).items():
        returned = False  # to the credit: its refund item says the new amount
        for v in bal.visits:
            if v.balance < 0 and not v.pending_with:  # a later decision lowered the share
                tx = _latest_payment_applied(session, v.claim_id)
                if tx is not None:
                    session.add(
                        PatientApplication(
                            transaction_id=tx, claim_id=v.claim_id, amount=v.balance, on_date=on
                        )
                    )
                    bal.credit -= v.balance
                    v.applied += v.balance
                    returned = True
        if bal.credit > 0 and bal.balance > 0:
            for tx_id, left in _payments_with_credit(session, pid):
                if left <= 0:
                    continue
                row = session.get(PatientTransaction, tx_id)
                assert row is not None
                _apply(session, row, left, bal, on, None)
                if bal.balance <= 0:
                    break
        elif not returned:
            continue
        patient = session.get(m.Patient, pid)
        assert patient is not None
        _sync_refund_item(session, patient, on, who)
    session.flush()


def _payments_with_credit(session: Session, patient_id: int) -> list[tuple[int, Decimal]]:
    """Each payment's unapplied amount, oldest first."""
    t, a = PatientTransaction, PatientApplication
    out = []
    for tx_id, amount in session.execute(
        select(t.id, t.amount).where(t.patient_id == patient_id, t.kind == "payment").order_by(t.id)
    ):
        used = sum(session.scalars(select(a.amount).where(a.transaction_id == tx_id)), ZERO)
        out.append((tx_id, amount - used))
    refunded = sum(
        session.scalars(select(t.amount).where(t.patient_id == patient_id, t.kind == "refund")),
        ZERO,
    )
    for i, (tx_id, left) in enumerate(out):  # refunds paid out of the oldest credit
        take = min(left, refunded)
        out[i] = (tx_id, left - take)
        refunded -= take
    return out


def _latest_payment_applied(session: Session, claim_id: int) -> int | None:
    t, a = PatientTransaction, PatientApplication
    return session.scalar(
        select(a.transaction_id)
        .join(t, t.id == a.transaction_id)
        .where(a.claim_id == claim_id, t.kind == "payment")
        .order_by(a.id.desc())
        .limit(1)
    )


def _transaction(
    session: Session,
    p: m.Patient,
    kind: str,
    amount: Decimal,
    method: str,
    reference: str,
    on: dt.date,
    who: str,
    note: str,
) -> PatientTransaction:
    tx = PatientTransaction(
        patient_id=p.id,
        kind=kind,
        amount=amount,
        method=method,
        reference=reference,  # checked_reference: at most MAX_REFERENCE
        on_date=on,
        who=who[:64],
        note=note,
    )
    session.add(tx)
    session.flush()
    return tx


def _result(session: Session, p: m.Patient, kind: str, amount: Decimal, on: dt.date) -> Applied:
    return Applied(p.external_id, kind, amount)


def _finish(session: Session, p: m.Patient, result: Applied, on: dt.date) -> Applied:
    session.flush()
    bal = balances(session, on, [p.id])[p.id]
    result.credit, result.balance = bal.credit, bal.balance
    if bal.balance <= 0:
        end_collections(session, p.id, on, f"the balance was settled ({result.kind})")
    return result


def end_collections(session: Session, patient_id: int, on: dt.date, why: str) -> None:
    """A patient who owes nothing is no collections work: their open item is done."""
    close_open(session, on, why, ("collections",), patient=patient_id)


def _sync_refund_item(session: Session, p: m.Patient, on: dt.date, who: str) -> None:
    """One open `refund` work item per patient with a credit, for the credit's amount. The
    item is the patient row's (clinics may share an external id: each patient its own)."""
    credit = balances(session, on, [p.id])[p.id].credit
    open_items = list(
        session.scalars(
            select(m.WorkItem).where(
                m.WorkItem.patient_id == p.id,
                m.WorkItem.kind == "refund",
                m.WorkItem.status == "open",
            )
        )
    )
    if open_items and credit > 0 and open_items[0].amount == credit:
        return
    if open_items:
        session.execute(
            update(m.WorkItem)
            .where(m.WorkItem.id.in_([w.id for w in open_items]))
            .values(
                status="done",
                closed_on=on,
                resolution=f"the credit is now {credit} (by {who})",
            )
        )
    if credit > 0:
        session.add(
            m.WorkItem(
                claim_id=None,
                patient_id=p.id,
                reference=f"patient:{p.external_id}"[:50],
                visit_id=None,
                kind="refund",
                category="patient_credit",
                carc=None,
                rarc=None,
                amount=credit,
                action="refund",
                detail=f"patient {p.external_id} has a credit of {credit}: it is applied to the "
                "next balance, or refund it (`ptbill refund`)",
                due_date=on + dt.timedelta(days=REFUND_DAYS),
                status="open",
                created_on=on,
                closed_on=None,
                resolution=None,
                source="patient",
            )
        )
    session.flush()
