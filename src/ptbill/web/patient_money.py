"""What the workbench shows and does after the primary pays: a patient's account (balance by
visit and reason, coverages, payments), the statements, and a claim's chain of payers. The
API and the pages both come through here; the writes call the ledger's workflow
(ptbill.ledger.patient_pay, ptbill.ledger.coverages, ptbill.reports.statements).

Each takes the caller's scope (ptbill.ledger.scope), as every query of clinic-owned rows does:
a read the reader's (`Access`), a change the writer's (`Principal.write_scope`), so a patient
or statement of another clinic is not found and a statement run reaches only their patients."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.config.profiles import Clinic, Config
from ptbill.domain.visit import Subscriber
from ptbill.errors import InputError
from ptbill.ledger import coverages
from ptbill.ledger import models as m
from ptbill.ledger.balances import balances
from ptbill.ledger.patient_models import PatientTransaction, Statement
from ptbill.ledger.patient_pay import Applied, pay, refund, write_off
from ptbill.ledger.payer_refunds import Refunded, record_payer_refund
from ptbill.ledger.scope import Scope
from ptbill.ledger.secondary import hold_changed
from ptbill.reports.statements import (
    STEPS,
    StatementRun,
    batch_pdf,
    clinics_of,
    run_statements,
    to_csv,
)
from ptbill.reports.statements import statement_pdf as render_statement
from ptbill.web import security
from ptbill.web.accounts import Principal
from ptbill.web.actions import writable_claim
from ptbill.web.auth import Access, ReadDB, Reader
from ptbill.web.errors import NotFound
from ptbill.web.queries.claims import SEQUENCE_NAMES, payer_chain
from ptbill.web.queries.patients import patient_row


def account(
    session: Session, scope: Scope, patient_id: int, as_of: dt.date | None
) -> dict[str, Any]:
    """A patient's balance (by visit, reason and age), credit, coverages and transactions."""
    p = patient_row(session, scope, patient_id)
    day = as_of or dt.date.max
    bal = balances(session, day, [p.id], scope=scope)[p.id]
    tx = PatientTransaction
    return {
        "id": p.id,
        "clinic_id": p.clinic_id,
        "patient_id": p.external_id,
        "name": f"{p.last_name}, {p.first_name}",
        "as_of": as_of,
        **bal.as_json(day),
        "coverages": [
            {
                "rank": c.rank,
                "role": SEQUENCE_NAMES[c.rank],
                "payer": c.payer_key,
                "member_id": c.subscriber.member_id,
                "start_date": c.start_date,
                "end_date": c.end_date,
            }
            for c in coverages.of_patients(session, [p.id])[p.id]
        ],
        "transactions": [
            {
                "kind": t.kind,
                "amount": t.amount,
                "method": t.method,
                "reference": t.reference,
                "on_date": t.on_date,
                "who": t.who,
                "note": t.note,
            }
            for t in session.scalars(
                select(tx).where(tx.patient_id == p.id).order_by(tx.on_date.desc(), tx.id.desc())
            )
        ],
        "statements": [
            {"id": s.id, "statement_date": s.statement_date, "step": s.step, "balance": s.balance}
            for s in session.scalars(
                select(Statement)
                .where(Statement.patient_id == p.id)
                .order_by(Statement.statement_date.desc(), Statement.id.desc())
            )
        ],
    }


def balance_of(
    session: Session, scope: Scope, patient_id: int, as_of: dt.date | None
) -> dict[str, Any]:
    """What the patient page shows of the account: owed, credit, waiting on insurance."""
    bal = balances(session, as_of or dt.date.max, [patient_id], scope=scope).get(patient_id)
    if bal is None:
        return {"balance": Decimal(0), "credit": Decimal(0), "pending": Decimal(0)}
    return {"balance": bal.balance, "credit": bal.credit, "pending": bal.pending}


def patient_balances(
    session: Session, scope: Scope, as_of: dt.date, limit: int, offset: int
) -> dict[str, Any]:
    """The patients who owe or hold a credit, largest balance first, a page at a time."""
    owed = [
        b
        for b in balances(session, as_of, scope=scope).values()
        if b.balance > 0 or b.credit > 0 or b.pending
    ]
    owed.sort(key=lambda b: (-b.balance, b.external_id))
    page = owed[offset : offset + limit]
    return {
        "as_of": as_of,
        "total": len(owed),
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < len(owed) else None,
        "patients": [{"id": b.patient_id, **b.as_json(as_of)} for b in page],
    }


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


# The command line's names of what the ledger refuses, as the request names them.
_FIELDS = {"AMOUNT": "amount", "--method": "method", "--ref": "reference", "--claim": "claim"}


def clinic_of(session: Session, who: Principal, patient_id: int) -> int:
    """The clinic of a patient whose money the writer records (another clinic's: not found)."""
    return patient_row(session, who.write_scope, patient_id).clinic_id


def record(
    session: Session,
    who: Principal,
    patient_id: int,
    kind: str,
    body: dict[str, Any],
    day: dt.date,
) -> Applied:
    """A patient's payment, refund or write-off (`kind`), from a request's fields; a patient
    of a clinic the writer does not bill for is not found. What the ledger refuses is said
    in the request's words (its field names, not the command line's)."""
    with _in_request_words():
        return _record(session, who, patient_id, kind, body, day)


def refund_payer(
    session: Session, who: Principal, claim_number: str, body: dict[str, Any], day: dt.date
) -> Refunded:
    """A refund sent to the payer of a claim the user may change (another clinic's claim is
    not found), from a request's fields, refused in the request's words."""
    clinic_id = writable_claim(session, who, claim_number)
    with _in_request_words():
        return record_payer_refund(
            session,
            claim=claim_number,
            amount=Decimal(str(body["amount"])),
            method=body["method"],
            reference=body.get("reference") or "",
            on=day,
            who=who.who,
            scope=who.write_scope.narrow(clinic_id),
        )


@contextmanager
def _in_request_words() -> Iterator[None]:
    try:
        yield
    except InputError as e:
        if e.file != "command line":
            raise
        field = _FIELDS.get(e.field or "", e.field)
        raise InputError("request", e.problem, e.fix, field=field) from None


def _record(
    session: Session, who: Principal, patient_id: int, kind: str, body: dict[str, Any], day: dt.date
) -> Applied:
    p = patient_row(session, who.write_scope, patient_id)
    common: dict[str, Any] = {
        "patient": p.external_id,
        "scope": who.write_scope.narrow(p.clinic_id),  # this patient's clinic alone
        "on": day,
        "who": who.who,
    }
    if kind == "writeoff":
        return write_off(
            session,
            **common,
            reason=body["reason"],
            claim=body.get("claim") or None,
            amount=_money(body.get("amount")),
        )
    money = {"amount": _money(body["amount"]), "method": body["method"]}
    reference = body.get("reference") or ""
    if kind == "refund":
        return refund(session, **common, **money, reference=reference)
    return pay(session, **common, **money, reference=reference, claim=body.get("claim") or None)


def add_coverage(
    session: Session,
    config: Config,
    who: Principal,
    patient_id: int,
    body: dict[str, Any],
    day: dt.date,
) -> list[str]:
    """Record a coverage; the next payers' claims not sent yet that it changes are held
    (ptbill.ledger.secondary.hold_changed: their numbers)."""
    p = patient_row(session, who.write_scope, patient_id)
    profile = coverages.profile_of(config, body["payer"], "request")
    coverages.record(
        session,
        patient_pk=p.id,
        profile=profile,
        subscriber=Subscriber(
            member_id=body["member_id"],
            relationship=body.get("relationship") or "self",
            group_number=body.get("group_number") or None,
        ),
        rank=int(body.get("rank") or 2),
        start=body["start_date"],
        end=body.get("end_date") or None,
        source=f"by {who.who}",
    )
    return hold_changed(session, p.id, as_of=day, who=who.who)


def make_statements(session: Session, config: Config, who: Principal, day: dt.date) -> StatementRun:
    """The statements due to the patients of the clinics the writer bills for."""
    return run_statements(session, config, as_of=day, who=who.who, scope=who.write_scope)


def statements(session: Session, scope: Scope, limit: int, offset: int) -> dict[str, Any]:
    """The statements sent (to the patients of `scope`), newest first, a page at a time."""
    sent = (Statement.step.in_(STEPS), scope.patient_ids(Statement.patient_id))
    total = session.scalar(select(func.count()).select_from(Statement).where(*sent))
    q = (
        select(Statement, m.Patient.external_id)
        .join(m.Patient, m.Patient.id == Statement.patient_id)
        .where(*sent)
        .order_by(Statement.statement_date.desc(), Statement.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = [
        {
            "id": s.id,
            "patient": pid,
            "patient_pk": s.patient_id,
            "statement_date": s.statement_date,
            "step": s.step,
            "balance": s.balance,
        }
        for s, pid in session.execute(q)
    ]
    return {
        "total": total or 0,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < (total or 0) else None,
        "statements": rows,
    }


class StatementFile(NamedTuple):
    """A statement's PDF, and whose record it comes from (for the access log)."""

    pdf: bytes
    patient_id: int
    clinic_id: int


def statement_pdf(
    session: Session, scope: Scope, config: Config, statement_id: int
) -> StatementFile:
    """A statement as it was sent, as PDF (from what it listed), under its patient's clinic."""
    row = session.execute(
        select(Statement, m.Patient.clinic_id)
        .join(m.Patient, m.Patient.id == Statement.patient_id)
        .where(Statement.id == statement_id, Statement.step.in_(STEPS), scope.patients())
    ).first()
    if row is None:
        raise NotFound("statement", statement_id)
    s, clinic_id = row
    clinic = clinics_of(session, config, [s.patient_id]).get(s.patient_id)
    return StatementFile(
        render_statement(json.loads(s.detail_json), clinic), s.patient_id, clinic_id
    )


class StatementBatch(NamedTuple):
    """A day's statements (what each listed, under its clinic), and whose records they are
    (clinic, patient: for the access log)."""

    pages: list[tuple[dict[str, Any], Clinic | None]]
    records: list[tuple[int, int]]


def statements_of_day(
    session: Session, scope: Scope, config: Config, day: dt.date
) -> StatementBatch:
    """The statements sent on a day to the patients of `scope`, in the order they were made
    (the batch PDF and the mail vendor's CSV, as `ptbill statements` writes them)."""
    rows = session.execute(
        select(Statement, m.Patient.clinic_id)
        .join(m.Patient, m.Patient.id == Statement.patient_id)
        .where(Statement.statement_date == day, Statement.step.in_(STEPS), scope.patients())
        .order_by(Statement.id)
    ).all()
    if not rows:
        raise NotFound("statements of", day.isoformat())
    clinics = clinics_of(session, config, [s.patient_id for s, _ in rows])
    return StatementBatch(
        [(json.loads(s.detail_json), clinics.get(s.patient_id)) for s, _ in rows],
        [(clinic_id, s.patient_id) for s, clinic_id in rows],
    )


def statement_batch(
    day: dt.date,
    kind: Literal["pdf", "csv"],
    request: Request,
    session: ReadDB,
    who: Reader,
    scope: Access,
) -> Response:
    """The statements sent on a day as one PDF to print (`pdf`) or the mail vendor's CSV
    (`csv`), as `ptbill statements` writes them (each patient's record read: the access log).
    The route of the API and of the pages."""
    batch = statements_of_day(session, scope, request.app.state.config, day)
    with request.app.state.sessions.begin() as audit:  # one write for the whole batch
        for clinic_id, patient_id in batch.records:
            security.record(
                audit,
                who.who,
                security.READ_PATIENT,
                clinic_id=clinic_id,
                patient_id=patient_id,
                detail=request.url.path,
            )
    if kind == "csv":
        body, media = to_csv(batch.pages).encode("utf-8"), "text/csv; charset=utf-8"
    else:
        body, media = batch_pdf(batch.pages, day), "application/pdf"
    name = f"statements-{day.isoformat()}.{kind}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


def record_statement_reads(session: Session, who: Principal, run: StatementRun, path: str) -> None:
    """An answer that carries a run's statements (each patient's name, address and balance)
    is a read of each patient's record: the access log's entries, in the run's transaction."""
    clinics: dict[int, int] = {}
    for i in range(0, len(run.patients), 500):
        part = run.patients[i : i + 500]
        q = select(m.Patient.id, m.Patient.clinic_id).where(m.Patient.id.in_(part))
        clinics |= {pid: clinic for pid, clinic in session.execute(q)}
    for pid in run.patients:
        security.record(
            session,
            who.who,
            security.READ_PATIENT,
            clinic_id=clinics[pid],
            patient_id=pid,
            detail=path,
        )


def chain(session: Session, scope: Scope, claim_number: str) -> list[dict[str, Any]]:
    """The claims of a claim's visit, one per payer in order (primary, secondary...)."""
    claim = session.scalar(
        select(m.Claim).where(m.Claim.claim_number == claim_number, scope.claims())
    )
    if claim is None:
        raise NotFound("claim", claim_number)
    return payer_chain(session, claim)
