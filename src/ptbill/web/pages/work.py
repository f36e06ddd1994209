"""The work pages: the queue of blocked claims (fix the visit, scrub again), and the denials,
rejections and underpayments by category with their deadlines and actions."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from ptbill.errors import InputError, InputErrors
from ptbill.remit.actions import worklist
from ptbill.web import actions, queries
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, PageWriter, ReadDB, Reader
from ptbill.web.pages.common import back_to, parse_day, show
from ptbill.web.uploads import read_upload

router = APIRouter(include_in_schema=False)
FOLLOW_UP = ("denial", "rejection", "underpayment", "unmatched")
QUEUE_PAGE = 25  # blocked claims a page
DENIALS_PAGE = 100


def blocked_queue(
    session: Any, day: Any, page: int = 1, size: int = QUEUE_PAGE
) -> tuple[list[dict[str, Any]], int]:
    """One page of the blocked claims, the earliest deadline first, each with its findings;
    and how many blocked claims there are in all."""
    by_claim: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in worklist(session, kind="blocked", as_of=day):
        by_claim[item["claim_id"]].append(item)
    numbers = list(by_claim)[(page - 1) * size : page * size]
    findings = queries.current_findings(session, numbers)
    facts = queries.claim_facts(session, numbers)
    out = []
    for number in numbers:
        its = by_claim[number]
        out.append(
            {
                "claim": facts.get(number, {"claim_number": number}),
                "due_date": min(i["due_date"] for i in its),
                "overdue": any(i["overdue"] for i in its),
                "items": its,
                "findings": [f for f in findings.get(number, []) if f["severity"] != "info"],
            }
        )
    return out, len(by_claim)


@router.get("/worklist", response_class=HTMLResponse)
def worklist_page(request: Request, session: ReadDB, who: Reader, page: int = 1) -> HTMLResponse:
    day = business_date(session, request.app.state.settings)
    page = max(page, 1)
    queue, total = blocked_queue(session, day, page)
    others = {k: n for k, n in queries.open_work_counts(session).items() if k != "blocked"}
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
    who: Reader,
    kind: str | None = None,
    category: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    day = business_date(session, request.app.state.settings)
    items = [i for i in worklist(session, as_of=day) if i["kind"] in FOLLOW_UP]
    totals: dict[str, dict[str, Any]] = {}
    for i in items:
        t = totals.setdefault(
            i["category"],
            {"category": i["category"], "count": 0, "amount": Decimal(0), "overdue": 0},
        )
        t["count"] += 1
        t["amount"] += i["amount"] or 0
        t["overdue"] += i["overdue"]
    matching = [
        i
        for i in items
        if (not kind or i["kind"] == kind) and (not category or i["category"] == category)
    ]
    page = max(page, 1)
    shown = matching[(page - 1) * DENIALS_PAGE : page * DENIALS_PAGE]
    facts = queries.claim_facts(session, sorted({i["claim_id"] for i in shown if i["claim_id"]}))
    return show(
        request,
        session,
        "denials.html",
        as_of=day,
        items=shown,
        facts=facts,
        totals=sorted(totals.values(), key=lambda t: -t["amount"]),
        kind=kind,
        category=category,
        kinds=FOLLOW_UP,
        total=len(matching),
        page=page,
        size=DENIALS_PAGE,
    )


@router.get("/visits/{visit_id}/edit", response_class=HTMLResponse)
def edit_visit_form(visit_id: str, request: Request, session: ReadDB, who: Reader) -> HTMLResponse:
    visit = queries.visit_detail(session, visit_id)
    claim = queries.claim_detail(session, visit["claim_number"])
    return show(
        request,
        session,
        "visit_edit.html",
        visit=visit,
        claim=claim,
        text=json.dumps(visit["visit"], indent=2),
    )


@router.post("/visits/{visit_id}/edit", response_class=HTMLResponse)
def edit_visit(
    visit_id: str,
    request: Request,
    session: DB,
    who: PageWriter,
    visit_json: Annotated[str, Form(max_length=1_000_000)],
    as_of: Annotated[str, Form()] = "",
) -> Response:
    state = request.app.state
    try:
        summary, _ = actions.edit_visit(
            session, state.config, state.settings, who, visit_id, visit_json, parse_day(as_of)
        )
    except (InputError, InputErrors) as e:
        session.rollback()
        errors = e.errors if isinstance(e, InputErrors) else [e]
        visit = queries.visit_detail(session, visit_id)
        claim = queries.claim_detail(session, visit["claim_number"])
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
    return back_to(f"/claims/{visit_id}", "held" if visit_id in summary.held else "edited")


@router.post("/visits/import", response_class=HTMLResponse)
async def import_visits(
    request: Request,
    session: DB,
    who: PageWriter,
    file: Annotated[UploadFile, File()],
    as_of: Annotated[str, Form()] = "",
    format: Annotated[str, Form()] = "",
) -> HTMLResponse:
    state = request.app.state
    name, text = await read_upload(file, "visits", state.settings.max_upload_bytes)
    summary, day = actions.import_visits(
        session, state.config, state.settings, who, name, text, parse_day(as_of), format or None
    )
    session.commit()
    return show(
        request, session, "import_result.html", file_name=name, summary=summary, imported_as_of=day
    )


@router.post("/claims/{claim_number}/correct")
def correct(claim_number: str, request: Request, session: DB, who: PageWriter) -> Response:
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings), claim_number)
    actions.correct_claim(session, state.config, who, claim_number, day)
    session.commit()
    return back_to(f"/claims/{claim_number}", "corrected")


@router.post("/claims/{claim_number}/writeoff")
def write_off(
    claim_number: str,
    request: Request,
    session: DB,
    who: PageWriter,
    reason: Annotated[str, Form(min_length=1, max_length=200)],
) -> Response:
    day = actions.need_date(business_date(session, request.app.state.settings), claim_number)
    actions.write_off_claim(session, who, claim_number, reason, day)
    session.commit()
    return back_to(f"/claims/{claim_number}", "written_off")


@router.post("/claims/{claim_number}/appeal")
def appeal(claim_number: str, request: Request, session: DB, who: PageWriter) -> Response:
    state = request.app.state
    day = actions.need_date(business_date(session, state.settings), claim_number)
    actions.appeal_claim(session, state.config, who, claim_number, day)
    session.commit()
    return back_to(f"/claims/{claim_number}", "appealed")
