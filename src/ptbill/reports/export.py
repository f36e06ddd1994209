"""`ptbill export`: the ledger's claims, payments, adjustments, work items and the patients'
money as CSV or JSON Lines, per clinic and date range, streamed (memory flat in the ledger's
size: rows are read from the database a batch at a time and written as they come).

- claims: one row per claim; the date range is the date of service.
- payments: one row per claim payment (CLP) with the payment (BPR/TRN) it came in; the date
  is the payer's decision date (DTM*405, else BPR16). Its clinic is its claim's, or, for a
  payment that matched no claim, the clinic whose NPI is the payee's.
- adjustments: one row per adjustment: the CAS reasons of claims and lines (level claim or
  line) and the provider-level adjustments (PLB, level provider); the date is the payment's.
- work-items: one row per work item, open or done; the date is the day it was opened. An item
  of no claim (a payment that matched none) has no clinic.
- patient-transactions: one row per payment, refund or write-off of a patient (ptbill pay,
  refund, patient-writeoff); the date is the day it was recorded, the clinic the patient's.
  `collected` is what it brought in (a payment's amount, a refund's less, a write-off's
  nothing): its sum over a range is the report's collections by patient as of its end.
  `applied_to` is what it paid, by claim ("V-1 6.00; V-2 10.00", net of what a later
  decision gave back to the credit); what a payment did not pay is the patient's credit.

Both formats hold the same values: money as a decimal string (12.30), dates as YYYY-MM-DD,
flags true/false; in CSV an empty cell where JSON has null.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any, TextIO

from sqlalchemy import Select, case, func, literal, null, select
from sqlalchemy.orm import Session, aliased

from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.patient_models import PatientApplication, PatientTransaction
from ptbill.ledger.scope import EVERYTHING, Scope
from ptbill.reports.cells import spreadsheet_text
from ptbill.reports.export_names import WHATS, Format, What

# A query of any number of columns.
Rows = Select[*tuple[Any, ...]]

_BATCH = 1000  # rows fetched from the database at a time
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class ExportQuery:
    what: What
    clinic: str | None = None  # a clinic key
    since: dt.date | None = None  # inclusive
    until: dt.date | None = None  # inclusive
    # The clinics the caller may reach (ptbill.ledger.scope): a row of another clinic, or of
    # none, is left out for a scoped caller, and another clinic's key is not known.
    scope: Scope = EVERYTHING

    def file_name(self, fmt: Format) -> str:
        parts = ["ptbill", self.what, self.clinic, self.since, self.until]
        return "-".join(str(p) for p in parts if p) + f".{fmt}"


def check(session: Session, query: ExportQuery) -> None:
    """Refuse what cannot be exported (before anything is written)."""
    if query.what not in WHATS:
        raise InputError(
            file="--what",
            visit_id=None,
            field=None,
            problem=f"{query.what!r} is not something the ledger exports",
            fix=f"use one of {', '.join(WHATS)}",
        )
    if query.since and query.until and query.since > query.until:
        raise InputError(
            file="--since",
            visit_id=None,
            field=None,
            problem=f"the range starts ({query.since}) after it ends ({query.until})",
            fix="give --since on or before --until",
        )
    if query.clinic is not None:
        keys = list(session.scalars(_clinic_keys(query.scope).order_by(m.Clinic.key)))
        if query.clinic not in keys:
            raise InputError(
                file="--clinic",
                visit_id=None,
                field=None,
                problem=f"no clinic {query.clinic!r} in the ledger",
                fix=f"use one of {', '.join(keys) or '(none yet: import visits first)'}",
            )


# --- the queries ----------------------------------------------------------------------------


class _ClaimOf:
    """A row's claim (when it has one) and that claim's clinic, joined from the row's claim
    id; for money, the clinic of the payee's NPI when the row has no claim."""

    def __init__(self) -> None:
        self.claim, self.visit, self.clinic = aliased(m.Claim), aliased(m.Visit), aliased(m.Clinic)

    def join(self, q: Rows, claim_id: Any) -> Rows:
        return (
            q.outerjoin(self.claim, self.claim.id == claim_id)
            .outerjoin(self.visit, self.visit.id == self.claim.visit_pk)
            .outerjoin(self.clinic, self.clinic.id == self.visit.clinic_id)
        )

    def clinic_key(self, payment: Any = None) -> Any:
        if payment is None:
            return self.clinic.key
        payee = select(func.min(m.Clinic.key)).where(m.Clinic.npi == payment.payee_npi)
        return func.coalesce(self.clinic.key, payee.scalar_subquery())


def _clinic_keys(scope: Scope) -> Select[str]:
    return select(m.Clinic.key).where(scope.clinic_rows())


def _kept(q: Rows, date: Any, clinic: Any, query: ExportQuery) -> Rows:
    """The rows of the query's date range and clinic, within its scope."""
    if query.since is not None:
        q = q.where(date >= query.since)
    if query.until is not None:
        q = q.where(date <= query.until)
    if not query.scope.everything:
        q = q.where(clinic.in_(_clinic_keys(query.scope)))
    return q.where(clinic == query.clinic) if query.clinic is not None else q


def _claims(query: ExportQuery) -> Rows:
    c, v, k, pay, pat = m.Claim, m.Visit, m.Clinic, m.Payer, m.Patient
    q = (
        select(
            c.claim_number,
            k.key.label("clinic"),
            pay.key.label("payer"),
            pat.external_id.label("patient"),
            c.state,
            c.version,
            c.date_of_service,
            c.charge,
            c.expected_allowed,
            c.expected_payment,
            c.paid,
            c.patient_responsibility,
            c.contractual,
            c.denied,
            c.written_off,
            c.payer_control_number,
            c.first_submitted_on,
            c.last_submitted_on,
            c.determined_on,
            c.created_on,
            c.closed_on,
        )
        .join(v, v.id == c.visit_pk)
        .join(k, k.id == v.clinic_id)
        .join(pay, pay.id == c.payer_id)
        .join(pat, pat.id == c.patient_id)
        .order_by(c.id)
    )
    return _kept(q, c.date_of_service, k.key, query)


def _payments(query: ExportQuery) -> Rows:
    cp, p, of = m.ClaimPayment, m.Payment, _ClaimOf()
    clinic = of.clinic_key(p)
    q = select(
        p.trace_number,
        p.payment_date,
        p.payer_name.label("payer"),
        p.payer_identifier,
        p.payee_npi,
        cp.clp01,
        of.claim.claim_number,
        clinic.label("clinic"),
        cp.status,
        cp.reversal,
        cp.charge,
        cp.paid,
        cp.patient_responsibility,
        cp.payer_control_number,
        cp.determined_on,
        cp.state_after,
        p.remittance_id,
    ).join(p, p.id == cp.payment_id)
    return _kept(of.join(q, cp.claim_id).order_by(cp.id), cp.determined_on, clinic, query)


def _cas(query: ExportQuery) -> Rows:
    a, cp, p, lp, of = m.Adjustment, m.ClaimPayment, m.Payment, m.LinePayment, _ClaimOf()
    clinic = of.clinic_key(p)
    q = (
        select(
            case((a.line_payment_id.is_(None), "claim"), else_="line").label("level"),
            p.trace_number,
            cp.clp01,
            of.claim.claim_number,
            clinic.label("clinic"),
            lp.code,
            lp.modifiers,
            a.group_code,
            a.carc,
            a.rarc,
            null().label("reference"),
            a.amount,
            a.category,
            a.action,
            cp.determined_on,
        )
        .join(cp, cp.id == a.claim_payment_id)
        .join(p, p.id == cp.payment_id)
        .outerjoin(lp, lp.id == a.line_payment_id)
    )
    return _kept(of.join(q, cp.claim_id).order_by(a.id), cp.determined_on, clinic, query)


def _plb(query: ExportQuery) -> Rows:
    """The provider-level adjustments, in the columns of _cas."""
    pa, p, of = m.ProviderAdjustment, m.Payment, _ClaimOf()
    clinic = of.clinic_key(p)
    q = select(
        literal("provider").label("level"),
        p.trace_number,
        null().label("clp01"),
        of.claim.claim_number,
        clinic.label("clinic"),
        null().label("code"),
        null().label("modifiers"),
        null().label("group_code"),
        pa.reason.label("carc"),
        null().label("rarc"),
        pa.reference,
        pa.amount,
        null().label("category"),
        null().label("action"),
        p.determined_on,
    ).join(p, p.id == pa.payment_id)
    return _kept(of.join(q, pa.claim_id).order_by(pa.id), p.determined_on, clinic, query)


def _work_items(query: ExportQuery) -> Rows:
    w, of = m.WorkItem, _ClaimOf()
    clinic = of.clinic_key()
    q = select(
        w.id,
        w.kind,
        w.category,
        w.reference,
        of.claim.claim_number,
        clinic.label("clinic"),
        w.carc,
        w.rarc,
        w.amount,
        w.action,
        w.detail,
        w.due_date,
        w.status,
        w.created_on,
        w.closed_on,
        w.resolution,
        w.source,
    )
    return _kept(of.join(q, w.claim_id).order_by(w.id), w.created_on, clinic, query)


def _patient_transactions(query: ExportQuery) -> Rows:
    """The columns `collected` and `applied_to` are filled in by _applied."""
    t, pat, k = PatientTransaction, m.Patient, m.Clinic
    q = (
        select(
            t.id,
            t.on_date,
            k.key.label("clinic"),
            pat.external_id.label("patient"),
            t.kind,
            t.method,
            t.reference,
            t.amount,
            null().label("collected"),
            null().label("applied_to"),
            t.note,
            t.who,
        )
        .join(pat, pat.id == t.patient_id)
        .join(k, k.id == pat.clinic_id)
        .order_by(t.id)
    )
    return _kept(q, t.on_date, k.key, query)


_COLLECTED = {"payment": 1, "refund": -1, "writeoff": 0}


def _applied(session: Session, data: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each patient transaction with what it brought in and what it paid, by claim (read for
    a batch of transactions at a time)."""
    while batch := list(islice(data, _BATCH)):
        a, c = PatientApplication, m.Claim
        q = (
            select(a.transaction_id, c.claim_number, func.sum(a.amount))
            .join(c, c.id == a.claim_id)
            .where(a.transaction_id.in_([r["id"] for r in batch]))
            .group_by(a.transaction_id, c.claim_number)
            .order_by(a.transaction_id, func.min(a.id))
        )
        paid: dict[int, list[str]] = {}
        for tx, claim, amount in session.execute(q):
            if amount:
                paid.setdefault(tx, []).append(f"{claim} {Decimal(amount).quantize(_CENT)}")
        for r in batch:
            r["collected"] = (r["amount"] * _COLLECTED[r["kind"]]).quantize(_CENT)
            r["applied_to"] = "; ".join(paid.get(r["id"], []))
            yield r


def _selects(query: ExportQuery) -> list[Rows]:
    if query.what == "claims":
        return [_claims(query)]
    if query.what == "payments":
        return [_payments(query)]
    if query.what == "adjustments":
        return [_cas(query), _plb(query)]
    if query.what == "patient-transactions":
        return [_patient_transactions(query)]
    return [_work_items(query)]


def columns(query: ExportQuery) -> list[str]:
    return [c.name for c in _selects(query)[0].selected_columns]


def rows(session: Session, query: ExportQuery) -> Iterator[dict[str, Any]]:
    """The export's rows as dicts of Python values, read a batch at a time (PostgreSQL: a
    server-side cursor)."""
    for q in _selects(query):
        result = session.execute(q.execution_options(yield_per=_BATCH))
        names = list(result.keys())
        data = (dict(zip(names, row, strict=True)) for row in result)
        yield from _applied(session, data) if query.what == "patient-transactions" else data


# --- the formats ----------------------------------------------------------------------------


def _value(value: Any) -> Any:
    """A JSON value: money and dates as text, flags and whole numbers as they are."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _cell(value: Any) -> str:
    """The CSV cell of a JSON value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_text(str(value))


def chunks(
    data: Iterable[dict[str, Any]], names: list[str], fmt: Format, size: int = 1 << 16
) -> Iterator[str]:
    """The export as text, in pieces of about `size` characters (a CSV header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if fmt == "csv":
        writer.writerow(names)
    for row in data:
        values = [_value(row[n]) for n in names]
        if fmt == "csv":
            writer.writerow([_cell(v) for v in values])
        else:
            buffer.write(json.dumps(dict(zip(names, values, strict=True))) + "\n")
        if buffer.tell() >= size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def write(session: Session, query: ExportQuery, fmt: Format, out: TextIO) -> int:
    """Write the export to `out`; the number of rows."""
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in rows(session, query):
            count += 1
            yield row

    for piece in chunks(counted(), columns(query), fmt):
        out.write(piece)
    return count
