"""The workbench's jobs: an upload that imports visits or posts an 835 is answered at once
(202 and the job), and a worker does the work (ptbill.ledger.jobs, job_runner).

- `start` queues a job for the signed-in user: who started it, for which clinics, its file.
- `handlers` are what a worker runs for each kind: the same workflow calls the requests made
  before (ptbill.web.actions), as the user who started the job, re-read when it runs (a user
  disabled meanwhile, or who may no longer change the ledger, fails the job).
- `InProcessWorker` runs jobs in a thread of the workbench's own process (on by default:
  `PTBILL_JOB_WORKER=0` leaves them to `ptbill worker` processes).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger import jobs
from ptbill.ledger.importer import Batched, ImportSummary
from ptbill.ledger.job_runner import Handler, Running, Worker
from ptbill.ledger.jobs import JobScope
from ptbill.remit.post import AlreadyPosted
from ptbill.web import actions
from ptbill.web.accounts import Principal, user_principal
from ptbill.web.settings import WebSettings

log = logging.getLogger(__name__)

IMPORT, POST = "import", "post"
KINDS = (IMPORT, POST)
WHAT = {IMPORT: "Import of visits", POST: "Posting of an 835"}


def job_scope(who: Principal) -> JobScope:
    """The jobs `who` sees: those whose clinics are all among the clinics they read now,
    through this token (a company-wide user: every job). Their own job for a clinic out of
    reach is not among them: its result names that clinic's visits."""
    return JobScope(clinics=who.scope.clinics)


def job_clinics(who: Principal) -> frozenset[int] | None:
    """The clinics a job started by `who` works for: those they may change (None: every
    clinic, for a company admin)."""
    return who.write_scope.clinics


def start(
    session: Session,
    who: Principal,
    kind: str,
    name: str,
    text: str,
    as_of: dt.date | None,
    *,
    fmt: str | None = None,
) -> int:
    """Queue a job of `kind` over the uploaded file (committed with the caller's session).
    The job runs as `who` does now: a token narrowed to a clinic narrows the job."""
    params: dict[str, Any] = {
        "as_of": as_of.isoformat() if as_of else None,
        "format": fmt,
        "token_clinic": who.token_clinic,
    }
    return jobs.enqueue(
        session,
        kind,
        name,
        params,
        who=who.who,
        user_id=who.user_id,
        clinics=job_clinics(who),
        content=text,
    )


# --- what a worker runs --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobContext:
    """What the jobs' workflow needs besides the database: the configuration (with its
    reference snapshot) and the app's settings (the business date)."""

    config: Config
    settings: WebSettings


def handlers(ctx: JobContext) -> dict[str, Handler]:
    return {IMPORT: partial(_import, ctx), POST: partial(_post, ctx)}


def _principal(job: Running) -> Principal:
    """The user who started the job, as they are now (their roles re-read)."""
    claim = job.claim
    who = None
    if claim.user_id is not None:
        who = user_principal(
            job.session, claim.user_id, "job", token_clinic=claim.params.get("token_clinic")
        )
    if who is None or not who.can_write:
        raise InputError(
            file=claim.name,
            visit_id=None,
            field="user",
            problem="the user who started the job may no longer change the ledger",
            fix="ask a biller to upload the file again",
        )
    return who


def _day(text: Any) -> dt.date | None:
    return dt.date.fromisoformat(text) if isinstance(text, str) else None


def _import(ctx: JobContext, job: Running) -> dict[str, Any]:
    """Import the visit file batch by batch: each batch commits with the job's checkpoint,
    and a retry goes on after the last one committed."""
    who = _principal(job)
    name, text = job.input()
    before = job.claim.checkpoint
    as_of = _day(before["as_of"]) if before else _day(job.claim.params.get("as_of"))

    def batches(day: Callable[[], dt.date], total: int) -> Batched:
        # The whole file is checked next, before the first batch (minutes for 100,000
        # visits), with no transaction open: it would hold SQLite's write lock (every web
        # change waiting) or a PostgreSQL snapshot all that time. Nothing was written yet.
        job.session.rollback()
        job.progress(before["done"] if before else 0, total)
        return Batched(
            lambda done, summary: job.commit(
                done, {"as_of": day().isoformat(), "done": done, "summary": summary.as_json()}
            ),
            done=before["done"] if before else 0,
            summary=ImportSummary.from_json(before["summary"]) if before else None,
        )

    summary, day = actions.import_visits(
        job.session,
        ctx.config,
        ctx.settings,
        who,
        name,
        text,
        as_of,
        job.claim.params.get("format"),
        batched=batches,
    )
    return {**summary.as_json(), "as_of": day}


def _post(ctx: JobContext, job: Running) -> dict[str, Any]:
    """Post the 835 in one transaction with the job's end: all of it, once."""
    who = _principal(job)
    name, text = job.input()
    as_of = _day(job.claim.params.get("as_of")) or ctx.settings.as_of
    try:
        return actions.post_remittance(job.session, ctx.config, who, name, text, as_of).as_json()
    except AlreadyPosted as e:
        # Two postings of one payment at once (two billers of a clinic uploading its 835):
        # the other committed first and this one met its row. Given back to the queue like any
        # concurrent writer's row (ptbill.ledger.job_runner), it runs again and finds the
        # payment posted: done, posting nothing, rather than failed.
        if isinstance(e.__context__, IntegrityError):
            raise e.__context__ from None
        raise


# --- the worker in the workbench's process ---------------------------------------------------


class InProcessWorker:
    """A worker thread of the app's process, started and stopped with the app."""

    def __init__(self, sessions: sessionmaker[Session], ctx: JobContext) -> None:
        self.worker = Worker(sessions, handlers(ctx), lease=ctx.settings.job_lease_seconds)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ptbill-jobs", daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run(self.stop)
        except Exception as e:  # never silently: the jobs would wait for ever
            log.error("the in-process job worker stopped: %s", type(e).__name__)

    def __enter__(self) -> InProcessWorker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # A job still running is left to the lease: its transaction rolls back with the
        # process, and another worker runs it again.
        self.stop.set()
        self.thread.join(timeout=5)


def run_queued(sessions: sessionmaker[Session], ctx: JobContext) -> list[int]:
    """Run every queued job now, in this thread (tests; `ptbill worker --once`)."""
    return Worker(sessions, handlers(ctx), lease=ctx.settings.job_lease_seconds).run_until_idle()
