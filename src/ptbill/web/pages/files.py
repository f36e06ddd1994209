"""Submissions (837P out) with their acknowledgements (999, 277CA in), and remittances (835
in): the lists, the details, submitting ready claims and uploading payer files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ptbill.errors import AlreadyApplied
from ptbill.web import actions
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, Access, PageWriter, ReadDB
from ptbill.web.bodies import PageForm, form_text
from ptbill.web.jobs import POST, start
from ptbill.web.pages.common import applied_before, back_to, parse_day, show
from ptbill.web.params import PageNumber, RowId
from ptbill.web.queries import files
from ptbill.web.queries.claims import state_counts
from ptbill.web.queries.common import PAGE
from ptbill.web.uploads import PageX12

router = APIRouter(include_in_schema=False)
DETAIL_PAGE = 100  # a file's rows a page


@router.get("/submissions", response_class=HTMLResponse)
def submissions_page(
    request: Request,
    session: ReadDB,
    scope: Access,
    page: PageNumber = 1,
    acks_page: PageNumber = 1,
) -> HTMLResponse:
    ready = state_counts(session, scope)
    return show(
        request,
        session,
        "submissions.html",
        submissions=files.list_submissions(session, scope, limit=PAGE, offset=(page - 1) * PAGE),
        acknowledgements=files.list_acknowledgements(
            session, scope, limit=PAGE, offset=(acks_page - 1) * PAGE
        ),
        page=page,
        acks_page=acks_page,
        size=PAGE,
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
    if len(result.interchanges) > 1:  # one for each clinic account: the list shows them
        return back_to("/submissions", "submitted")
    submission = files.list_submissions(session, who.scope, limit=1)["submissions"][0]
    return back_to(f"/submissions/{submission['id']}", "submitted")


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(
    submission_id: RowId, request: Request, session: ReadDB, scope: Access, page: PageNumber = 1
) -> HTMLResponse:
    detail = files.submission_detail(
        session, scope, submission_id, limit=DETAIL_PAGE, offset=(page - 1) * DETAIL_PAGE
    )
    return show(request, session, "submission.html", submission=detail, page=page, size=DETAIL_PAGE)


@router.post("/acknowledgements", response_class=HTMLResponse)
def upload_ack(
    request: Request, session: DB, who: PageWriter, upload: PageX12, form: PageForm
) -> HTMLResponse:
    state = request.app.state
    name, text = upload
    day = business_date(session, state.settings, parse_day(form_text(form, "as_of", 10)))
    try:
        summary = actions.apply_acknowledgement(session, who, name, text, day)
    except AlreadyApplied as e:
        return applied_before(request, session, e, "/acknowledgements")
    session.commit()
    return show(request, session, "ack_result.html", name=name, summary=summary)


@router.get("/acknowledgements/{ack_id}", response_class=HTMLResponse)
def ack_page(
    ack_id: RowId, request: Request, session: ReadDB, scope: Access, page: PageNumber = 1
) -> HTMLResponse:
    ack = files.acknowledgement_detail(
        session, scope, ack_id, limit=DETAIL_PAGE, offset=(page - 1) * DETAIL_PAGE
    )
    return show(request, session, "ack.html", ack=ack, page=page, size=DETAIL_PAGE)


@router.get("/remittances", response_class=HTMLResponse)
def remittances_page(
    request: Request, session: ReadDB, scope: Access, page: PageNumber = 1
) -> HTMLResponse:
    return show(
        request,
        session,
        "remittances.html",
        remittances=files.list_remittances(session, scope, limit=PAGE, offset=(page - 1) * PAGE),
        page=page,
        size=PAGE,
        max_bytes=request.app.state.settings.max_upload_bytes,
    )


@router.post("/remittances")
def upload_remittance(session: DB, who: PageWriter, upload: PageX12, form: PageForm) -> Response:
    """Queue the posting of an 835; the job's page shows what posted and what did not
    match."""
    name, text = upload
    actions.check_remittance(name, text)
    job_id = start(session, who, POST, name, text, parse_day(form_text(form, "as_of", 10)))
    session.commit()
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/remittances/{remittance_id}", response_class=HTMLResponse)
def remittance_page(
    remittance_id: RowId, request: Request, session: ReadDB, scope: Access, page: PageNumber = 1
) -> HTMLResponse:
    detail = files.remittance_detail(
        session, scope, remittance_id, limit=DETAIL_PAGE, offset=(page - 1) * DETAIL_PAGE
    )
    return show(request, session, "remittance.html", remittance=detail, page=page, size=DETAIL_PAGE)
