"""The Payers page: ask payers (a 270 for a day's visits or one patient, a 276 for claims past
their window), download what was written, and apply what came back (a 271 or a 277); and
running the clearinghouse exchange from the Exchange page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ptbill.errors import AlreadyApplied
from ptbill.exchange.lease import RunGoing
from ptbill.ledger.eligibility import recent_checks
from ptbill.web import payer_actions
from ptbill.web.actions import need_date
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, Access, PageWriter, ReadDB
from ptbill.web.bodies import PageForm, form_text
from ptbill.web.pages.common import applied_before, back_to, parse_day, show
from ptbill.web.pages.exchange import exchange_context
from ptbill.web.params import MAX_ID, PageNumber
from ptbill.web.queries.common import PAGE
from ptbill.web.queries.inquiries import list_inquiries
from ptbill.web.uploads import PageX12

router = APIRouter(include_in_schema=False)


@router.get("/payers", response_class=HTMLResponse)
def payers_page(
    request: Request, session: ReadDB, scope: Access, page: PageNumber = 1
) -> HTMLResponse:
    return show(
        request,
        session,
        "payers.html",
        inquiries=list_inquiries(session, scope, limit=PAGE, offset=(page - 1) * PAGE),
        checks=recent_checks(session, None, 20, 0, scope),
        page=page,
        size=PAGE,
        max_bytes=request.app.state.settings.max_upload_bytes,
    )


def _patient_id(text: str) -> int | None:
    """The form's patient id (a number the ledger could hold), else None."""
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None


def _written(data: dict[str, object]) -> RedirectResponse:
    return back_to("/payers", "inquiry_written" if data["inquiry_id"] else "nothing_to_ask")


@router.post("/payers/eligibility-requests")
def request_eligibility(
    request: Request, session: DB, who: PageWriter, form: PageForm
) -> RedirectResponse:
    """A 270 for a date's visits (`date`) or one patient (`patient_id`)."""
    state = request.app.state
    on = parse_day(form_text(form, "date", 10))
    patient = _patient_id(form_text(form, "patient_id", 12))
    day = business_date(session, state.settings)
    data = payer_actions.request_eligibility(
        session, state.config, who, on=on, patient_id=patient, as_of=day
    )
    session.commit()
    return _written(data)


@router.post("/payers/status-requests")
def request_status(
    request: Request, session: DB, who: PageWriter, form: PageForm
) -> RedirectResponse:
    """A 276 for the claims past their payer's window, or the one claim named."""
    state = request.app.state
    claim = form_text(form, "claim", 38).strip()
    day = business_date(session, state.settings)
    data = payer_actions.request_status(session, state.config, who, [claim] if claim else [], day)
    session.commit()
    return _written(data)


@router.post("/payers/responses", response_class=HTMLResponse)
def apply_response(
    request: Request, session: DB, who: PageWriter, upload: PageX12, form: PageForm
) -> HTMLResponse:
    """Apply a 271 or a 277 (told apart by their content), then show what it did."""
    state = request.app.state
    name, text = upload
    day = business_date(session, state.settings, parse_day(form_text(form, "as_of", 10)))
    try:
        kind, summary = payer_actions.apply_answer(session, who, name, text, day)
    except AlreadyApplied as e:
        return applied_before(request, session, e, "/payers")
    session.commit()
    return show(
        request, session, "payer_answer.html", name=name, kind=kind, summary=summary.as_json()
    )


@router.post("/exchange", response_class=HTMLResponse)
def run_exchange(
    request: Request, session: ReadDB, who: PageWriter, scope: Access, form: PageForm
) -> HTMLResponse:
    """Run the exchange now, then show the run (see ptbill.web.payer_actions)."""
    state = request.app.state
    payer_actions.check_exchange_runner(session, who)
    clinic = form_text(form, "clinic", 64).strip() or None
    day = need_date(business_date(session, state.settings), "exchange")
    try:
        summary = payer_actions.run_clearinghouse(state.sessions, state.config, who, clinic, day)
    except RunGoing as going:  # said on the page, with the runs (the one going among them)
        session.rollback()
        context = exchange_context(session, scope, going.run_id)
        return show(
            request,
            session,
            "exchange.html",
            **context,
            config=state.config,
            flash=f"Not started: {going}.",
            flash_kind="warn",
            status_code=409,
        )
    session.rollback()  # a new snapshot: the runs list shows this run
    context = exchange_context(session, scope, None, summary)
    return show(request, session, "exchange.html", **context, config=state.config)
