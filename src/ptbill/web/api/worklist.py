"""The work queue and what a biller does about an item: a corrected claim, an appeal letter,
a write-off; the queue filtered, grouped, and acted on in bulk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ptbill.errors import InputErrors, validation_errors
from ptbill.ledger.jsontext import to_json
from ptbill.ledger.work_items import MAX_NOTE, MAX_REASON, closed_row
from ptbill.remit.bulk_actions import MAX_ITEMS, BulkAction
from ptbill.remit.work_kinds import GROUP_HELP, BulkName, GroupBy
from ptbill.remit.worklist import EVERY_ITEM, group_filter, open_groups, open_items, selection
from ptbill.web import actions
from ptbill.web.api.common import (
    API_DOCS,
    AsOf,
    LedgerJSON,
    answer,
    answer_text,
    inlined,
    json_body,
)
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, ApiWriter, ReadDB, Reader
from ptbill.web.bodies import WriterBody
from ptbill.web.once import OPENAPI, api_refusal, header_key, run_once
from ptbill.web.params import (
    MAX_ID,
    ClaimNumber,
    Limit,
    Offset,
    RowId,
    WorkFilterParams,
    WorkFilters,
)
from ptbill.web.queries.common import paged

router = APIRouter(tags=["worklist"])


class WriteOff(BaseModel):
    reason: str = Field(
        min_length=1, max_length=MAX_REASON, description="Why the balance is written off"
    )


class Resolve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=MAX_NOTE, description="What was done about it")


class Expect(BaseModel):
    """The group as the caller saw it (`total` and `version` of GET /worklist, or a group's
    `count` and `version` of GET /worklist/groups)."""

    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=0, le=10**9)
    version: str = Field(min_length=1, max_length=64)


class GroupFilter(WorkFilterParams):
    """The filter of GET /worklist (its `filter`), or of a group of GET /worklist/groups."""

    model_config = ConfigDict(extra="forbid")


class Bulk(BaseModel):
    """One action on many claims: of the `items` named, or of every item `filter` selects
    (a group) with the `expect`ed count and version."""

    model_config = ConfigDict(extra="forbid")
    action: BulkName
    reason: str = Field("", max_length=MAX_REASON, description="A write-off's reason (required)")
    items: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=MAX_ITEMS, description="Work item ids"
    )
    filter: GroupFilter | None = Field(None, description="The group's filter")
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> Bulk:
        if (self.items is None) == (self.filter is None):
            raise ValueError("send either items (ids) or a filter with expect")
        if self.filter is not None and self.expect is None:
            raise ValueError("a filter needs expect: the count and version it was shown with")
        return self


def _totals(whole: Mapping[str, Any]) -> dict[str, Any]:
    return {k: whole[k] for k in ("claims", "amount", "overdue", "version")}


@router.get("/worklist", response_class=LedgerJSON)
def get_worklist(
    request: Request,
    session: ReadDB,
    who: Reader,
    filters: WorkFilters,
    as_of: AsOf = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LedgerJSON:
    """A page of the open work items the filters select, the earliest deadline first (the
    items of `ptbill worklist --json`): id, claim_id, visit_id, kind, category, rule, carc,
    rarc, amount, action, detail, due_date, overdue (as of the business date), payer, clinic,
    status, created_on, source. With them, over every item selected: `total`, `claims`,
    `amount` at stake (a claim's charge counted once), `overdue` and the selection's `version`
    (for a bulk action on all of them)."""
    day = business_date(session, request.app.state.settings, as_of)
    items = open_items(session, who.scope, filters=filters, as_of=day, limit=limit, offset=offset)
    whole = selection(session, who.scope, filters, day)
    page = paged("items", items, limit=limit, offset=offset, total=whole["count"])
    return answer({"as_of": day, "filter": filters.params(), **page, **_totals(whole)})


@router.get("/worklist/groups", response_class=LedgerJSON)
def get_groups(
    request: Request,
    session: ReadDB,
    who: Reader,
    filters: WorkFilters,
    by: Annotated[GroupBy, Query(description=GROUP_HELP)] = "rule",
    as_of: AsOf = None,
) -> LedgerJSON:
    """The open items the filters select, grouped `by` rule, reason (kind, category, CARC),
    kind, category, payer or clinic, the largest amount first: each group's `key`, the
    `filter` that lists its items (GET /worklist), `count`, `claims`, `amount`, `overdue` and
    `version` (for a bulk action on the group), counted in the database. Every group, unpaged
    (as many as the distinct keys)."""
    day = business_date(session, request.app.state.settings, as_of)
    groups = [
        {**g, "filter": group_filter(filters, g["key"]).params()}
        for g in open_groups(session, who.scope, by, filters=filters, as_of=day)
    ]
    whole = selection(session, who.scope, filters, day)
    return answer(
        {
            "as_of": day,
            "by": by,
            "filter": filters.params(),
            "groups": groups,
            "total": whole["count"],
            **_totals(whole),
        }
    )


@router.post(
    "/worklist/bulk",
    response_class=LedgerJSON,
    openapi_extra=json_body(inlined(Bulk.model_json_schema()), "The action and what it acts on"),
)
def bulk(
    request: Request, session: DB, who: ApiWriter, body: WriterBody, as_of: AsOf = None
) -> LedgerJSON:
    """Write off (with one `reason`), correct, appeal or scrub again every claim of a
    selection: the `items` named, or the whole group a `filter` selects as it was when the
    caller looked (`expect`: its count and version; 409 and nothing done when the group
    changed since). Each claim is its own transaction: the answer lists every claim as
    `done` (with its result), `refused` (why, and the fix: the action does not apply to it)
    or `failed` (nothing of it was changed), with the counts. Needs the role a single
    write-off needs."""
    try:
        sent = Bulk.model_validate_json(body)
    except ValidationError as e:
        raise InputErrors(validation_errors(e, "request", None, API_DOCS)) from None
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings, as_of), "bulk action")
    action = BulkAction(sent.action, sent.reason)
    filters = sent.filter.to_filter(state.config.payers) if sent.filter else EVERY_ITEM
    expect = (sent.expect.count, sent.expect.version) if sent.expect else None
    targets, not_acted = actions.bulk_targets(session, who, filters, day, sent.items, expect)
    result = actions.bulk_action(session, state.config, who, action, targets, not_acted, day)
    return answer({"as_of": day, **result.as_json()})


@router.post(
    "/worklist/items/{item_id}/resolve",
    response_class=LedgerJSON,
    openapi_extra=json_body(Resolve.model_json_schema(), "What was done about the item"),
)
def resolve_item(
    item_id: RowId,
    request: Request,
    session: DB,
    who: ApiWriter,
    body: WriterBody,
    as_of: AsOf = None,
) -> LedgerJSON:
    """Close a work item by hand, with a note of what was done outside ptbill (an unmatched
    payment posted by hand or returned, a payer called, a file looked at). Refused (422,
    nothing changed): an item already closed, or one a command settles (a blocked claim,
    money still owed: the answer names the command). An item of a claim gets an audit entry."""
    try:
        note = Resolve.model_validate_json(body).note
    except ValidationError as e:
        raise InputErrors(validation_errors(e, "request", None, API_DOCS)) from None
    day = actions.need_date(business_date(session, request.app.state.settings, as_of), "item")
    item = actions.resolve_item(session, who, item_id, note, day)
    session.commit()
    return answer(closed_row(item))


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
    openapi_extra=json_body(WriteOff.model_json_schema(), "Why the balance is written off")
    | OPENAPI,
)
def write_off(
    claim_number: ClaimNumber,
    request: Request,
    session: DB,
    who: ApiWriter,
    body: WriterBody,
    as_of: AsOf = None,
) -> Response:
    """Write off what is outstanding on the claim, with a reason, and close it (once per
    Idempotency-Key)."""
    key = header_key(request)
    try:
        reason = WriteOff.model_validate_json(body).reason
    except ValidationError as e:
        raise InputErrors(validation_errors(e, "request", None, API_DOCS)) from None
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings, as_of), claim_number)
    clinic_id = actions.writable_claim(session, who, claim_number)

    def run() -> tuple[int, str]:
        amount = actions.write_off_claim(session, who, claim_number, reason, day)
        return 200, to_json({"claim_id": claim_number, "written_off": amount})

    asked = (f"POST {request.url.path}", {"reason": reason, "as_of": as_of})
    today = state.settings.current_date()
    status, text = run_once(session, who, key, asked, clinic_id, today, run, api_refusal)
    return answer_text(text, status)
