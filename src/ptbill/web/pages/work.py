"""The work pages: the work queue (every open item, filtered, paged or grouped, with bulk
actions: fix the visit and scrub again, write off, correct, appeal), and the denials,
rejections and underpayments by category with their deadlines and actions."""

from __future__ import annotations

import json
from typing import Annotated, Literal
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from ptbill.errors import InputError, InputErrors, clip, validation_errors
from ptbill.ledger.once import MAX_KEY
from ptbill.ledger.work_items import MAX_NOTE, MAX_REASON
from ptbill.remit.bulk_actions import BulkAction
from ptbill.remit.work_kinds import BULK_ACTIONS, DUE_WINDOWS, GROUP_BYS, KINDS, GroupBy
from ptbill.remit.worklist import EVERY_ITEM
from ptbill.web import actions
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, Access, PageBulkWriter, PageWriter, ReadDB, Reader
from ptbill.web.bodies import PageBulkForm, PageForm, form_text
from ptbill.web.jobs import IMPORT, start
from ptbill.web.once import FORM_FIELD, form_key, form_refusal, run_once
from ptbill.web.pages.common import back_to, parse_day, show
from ptbill.web.params import (
    MAX_ID,
    ClaimNumber,
    PageNumber,
    RowId,
    VisitId,
    WorkFilterParams,
    WorkFilters,
)
from ptbill.web.queries import claims, visits
from ptbill.web.queries import worklist as work
from ptbill.web.queries.common import MAX_LIMIT
from ptbill.web.uploads import PageVisits

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 100  # work items a page (`size`: up to MAX_LIMIT)
DENIALS_PAGE = 100


View = Literal["items", "groups"]
PageSize = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items a page")]
FILTER_FIELDS = tuple(WorkFilterParams.model_fields)


@router.get("/worklist", response_class=HTMLResponse)
def worklist_page(
    request: Request,
    session: ReadDB,
    who: Reader,
    filters: WorkFilters,
    view: View = "items",
    by: Annotated[GroupBy, Query()] = "rule",
    page: PageNumber = 1,
    size: PageSize = QUEUE_PAGE,
) -> HTMLResponse:
    """The work queue: the open items of the user's clinics the filters select (`clinic`
    narrows to some of them), a page of a compact table or their groups, with bulk actions on
    a selection or a whole group."""
    day = business_date(session, request.app.state.settings)
    scope = who.scope
    shown = (
        work.queue_groups(session, scope, filters, by, day)
        if view == "groups"
        else work.queue_page(session, scope, filters, day, limit=size, offset=(page - 1) * size)
    )
    params = filters.params()
    return show(
        request,
        session,
        "worklist.html",
        shown_query=_shown_query(params, view, by, page, size),
        as_of=day,
        view=view,
        by=by,
        params=params,
        filter_fields=FILTER_FIELDS,
        page=page,
        size=size,
        choices=work.choices(session, scope, day),
        kinds=KINDS,
        due_windows=DUE_WINDOWS,
        group_bys=GROUP_BYS,
        actions=BULK_ACTIONS,
        max_bytes=request.app.state.settings.max_upload_bytes,
        **shown,
    )


def _shown_query(
    params: dict[str, str], view: View, by: str, page: int, size: int
) -> dict[str, str]:
    """The query of the work queue as shown: where a bulk action's answer leads back to."""
    if view == "groups":
        return {"view": view, "by": by, **params}
    paged = {"size": str(size)} if size != QUEUE_PAGE else {}
    return {**params, **paged, **({"page": str(page)} if page > 1 else {})}


def _queue_query(text: str) -> dict[str, str] | None:
    """A work queue's query as a page sent it (`_shown_query`), checked as the page checks its
    parameters; None when it is not one."""
    sent = dict(parse_qsl(text, keep_blank_values=True))
    view, by = sent.pop("view", "items"), sent.pop("by", "rule")
    paging: dict[str, str] = {k: sent.pop(k) for k in ("page", "size") if k in sent}
    try:
        shown = WorkFilterParams.model_validate(sent)
    except ValidationError:
        return None
    fine = all(v.isdigit() and 0 < int(v) <= 10**6 for v in paging.values())
    if set(sent) - set(FILTER_FIELDS) or not fine or view not in ("items", "groups"):
        return None
    if by not in GROUP_BYS:
        return None
    back = {k: str(v) for k, v in shown.model_dump(mode="json").items() if v}
    return {"view": view, "by": by, **back} if view == "groups" else {**back, **paging}


def _back(form: FormData, params: WorkFilterParams) -> dict[str, str]:
    """The work queue as the bulk form was sent from (its `back` field), else the list of the
    form's filters."""
    shown = _queue_query(form_text(form, "back", 1000))
    return shown if shown is not None else {k: str(v) for k, v in params.model_dump().items() if v}


def _form_error(field: str, problem: str, fix: str) -> InputError:
    return InputError("form", problem, fix, field=field)


def _form_filter(form: FormData) -> WorkFilterParams:
    """The filter fields a bulk form carries (the list's or a group's)."""
    sent = {k: form_text(form, k, 64) for k in FILTER_FIELDS if form.get(k)}
    try:
        return WorkFilterParams.model_validate(sent)
    except ValidationError as e:
        raise InputErrors(validation_errors(e, "form", None)) from None


def _form_ids(form: FormData) -> list[int]:
    ids = []
    for value in form.getlist("item"):
        if not isinstance(value, str) or not value.isdigit() or not 0 < int(value) <= MAX_ID:
            raise _form_error(
                "item",
                f"{clip(value, 20, quote=True)} is not a work item id",
                "tick the items in the list and send the form again",
            )
        ids.append(int(value))
    if not ids:
        raise _form_error(
            "item",
            "no item is selected",
            "tick the items to act on, or act on all the items of the list",
        )
    return ids


def _form_expect(form: FormData) -> tuple[int, str]:
    count = form_text(form, "expect_count", 12)
    version = form_text(form, "expect_version", 64)
    if not count.isdigit() or not version:
        raise _form_error(
            "expect_version",
            "the form does not say which group it was shown",
            "reload the work queue and act on the group again",
        )
    return int(count), version


@router.post("/worklist/bulk", response_class=HTMLResponse)
def bulk(request: Request, session: DB, who: PageBulkWriter, form: PageBulkForm) -> HTMLResponse:
    """A bulk action from the work queue: on the items ticked (`target=selected`), or on all
    the items of the list or group as shown (`target=all`, with its count and version)."""
    state = request.app.state
    action = BulkAction(form_text(form, "action", 20), form_text(form, "reason", MAX_REASON))
    params = _form_filter(form)
    shown_on = parse_day(form_text(form, "as_of", 10))
    day = actions.need_date(business_date(session, state.settings), "bulk action")
    target = form_text(form, "target", 10)
    if target == "selected":
        ids = _form_ids(form)
        selected = actions.bulk_targets(session, who, EVERY_ITEM, shown_on or day, ids, None)
    elif target == "all":
        filters, expect = params.to_filter(state.config.payers), _form_expect(form)
        selected = actions.bulk_targets(session, who, filters, shown_on or day, None, expect)
    else:
        raise _form_error(
            "target",
            "the form does not say what to act on",
            "use the buttons of the work queue: the ticked items, or all the items",
        )
    result = actions.bulk_action(session, state.config, who, action, *selected, day)
    back = _back(form, params)
    return show(request, session, "bulk_result.html", result=result, back=back, action=action)


@router.get("/denials", response_class=HTMLResponse)
def denials_page(
    request: Request,
    session: ReadDB,
    scope: Access,
    kind: str | None = None,
    category: str | None = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    day = business_date(session, request.app.state.settings)
    kind = kind if kind in work.FOLLOW_UP else None
    items, total = work.follow_up(
        session,
        scope,
        day,
        kind=kind,
        category=category or None,
        limit=DENIALS_PAGE,
        offset=(page - 1) * DENIALS_PAGE,
    )
    facts = claims.claim_facts(session, scope, sorted({i["claim_id"] for i in items}))
    return show(
        request,
        session,
        "denials.html",
        as_of=day,
        items=items,
        facts=facts,
        totals=work.follow_up_totals(session, scope, day),
        kind=kind,
        category=category,
        kinds=work.FOLLOW_UP,
        total=total,
        page=page,
        size=DENIALS_PAGE,
    )


@router.get("/visits/{visit_id:path}/edit", response_class=HTMLResponse)
def edit_visit_form(
    visit_id: VisitId, request: Request, session: ReadDB, scope: Access
) -> HTMLResponse:
    visit = visits.visit_detail(session, scope, visit_id)
    claim = claims.claim_detail(session, scope, visit["claim_number"])
    return show(
        request,
        session,
        "visit_edit.html",
        visit=visit,
        claim=claim,
        text=json.dumps(visit["visit"], indent=2),
    )


@router.post("/visits/{visit_id:path}/edit", response_class=HTMLResponse)
def edit_visit(
    visit_id: VisitId, request: Request, session: DB, who: PageWriter, form: PageForm
) -> Response:
    state = request.app.state
    visit_json = form_text(form, "visit_json", 1_000_000)
    as_of = form_text(form, "as_of", 10)
    try:
        summary, _ = actions.edit_visit(
            session, state.config, state.settings, who, visit_id, visit_json, parse_day(as_of)
        )
    except (InputError, InputErrors) as e:
        session.rollback()
        errors = e.errors if isinstance(e, InputErrors) else [e]
        visit = visits.visit_detail(session, who.scope, visit_id)
        claim = claims.claim_detail(session, who.scope, visit["claim_number"])
        return show(
            request,
            session,
            "visit_edit.html",
            status_code=422,
            visit=visit,
            claim=claim,
            text=visit_json,
            errors=errors,
            flash="Nothing was saved: the visit has errors.",
            flash_kind="error",
        )
    session.commit()
    return back_to(f"/claims/{quote(visit_id)}", "held" if visit_id in summary.held else "edited")


@router.post("/visits/import")
def import_visits(session: DB, who: PageWriter, upload: PageVisits, form: PageForm) -> Response:
    """Queue the import; the job's page shows its progress, then its result."""
    name, text = upload
    as_of = parse_day(form_text(form, "as_of", 10))
    fmt = form_text(form, "format", 10) or None
    job_id = start(session, who, IMPORT, name, text, as_of, fmt=fmt)
    session.commit()
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/claims/{claim_number:path}/correct")
def correct(claim_number: ClaimNumber, request: Request, session: DB, who: PageWriter) -> Response:
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings), claim_number)
    actions.correct_claim(session, state.config, who, claim_number, day)
    session.commit()
    return back_to(f"/claims/{quote(claim_number)}", "corrected")


@router.post("/claims/{claim_number:path}/writeoff")
def write_off(
    claim_number: ClaimNumber, request: Request, session: DB, who: PageWriter, form: PageForm
) -> Response:
    """Write off the claim, once per form (its one-time token: ptbill.web.once)."""
    key = form_key(form_text(form, FORM_FIELD, MAX_KEY))
    reason = form_text(form, "reason", MAX_REASON)
    settings = request.app.state.settings
    day = actions.need_date(business_date(session, settings), claim_number)
    clinic_id = actions.writable_claim(session, who, claim_number)
    queue = _queue_query(form_text(form, "back", 1000)) if form.get("back") else None

    def run() -> tuple[int, str]:
        actions.write_off_claim(session, who, claim_number, reason, day)
        if queue is not None:  # the work queue's row: back to the queue as it was
            back = f"/worklist?{urlencode(queue)}" if queue else "/worklist"
        else:
            back = f"/claims/{quote(claim_number)}"
        return 303, back_to(back, "written_off").headers["location"]

    asked = (f"form {request.url.path}", {"reason": reason})
    today = settings.current_date()
    _, location = run_once(session, who, key, asked, clinic_id, today, run, form_refusal)
    return RedirectResponse(location, status_code=303)


@router.post("/worklist/items/{item_id}/resolve")
def resolve_item(
    item_id: RowId, request: Request, session: DB, who: PageWriter, form: PageForm
) -> Response:
    """Close a work item with a note; back to the page it was closed from (the work queue as
    it was shown, or the denials)."""
    note = form_text(form, "note", MAX_NOTE)
    day = actions.need_date(business_date(session, request.app.state.settings), "item")
    actions.resolve_item(session, who, item_id, note, day)
    session.commit()
    if form_text(form, "to", 10) == "denials":
        return back_to("/denials", "closed")
    queue = _queue_query(form_text(form, "back", 1000)) if form.get("back") else None
    return back_to(f"/worklist?{urlencode(queue)}" if queue else "/worklist", "closed")


@router.post("/claims/{claim_number:path}/appeal")
def appeal(claim_number: ClaimNumber, request: Request, session: DB, who: PageWriter) -> Response:
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings), claim_number)
    actions.appeal_claim(session, state.config, who, claim_number, day)
    session.commit()
    return back_to(f"/claims/{quote(claim_number)}", "appealed")
