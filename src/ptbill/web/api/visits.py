"""Visits: import a visit file, read a stored visit, edit it (stored and scrubbed again)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from ptbill.web import actions
from ptbill.web.api.common import VISIT_BODY, AsOf, LedgerJSON, answer, file_body
from ptbill.web.api.jobs import accepted
from ptbill.web.auth import DB, Access, ApiWriter, ReadDB
from ptbill.web.bodies import WriterBody
from ptbill.web.jobs import IMPORT, start
from ptbill.web.params import Limit, Offset, VisitId
from ptbill.web.queries import claims, visits
from ptbill.web.uploads import ApiVisits

router = APIRouter(tags=["visits"])
IntakeFormat = Literal["json", "fhir", "hl7", "csv"]
FORMAT_HELP = "The file's format; recognised from its content when not given (docs/intake.md)."


@router.get("/visits", response_class=LedgerJSON)
def list_visits(
    session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """A page of the stored visits, newest date of service first."""
    return answer(visits.list_visits(session, scope, limit=limit, offset=offset))


@router.get("/visits/{visit_id:path}", response_class=LedgerJSON)
def get_visit(visit_id: VisitId, session: ReadDB, scope: Access) -> LedgerJSON:
    """The visit as given, and as the ledger completed it (derived episode fields)."""
    return answer(visits.visit_detail(session, scope, visit_id))


@router.post(
    "/visits",
    response_class=LedgerJSON,
    status_code=202,
    openapi_extra=file_body("Visit JSON or JSON Lines, FHIR R4, HL7 v2 DFT^P03 or CSV"),
)
def import_visits(
    session: DB,
    who: ApiWriter,
    upload: ApiVisits,
    as_of: AsOf = None,
    format: Annotated[IntakeFormat | None, Query(description=FORMAT_HELP)] = None,
) -> LedgerJSON:
    """Import a visit file (multipart field `file`) as a job: the answer (202) is the job,
    queued (`Location`: `/api/v1/jobs/{id}`). Each visit is stored, coded, priced and scrubbed
    into a ready or blocked claim (idempotent by visit id); the job's `result` is the
    import's summary. One bad visit: the job fails with every problem listed, and nothing is
    imported."""
    name, text = upload
    job_id = start(session, who, IMPORT, name, text, as_of, fmt=format)
    session.commit()
    return accepted(session, who, job_id)


@router.put("/visits/{visit_id:path}", response_class=LedgerJSON, openapi_extra=VISIT_BODY)
def edit_visit(
    visit_id: VisitId,
    request: Request,
    session: DB,
    who: ApiWriter,
    body: WriterBody,
    as_of: AsOf = None,
) -> LedgerJSON:
    """Replace a visit's documentation (JSON body: the whole visit) and scrub it again; the
    answer is the claim as it now stands."""
    state = request.app.state
    summary, day = actions.edit_visit(
        session,
        state.config,
        state.settings,
        who,
        visit_id,
        body.decode("utf-8", errors="replace"),
        as_of,
    )
    session.commit()
    return answer(
        {
            **summary.as_json(),
            "as_of": day,
            "claim": claims.claim_detail(session, who.scope, visit_id),
        }
    )
