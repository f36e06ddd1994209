"""Jobs: the imports and postings the API queued (202), their progress and their results."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from ptbill.ledger.jobs import FINISHED
from ptbill.web.accounts import Principal
from ptbill.web.api.common import LedgerJSON, answer
from ptbill.web.auth import DB, ApiWriter, ReadDB, Reader
from ptbill.web.jobs import KINDS
from ptbill.web.params import Limit, Offset, RowId
from ptbill.web.queries import jobs

router = APIRouter(tags=["jobs"])
MAX_WAIT = 30  # seconds a GET may wait for a job to finish
JobState = Literal["queued", "running", "done", "failed", "cancelled"]
JobKind = Literal[KINDS]  # type: ignore[valid-type]
Wait = Annotated[
    float,
    Query(
        ge=0,
        le=MAX_WAIT,
        description="Seconds to wait for the job to finish before answering (at most "
        f"{MAX_WAIT}); the answer is the job as it then stands",
    ),
]


def accepted(session: Session, who: Principal, job_id: int) -> LedgerJSON:
    """The answer to a request that queued a job: 202, the job, and where to follow it."""
    response = answer(jobs.job_detail(session, who, job_id), status_code=202)
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    return response


@router.get("/jobs", response_class=LedgerJSON)
def list_jobs(
    session: ReadDB,
    who: Reader,
    state: JobState | None = None,
    kind: JobKind | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LedgerJSON:
    """A page of the jobs you may see (yours, and your clinics'), the newest first: kind,
    state, who started it, when, progress."""
    return answer(jobs.list_jobs(session, who, limit=limit, offset=offset, state=state, kind=kind))


def _look_again(session: Session, who: Principal, job_id: int) -> dict[str, Any]:
    session.rollback()  # a new snapshot: the look sees what committed since
    return jobs.job_detail(session, who, job_id)


@router.get("/jobs/{job_id}", response_class=LedgerJSON)
async def get_job(job_id: RowId, session: ReadDB, who: Reader, wait: Wait = 0) -> LedgerJSON:
    """One job: its state and progress; when done, its `result` (what the request answered
    before it became a job: an import's summary, a posting's); when failed, its `errors`
    (`{"field", "problem", "fix"}` each, nothing was changed by the failed attempt)."""
    job = await anyio.to_thread.run_sync(jobs.job_detail, session, who, job_id)
    with anyio.move_on_after(wait):  # waits on the event loop, holding no thread
        while job["state"] not in FINISHED and wait:
            await anyio.sleep(0.25)
            job = await anyio.to_thread.run_sync(_look_again, session, who, job_id)
    return answer(job)


@router.post("/jobs/{job_id}/cancel", response_class=LedgerJSON)
def cancel_job(job_id: RowId, session: DB, who: ApiWriter) -> LedgerJSON:
    """Cancel a queued job, or ask a running one to stop: an import stops after the batch it
    is writing (the batches before stay imported), a posting rolls back. A finished job: 422."""
    jobs.cancel(session, who, job_id)
    session.commit()
    return answer(jobs.job_detail(session, who, job_id))
