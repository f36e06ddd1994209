"""The work queue and what a biller does about an item: a corrected claim, an appeal letter,
a write-off."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, ValidationError

from ptbill.errors import InputErrors, validation_errors
from ptbill.remit.work_kinds import Kind
from ptbill.remit.worklist import count_open, open_items
from ptbill.web import actions
from ptbill.web.api.common import AsOf, LedgerJSON, answer, json_body
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, Access, ApiWriter, ReadDB
from ptbill.web.bodies import WriterBody
from ptbill.web.params import ClaimNumber, Limit, Offset
from ptbill.web.queries.common import paged

router = APIRouter(tags=["worklist"])


class WriteOff(BaseModel):
    reason: str = Field(min_length=1, max_length=200, description="Why the balance is written off")


@router.get("/worklist", response_class=LedgerJSON)
def get_worklist(
    request: Request,
    session: ReadDB,
    scope: Access,
    kind: Annotated[Kind | None, Query(description="One kind of item")] = None,
    category: str | None = None,
    as_of: AsOf = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LedgerJSON:
    """A page of the open work items, the earliest deadline first (the items of
    `ptbill worklist --json`): id, claim_id, visit_id, kind (denial, rejection,
    underpayment, unmatched, blocked), category, carc, rarc, amount, action, detail,
    due_date, overdue (as of the business date), payer, status, created_on, source."""
    day = business_date(session, request.app.state.settings, as_of)
    items = open_items(
        session, scope, kind=kind, category=category, as_of=day, limit=limit, offset=offset
    )
    total = count_open(session, scope, kind=kind, category=category)
    return answer({"as_of": day, **paged("items", items, limit=limit, offset=offset, total=total)})


@router.post("/claims/{claim_number:path}/correct", response_class=LedgerJSON, tags=["claims"])
def correct_claim(
    claim_number: ClaimNumber, request: Request, session: DB, who: ApiWriter, as_of: AsOf = None
) -> LedgerJSON:
    """Make a corrected claim from the stored (fixed) visit: a replacement (frequency 7) when
    the payer processed the original; it goes out with the next submission."""
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings, as_of), claim_number)
    result = actions.correct_claim(session, state.config, who, claim_number, day)
    session.commit()
    return answer(result.as_json())


@router.post("/claims/{claim_number:path}/appeal", response_class=LedgerJSON, tags=["claims"])
def appeal_claim(
    claim_number: ClaimNumber, request: Request, session: DB, who: ApiWriter, as_of: AsOf = None
) -> LedgerJSON:
    """Make an appeal letter (HTML and PDF, kept in the ledger) for a denied or underpaid
    claim; the answer links to both."""
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings, as_of), claim_number)
    result = actions.appeal_claim(session, state.config, who, claim_number, day)
    session.commit()
    base = f"/claims/{quote(claim_number)}/appeals/{result.appeal_id}"
    return answer(
        {
            "claim_id": claim_number,
            "appeal_id": result.appeal_id,
            "level": result.level,
            "due_date": result.due_date,
            "html": f"{base}.html",
            "pdf": f"{base}.pdf",
        },
        status_code=201,
    )


@router.post(
    "/claims/{claim_number:path}/writeoff",
    response_class=LedgerJSON,
    tags=["claims"],
    openapi_extra=json_body(WriteOff.model_json_schema(), "Why the balance is written off"),
)
def write_off(
    claim_number: ClaimNumber,
    request: Request,
    session: DB,
    who: ApiWriter,
    body: WriterBody,
    as_of: AsOf = None,
) -> LedgerJSON:
    """Write off what is outstanding on the claim, with a reason, and close it."""
    try:
        reason = WriteOff.model_validate_json(body).reason
    except ValidationError as e:
        raise InputErrors(validation_errors(e, "request", None)) from None
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings, as_of), claim_number)
    amount = actions.write_off_claim(session, who, claim_number, reason, day)
    session.commit()
    return answer({"claim_id": claim_number, "written_off": amount})
