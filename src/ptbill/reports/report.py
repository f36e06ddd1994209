"""`ptbill report`: the billing office's numbers as of a date, overall and per payer.

Everything is computed from dated events (submissions, acknowledgements, the 835 decisions and
write-offs on or before `as_of`), so a report as of an earlier date shows what was known then.

- claims_submitted: claims first submitted on or before as_of.
- first_pass_acceptance_rate: of the submitted claims whose first submission has a verdict (an
  acknowledgement or a decision), the share the payer did not reject.
- clean_claim_rate: of the claims the payer decided, the share paid on the first submission
  with no rejection, no denial and no correction.
- denial_rate: of the decided claims, the share with at least one denial (an adjustment whose
  category is not contractual or the patient's share); by category and by CARC (claims and
  amounts).
- paid_total: what the payers paid on claims (reversals net); expected vs paid over the decided
  claims whose expected payment is known.
- A/R: per submitted claim not written off, charge - paid - patient share - contractual
  reductions (denied amounts stay until written off or paid); aged from the first submission
  in buckets 0-30, 31-60, 61-90, 91-120 and over 120 days. days_in_ar = A/R / the average daily
  charges of the 90 days up to as_of (claims by date of service). A secondary or tertiary
  claim (ptbill.ledger.secondary) is owed the share the payer before it left, until it decides,
  and what it has not paid of it while asked again (corrected, appealed, its decision
  reversed); its charge repeats the visit's and is not counted again.
- patient A/R: what patients owe (ptbill.ledger.balances: the share the last payer left, less
  their payments), with its aging from the payer's decision, and the credits they hold.
- collections: what came in, by payer (835 payments, reversals net, less the PLB provider
  adjustments: the payments' BPR02, less the refunds the clinic sent the payer for its
  over-payments: payer_refunds) and by patient (payments less refunds).
  net_collection_rate = all collections / (charges - contractual reductions).

A report covers the clinics of its `Scope` (ptbill.ledger.scope; `ptbill report --clinic`,
the web's `clinic=`): overall, per payer, and per clinic (the roll-up of a billing company,
with each clinic's collections and net collection rate: a PLB is of the clinic of the claim it
names, else of the payee NPI's; the clinics' collections add up to the whole's, less
provider_adjustments_of_no_clinic).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.denials.classify import NOT_DENIALS
from ptbill.ledger import models as m
from ptbill.ledger.balances import BUCKETS, balances, cents
from ptbill.ledger.bulk import columns
from ptbill.ledger.patient_models import PatientTransaction
from ptbill.ledger.scope import EVERYTHING, Scope
from ptbill.ledger.states import DECIDED, State

ZERO = Decimal(0)
WINDOW_DAYS = 90
_SETTLED = frozenset({*DECIDED, State.CLOSED, State.WRITTEN_OFF})


@dataclass
class _Claim:
    payer: str
    clinic: str
    dos: dt.date
    charge: Decimal
    submitted: dt.date | None
    expected: Decimal | None
    sequence: int = 1
    primary: int | None = None
    paid: Decimal = ZERO
    patient: Decimal = ZERO
    contractual: Decimal = ZERO
    decided: bool = False
    first_state: str | None = None
    first_version: int | None = None
    rejected_first: bool = False
    accepted_first: bool = False
    corrected: bool = False
    written_off: bool = False
    denials: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (category, carc)
    left_by_earlier: Decimal | None = None  # a next payer's claim: the share it was sent for
    state: str | None = None  # a next payer's claim: its state as of the date


def _rate(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def _load(session: Session, as_of: dt.date, scope: Scope) -> tuple[dict[int, _Claim], Decimal]:
    claims: dict[int, _Claim] = {}
    # plain columns without the ORM's loading of each row (over a whole ledger, a fifth of
    # the report's instructions)
    run = partial(columns, session)
    q = (
        select(
            m.Claim.id,
            m.Payer.key,
            m.Clinic.key,
            m.Claim.date_of_service,
            m.Claim.charge,
            m.Claim.first_submitted_on,
            m.Claim.expected_payment,
            m.Claim.sequence,
            m.Claim.primary_claim_id,
        )
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .join(m.Patient, m.Patient.id == m.Claim.patient_id)
        .join(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
        .where(scope.patients())
    )
    for cid, payer, clinic, dos, charge, submitted, expected, sequence, primary in run(q):
        claims[cid] = _Claim(
            payer,
            clinic,
            dos,
            charge or ZERO,
            submitted if submitted and submitted <= as_of else None,
            expected,
            sequence,
            primary,
        )
    payments = (
        select(
            m.ClaimPayment.id,
            m.ClaimPayment.claim_id,
            m.ClaimPayment.paid,
            m.ClaimPayment.patient_responsibility,
            m.ClaimPayment.reversal,
            m.ClaimPayment.version,
            m.ClaimPayment.state_after,
        )
        .join(m.Payment, m.Payment.id == m.ClaimPayment.payment_id)
        .where(m.ClaimPayment.determined_on <= as_of, scope.claim_payments())
        .order_by(m.ClaimPayment.id)
    )
    unmatched = ZERO
    for _, claim_id, paid, patient, reversal, version, state in run(payments):
        if claim_id is None:
            unmatched += paid
            continue
        c = claims[claim_id]
        c.paid += paid
        c.patient += patient
        if not reversal:
            c.decided = True
            if c.first_state is None:
                c.first_state, c.first_version = state, version
    adjustments = (
        select(
            m.ClaimPayment.claim_id,
            m.Adjustment.group_code,
            m.Adjustment.carc,
            m.Adjustment.category,
            func.sum(m.Adjustment.amount),
        )
        .join(m.ClaimPayment, m.ClaimPayment.id == m.Adjustment.claim_payment_id)
        .where(
            m.ClaimPayment.determined_on <= as_of,
            m.ClaimPayment.claim_id.is_not(None),
            scope.claim_ids(m.ClaimPayment.claim_id),
        )
        .group_by(
            m.ClaimPayment.claim_id,
            m.Adjustment.group_code,
            m.Adjustment.carc,
            m.Adjustment.category,
        )
    )
    for claim_id, group, carc, category, amount in run(adjustments):
        assert claim_id is not None  # the query's
        c = claims[claim_id]
        if group != "PR" and category == "contractual" and not (c.primary and carc == "23"):
            c.contractual += amount  # OA-23 on a next payer's claim: the earlier payer's part
        if category not in NOT_DENIALS and amount > 0:
            key = (category, carc)
            c.denials[key] = c.denials.get(key, ZERO) + amount
    acks = (
        select(m.AckResult.claim_id, m.AckResult.status, m.AckResult.version)
        .join(m.Acknowledgement, m.Acknowledgement.id == m.AckResult.ack_id)
        .where(
            m.Acknowledgement.received_on <= as_of,
            m.AckResult.claim_id.is_not(None),
            scope.claim_ids(m.AckResult.claim_id),
        )
    )
    for claim_id, status, version in run(acks):
        if version == 1:
            assert claim_id is not None  # the query's
            c = claims[claim_id]
            c.rejected_first |= status == "rejected"
            c.accepted_first |= status == "accepted"
    moves = select(m.AuditEntry.claim_id, m.AuditEntry.to_state).where(
        m.AuditEntry.on_date <= as_of,
        m.AuditEntry.to_state.in_([State.WRITTEN_OFF, State.CORRECTED]),
        scope.claim_ids(m.AuditEntry.claim_id),
    )
    for cid, to in run(moves):
        if to == State.WRITTEN_OFF:
            claims[cid].written_off = True
        else:
            claims[cid].corrected = True
    next_payers = (
        select(m.AuditEntry.claim_id, m.AuditEntry.to_state)
        .join(m.Claim, m.Claim.id == m.AuditEntry.claim_id)
        .where(
            m.AuditEntry.on_date <= as_of,
            m.Claim.primary_claim_id.is_not(None),
            scope.claim_ids(m.AuditEntry.claim_id),
        )
        .order_by(m.AuditEntry.on_date, m.AuditEntry.id)
    )
    for cid, to in run(next_payers):
        claims[cid].state = to  # the last move of the date stands
    _chains(claims)
    return claims, unmatched


# Money given back to payers outside their claims' payments, by (payer, clinic): the clinic
# None where no clinic of the report is its own (a PLB of no claim to an NPI no clinic has).
_GivenBack = dict[tuple[str, str | None], Decimal]


def _provider_adjustments(
    session: Session, as_of: dt.date, scope: Scope, claims: dict[int, _Claim]
) -> _GivenBack:
    """The PLB amounts of the payments decided on or before as_of, by payer and clinic
    (positive: money the payer took back outside claims, negative: paid extra, as interest).
    The payer: of its claim, else of the payment's claims, else of the payer profile with the
    payment's payer id, else that id. The clinic: of its claim, else of the payment's payee NPI
    (of the clinics of the report, the first by key where clinics share the NPI)."""
    pa, pay = m.ProviderAdjustment, m.Payment
    rows = session.execute(
        select(pa.claim_id, pa.amount, pay.id, pay.payer_identifier, pay.payee_npi)
        .join(pay, pay.id == pa.payment_id)
        .where(pay.determined_on <= as_of, scope.provider_adjustments())
    ).all()
    loose = {r[2] for r in rows if r[0] not in claims}
    payers_of: dict[int, set[str]] = defaultdict(set)
    clinic_of_npi: dict[str | None, str] = {}
    if loose:
        for payment, key in session.execute(
            select(m.ClaimPayment.payment_id, m.Payer.key)
            .join(m.Claim, m.Claim.id == m.ClaimPayment.claim_id)
            .join(m.Payer, m.Payer.id == m.Claim.payer_id)
            .where(m.ClaimPayment.payment_id.in_(loose))
        ):
            payers_of[payment].add(key)
        clinic_of_npi = dict(
            session.execute(
                select(m.Clinic.npi, func.min(m.Clinic.key))
                .where(scope.clinic_rows())
                .group_by(m.Clinic.npi)
            ).all()
        )
    by_id: dict[str, set[str]] = defaultdict(set)
    for key, payer_id in session.execute(select(m.Payer.key, m.Payer.payer_id)):
        by_id[payer_id].add(key)
    out: _GivenBack = defaultdict(lambda: ZERO)
    for claim_id, amount, payment, identifier, npi in rows:
        if claim_id in claims:
            c = claims[claim_id]
            out[c.payer, c.clinic] += amount
            continue
        keys = payers_of.get(payment) or by_id.get(identifier) or {identifier}
        out[min(keys) if len(keys) == 1 else identifier, clinic_of_npi.get(npi)] += amount
    return out


def _payer_refunds(session: Session, as_of: dt.date, claims: dict[int, _Claim]) -> _GivenBack:
    """The refunds sent to payers on or before as_of for the claims of the report, by the
    claim's payer and clinic."""
    r = m.PayerRefund
    out: _GivenBack = defaultdict(lambda: ZERO)
    q = select(r.claim_id, r.amount).where(r.on_date <= as_of)
    for claim_id, amount in session.execute(q):
        if claim_id in claims:
            c = claims[claim_id]
            out[c.payer, c.clinic] += amount
    return out


def _of(given: _GivenBack, clinic: str | None) -> _GivenBack:
    return {k: v for k, v in given.items() if k[1] == clinic}


def _chains(claims: dict[int, _Claim]) -> None:
    """Each next payer's claim: the share the payer before it left (what it is owed)."""
    by_step = {(c.primary or cid, c.sequence): c for cid, c in claims.items()}
    for c in claims.values():
        if c.primary is not None:
            earlier = by_step.get((c.primary, c.sequence - 1))
            c.left_by_earlier = earlier.patient if earlier is not None else ZERO


def _outstanding(c: _Claim) -> Decimal:
    if c.left_by_earlier is None:
        return c.charge - c.paid - c.patient - c.contractual
    if c.decided and c.state in _SETTLED:  # what it did not pay is the patient's (or written off)
        return ZERO
    # not decided yet, or asked again (corrected, appealed, its decision reversed): owed the
    # share less what it paid, as the patient's pending insurance (ptbill.ledger.balances)
    return c.left_by_earlier - c.paid - c.patient


def _metrics(claims: list[_Claim], as_of: dt.date) -> dict[str, Any]:
    submitted = [c for c in claims if c.submitted]
    verdicts = [c for c in submitted if c.rejected_first or c.accepted_first or c.decided]
    first_pass = [c for c in verdicts if not c.rejected_first]
    decided = [c for c in submitted if c.decided]
    clean = [
        c
        for c in decided
        if c.first_version == 1
        and c.first_state == State.PAID
        and not c.rejected_first
        and not c.corrected
        and not c.denials
    ]
    denied = [c for c in decided if c.denials]
    by_category: dict[str, dict[str, Any]] = defaultdict(lambda: {"claims": 0, "amount": ZERO})
    by_carc: dict[str, dict[str, Any]] = defaultdict(lambda: {"claims": 0, "amount": ZERO})
    for c in denied:
        for cat in {k[0] for k in c.denials}:
            by_category[cat]["claims"] += 1
        for carc in {k[1] for k in c.denials}:
            by_carc[carc]["claims"] += 1
        for (cat, carc), amount in c.denials.items():
            by_category[cat]["amount"] += amount
            by_carc[carc]["amount"] += amount
    known = [c for c in decided if c.expected is not None]
    aging = {name: ZERO for name, _ in BUCKETS}
    ar_claims = 0
    ar_total = ZERO
    for c in submitted:
        if c.written_off:
            continue
        balance = _outstanding(c)
        if balance <= 0:
            continue
        ar_claims += 1
        ar_total += balance
        age = (as_of - c.submitted).days  # type: ignore[operator]
        for name, limit in BUCKETS:
            if limit is None or age <= limit:
                aging[name] += balance
                break
    since = as_of - dt.timedelta(days=WINDOW_DAYS)
    window = sum(
        (c.charge for c in claims if since < c.dos <= as_of and c.submitted and c.sequence == 1),
        ZERO,
    )
    days_in_ar = None
    if window > 0:
        days_in_ar = (ar_total / (window / WINDOW_DAYS)).quantize(Decimal("0.1"))
    expected = sum((c.expected for c in known if c.expected is not None), ZERO)
    paid_known = sum((c.paid for c in known), ZERO)
    return {
        "claims_submitted": len(submitted),
        "claims_with_verdict": len(verdicts),
        "first_pass_acceptance_rate": _rate(len(first_pass), len(verdicts)),
        "claims_decided": len(decided),
        "clean_claim_rate": _rate(len(clean), len(decided)),
        "denial_rate": _rate(len(denied), len(decided)),
        **cents(  # amounts in dollars and cents, 0.00 too (the rates and days keep theirs)
            {
                "denials_by_category": dict(sorted(by_category.items())),
                "denials_by_carc": dict(
                    sorted(by_carc.items(), key=lambda kv: (len(kv[0]), kv[0]))
                ),
                "paid_total": sum((c.paid for c in claims), ZERO),
                "expected_vs_paid": {
                    "claims": len(known),
                    "expected": expected,
                    "paid": paid_known,
                    "difference": paid_known - expected,
                    "claims_without_expected": len(decided) - len(known),
                },
                "ar_total": ar_total,
                "ar_claims": ar_claims,
                "ar_aging": aging,
            }
        ),
        "days_in_ar": days_in_ar,
    }


def build_report(
    session: Session,
    as_of: dt.date,
    scope: Scope = EVERYTHING,
    *,
    patients: bool = True,
    clinics: bool = True,
) -> dict[str, Any]:
    """The report of the clinics of `scope` (default: the whole ledger). A caller that shows
    only part of it leaves out the rest, each a cost of its own: `patients` False, the
    patients' money (patient_money: their balances, collections, the net collection rate;
    per clinic too); `clinics` False, the roll-up per clinic."""
    claims, unmatched = _load(session, as_of, scope)
    by_payer: dict[str, list[_Claim]] = defaultdict(list)
    by_clinic: dict[str, list[_Claim]] = defaultdict(list)
    for c in claims.values():
        by_payer[c.payer].append(c)
        by_clinic[c.clinic].append(c)
    overall = _metrics(list(claims.values()), as_of)
    overall["unmatched_paid"] = cents(unmatched)
    taken = _provider_adjustments(session, as_of, scope, claims)
    overall["provider_adjustments"] = cents(sum(taken.values(), ZERO))
    refunded = _payer_refunds(session, as_of, claims)
    overall["payer_refunds"] = cents(sum(refunded.values(), ZERO))
    given_back = _merged(taken, refunded)
    paid_by = _patient_collections(session, as_of, scope) if patients else {}
    money = {}
    if patients:
        money = patient_money(session, as_of, list(claims.values()), scope, given_back, paid_by)
    report = {"as_of": as_of, **overall, **money}
    report["payers"] = {k: _metrics(v, as_of) for k, v in sorted(by_payer.items())}
    if not clinics:
        return report
    per_clinic = {k: _metrics(v, as_of) for k, v in by_clinic.items()}
    if patients:
        report["provider_adjustments_of_no_clinic"] = cents(sum(_of(taken, None).values(), ZERO))
        from_patients: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for (clinic, _), amount in paid_by.items():
            from_patients[clinic] += amount
        with_money = {*from_patients, *(c for _, c in given_back if c is not None)}
        for clinic in with_money - per_clinic.keys():
            per_clinic[clinic] = _metrics([], as_of)  # money, no claim: a clinic all the same
        for clinic, figures in per_clinic.items():
            figures |= _clinic_money(
                by_clinic.get(clinic, []),
                _of(taken, clinic),
                _of(refunded, clinic),
                from_patients.get(clinic, ZERO),
            )
    report["clinics"] = dict(sorted(per_clinic.items()))
    return report


def _clinic_money(
    claims: list[_Claim], taken: _GivenBack, refunded: _GivenBack, from_patients: Decimal
) -> dict[str, Any]:
    """A clinic's collections (of its claims, PLB and refunds, patients' payments): the
    figures of the whole, of this clinic alone; the clinics' add up to the whole's (less the
    PLB of no clinic)."""
    return cents(
        {
            "provider_adjustments": sum(taken.values(), ZERO),
            "payer_refunds": sum(refunded.values(), ZERO),
            "collections_from_patients": from_patients,
        }
    ) | _collections(claims, _merged(taken, refunded), from_patients)


def _merged(taken: _GivenBack, refunded: _GivenBack) -> _GivenBack:
    """The PLB and the refunds: money given back to the payer (a refund as a PLB taking it)."""
    out: _GivenBack = defaultdict(lambda: ZERO, taken)
    for key, amount in refunded.items():
        out[key] += amount
    return out


def _patient_collections(
    session: Session, as_of: dt.date, scope: Scope
) -> dict[tuple[str, str], Decimal]:
    """What patients paid on or before as_of less the refunds they got, by (clinic, patient
    id)."""
    t = PatientTransaction
    q = (
        select(m.Clinic.key, m.Patient.external_id, t.kind, func.sum(t.amount))
        .join(m.Patient, m.Patient.id == t.patient_id)
        .join(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
        .where(t.on_date <= as_of, t.kind != "writeoff", scope.patients())
        .group_by(m.Clinic.key, m.Patient.external_id, t.kind)
    )
    out: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for clinic, patient, kind, total in session.execute(q):
        out[clinic, patient] += total if kind == "payment" else -total
    return out


def _collections(
    claims: list[_Claim], given_back: _GivenBack, from_patients: Decimal
) -> dict[str, Any]:
    """Collections by payer (what it paid on `claims` less what was `given_back` to it: PLB
    taken back, negative: paid extra, and refunds), with `from_patients` their total, and
    the net collection rate: the total / (charges of the submitted claims - their contractual
    reductions)."""
    by_payer: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for c in claims:
        if c.paid:
            by_payer[c.payer] += c.paid
    for (payer, _), amount in given_back.items():
        by_payer[payer] -= amount
    collected = sum(by_payer.values(), ZERO) + from_patients
    submitted = [c for c in claims if c.submitted]
    charges = sum((c.charge for c in submitted if c.sequence == 1), ZERO)
    contractual = sum((c.contractual for c in submitted), ZERO)
    base = charges - contractual
    rate = None if base <= 0 else (collected / base).quantize(Decimal("0.0001"))
    return cents(
        {"collections_by_payer": dict(sorted(by_payer.items())), "collections_total": collected}
    ) | {"net_collection_rate": rate}


def patient_money(
    session: Session,
    as_of: dt.date,
    claims: list[_Claim],
    scope: Scope,
    given_back: _GivenBack,
    paid_by: dict[tuple[str, str], Decimal],
) -> dict[str, Any]:
    """Patient A/R and its aging, collections by payer and by patient, the net collection
    rate, of the patients of `scope`. A payer's collections are what it paid on claims less
    what was `given_back` to it (ptbill.reports.report._collections): the money its payments
    brought (BPR02) less the money sent back; a patient's (`paid_by`, by clinic and id), what
    they paid less their refunds."""
    owed = balances(session, as_of, scope=scope)
    aging = {name: ZERO for name, _ in BUCKETS}
    for p in owed.values():
        for name, amount in p.aging(as_of).items():
            aging[name] += amount
    clinics_of: dict[str, set[str]] = defaultdict(set)
    for clinic, patient in paid_by:
        clinics_of[patient].add(clinic)
    by_patient: dict[str, Decimal] = {}
    for (clinic, patient), total in paid_by.items():  # clinics may share an id: then by clinic
        by_patient[patient if len(clinics_of[patient]) == 1 else f"{clinic}/{patient}"] = total
    collections = _collections(claims, given_back, sum(by_patient.values(), ZERO))
    return cents(
        {
            "patient_ar_total": sum((p.balance for p in owed.values()), ZERO),
            "patient_ar_patients": sum(1 for p in owed.values() if p.balance > 0),
            "patient_ar_aging": aging,
            "patient_credits": sum((p.credit for p in owed.values()), ZERO),
            "patient_pending_insurance": sum((p.pending for p in owed.values()), ZERO),
            "collections_by_payer": collections["collections_by_payer"],
            "collections_by_patient": dict(sorted(by_patient.items())),
            "collections_total": collections["collections_total"],
        }
    ) | {"net_collection_rate": collections["net_collection_rate"]}
