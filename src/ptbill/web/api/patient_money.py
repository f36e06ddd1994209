"""After the primary pays: patient balances, payments, refunds and write-offs, coverages,
statements, and a claim's chain of payers (ptbill.web.patient_money)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ptbill.ledger.jsontext import to_json
from ptbill.ledger.patient_pay import STATEMENT_DAY, recorded_on
from ptbill.ledger.work_items import MAX_REASON
from ptbill.web import actions
from ptbill.web import patient_money as money
from ptbill.web.api.common import AsOf, LedgerJSON, answer, answer_text
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, Access, ApiWriter, ReadDB, Reader
from ptbill.web.once import OPENAPI, api_refusal, header_key, run_once
from ptbill.web.params import ClaimNumber, Limit, Offset, RowId
from ptbill.web.security import audit_read

router = APIRouter(tags=["patients"])
Amount = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
Method = Literal["card", "cash", "check"]


class Payment(BaseModel):
    amount: Amount
    method: Method
    reference: str = Field("", max_length=50)
    claim: str | None = Field(None, max_length=38, description="Apply to this claim only.")


class Refund(BaseModel):
    amount: Amount
    method: Method
    reference: str = Field("", max_length=50)


class PayerRefund(BaseModel):
    amount: Amount
    method: Literal["check", "eft"]
    reference: str = Field(min_length=1, max_length=50, description="Check number or EFT trace")


class PatientWriteOff(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_REASON)
    claim: str | None = Field(None, max_length=38)
    amount: Amount | None = None


class NewCoverage(BaseModel):
    payer: str = Field(max_length=64)
    member_id: str = Field(min_length=1, max_length=80)
    rank: int = Field(2, ge=1, le=3)
    start_date: dt.date
    end_date: dt.date | None = None
    relationship: Literal["self", "spouse", "child", "other"] = "self"
    group_number: str | None = Field(None, max_length=50)


def _day(request: Request, session: DB, as_of: dt.date | None, what: str) -> dt.date:
    return actions.need_date(business_date(session, request.app.state.settings, as_of), what)


@router.get("/balances", response_class=LedgerJSON)
def list_balances(
    request: Request,
    session: ReadDB,
    scope: Access,
    as_of: AsOf = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LedgerJSON:
    """Patients who owe, hold a credit or wait on insurance: largest balance first."""
    day = _day(request, session, as_of, "balances")
    return answer(money.patient_balances(session, scope, day, limit, offset))


@router.get("/patients/{patient_id}/account", response_class=LedgerJSON)
def get_account(
    patient_id: RowId,
    request: Request,
    session: ReadDB,
    scope: Access,
    who: Reader,
    as_of: AsOf = None,
) -> LedgerJSON:
    """A patient's balance by visit and reason, its aging, credit, coverages, payments and
    statements (the read is audited)."""
    day = business_date(session, request.app.state.settings, as_of)
    data = money.account(session, scope, patient_id, day)
    audit_read(request, who, "read-patient", data["clinic_id"], patient_id)
    return answer(data)


def _record(
    kind: str,
    patient_id: int,
    request: Request,
    session: DB,
    who: Any,
    body: dict[str, Any],
    as_of: dt.date | None,
) -> Response:
    """A payment, refund or write-off (ptbill.web.patient_money.record), committed; once per
    Idempotency-Key (ptbill.web.once)."""
    today = request.app.state.settings.current_date()
    day = recorded_on(_day(request, session, as_of, kind), today, "as_of")
    clinic_id = money.clinic_of(session, who, patient_id)
    return _once(
        request,
        session,
        who,
        body,
        as_of,
        clinic_id,
        lambda: money.record(session, who, patient_id, kind, body, day).as_json(),
    )


def _once(
    request: Request,
    session: DB,
    who: Any,
    body: dict[str, Any],
    as_of: dt.date | None,
    clinic_id: int,
    record: Callable[[], dict[str, Any]],
) -> Response:
    """What `record` records, committed and answered 201, once per Idempotency-Key
    (ptbill.web.once: the same request sent again gets the first answer)."""

    def run() -> tuple[int, str]:
        return 201, to_json(record())

    today = request.app.state.settings.current_date()
    asked = (f"POST {request.url.path}", {**body, "as_of": as_of})
    status, text = run_once(
        session, who, header_key(request), asked, clinic_id, today, run, api_refusal
    )
    return answer_text(text, status)


@router.post(
    "/patients/{patient_id}/payments",
    response_class=LedgerJSON,
    status_code=201,
    openapi_extra=OPENAPI,
)
def post_payment(
    patient_id: RowId,
    request: Request,
    session: DB,
    who: ApiWriter,
    body: Annotated[Payment, Body()],
    as_of: AsOf = None,
) -> Response:
    """A patient payment: applied oldest balance first (or to `claim`); the rest is credit."""
    return _record("payment", patient_id, request, session, who, body.model_dump(), as_of)


@router.post(
    "/patients/{patient_id}/refunds",
    response_class=LedgerJSON,
    status_code=201,
    openapi_extra=OPENAPI,
)
def post_refund(
    patient_id: RowId,
    request: Request,
    session: DB,
    who: ApiWriter,
    body: Annotated[Refund, Body()],
    as_of: AsOf = None,
) -> Response:
    """Pay back part or all of a patient's credit."""
    return _record("refund", patient_id, request, session, who, body.model_dump(), as_of)


@router.post(
    "/patients/{patient_id}/writeoff",
    response_class=LedgerJSON,
    status_code=201,
    openapi_extra=OPENAPI,
)
def post_patient_writeoff(
    patient_id: RowId,
    request: Request,
    session: DB,
    who: ApiWriter,
    body: Annotated[PatientWriteOff, Body()],
    as_of: AsOf = None,
) -> Response:
    """Write off what the patient owes (all, a claim's, or an amount)."""
    return _record("writeoff", patient_id, request, session, who, body.model_dump(), as_of)


@router.post(
    "/claims/{claim_number:path}/payer-refunds",
    response_class=LedgerJSON,
    status_code=201,
    tags=["claims"],
    openapi_extra=OPENAPI,
)
def post_payer_refund(
    claim_number: ClaimNumber,
    request: Request,
    session: DB,
    who: ApiWriter,
    body: Annotated[PayerRefund, Body()],
    as_of: AsOf = None,
) -> Response:
    """A refund sent to the claim's payer for its over-payment: at most what the claim's open
    refund items say is owed back; they say what is left, or close. Once per Idempotency-Key."""
    today = request.app.state.settings.current_date()
    day = recorded_on(_day(request, session, as_of, claim_number), today, "as_of")
    fields = body.model_dump()
    clinic_id = actions.writable_claim(session, who, claim_number)
    return _once(
        request,
        session,
        who,
        fields,
        as_of,
        clinic_id,
        lambda: money.refund_payer(session, who, claim_number, fields, day).as_json(),
    )


@router.post("/patients/{patient_id}/coverages", response_class=LedgerJSON, status_code=201)
def post_coverage(
    patient_id: RowId,
    request: Request,
    session: DB,
    who: ApiWriter,
    body: Annotated[NewCoverage, Body()],
) -> LedgerJSON:
    """Record a coverage at a rank from a date (it replaces the one at that rank)."""
    day = _day(request, session, None, "a coverage")
    money.add_coverage(session, request.app.state.config, who, patient_id, body.model_dump(), day)
    session.commit()
    coverages = money.account(session, who.write_scope, patient_id, None)["coverages"]
    return answer(coverages, status_code=201)


@router.post("/statements", response_class=LedgerJSON, status_code=201)
def post_statements(
    request: Request, session: DB, who: ApiWriter, as_of: AsOf = None
) -> LedgerJSON:
    """Make the statements due as of the date to the patients of the clinics the caller bills
    for (the dunning cycle decides who gets one). The answer carries each statement: a read of
    each patient's record, audited."""
    today = request.app.state.settings.current_date()
    day = recorded_on(_day(request, session, as_of, "statements"), today, "as_of", STATEMENT_DAY)
    run = money.make_statements(session, request.app.state.config, who, day)
    money.record_statement_reads(session, who, run, request.url.path)
    session.commit()
    return answer(run.as_json(), status_code=201)


@router.get("/statements", response_class=LedgerJSON)
def list_statements(
    session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """The statements sent, newest first."""
    return answer(money.statements(session, scope, limit, offset))


router.get("/statements/batch/{day}.{kind}")(money.statement_batch)


@router.get("/statements/{statement_id}.pdf")
def get_statement_pdf(
    statement_id: RowId, request: Request, session: ReadDB, who: Reader, scope: Access
) -> Response:
    """A statement as it was sent (the read is audited)."""
    doc = money.statement_pdf(session, scope, request.app.state.config, statement_id)
    audit_read(request, who, "read-patient", doc.clinic_id, doc.patient_id)
    return Response(doc.pdf, media_type="application/pdf")


@router.get("/claims/{claim_number:path}/payers", response_class=LedgerJSON, tags=["claims"])
def get_claim_payers(claim_number: ClaimNumber, session: ReadDB, scope: Access) -> LedgerJSON:
    """The visit's claims, one per payer in order: primary, secondary (or crossover),
    tertiary."""
    return answer({"claim_id": claim_number, "payers": money.chain(session, scope, claim_number)})
