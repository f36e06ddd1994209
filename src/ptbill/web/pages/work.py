"""The work pages: the queue of blocked claims (fix the visit, scrub again), and the denials,
rejections and underpayments by category with their deadlines and actions."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ptbill.errors import InputError, InputErrors
from ptbill.web import actions
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, Access, PageWriter, ReadDB
from ptbill.web.bodies import PageForm, form_text
from ptbill.web.jobs import IMPORT, start
from ptbill.web.pages.common import back_to, parse_day, show
from ptbill.web.params import ClaimNumber, PageNumber, VisitId
from ptbill.web.queries import claims, visits
from ptbill.web.queries import worklist as work
from ptbill.web.uploads import PageVisits

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 25  # blocked claims a page
DENIALS_PAGE = 100


@router.get("/worklist", response_class=HTMLResponse)
def worklist_page(
    request: Request, session: ReadDB, scope: Access, page: PageNumber = 1
) -> HTMLResponse:
    day = business_date(session, request.app.state.settings)
    queue, total = work.blocked_queue(
        session, scope, day, limit=QUEUE_PAGE, offset=(page - 1) * QUEUE_PAGE
    )
    others = {k: n for k, n in work.open_work_counts(session, scope).items() if k != "blocked"}
    return show(
        request,
        session,
        "worklist.html",
        as_of=day,
        queue=queue,
        total=total,
        page=page,
        size=QUEUE_PAGE,
        others=others,
        max_bytes=request.app.state.settings.max_upload_bytes,
    )


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
    reason = form_text(form, "reason", 200)
    day = actions.need_date(business_date(session, request.app.state.settings), claim_number)
    actions.write_off_claim(session, who, claim_number, reason, day)
    session.commit()
    return back_to(f"/claims/{quote(claim_number)}", "written_off")


@router.post("/claims/{claim_number:path}/appeal")
def appeal(claim_number: ClaimNumber, request: Request, session: DB, who: PageWriter) -> Response:
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings), claim_number)
    actions.appeal_claim(session, state.config, who, claim_number, day)
    session.commit()
    return back_to(f"/claims/{quote(claim_number)}", "appealed")
