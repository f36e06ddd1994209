"""The rows one payment of an 835 writes (`ptbill post`, ptbill.remit.post): its claim payments,
their lines and adjustments, the claims' new totals and states, audit rows and work items.

Rows are built as NamedTuples (one a table: its fields are the columns) of the database driver's
own values (Bulk.to_driver: each distinct amount or date converted once) and inserted in bulk
when the payment is done. How an adjustment posts depends only on its group code, CARC and
RARC, so that is worked out once per distinct combination (`_posting`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, NamedTuple, Protocol

from sqlalchemy import select, update

from ptbill.denials.classify import (
    ABN_REASONS,
    HOUSEKEEPING_DAYS,
    NOT_DENIALS,
    UNPROCESSABLE,
    Classification,
    classify,
    no_abn,
    payer_due_date,
    without_abn,
)
from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk
from ptbill.ledger.states import POSTABLE, State, allowed, audit_row
from ptbill.ledger.stored import priced_line_from_json
from ptbill.pricing import Adjustment as PricingAdjustment
from ptbill.pricing import PaidLine, PricedVisit, Tolerance, find_underpayments
from ptbill.remit.post_match import (
    CLAIM_CHANGES,
    Matcher,
    PostedClaim,
    PostedLine,
    match_lines,
    select_in,
)
from ptbill.remit.post_once import ClaimPostings, Earlier
from ptbill.remit.post_summary import PostSummary
from ptbill.x12 import RemittanceAdjustment, RemittanceAdvice, RemittanceClaim, ServicePayment

ZERO = Decimal(0)
# Work items a new decision on a claim replaces (`status`: a 277's "get the 835 and post it",
# ptbill.ledger.claim_status, done once an 835 decides the claim).
DECISION_ITEMS = ("denial", "underpayment", "rejection", "crossover", "status")
# Money a payer paid twice, to give back: the kind ptbill.ledger.overpayments opens after a
# posting for the other over-payments (above the charge or the allowed amount...).
REFUND = "refund"
_UNDERPAYMENT_ACTION = {"deductible": "bill_patient", "sequestration": "informational"}

# The rows built below, one NamedTuple a table: its fields are the columns, in order. Values
# are the driver's (Bulk.to_driver) where the column is money, a date or a flag.


class PaymentRow(NamedTuple):
    """claim_payments: one CLP."""

    id: int
    payment_id: int
    seq: int
    claim_id: int | None
    version: int | None
    clp01: str
    status: str
    charge: Any
    paid: Any
    patient_responsibility: Any
    payer_control_number: str
    reversal: Any
    determined_on: Any
    state_after: str | None
    remarks: str | None
    crossover_to: str | None
    identity: str | None  # ptbill.ledger.identity (None: not stored as a posting)
    occurrence: int | None  # which posting of its decision (ptbill.remit.post_once)


class LinePaymentRow(NamedTuple):
    """line_payments: one SVC."""

    id: int
    claim_payment_id: int
    seq: int
    claim_line_id: int | None
    code: str
    modifiers: str
    charge: Any
    paid: Any
    allowed: Any
    units: str
    control_number: str | None
    remarks: str
    date_of_service: Any


class AdjustmentRow(NamedTuple):
    """adjustments: one CAS amount, of the claim (line_payment_id None) or of a line."""

    claim_payment_id: int
    line_payment_id: int | None
    group_code: str
    carc: str
    rarc: str | None
    amount: Any
    category: str
    action: str


class WorkRow(NamedTuple):
    """work_items: a denial, an underpayment, a payment that matched nothing or one paid twice."""

    claim_id: int | None
    reference: str
    visit_id: str | None
    kind: str
    category: str
    carc: str | None
    rarc: str | None
    amount: Any
    action: str
    detail: str
    due_date: Any
    status: str
    created_on: Any
    closed_on: Any
    resolution: str | None
    source: str


class AuditRow(NamedTuple):
    """audit_log: one move of a claim (ptbill.ledger.states.audit_row's keys)."""

    claim_id: int
    who: str
    on_date: Any
    from_state: str | None
    to_state: str
    why: str


# The rows a claim payment makes by the thousand (claim payments, their lines, adjustments,
# audit rows) are built as tuple.__new__(Row, values): the NamedTuple without its Python-level
# __new__, which would cost posting (a hot path: bench/bench_ledger.py) a tenth of its speed.
_row = tuple.__new__
_CONTRACTUAL, _DENIED = 1, 2  # which claim total an adjustment adds to (0: neither)


@dataclass(frozen=True, slots=True)
class _Posting:
    """How an adjustment with one group code, CARC and RARC posts."""

    group: str  # as stored
    carc: str
    rarc: str | None
    category: str  # the adjustment row's classification
    action: str
    adds_to: int  # _CONTRACTUAL, _DENIED or 0 (the patient's share, or PR)
    denies: bool  # with a positive amount, the claim is denied or partly paid
    claim_level_block: bool  # at claim level, it explains any short line (no underpayment)
    item: Classification | None  # a denial work item's classification (None: no item)
    detail: str  # the work item's text after "line X: "
    processed: bool  # the payer processed the claim (not MA130)


@lru_cache(maxsize=4096)  # distinct codes: a few dozen in practice
def _posting(group: str, reason: str, rarc: str | None) -> _Posting:
    c = classify(group, reason, rarc)
    stored_group, carc = group[:2], reason[:5]
    adds_to = 0
    if stored_group != "PR":
        if c.category == "contractual":
            adds_to = _CONTRACTUAL
        elif c.category != "patient_responsibility":
            adds_to = _DENIED
    # The work item classifies the codes as stored (the same, for codes of valid length).
    w = classify(stored_group, carc, rarc)
    return _Posting(
        stored_group,
        carc,
        rarc,
        c.category,
        c.action,
        adds_to,
        c.category not in NOT_DENIALS,
        c.category != "contractual" and stored_group != "PR",
        w if w.is_denial else None,
        _detail(stored_group, carc, w),
        rarc not in UNPROCESSABLE,
    )


def _detail(group: str, carc: str, c: Classification) -> str:
    """A denial work item's text after "line X: "."""
    return f"{group}-{carc} {c.plain}. {c.advice[:1].upper()}{c.advice[1:]}"


def _barred(k: _Posting, medicare: bool, modifiers: Collection[str]) -> bool:
    """An amount the patient owes only with an ABN, given to them on a line with none: the
    patient may not be billed for it (ptbill.denials.classify.no_abn)."""
    return k.group == "PR" and k.carc in ABN_REASONS and without_abn(medicare, modifiers)


class Poster(Protocol):
    """What a batch reads and counts in the posting of its remittance (the poster:
    ptbill.remit.post.RemittancePoster, which makes one batch a payment)."""

    who: str
    remittance_id: int
    summary: PostSummary
    payers: dict[int, m.Payer]
    decided: dict[int, str]  # claims the file moved: id -> state
    recouped: set[int]  # claims a PLB of the file names (an offset)
    bulk: Bulk
    matcher: Matcher
    money: Callable[[Any], Any]  # Python values -> the driver's (Bulk.to_driver)
    date: Callable[[Any], Any]
    flag: Callable[[Any], Any]

    def tolerance(self, payer: m.Payer) -> Tolerance: ...


class PostingBatch:
    """The rows one payment writes, collected and then inserted in bulk."""

    def __init__(
        self,
        poster: Poster,
        payment: RemittanceAdvice,
        payment_id: int,
        determined: dt.date,
        on: dt.date,
        postings: ClaimPostings,
    ) -> None:
        self.p = poster
        self.postings, self.trace = postings, payment.trace_number
        self.payment_id, self.determined, self.on = payment_id, determined, on
        self.source = f"remittance:{poster.remittance_id}"
        bulk = poster.bulk
        self.money, self.date, self.flag = poster.money, poster.date, poster.flag
        self.determined_value, self.on_value = self.date(determined), self.date(on)
        self.due_unmatched = self.date(on + dt.timedelta(days=HOUSEKEEPING_DAYS))
        self.payment_ids = iter(bulk.ids(m.ClaimPayment, len(payment.claims)))
        self.line_ids = iter(bulk.ids(m.LinePayment, sum(len(cp.lines) for cp in payment.claims)))
        self.payments: list[PaymentRow] = []
        self.lines: list[LinePaymentRow] = []
        self.adjustments: list[AdjustmentRow] = []
        self.audit: list[AuditRow] = []
        self.work: list[WorkRow] = []
        self.denials = 0
        self.decided: set[int] = set()  # claims whose older decision items close
        self.touched: dict[int, PostedClaim] = {}
        self.underpaid: list[tuple[PostedClaim, list[tuple[PostedLine, ServicePayment]]]] = []

    # -- one CLP ------------------------------------------------------------------------------

    def claim_payment(
        self, seq: int, cp: RemittanceClaim, claim: PostedClaim | None, reason: str | None = None
    ) -> None:
        """`reason`: why a claim payment that matched a claim cannot post to it (the wrong
        payer: ptbill.remit.cob_route)."""
        summary = self.p.summary
        summary.claims += 1
        identity, occurrence, already = self.postings.take(seq, cp)
        earlier = self.postings.earlier(seq, cp, self.trace) if already else None
        if already or reason is not None:
            claim = None  # recorded with this payment's money, not applied (again)
        elif claim is None:
            reason = "no claim has this claim number (CLP01) or these line control numbers"
        elif claim.state not in POSTABLE:
            reason = f"claim {claim.claim_number} is {claim.state}: it cannot take a payment"
            claim = None
        lines = self.p.matcher.lines.get(claim.id, []) if claim is not None else []
        version, matches = match_lines(claim, lines, cp.lines)
        money, date = self.money, self.date
        patient = (
            cp.patient_responsibility
            if cp.patient_responsibility is not None
            else sum((a.amount for a in _all_adjustments(cp) if a.group == "PR"), ZERO)
        )
        payment_id = next(self.payment_ids)
        adjustments: list[tuple[int | None, _Posting, Decimal]] = []
        rows = self.adjustments
        claim_rarc = cp.remarks[0] if cp.remarks else None
        medicare = claim is not None and self.p.payers[claim.payer_id].medicare
        for a in cp.adjustments:
            k = _posting(a.group, a.reason, claim_rarc)
            adjustments.append((None, k, a.amount))
            rows.append(
                _row(
                    AdjustmentRow,
                    (
                        payment_id,
                        None,
                        k.group,
                        k.carc,
                        k.rarc,
                        money(a.amount),
                        k.category,
                        "write_off" if _barred(k, medicare, ()) else k.action,
                    ),
                )
            )
        for n, (svc, line) in enumerate(zip(cp.lines, matches, strict=True), start=1):
            line_id = next(self.line_ids)
            self.lines.append(
                _row(
                    LinePaymentRow,
                    (
                        line_id,
                        payment_id,
                        n,
                        line.id if line else None,
                        svc.code[:8],
                        " ".join(svc.modifiers)[:20],
                        money(svc.charge),
                        money(svc.paid),
                        money(svc.allowed if svc.allowed is not None else _allowed(svc)),
                        _units(svc.units),
                        (svc.control_number or "")[:50] or None,
                        " ".join(svc.remarks)[:200],
                        date(svc.date_of_service or cp.statement_start),
                    ),
                )
            )
            rarc = svc.remarks[0] if svc.remarks else claim_rarc
            for a in svc.adjustments:
                k = _posting(a.group, a.reason, rarc)
                adjustments.append((n, k, a.amount))
                amount = money(a.amount)
                rows.append(
                    _row(
                        AdjustmentRow,
                        (
                            payment_id,
                            line_id,
                            k.group,
                            k.carc,
                            k.rarc,
                            amount,
                            k.category,
                            "write_off" if _barred(k, medicare, svc.modifiers) else k.action,
                        ),
                    )
                )
        state_after = None
        if already:
            self._paid_again(cp, earlier)
        elif claim is None:
            summary.unmatched.append(cp.claim_id)
            self._unmatched(cp, reason or "")
        else:
            summary.matched += 1
            state_after = self._apply(claim, cp, patient, adjustments, version)
            if not cp.is_reversal:
                self._work(claim, cp, adjustments, matches)
        self.payments.append(
            _row(
                PaymentRow,
                (
                    payment_id,
                    self.payment_id,
                    seq,
                    claim.id if claim else None,
                    version,
                    cp.claim_id[:38],
                    cp.status[:2],
                    money(cp.charge),
                    money(cp.paid),
                    money(patient),
                    cp.payer_claim_control_number[:50],
                    self.flag(cp.is_reversal),
                    self.determined_value,
                    state_after,
                    " ".join(cp.remarks)[:200] or None,
                    next(
                        (p.last_or_organization[:80] for p in cp.parties if p.entity == "TT"), None
                    ),
                    identity,
                    occurrence,
                ),
            )
        )

    def _apply(
        self,
        claim: PostedClaim,
        cp: RemittanceClaim,
        patient: Decimal,
        adjustments: list[tuple[int | None, _Posting, Decimal]],
        version: int | None,
    ) -> str:
        """Add the payment to the claim's totals and move its state."""
        claim.paid += cp.paid
        claim.patient_responsibility += patient
        denial = False
        for _, k, amount in adjustments:
            if k.adds_to == _CONTRACTUAL:
                claim.contractual += amount
            elif k.adds_to == _DENIED:
                claim.denied += amount
            if k.denies and amount > 0:
                denial = True
        if cp.is_reversal:
            to = State.ACCEPTED
            why = (
                f"reversal (CLP02 22) of payer claim {cp.payer_claim_control_number} in "
                f"{self.source}"
            )
            self.p.summary.reversals += 1
        else:
            if cp.status == "4" or (cp.paid <= 0 and denial):
                to = State.DENIED
            else:
                to = State.PARTIALLY_PAID if denial else State.PAID
            why = (
                f"{cp.status_meaning} by the payer (CLP02 {cp.status}); paid {cp.paid} of "
                f"{cp.charge}, version {version}, in {self.source}"
            )
            if cp.payer_claim_control_number:
                claim.payer_control_number = cp.payer_claim_control_number[:50]
            claim.first_determined_on = claim.first_determined_on or self.determined
            claim.determined_on = self.determined
            if claim.first_response is None and version == 1:
                claim.first_response = "accepted"
        self.decided.add(claim.id)
        if to != claim.state:
            if _allowed_move(claim.state, to):
                row = audit_row(claim.id, claim.state, to, self.p.who, self.on, why)
                row["on_date"] = self.on_value
                self.audit.append(_row(AuditRow, row.values()))  # its keys are the fields
                claim.state = to.value  # one shared str per state
            else:  # e.g. a second decision on a closed claim: money recorded, state kept
                self._item(
                    claim,
                    kind="unmatched",
                    category="other",
                    amount=cp.paid,
                    action="review",
                    detail=f"claim {claim.claim_number} is {claim.state}; the payer's new "
                    f"decision ({why}) needs a person to look",
                    due=self.due_unmatched,
                )
        self.touched[claim.id] = claim
        self.p.decided[claim.id] = claim.state
        return claim.state

    # -- work items ---------------------------------------------------------------------------

    def _item(
        self,
        claim: PostedClaim | None,
        *,
        kind: str,
        category: str,
        carc: str | None = None,
        rarc: str | None = None,
        amount: Decimal | None,
        action: str,
        detail: str,
        due: Any,  # a driver value
        reference: str | None = None,
    ) -> None:
        """An open work item about `claim` (None: a payment that matched no claim)."""
        number = claim.claim_number if claim else None
        self.work.append(
            WorkRow(
                claim.id if claim else None,
                (reference or number or "")[:50],
                number,
                kind,
                category,
                carc,
                rarc,
                self.money(amount),
                action,
                detail,
                due,
                "open",
                self.on_value,
                None,
                None,
                self.source,
            )
        )

    def _unmatched(self, cp: RemittanceClaim, reason: str) -> None:
        self._item(
            None,
            kind="unmatched",
            category="unmatched",
            amount=cp.paid,
            action="review",
            detail=f"835 claim {cp.claim_id} (payer claim {cp.payer_claim_control_number or '-'}, "
            f"status {cp.status}, paid {cp.paid}): {reason}; find the claim and post it by "
            "hand, or return the money",
            due=self.due_unmatched,
            reference=cp.claim_id,
        )

    def _paid_again(self, cp: RemittanceClaim, earlier: Earlier | None) -> None:
        """A decision posted before, carried again by this (new) payment: recorded with the
        payment's money, not applied to its claim. Money paid again is an overpayment to
        refund; money taken back again (a reversal) is for a person to look at."""
        if earlier is None:
            said = f"repeats a claim payment earlier in payment {self.trace}"
        else:
            self.p.summary.already_posted.append(earlier)
            said = (
                f"was posted on {earlier.posted_on} (trace {earlier.trace_number}, remittance "
                f"#{earlier.remittance_id})"
            )
        self.p.summary.warnings.append(
            f"claim {cp.claim_id} (payer claim {cp.payer_claim_control_number}, paid "
            f"{cp.paid}) {said}: not applied again"
        )
        if not cp.paid:
            return
        what = (
            ("unmatched", "reversed_twice", "review", "takes it back a second time")
            if cp.is_reversal
            else (REFUND, "paid_twice", "refund_payer", "pays it a second time")
        )
        kind, category, action, does = what
        self._item(
            None,
            kind=kind,
            category=category,
            amount=cp.paid,
            action=action,
            detail=f"835 claim {cp.claim_id} (payer claim {cp.payer_claim_control_number}, "
            f"status {cp.status}, paid {cp.paid}) {said}; payment {self.trace} {does}: ask the "
            "payer to take back the repeat, or return it",
            due=self.due_unmatched,
            reference=cp.claim_id,
        )
        if kind == REFUND:
            self.p.summary.overpayment_items += 1

    def _due(
        self, action: str, payer: m.Payer, claim: PostedClaim, processed: bool = True
    ) -> dt.date:
        """The work item's deadline for `action` under the payer's windows."""
        return payer_due_date(
            action,
            payer,
            date_of_service=claim.date_of_service,
            determined_on=self.determined,
            processed=processed,
        )

    def _work(
        self,
        claim: PostedClaim,
        cp: RemittanceClaim,
        adjustments: list[tuple[int | None, _Posting, Decimal]],
        matches: list[PostedLine | None],
    ) -> None:
        payer = self.p.payers[claim.payer_id]
        denied_lines: set[int] = set()
        for line_seq, k, amount in adjustments:
            c = k.item
            if c is None or amount <= 0:
                continue
            if line_seq is not None:
                denied_lines.add(line_seq)
            where = (
                f"line {cp.lines[line_seq - 1].code[:8]}" if line_seq is not None else "the claim"
            )
            detail = k.detail
            modifiers = cp.lines[line_seq - 1].modifiers if line_seq is not None else ()
            if _barred(k, payer.medicare, modifiers):
                c = no_abn(c)  # the patient may not be billed: the clinic writes it off
                detail = _detail(k.group, k.carc, c)
            due = self._due(c.action, payer, claim, k.processed)
            self._item(
                claim,
                kind="denial",
                category=c.category,
                carc=k.carc,
                rarc=k.rarc,
                amount=amount,
                action=c.action,
                detail=f"{where}: {detail}",
                due=self.date(due),
            )
            self.denials += 1
        short = [
            (line, svc)
            for n, (svc, line) in enumerate(zip(cp.lines, matches, strict=True), start=1)
            if line is not None
            and line.expected_payment is not None
            and n not in denied_lines
            and svc.paid + _patient_fixed(svc) < line.expected_payment
        ]
        if short and not any(
            k.claim_level_block for line_seq, k, _ in adjustments if line_seq is None
        ):
            self.underpaid.append((claim, short))

    def _underpayments(self) -> None:
        """Explain short-paid lines with ptbill.pricing (only for claims with a short line)."""
        if not self.underpaid:
            return
        line_ids = [line.id for _, short in self.underpaid for line, _ in short]
        priced: dict[int, str] = {}
        for i in range(0, len(line_ids), 500):
            q = select(m.ClaimLine.id, m.ClaimLine.price_json).where(
                m.ClaimLine.id.in_(line_ids[i : i + 500])
            )
            priced.update({k: v for k, v in self.p.bulk.conn.execute(q) if v})
        for claim, short in self.underpaid:
            payer = self.p.payers[claim.payer_id]
            priced_lines, paid = [], []
            for line, svc in short:
                if line.id not in priced:
                    continue
                pl = priced_line_from_json(priced[line.id])
                priced_lines.append(pl)
                paid.append(
                    PaidLine(
                        pl.index,
                        svc.paid,
                        svc.allowed,
                        tuple(
                            PricingAdjustment(a.group, a.reason, a.amount) for a in svc.adjustments
                        ),
                    )
                )
            if not priced_lines:
                continue
            visit = PricedVisit(
                claim.claim_number,
                claim.date_of_service,
                payer.key,
                "medicare_pfs" if payer.medicare else "fee_schedule",
                None,
                tuple(priced_lines),
            )
            for u in find_underpayments(visit, paid, self.p.tolerance(payer)):
                action = _UNDERPAYMENT_ACTION.get(u.likely_cause, "reopen")
                due = self._due(action, payer, claim)
                self._item(
                    claim,
                    kind="underpayment",
                    category=u.likely_cause,
                    amount=u.gap,
                    action=action,
                    detail=f"line {u.code} {' '.join(u.modifiers)}: {u.explanation}",
                    due=self.date(due),
                )
                self.p.summary.underpayment_items += 1

    def provider_adjustments(self, p: RemittanceAdvice) -> None:
        if not p.provider_adjustments:
            return
        refs = {a.reference for a in p.provider_adjustments if a.reference}
        claims: dict[str, int] = {}
        if refs:
            q = select(m.Claim.claim_number, m.Claim.payer_control_number, m.Claim.id).where(
                m.Claim.claim_number.in_(refs) | m.Claim.payer_control_number.in_(refs)
            )
            for number, icn, cid in self.p.bulk.conn.execute(q):
                claims[number] = cid
                if icn:
                    claims[icn] = cid
        rows = [
            {
                "payment_id": self.payment_id,
                "claim_id": claims.get(a.reference),
                "reason": a.reason[:4],
                "reference": a.reference[:50],
                "amount": a.amount,
                "fiscal_period_end": a.fiscal_period_end,
            }
            for a in p.provider_adjustments
        ]
        self.p.bulk.insert(m.ProviderAdjustment, rows)
        self.p.recouped.update(
            claims[a.reference] for a in p.provider_adjustments if a.reference in claims
        )
        self.p.summary.provider_adjustments += sum((a.amount for a in p.provider_adjustments), ZERO)

    # -- writing ------------------------------------------------------------------------------

    def write(self) -> None:
        bulk = self.p.bulk
        self._underpayments()
        bulk.insert_values(m.ClaimPayment, PaymentRow._fields, self.payments)
        bulk.insert_values(m.LinePayment, LinePaymentRow._fields, self.lines)
        bulk.insert_values(m.Adjustment, AdjustmentRow._fields, self.adjustments)
        self._close_replaced_items()
        money, date = self.money, self.date
        bulk.update_values(
            m.Claim, CLAIM_CHANGES, [c.changes(money, date) for c in self.touched.values()]
        )
        bulk.insert_values(m.AuditEntry, AuditRow._fields, self.audit)
        bulk.insert_values(m.WorkItem, WorkRow._fields, self.work)
        self.p.summary.denial_items += self.denials
        self.p.summary.work_items += len(self.work)

    def _close_replaced_items(self) -> None:
        """A new decision on a claim closes the open items of the decision it replaces. The
        candidates are found by claim (its index), then closed by id: a single UPDATE with all
        the conditions leads SQLite to scan every open item through the status index."""
        conn = self.p.bulk.conn
        found = [
            wid
            for wid, kind, status, source in select_in(
                conn,
                "SELECT id, kind, status, source FROM work_items WHERE claim_id IN ({})",
                list(self.decided),
            )
            if kind in DECISION_ITEMS and status == "open" and source != self.source
        ]
        for i in range(0, len(found), 500):
            conn.execute(
                update(m.WorkItem)
                .where(
                    m.WorkItem.id.in_(found[i : i + 500]),
                    m.WorkItem.kind.in_(DECISION_ITEMS),
                    m.WorkItem.status == "open",
                    m.WorkItem.source != self.source,
                )
                .values(
                    status="done",
                    closed_on=self.on,
                    resolution=f"superseded by the payer's decision in {self.source}",
                )
            )


@lru_cache(maxsize=256)
def _units(units: Decimal) -> str:
    return str(units)[:12]


@cache
def _allowed_move(current: str, wanted: str) -> bool:
    return allowed(current, wanted)


def _all_adjustments(cp: RemittanceClaim) -> Iterable[RemittanceAdjustment]:
    yield from cp.adjustments
    for line in cp.lines:
        yield from line.adjustments


def _patient_fixed(svc: ServicePayment) -> Decimal:
    """The line's deductible and copay as the 835 itemises them (PR-1, PR-3): the patient's
    share, which the expected payment (allowed less coinsurance) leaves out and the patient's
    balance bills (ptbill.ledger.balances) -- not an underpayment."""
    return sum(
        (a.amount for a in svc.adjustments if a.group == "PR" and a.reason in ("1", "3")), ZERO
    )


def _allowed(svc: ServicePayment) -> Decimal:
    """The payer's allowed amount for a line: AMT*B6, else paid + patient share + the
    reductions taken after allowing (sequestration)."""
    if svc.allowed is not None:
        return svc.allowed
    return svc.paid + sum(
        (a.amount for a in svc.adjustments if a.group == "PR" or a.reason == "253"), ZERO
    )
