"""The Jobs pages: the imports and postings queued from the upload forms, each with its
progress while it runs (the page refreshes itself) and its result when it is done."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ptbill.ledger.jobs import FINISHED
from ptbill.web.auth import DB, PageWriter, ReadDB, Reader
from ptbill.web.jobs import WHAT
from ptbill.web.pages.common import back_to, show
from ptbill.web.params import PageNumber, RowId
from ptbill.web.queries import jobs
from ptbill.web.queries.common import PAGE

router = APIRouter(include_in_schema=False)


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, session: ReadDB, who: Reader, page: PageNumber = 1) -> HTMLResponse:
    listed = jobs.list_jobs(session, who, limit=PAGE, offset=(page - 1) * PAGE)
    running = any(j["state"] not in FINISHED for j in listed["jobs"])
    return show(
        request,
        session,
        "jobs.html",
        jobs=listed,
        what=WHAT,
        page=page,
        size=PAGE,
        refresh=5 if running else None,
    )


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: RowId, request: Request, session: ReadDB, who: Reader) -> HTMLResponse:
    job = jobs.job_detail(session, who, job_id)
    return show(
        request,
        session,
        "job.html",
        job=job,
        what=WHAT,
        refresh=None if job["state"] in FINISHED else 2,
    )


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: RowId, session: DB, who: PageWriter) -> Response:
    jobs.cancel(session, who, job_id)
    session.commit()
    return back_to(f"/jobs/{job_id}", "cancel_asked")
