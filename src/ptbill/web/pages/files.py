"""Submissions (837P out) with their acknowledgements (999, 277CA in), and remittances (835
in): the lists, the details, submitting ready claims and uploading payer files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ptbill.web import actions, queries
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, PageWriter, ReadDB, Reader
from ptbill.web.bodies import PageForm, form_text
from ptbill.web.pages.common import back_to, parse_day, show
from ptbill.web.uploads import PageX12

router = APIRouter(include_in_schema=False)


@router.get("/submissions", response_class=HTMLResponse)
def submissions_page(request: Request, session: ReadDB, who: Reader) -> HTMLResponse:
    ready = queries.state_counts(session)
    return show(
        request,
        session,
        "submissions.html",
        submissions=queries.list_submissions(session),
        acknowledgements=queries.list_acknowledgements(session),
        ready=ready.get("ready", 0) + ready.get("corrected", 0),
        max_bytes=request.app.state.settings.max_upload_bytes,
    )


@router.post("/submissions")
def submit(request: Request, session: DB, who: PageWriter) -> Response:
    state = request.app.state
    day = business_date(session, state.settings)
    result = actions.submit_claims(session, state.config, who, day)
    session.commit()
    if result.interchange_control_number is None:
        return back_to("/submissions", "nothing_to_submit")
    submission = queries.list_submissions(session)[0]
    return back_to(f"/submissions/{submission['id']}", "submitted")


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(
    submission_id: int, request: Request, session: ReadDB, who: Reader
) -> HTMLResponse:
    return show(
        request,
        session,
        "submission.html",
        submission=queries.submission_detail(session, submission_id),
    )


@router.post("/acknowledgements", response_class=HTMLResponse)
def upload_ack(
    request: Request, session: DB, who: PageWriter, upload: PageX12, form: PageForm
) -> HTMLResponse:
    state = request.app.state
    name, text = upload
    day = business_date(session, state.settings, parse_day(form_text(form, "as_of", 10)))
    summary = actions.apply_acknowledgement(session, who, name, text, day)
    session.commit()
    return show(request, session, "ack_result.html", name=name, summary=summary)


@router.get("/acknowledgements/{ack_id}", response_class=HTMLResponse)
def ack_page(ack_id: int, request: Request, session: ReadDB, who: Reader) -> HTMLResponse:
    return show(request, session, "ack.html", ack=queries.acknowledgement_detail(session, ack_id))


@router.get("/remittances", response_class=HTMLResponse)
def remittances_page(request: Request, session: ReadDB, who: Reader) -> HTMLResponse:
    return show(
        request,
        session,
        "remittances.html",
        remittances=queries.list_remittances(session),
        max_bytes=request.app.state.settings.max_upload_bytes,
    )


@router.post("/remittances", response_class=HTMLResponse)
def upload_remittance(
    request: Request, session: DB, who: PageWriter, upload: PageX12, form: PageForm
) -> HTMLResponse:
    """Post an 835, then show what posted and what did not match."""
    state = request.app.state
    name, text = upload
    as_of = parse_day(form_text(form, "as_of", 10)) or state.settings.as_of
    summary = actions.post_remittance(session, state.config, who, name, text, as_of)
    session.commit()
    detail = queries.remittance_detail(session, summary.remittance_id)
    return show(
        request, session, "remittance.html", remittance=detail, summary=summary, just_posted=True
    )


@router.get("/remittances/{remittance_id}", response_class=HTMLResponse)
def remittance_page(
    remittance_id: int, request: Request, session: ReadDB, who: Reader
) -> HTMLResponse:
    return show(
        request,
        session,
        "remittance.html",
        remittance=queries.remittance_detail(session, remittance_id),
    )
