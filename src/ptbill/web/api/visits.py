"""Visits: import a visit file, read a stored visit, edit it (stored and scrubbed again)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile

from ptbill.web import actions, queries
from ptbill.web.api.common import AsOf, LedgerJSON, Limit, Offset, answer
from ptbill.web.auth import DB, ApiWriter, ReadDB, Reader
from ptbill.web.uploads import read_upload

router = APIRouter(tags=["visits"])
IntakeFormat = Literal["json", "fhir", "hl7", "csv"]
FORMAT_HELP = "The file's format; recognised from its content when not given."


@router.get("/visits", response_class=LedgerJSON)
def list_visits(session: ReadDB, who: Reader, limit: Limit = 50, offset: Offset = 0) -> LedgerJSON:
    return answer(queries.list_visits(session, limit=limit, offset=offset))


@router.get("/visits/{visit_id}", response_class=LedgerJSON)
def get_visit(visit_id: str, session: ReadDB, who: Reader) -> LedgerJSON:
    """The visit as given, and as the ledger completed it (derived episode fields)."""
    return answer(queries.visit_detail(session, visit_id))


@router.post("/visits", response_class=LedgerJSON, status_code=201)
async def import_visits(
    request: Request,
    session: DB,
    who: ApiWriter,
    file: Annotated[
        UploadFile, File(description="Visit JSON or JSON Lines, FHIR R4, HL7 v2 DFT^P03 or CSV")
    ],
    as_of: AsOf = None,
    format: Annotated[IntakeFormat | None, Query(description=FORMAT_HELP)] = None,
) -> LedgerJSON:
    """Import a visit file: each visit is stored, coded, priced and scrubbed into a ready or
    blocked claim (idempotent by visit id). One bad visit: nothing is imported (422)."""
    state = request.app.state
    name, text = await read_upload(file, "visits", state.settings.max_upload_bytes)
    summary, day = actions.import_visits(
        session, state.config, state.settings, who, name, text, as_of, format
    )
    session.commit()
    return answer({**summary.as_json(), "as_of": day}, status_code=201)


@router.put("/visits/{visit_id}", response_class=LedgerJSON)
async def edit_visit(
    visit_id: str, request: Request, session: DB, who: ApiWriter, as_of: AsOf = None
) -> LedgerJSON:
    """Replace a visit's documentation (JSON body: the whole visit) and scrub it again; the
    answer is the claim as it now stands."""
    state = request.app.state
    body = await request.body()
    if len(body) > state.settings.max_upload_bytes:
        return answer(
            {
                "error": {
                    "field": "(body)",
                    "problem": "the visit is too large",
                    "fix": "send one visit",
                }
            },
            status_code=413,
        )
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
        {**summary.as_json(), "as_of": day, "claim": queries.claim_detail(session, visit_id)}
    )
