"""The files the ledger exchanges with payers: 837P submissions out; 999/277CA
acknowledgements and 835 remittances in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from ptbill.errors import AlreadyApplied
from ptbill.web import actions
from ptbill.web.api.common import AsOf, LedgerJSON, answer, file_body
from ptbill.web.api.jobs import accepted
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, Access, ApiWriter, ReadDB
from ptbill.web.jobs import POST, start
from ptbill.web.params import Limit, Offset, RowId
from ptbill.web.queries import files
from ptbill.web.uploads import ApiX12

router = APIRouter(tags=["submissions, acknowledgements, remittances"])
X12_FILE = file_body("The X12 file as received")


@router.get("/submissions", response_class=LedgerJSON)
def list_submissions(
    session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """A page of the 837P interchanges sent, the newest first."""
    return answer(files.list_submissions(session, scope, limit=limit, offset=offset))


@router.post("/submissions", response_class=LedgerJSON, status_code=201)
def create_submission(
    request: Request, session: DB, who: ApiWriter, as_of: AsOf = None
) -> LedgerJSON:
    """Send every ready (and corrected) claim in an 837P, one interchange for each submitter and
    receiver the clinics send as and to; claims past the timely-filing limit are blocked
    instead. The answer names the claims sent and the interchanges (`interchange_control_number`:
    the first's)."""
    state = request.app.state
    day = business_date(session, state.settings, as_of)
    result = actions.submit_claims(session, state.config, who, day)
    session.commit()
    return answer(
        {
            "interchange_control_number": result.interchange_control_number,
            "claims": result.claims,
            "total_charge": result.total_charge,
            "late": result.late,
            "held": result.held,
            "as_of": day,
            "interchanges": [sent.as_json() for sent in result.interchanges],
        },
        status_code=201,
    )


@router.get("/submissions/{submission_id}", response_class=LedgerJSON)
def get_submission(
    submission_id: RowId, session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """One interchange, and a page of the claims it carried."""
    return answer(
        files.submission_detail(session, scope, submission_id, limit=limit, offset=offset)
    )


@router.get("/submissions/{submission_id}/837", response_class=PlainTextResponse)
def get_submission_file(submission_id: RowId, session: ReadDB, scope: Access) -> PlainTextResponse:
    """The 837P interchange exactly as it was written (to a caller who may see every claim
    it carries)."""
    name, text = files.submission_text(session, scope, submission_id)
    return PlainTextResponse(
        text, headers={"Content-Disposition": f'attachment; filename="{name.rsplit("/", 1)[-1]}"'}
    )


@router.get("/acknowledgements", response_class=LedgerJSON)
def list_acknowledgements(
    session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """A page of the 999s and 277CAs applied, the newest first."""
    return answer(files.list_acknowledgements(session, scope, limit=limit, offset=offset))


@router.get("/acknowledgements/{ack_id}", response_class=LedgerJSON)
def get_acknowledgement(
    ack_id: RowId, session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """One acknowledgement, and a page of its results."""
    return answer(files.acknowledgement_detail(session, scope, ack_id, limit=limit, offset=offset))


@router.post(
    "/acknowledgements", response_class=LedgerJSON, status_code=201, openapi_extra=X12_FILE
)
def apply_acknowledgement(
    request: Request, session: DB, who: ApiWriter, upload: ApiX12, as_of: AsOf = None
) -> LedgerJSON:
    """Apply a 999 or 277CA (multipart field `file`): rejected claims become rejections in
    the work queue (201). A file applied before changes nothing: 200, with `already_applied`
    and the date and acknowledgement it was applied as."""
    state = request.app.state
    name, text = upload
    day = business_date(session, state.settings, as_of)
    try:
        summary = actions.apply_acknowledgement(session, who, name, text, day)
    except AlreadyApplied as e:
        session.rollback()
        return answer(e.as_json())  # done before, nothing changed: no error (as the CLI, exit 0)
    session.commit()
    return answer(summary.as_json(), status_code=201)


@router.get("/remittances", response_class=LedgerJSON)
def list_remittances(
    session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """A page of the 835s posted, the newest first."""
    return answer(files.list_remittances(session, scope, limit=limit, offset=offset))


@router.get("/remittances/{remittance_id}", response_class=LedgerJSON)
def get_remittance(
    remittance_id: RowId, session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """What one 835 posted: its payments (with PLB), and a page of its claim payments, each
    matched to a claim or not, with its adjustments."""
    return answer(
        files.remittance_detail(session, scope, remittance_id, limit=limit, offset=offset)
    )


@router.post("/remittances", response_class=LedgerJSON, status_code=202, openapi_extra=X12_FILE)
def post_remittance(session: DB, who: ApiWriter, upload: ApiX12, as_of: AsOf = None) -> LedgerJSON:
    """Post an 835 (multipart field `file`) as a job: the answer (202) is the job, queued
    (`Location`: `/api/v1/jobs/{id}`). The whole file posts or nothing, once; the job's
    `result` says what posted and what did not match a claim; a payment posted before, in any
    file, is listed in its `already_posted` (with the date, trace number and remittance it was
    posted with) and not posted again. A bad file: the job fails with the problem, and nothing
    is posted."""
    name, text = upload
    actions.check_remittance(name, text)
    job_id = start(session, who, POST, name, text, as_of)
    session.commit()
    return accepted(session, who, job_id)
