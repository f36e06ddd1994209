"""The job queue: work that takes longer than a request runs as a job, done exactly once.

A job is a row of `jobs` (ptbill.ledger.job_models). `enqueue` adds one, queued. A worker
(ptbill.ledger.job_runner) claims the oldest queued job in a short transaction of its own
(`claim_next`: PostgreSQL's `FOR UPDATE SKIP LOCKED`, so that workers never wait on each other
nor take the same job; SQLite's one writer does the same by queueing), marks it running with
its attempt number, and keeps a heartbeat while it works.

Exactly once: the job's work and the mark that it is done commit in **one transaction**
(`finish`, an UPDATE conditional on the job still being this attempt's). A worker that dies
mid-way (killed, out of memory, its machine gone) leaves its transaction uncommitted: the
database rolls it back, and once its heartbeat is older than the lease another worker requeues
the job and runs it from the start of that transaction. A worker that was only slow and lost
its job to another finds out at its next conditional UPDATE (`checkpoint` or `finish` raise
JobLost) and rolls back: the work is never applied twice. A job that commits in batches (a
long import) records in each batch's transaction what the batches so far did (`checkpoint`),
so that a retry goes on from the last committed batch.

Who sees a job (`JobScope`): whoever reads every clinic it works for, its own user included
only while they do (a token of theirs narrowed to one clinic, or a grant taken away, no longer
reaches a job that works for another: its result and errors name that clinic's visits); a job
for every clinic (no clinic recorded: started by a company-wide user or at the command line)
only a company-wide user.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from sqlalchemy import ColumnElement, delete, exists, func, not_, select, true, update
from sqlalchemy.orm import Session

from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.job_models import Job, JobClinic, JobInput
from ptbill.ledger.jsontext import to_json

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
FINISHED = frozenset({DONE, FAILED, CANCELLED})
MAX_ATTEMPTS = 3  # a job whose worker dies this many times fails (it may be what kills it)
LEASE_SECONDS = 60.0  # a running job without a heartbeat for this long is a dead worker's


class JobLost(Exception):
    """The job is no longer this attempt's: another worker took it after the lease ran out
    (or it was failed meanwhile). The attempt rolls back."""


class JobCancelled(Exception):
    """Someone asked to cancel the job: the attempt rolls back what it had not committed."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def worker_name() -> str:
    """host:pid:thread, to tell in a job's row which worker holds it."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident() % 100000}"


@dataclass(frozen=True, slots=True)
class JobScope:
    """Whose jobs a caller sees: `clinics` None sees every job; else those all of whose
    clinics are in `clinics` (who started it does not matter: the clinics do)."""

    clinics: frozenset[int] | None = None

    def predicate(self) -> ColumnElement[bool]:
        if self.clinics is None:
            return true()
        has_clinics = exists().where(JobClinic.job_id == Job.id)
        outside = exists().where(
            JobClinic.job_id == Job.id, JobClinic.clinic_id.not_in(sorted(self.clinics))
        )
        return has_clinics & not_(outside)


EVERYONE = JobScope()


@dataclass(frozen=True, slots=True)
class Claim:
    """A job as one attempt of one worker holds it."""

    id: int
    kind: str
    name: str
    params: dict[str, Any]
    who: str
    user_id: int | None
    clinics: frozenset[int] | None  # None: every clinic
    attempt: int
    checkpoint: dict[str, Any] | None  # what the committed batches of earlier attempts did

    def mine(self) -> ColumnElement[bool]:
        return (Job.id == self.id) & (Job.attempts == self.attempt) & (Job.state == RUNNING)


def enqueue(
    session: Session,
    kind: str,
    name: str,
    params: dict[str, Any],
    *,
    who: str,
    user_id: int | None = None,
    clinics: Iterable[int] | None = None,
    content: str | None = None,
) -> int:
    """A new queued job (committed with the caller's transaction); its id."""
    job = Job(
        kind=kind,
        state=QUEUED,
        name=name[-300:],
        params=to_json(params),
        who=who[:64],
        user_id=user_id,
        created_at=now(),
        attempts=0,
        cancel_requested=False,
        done_count=0,
    )
    session.add(job)
    session.flush()
    for clinic_id in sorted(set(clinics or ())):
        session.add(JobClinic(job_id=job.id, clinic_id=clinic_id))
    if content is not None:
        session.add(JobInput(job_id=job.id, name=name[-300:], content=content))
    session.flush()
    return job.id


def _requeue_stale(session: Session, lease: float) -> None:
    """Running jobs whose worker has been silent for the lease: a dead worker's. Queued again
    (its uncommitted work was rolled back), or failed after MAX_ATTEMPTS, or cancelled when
    that was asked."""
    stale = (Job.state == RUNNING) & (Job.heartbeat_at < now() - dt.timedelta(seconds=lease))
    session.execute(
        update(Job)
        .where(stale, Job.cancel_requested.is_(True))
        .values(state=CANCELLED, finished_at=now(), worker=None)
    )
    session.execute(
        update(Job)
        .where(stale, Job.attempts >= MAX_ATTEMPTS)
        .values(
            state=FAILED,
            finished_at=now(),
            worker=None,
            errors=to_json(
                [
                    {
                        "field": "worker",
                        "problem": f"the job's worker ended unexpectedly {MAX_ATTEMPTS} times "
                        "(killed, or out of memory); what it had not committed was rolled back",
                        "fix": "check the workers' memory and logs, then start the job again",
                    }
                ]
            ),
        )
    )
    session.execute(update(Job).where(stale).values(state=QUEUED, worker=None))


def claim_next(session: Session, worker: str, *, lease: float = LEASE_SECONDS) -> Claim | None:
    """Claim the oldest queued job for `worker` (the caller commits at once); None when no
    job is waiting."""
    _requeue_stale(session, lease)
    q = select(Job.id).where(Job.state == QUEUED).order_by(Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    job_id = session.scalar(q)
    if job_id is None:
        return None
    at = now()
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == QUEUED)
        .values(
            state=RUNNING,
            attempts=Job.attempts + 1,
            worker=worker[:100],
            started_at=func.coalesce(Job.started_at, at),
            heartbeat_at=at,
        )
    )
    job = session.get_one(Job, job_id, populate_existing=True)
    clinics = session.scalars(select(JobClinic.clinic_id).where(JobClinic.job_id == job_id)).all()
    return Claim(
        id=job.id,
        kind=job.kind,
        name=job.name,
        params=orjson.loads(job.params),
        who=job.who,
        user_id=job.user_id,
        clinics=frozenset(clinics) if clinics else None,
        attempt=job.attempts,
        checkpoint=orjson.loads(job.checkpoint) if job.checkpoint else None,
    )


def job_input(session: Session, claim: Claim) -> tuple[str, str]:
    """(name, content) of the file the job reads."""
    row = session.get(JobInput, claim.id)
    if row is None:
        raise InputError(
            file=claim.name,
            visit_id=None,
            field="file",
            problem="the job's file is no longer stored",
            fix="upload the file again",
        )
    return row.name, row.content


class Progress(Protocol):
    done: int
    total: int | None


def heartbeat(session: Session, claim: Claim, progress: Progress) -> str:
    """Tell the queue the worker is alive, and how far the job got: "ok", "cancel" (asked to
    stop) or "lost"."""
    row = session.execute(
        update(Job)
        .where(claim.mine())
        .values(heartbeat_at=now(), done_count=progress.done, total_count=progress.total)
        .returning(Job.cancel_requested)
    ).first()
    if row is None:
        return "lost"
    return "cancel" if row[0] else "ok"


def _update_mine(session: Session, claim: Claim, **values: Any) -> None:
    """An UPDATE of the job, in the work's transaction, that only this attempt may make and
    only while no one asked to cancel: else JobLost or JobCancelled (the caller rolls back)."""
    row = session.execute(
        update(Job)
        .where(claim.mine(), Job.cancel_requested.is_(False))
        .values(heartbeat_at=now(), **values)
        .returning(Job.id)
    ).first()
    if row is None:
        cancel = session.scalar(select(Job.cancel_requested).where(claim.mine()))
        raise JobCancelled() if cancel else JobLost()


def checkpoint(
    session: Session, claim: Claim, done: int, total: int | None, state: dict[str, Any]
) -> None:
    """Record, in the transaction of a batch about to commit, how far the job got and what
    its committed batches did (a retry goes on from there)."""
    _update_mine(session, claim, done_count=done, total_count=total, checkpoint=to_json(state))


def finish(session: Session, claim: Claim, result: dict[str, Any]) -> None:
    """Mark the job done in the transaction of its work (which the caller then commits)."""
    _update_mine(
        session,
        claim,
        state=DONE,
        result=to_json(result),
        finished_at=now(),
        checkpoint=None,
        done_count=func.coalesce(Job.total_count, Job.done_count),
    )
    session.execute(delete(JobInput).where(JobInput.job_id == claim.id))


def end(
    session: Session,
    claim: Claim,
    state: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    result: dict[str, Any] | None = None,
) -> bool:
    """Mark the attempt's job failed or cancelled, in a transaction of its own; False when it
    is no longer this attempt's."""
    row = session.execute(
        update(Job)
        .where(claim.mine())
        .values(
            state=state,
            finished_at=now(),
            errors=to_json(errors) if errors is not None else None,
            result=to_json(result) if result is not None else None,
        )
        .returning(Job.id)
    ).first()
    if row is not None:
        session.execute(delete(JobInput).where(JobInput.job_id == claim.id))
    return row is not None


def release(session: Session, claim: Claim) -> None:
    """Give the job back to the queue (the database was busy: another attempt will do it)."""
    session.execute(update(Job).where(claim.mine()).values(state=QUEUED, worker=None))


# --- reading and cancelling -------------------------------------------------------------------


def _visible(session: Session, job_id: int, scope: JobScope) -> Job:
    job = session.scalar(select(Job).where(Job.id == job_id, scope.predicate()))
    if job is None:
        raise LookupError(job_id)
    return job


def cancel(session: Session, job_id: int, scope: JobScope) -> str:
    """Cancel a queued job at once; ask a running one to stop (at its next batch, or before
    its one transaction commits). The job's state after the request. LookupError: no such
    job for this scope; InputError: it has finished."""
    job = _visible(session, job_id, scope)
    if job.state in FINISHED:
        raise InputError(
            file=f"job {job_id}",
            visit_id=None,
            field="state",
            problem=f"the job has finished ({job.state}): there is nothing to cancel",
            fix="look at its result",
        )
    if job.state == QUEUED:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == QUEUED)
            .values(state=CANCELLED, finished_at=now(), cancel_requested=True)
        )
        session.execute(delete(JobInput).where(JobInput.job_id == job_id))
    else:
        session.execute(
            update(Job).where(Job.id == job_id, Job.state == RUNNING).values(cancel_requested=True)
        )
    return session.scalar(select(Job.state).where(Job.id == job_id)) or job.state


def _clinic_keys(session: Session, job_ids: list[int]) -> dict[int, list[str]]:
    rows = session.execute(
        select(JobClinic.job_id, m.Clinic.key)
        .join(m.Clinic, m.Clinic.id == JobClinic.clinic_id)
        .where(JobClinic.job_id.in_(job_ids))
        .order_by(m.Clinic.key)
    )
    out: dict[int, list[str]] = {}
    for job_id, key in rows:
        out.setdefault(job_id, []).append(key)
    return out


def _as_json(job: Job, clinics: list[str], full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "name": job.name,
        "who": job.who,
        "clinics": clinics or None,
        "created_at": job.created_at.isoformat(timespec="seconds"),
        "started_at": job.started_at.isoformat(timespec="seconds") if job.started_at else None,
        "finished_at": job.finished_at.isoformat(timespec="seconds") if job.finished_at else None,
        "seconds": (
            round((job.finished_at - job.started_at).total_seconds(), 1)
            if job.finished_at and job.started_at
            else None
        ),
        "attempts": job.attempts,
        "cancel_requested": job.cancel_requested,
        "progress": {"done": job.done_count, "total": job.total_count},
    }
    if full:
        out["params"] = orjson.loads(job.params)
        out["result"] = orjson.loads(job.result) if job.result else None
        out["errors"] = orjson.loads(job.errors) if job.errors else None
    return out


def list_jobs(
    session: Session,
    scope: JobScope,
    *,
    limit: int,
    offset: int,
    state: str | None = None,
    kind: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the jobs the scope sees, the newest first, and how many there are."""
    where = [scope.predicate()]
    if state:
        where.append(Job.state == state)
    if kind:
        where.append(Job.kind == kind)
    total = session.scalar(select(func.count()).select_from(Job).where(*where)) or 0
    jobs = session.scalars(
        select(Job).where(*where).order_by(Job.id.desc()).limit(limit).offset(offset)
    ).all()
    keys = _clinic_keys(session, [j.id for j in jobs])
    return [_as_json(j, keys.get(j.id, []), full=False) for j in jobs], total


def job_detail(session: Session, job_id: int, scope: JobScope) -> dict[str, Any]:
    """One job in full (its parameters, result and errors); LookupError when the scope does
    not see it."""
    job = _visible(session, job_id, scope)
    return _as_json(job, _clinic_keys(session, [job.id]).get(job.id, []), full=True)
