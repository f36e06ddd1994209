"""Pages after the primary pays: a patient's account (balance, payment form, coverages), the
statements, and the claim page's chain of payers (ptbill.web.patient_money)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ptbill.ledger.once import MAX_KEY
from ptbill.ledger.patient_pay import STATEMENT_DAY, recorded_on, typed_amount
from ptbill.ledger.work_items import MAX_REASON
from ptbill.web import actions
from ptbill.web import patient_money as money
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, Access, PageWriter, ReadDB, Reader
from ptbill.web.once import form_key, form_refusal, run_once
from ptbill.web.pages.common import DONE, back_to, show
from ptbill.web.params import ClaimNumber, PageNumber, RowId
from ptbill.web.security import audit_read

router = APIRouter(include_in_schema=False)
DONE.update(
    {
        "paid": "The payment was recorded and applied.",
        "refunded": "The refund was recorded.",
        "payer_refunded": (
            "The refund to the payer was recorded; the claim's refund items say what is left."
        ),
        "patient_written_off": "The patient's balance was written off.",
        "coverage_added": "The coverage was recorded.",
        "statements": "The statements due were made.",
    }
)
Text = Annotated[str, Form(max_length=200)]
Once = Annotated[str, Form(max_length=MAX_KEY)]  # the form's one-time token (ptbill.web.once)


def _amount(text: str) -> str:
    return str(
        typed_amount(text, "form", "amount", "type dollars and cents, e.g. 25.00 or 1,250.00")
    )


def _day(request: Request, session: Any, what: str) -> dt.date:
    return actions.need_date(business_date(session, request.app.state.settings), what)


def _record(
    kind: str,
    patient_id: int,
    request: Request,
    session: Any,
    who: Any,
    body: dict[str, Any],
    done: str,
    once: str,
) -> Response:
    """Record the money once per form (its one-time token: a second submit of the same form
    goes where the first went)."""
    today = request.app.state.settings.current_date()
    day = recorded_on(_day(request, session, kind), today, "as_of")
    clinic_id = money.clinic_of(session, who, patient_id)
    back = back_to(f"/patients/{patient_id}/account", done).headers["location"]
    return _once(
        request,
        session,
        who,
        body,
        once,
        clinic_id,
        lambda: money.record(session, who, patient_id, kind, body, day),
        back,
    )


def _once(
    request: Request,
    session: Any,
    who: Any,
    body: dict[str, Any],
    once: str,
    clinic_id: int,
    record: Callable[[], object],
    back: str,
) -> Response:
    """What `record` records, then back to `back`, once per form (its one-time token: a
    second submit of the same form goes where the first went; ptbill.web.once)."""

    def run() -> tuple[int, str]:
        record()
        return 303, back

    today = request.app.state.settings.current_date()
    asked = (f"form {request.url.path}", body)
    key = form_key(once)
    _, location = run_once(session, who, key, asked, clinic_id, today, run, form_refusal)
    return RedirectResponse(location, status_code=303)


@router.get("/patients/{patient_id}/account", response_class=HTMLResponse)
def account_page(
    patient_id: RowId, request: Request, session: ReadDB, who: Reader, scope: Access
) -> HTMLResponse:
    day = business_date(session, request.app.state.settings)
    payers = sorted(request.app.state.config.payers)
    data = money.account(session, scope, patient_id, day)
    audit_read(request, who, "read-patient", data["clinic_id"], patient_id)
    return show(request, session, "account.html", account=data, payers=payers)


@router.post("/patients/{patient_id}/payments")
def pay_form(
    patient_id: RowId,
    request: Request,
    session: DB,
    who: PageWriter,
    amount: Annotated[str, Form(max_length=20)],
    method: Annotated[str, Form(max_length=10)],
    reference: Text = "",
    claim: Text = "",
    once: Once = "",
) -> Response:
    body = {"amount": _amount(amount), "method": method, "reference": reference, "claim": claim}
    return _record("payment", patient_id, request, session, who, body, "paid", once)


@router.post("/patients/{patient_id}/refunds")
def refund_form(
    patient_id: RowId,
    request: Request,
    session: DB,
    who: PageWriter,
    amount: Annotated[str, Form(max_length=20)],
    method: Annotated[str, Form(max_length=10)],
    reference: Text = "",
    once: Once = "",
) -> Response:
    body = {"amount": _amount(amount), "method": method, "reference": reference}
    return _record("refund", patient_id, request, session, who, body, "refunded", once)


@router.post("/claims/{claim_number:path}/payer-refunds")
def payer_refund_form(
    claim_number: ClaimNumber,
    request: Request,
    session: DB,
    who: PageWriter,
    amount: Annotated[str, Form(max_length=20)],
    method: Annotated[str, Form(max_length=10)],
    reference: Annotated[str, Form(max_length=50)] = "",
    once: Once = "",
) -> Response:
    """The claim page's form: a refund sent to the payer for the claim's over-payment, once
    per form (its one-time token: a second submit goes where the first went)."""
    today = request.app.state.settings.current_date()
    day = recorded_on(_day(request, session, claim_number), today, "as_of")
    body = {"amount": _amount(amount), "method": method, "reference": reference}
    clinic_id = actions.writable_claim(session, who, claim_number)
    back = back_to(f"/claims/{quote(claim_number)}", "payer_refunded").headers["location"]
    return _once(
        request,
        session,
        who,
        body,
        once,
        clinic_id,
        lambda: money.refund_payer(session, who, claim_number, body, day),
        back,
    )


@router.post("/patients/{patient_id}/writeoff")
def writeoff_form(
    patient_id: RowId,
    request: Request,
    session: DB,
    who: PageWriter,
    reason: Annotated[str, Form(min_length=1, max_length=MAX_REASON)],
    claim: Text = "",
    once: Once = "",
) -> Response:
    body = {"reason": reason, "claim": claim}
    done = "patient_written_off"
    return _record("writeoff", patient_id, request, session, who, body, done, once)


@router.post("/patients/{patient_id}/coverages")
def coverage_form(
    patient_id: RowId,
    request: Request,
    session: DB,
    who: PageWriter,
    payer: Annotated[str, Form(max_length=64)],
    member_id: Annotated[str, Form(min_length=1, max_length=80)],
    start_date: Annotated[dt.date, Form()],
    rank: Annotated[int, Form(ge=1, le=3)] = 2,
) -> Response:
    body = {"payer": payer, "member_id": member_id, "start_date": start_date, "rank": rank}
    day = _day(request, session, "a coverage")
    money.add_coverage(session, request.app.state.config, who, patient_id, body, day)
    session.commit()
    return back_to(f"/patients/{patient_id}/account", "coverage_added")


@router.get("/statements", response_class=HTMLResponse)
def statements_page(
    request: Request, session: ReadDB, scope: Access, page: PageNumber = 1
) -> HTMLResponse:
    data = money.statements(session, scope, 50, (page - 1) * 50)
    return show(request, session, "statements.html", data=data, page=page)


@router.post("/statements")
def statements_form(request: Request, session: DB, who: PageWriter) -> Response:
    today = request.app.state.settings.current_date()
    day = recorded_on(_day(request, session, "statements"), today, "as_of", STATEMENT_DAY)
    money.make_statements(session, request.app.state.config, who, day)
    session.commit()
    return back_to("/statements", "statements")


router.get("/statements/batch/{day}.{kind}")(money.statement_batch)


@router.get("/statements/{statement_id}.pdf")
def statement_file(
    statement_id: RowId, request: Request, session: ReadDB, who: Reader, scope: Access
) -> Response:
    doc = money.statement_pdf(session, scope, request.app.state.config, statement_id)
    audit_read(request, who, "read-patient", doc.clinic_id, doc.patient_id)
    return Response(
        doc.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="statement-{statement_id}.pdf"'},
    )
