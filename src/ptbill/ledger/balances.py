"""What each patient owes: per visit (its chain of claims, primary first) and in total, by
reason, as of a date.

A visit's patient share is the share its last payer left: the PR adjustments of the decision in
force of the last claim of the chain that a payer decided (a secondary's decision replaces the
primary's: what the secondary paid is no longer the patient's). While a later payer still has
the claim (submitted, crossed over, ready to send), the share is pending insurance and not
billed. A secondary that denied the claim, or was written off undecided, leaves the earlier
payer's share to the patient.

Reasons: deductible (PR-1), coinsurance (PR-2), copay (PR-3), non-covered (PR-96, PR-204),
other. A Medicare line denied as non-covered, or past the therapy threshold (PR-119), may be
billed to the patient only with an ABN on file (modifier GA); without one (GZ, or no GA) it
may not: the amount is not billable and a write-off is suggested (billing-rules: ABN, Medicare
Claims Processing Manual ch. 30 §40.3; ptbill.denials.classify.ABN_REASONS).

Computed from the ledger on each call, never stored: the money is counted once. As of a date,
from the decisions and the patient's money of that date and before. What the patient paid is
applied to visits (patient_applications); what is not applied is a credit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.denials.classify import ABN_REASONS, without_abn
from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk, columns
from ptbill.ledger.cob_data import Share, in_force, shares
from ptbill.ledger.patient_models import PatientApplication, PatientTransaction
from ptbill.ledger.scope import EVERYTHING, Scope
from ptbill.ledger.states import DECIDED, State
from ptbill.remit.post_match import select_in

ZERO = Decimal(0)
CENT = Decimal("0.01")
REASONS = {"1": "deductible", "2": "coinsurance", "3": "copay", "96": "non_covered"}
REASONS["204"] = "non_covered"
REASON_NAMES = ("deductible", "coinsurance", "copay", "non_covered", "other")
BUCKETS = (("0-30", 30), ("31-60", 60), ("61-90", 90), ("91-120", 120), ("over_120", None))
_DECIDED = frozenset(str(s) for s in DECIDED) | {str(State.CLOSED)}
# A claim written off (`writeoff` then closes it) waits on no payer: without a decision in
# force it is no part of the chain (the earlier payer's share is the patient's).
_GONE = frozenset({str(State.WRITTEN_OFF), str(State.CLOSED)})


@dataclass
class VisitBalance:
    """One visit's patient share (its primary claim stands for the chain)."""

    claim_id: int  # the primary claim
    claim_number: str
    date_of_service: dt.date
    charge: Decimal
    insurance_paid: Decimal  # every payer of the chain (decisions in force)
    adjustments: Decimal  # what the payers took off that the patient does not owe
    by_reason: dict[str, Decimal]  # the billable share by reason
    not_billable: Decimal  # non-covered without an ABN: write off (never billed)
    applied: Decimal  # the patient's payments and write-offs applied to it
    determined_on: dt.date | None  # when the share was set (aging)
    pending_with: str | None  # the payer that still has the claim, if any
    # the billable share: by_reason's total, summed once (a report asks for it 5 times a
    # visit; by_reason is not changed once made, `applied` is)
    share: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.share = sum(self.by_reason.values(), ZERO)

    def owed_by_reason(self) -> dict[str, Decimal]:
        """The balance by reason: what was applied pays the reasons in REASON_NAMES order
        (the deductible first)."""
        if self.pending_with or self.balance <= 0:
            return {r: ZERO for r in REASON_NAMES}
        return _less(self.by_reason, self.applied)

    @property
    def balance(self) -> Decimal:
        """What the patient owes now (0 while pending insurance; negative: over-applied)."""
        return ZERO if self.pending_with else self.share - self.applied

    def as_json(self) -> dict[str, Any]:
        return cents(
            {
                "claim_id": self.claim_number,
                "date_of_service": self.date_of_service,
                "charge": self.charge,
                "insurance_paid": self.insurance_paid,
                "adjustments": self.adjustments,
                "patient_share": self.share,
                "by_reason": self.by_reason,
                "owed_by_reason": self.owed_by_reason(),
                "not_billable": self.not_billable,
                "applied": self.applied,
                "balance": self.balance,
                "pending_with": self.pending_with,
                "determined_on": self.determined_on,
            }
        )


@dataclass
class PatientBalance:
    patient_id: int
    external_id: str
    name: str
    visits: list[VisitBalance] = field(default_factory=list)
    credit: Decimal = ZERO  # paid and not applied, less refunds

    @property
    def balance(self) -> Decimal:
        owed = (v.balance for v in self.visits)
        return sum((b for b in owed if b > 0), ZERO)

    @property
    def pending(self) -> Decimal:
        """The shares waiting on insurance, less what was paid on them: never below 0 (a
        visit paid and then reversed, its corrected decision still to come, waits on nothing)."""
        return sum((max(v.share - v.applied, ZERO) for v in self.visits if v.pending_with), ZERO)

    def by_reason(self) -> dict[str, Decimal]:
        """What the patient owes now, by reason (each visit's, net of what was paid on it)."""
        out = {r: ZERO for r in REASON_NAMES}
        for v in self.visits:
            for r, amount in v.owed_by_reason().items():
                out[r] += amount
        return out

    def aging(self, as_of: dt.date) -> dict[str, Decimal]:
        out = {name: ZERO for name, _ in BUCKETS}
        for v in self.visits:
            if v.balance <= 0:
                continue
            age = (as_of - (v.determined_on or v.date_of_service)).days
            for name, limit in BUCKETS:
                if limit is None or age <= limit:
                    out[name] += v.balance
                    break
        return out

    def as_json(self, as_of: dt.date) -> dict[str, Any]:
        return cents(
            {
                "patient_id": self.external_id,
                "name": self.name,
                "balance": self.balance,
                "credit": self.credit,
                "pending_insurance": self.pending,
                "by_reason": self.by_reason(),
                "not_billable": sum((v.not_billable for v in self.visits), ZERO),
                "aging": self.aging(as_of),
                "visits": [v.as_json() for v in self.visits],
            }
        )


def cents(value: Any) -> Any:
    """Every amount in a JSON-bound structure with its two decimal places (0 -> 0.00)."""
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    if isinstance(value, dict):
        return {k: cents(v) for k, v in value.items()}
    if isinstance(value, list):
        return [cents(v) for v in value]
    return value


def _share(d: Share, medicare: bool) -> tuple[dict[str, Decimal], Decimal]:
    """(billable share by reason, non-covered share that may not be billed)."""
    out = {r: ZERO for r in REASON_NAMES}
    not_billable = ZERO
    for carc, amount, modifiers in d.patient:
        reason = REASONS.get(carc, "other")
        if carc in ABN_REASONS and without_abn(medicare, modifiers):
            not_billable += amount
            continue
        out[reason] += amount
    return out, not_billable


def _less(share: dict[str, Decimal], paid: Decimal) -> dict[str, Decimal]:
    """The share by reason less what a payer paid of it (the deductible first, as a patient's
    payments are applied), never below 0."""
    out = {}
    for r in REASON_NAMES:
        take = min(paid, share[r]) if paid > 0 else ZERO
        out[r], paid = share[r] - take, paid - take
    return out


_CLAIMS_SQL = (
    "SELECT claims.id, claims.claim_number, claims.patient_id, claims.state, claims.sequence, "
    "claims.primary_claim_id, claims.date_of_service, claims.charge, payers.key, "
    "payers.medicare FROM claims JOIN payers ON payers.id = claims.payer_id "
)


def balances(
    session: Session,
    as_of: dt.date,
    patient_ids: Iterable[int] | None = None,
    scope: Scope = EVERYTHING,
) -> dict[int, PatientBalance]:
    """Every patient's balance (or these patients'), by patient id; only the patients of
    `scope`'s clinics."""
    bulk = Bulk(session)
    conn = bulk.conn
    money = bulk.from_driver(m.Claim, "charge")
    date = bulk.from_driver(m.Claim, "date_of_service")
    wanted = None if patient_ids is None else list(dict.fromkeys(patient_ids))
    patients: dict[int, PatientBalance] = {}
    q = select(m.Patient.id, m.Patient.external_id, m.Patient.first_name, m.Patient.last_name)
    if wanted is not None:
        q = q.where(m.Patient.id.in_(wanted))
    for pid, ext, first, last in columns(session, q.where(scope.patients())):
        patients[pid] = PatientBalance(pid, ext, f"{first} {last}")
    if wanted is None and not scope.everything:
        wanted = list(patients)  # their claims alone, read in chunks below
    rows: Sequence[Any]
    if wanted is None:
        rows = conn.exec_driver_sql(_CLAIMS_SQL).fetchall()  # not a row a fetch
    else:
        rows = list(select_in(conn, _CLAIMS_SQL + "WHERE claims.patient_id IN ({})", wanted))
    chains: dict[int, list[Any]] = {}
    for row in rows:
        chains.setdefault(row[5] or row[0], []).append(row)
    basis = in_force(conn, [r[0] for r in rows], as_of)
    decided = shares(bulk, [p for p in basis.values() if p is not None])
    # The whole ledger's sums are one query each, not one per 500 claims or patients.
    applied = _applied(session, None if wanted is None else list(chains), as_of)
    for head, chain in chains.items():
        chain.sort(key=lambda r: r[4])
        first = chain[0]
        if first[2] not in patients:
            continue
        v = _visit(chain, basis, decided, money, date)
        if v is None:
            continue
        v.applied = applied.get(head, ZERO)
        patients[first[2]].visits.append(v)
    for pid, credit in _credits(session, None if wanted is None else list(patients), as_of):
        if pid in patients:
            patients[pid].credit = credit
    for p in patients.values():
        p.visits.sort(key=lambda v: (v.date_of_service, v.claim_number))
    return patients


def _visit(
    chain: list[Any],
    basis: dict[int, int | None],
    decided: dict[int, Share],
    money: Any,
    date: Any,
) -> VisitBalance | None:
    first = chain[0]
    live = [r for r in chain if r[3] not in _GONE or basis.get(r[0]) is not None]
    if not live:
        return None
    paid = ZERO
    paid_pending = ZERO  # paid by a payer that has the claim again (corrected, appealed)
    last: Share | None = None
    pending = None
    for row in live:
        payment = basis.get(row[0])
        if row[3] in _DECIDED and payment is not None:
            d = decided[payment]
            paid += d.paid
            if row[4] > 1 and d.denied and last is not None:
                continue  # the next payer denied (written off since or not): the share stands
            last, pending, paid_pending = d, None, ZERO
        elif row[3] not in _GONE:
            pending = row[8]
            if payment is not None:  # its earlier payment stands until its new decision
                paid += decided[payment].paid
                paid_pending += decided[payment].paid
    if last is None:
        return VisitBalance(
            first[0],
            first[1],
            date(first[6]),
            money(first[7]),
            paid,
            ZERO,
            {r: ZERO for r in REASON_NAMES},
            ZERO,
            ZERO,
            None,
            pending or first[8],
        )
    share, not_billable = _share(last, bool(chain[0][9]))
    if paid_pending:  # what waits on the payer is what it has not paid of the share yet
        share = _less(share, paid_pending)
    charge = money(first[7])
    adjustments = charge - paid - sum(share.values(), ZERO)
    return VisitBalance(
        first[0],
        first[1],
        date(first[6]),
        charge,
        paid,
        adjustments,
        share,
        not_billable,
        ZERO,
        last.determined_on,
        pending,
    )


def _parts(ids: list[int] | None) -> Iterator[list[int] | None]:
    """`ids` 500 at a time; None (every row) as one part."""
    if ids is None:
        yield None
        return
    for i in range(0, len(ids), 500):
        yield ids[i : i + 500]


def _applied(session: Session, heads: list[int] | None, as_of: dt.date) -> dict[int, Decimal]:
    """What patients' payments and write-offs applied to each claim (of `heads`; None: to
    every claim), as of a date."""
    out: dict[int, Decimal] = {}
    a = PatientApplication
    for part in _parts(heads):
        q = select(a.claim_id, func.sum(a.amount)).where(a.on_date <= as_of)
        if part is not None:
            q = q.where(a.claim_id.in_(part))
        out.update({cid: total for cid, total in session.execute(q.group_by(a.claim_id))})
    return out


def _credits(
    session: Session, patient_ids: list[int] | None, as_of: dt.date
) -> Iterator[tuple[int, Decimal]]:
    """Payments not applied, less refunds paid, per patient (of `patient_ids`; None: every
    patient; write-offs are always applied), as of a date."""
    t, a = PatientTransaction, PatientApplication
    for part in _parts(patient_ids):
        out: dict[int, Decimal] = {}
        q = select(t.patient_id, t.kind, func.sum(t.amount)).where(
            t.kind != "writeoff", t.on_date <= as_of
        )
        applied = (
            select(t.patient_id, func.sum(a.amount))
            .join(t, t.id == a.transaction_id)
            .where(t.kind == "payment", a.on_date <= as_of)
        )
        if part is not None:
            q, applied = q.where(t.patient_id.in_(part)), applied.where(t.patient_id.in_(part))
        for pid, kind, total in session.execute(q.group_by(t.patient_id, t.kind)):
            out[pid] = out.get(pid, ZERO) + (total if kind == "payment" else -total)
        for pid, total in session.execute(applied.group_by(t.patient_id)):
            out[pid] = out.get(pid, ZERO) - total
        yield from out.items()
