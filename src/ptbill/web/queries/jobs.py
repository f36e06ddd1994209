"""The jobs a user sees: a page of them, one in full."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ptbill.ledger import jobs
from ptbill.web.accounts import Principal
from ptbill.web.jobs import job_scope
from ptbill.web.problems import NotFound
from ptbill.web.queries.common import paged


def list_jobs(
    session: Session,
    who: Principal,
    *,
    limit: int,
    offset: int,
    state: str | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    rows, total = jobs.list_jobs(
        session, job_scope(who), limit=limit, offset=offset, state=state, kind=kind
    )
    return paged("jobs", rows, limit=limit, offset=offset, total=total)


def job_detail(session: Session, who: Principal, job_id: int) -> dict[str, Any]:
    try:
        return jobs.job_detail(session, job_id, job_scope(who))
    except LookupError:
        raise NotFound("job", job_id) from None


def cancel(session: Session, who: Principal, job_id: int) -> None:
    try:
        jobs.cancel(session, job_id, job_scope(who))
    except LookupError:
        raise NotFound("job", job_id) from None
