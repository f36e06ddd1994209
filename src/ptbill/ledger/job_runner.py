"""Workers: claim queued jobs one at a time and run each exactly once (ptbill.ledger.jobs).

`Worker.run` loops until told to stop: `ptbill worker` runs it in its own process (as many
processes as you like, on any machine that reaches the database), and the workbench runs one
in a thread of its own process (the in-process worker, on by default: nothing more to start
on a one-machine SQLite ledger).

A job's handler (`Handler`, by kind) gets the claimed job and the session of its work
transaction; what it returns is the job's result, committed with the work. A handler that
commits batch by batch (a long import) calls `Running.commit` after each. While a job runs, a
thread beats its heartbeat (every quarter of the lease) and writes its progress.

What ends a job other than success: bad input (InputError) fails it with the problems listed,
as the API would have answered them; a cancel request rolls back what was not committed; a
busy database, or a row another writer added at the same time (a unique key met twice:
bounded by jobs.MAX_ATTEMPTS), gives it back to the queue; anything else fails it as an
internal error (logged by kind and id only: messages may quote patient data).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from ptbill.errors import InputError, InputErrors
from ptbill.ledger import jobs
from ptbill.ledger.jobs import Claim, JobCancelled, JobLost

log = logging.getLogger(__name__)

MAX_LISTED = 200  # problems kept of a failed job


@dataclass
class Running:
    """A claimed job as its handler sees it: the session of its work and its progress."""

    claim: Claim
    session: Session
    done: int = 0
    total: int | None = None
    state: dict[str, Any] | None = field(default=None)  # what the committed batches did

    def input(self) -> tuple[str, str]:
        """(name, text) of the job's file."""
        return jobs.job_input(self.session, self.claim)

    def progress(self, done: int, total: int | None = None) -> None:
        """How far the job got (written by the heartbeat, or with the next commit)."""
        self.done, self.total = done, total if total is not None else self.total

    def commit(self, done: int, state: dict[str, Any]) -> None:
        """Commit the work so far, with where it got: a retry goes on from here. Raises
        JobCancelled or JobLost (the caller rolls back) when the job is no longer to run."""
        jobs.checkpoint(self.session, self.claim, done, self.total, state)
        self.session.commit()
        self.done, self.state = done, state


Handler = Callable[[Running], dict[str, Any]]


def problems(errors: list[InputError]) -> list[dict[str, Any]]:
    """Input errors as the API lists them (`{"field", "problem", "fix", "visit_id"}`)."""
    out = []
    for e in errors[:MAX_LISTED]:
        item: dict[str, Any] = {
            "field": (e.field or e.file)[:80] if (e.field or e.file) else None,
            "problem": e.problem[:1000],
            "fix": e.fix[:300] if e.fix else None,
            "file": e.file[:200] if e.file else None,
        }
        if e.visit_id:
            item["visit_id"] = e.visit_id
        out.append(item)
    return out


def _conflict(attempts: int) -> dict[str, Any]:
    return {
        "field": "job",
        "problem": f"the job met rows other writers were adding at the same time, {attempts} "
        "times; what it had not committed was rolled back",
        "fix": "start the job again when the ledger is quieter",
    }


class _Heartbeat:
    """Beats a running job's heartbeat and writes its progress, from a thread of its own
    with its own connection (so a job busy in one long transaction still shows alive)."""

    def __init__(self, sessions: sessionmaker[Session], running: Running, every: float) -> None:
        self.sessions, self.running, self.every = sessions, running, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"job-{running.claim.id}-beat")

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                with self.sessions.begin() as session:
                    jobs.heartbeat(session, self.running.claim, self.running)
            except (OperationalError, PoolTimeout):
                continue  # busy: the next beat, or the job's next commit, says it is alive


class Worker:
    """Runs the jobs of the kinds it has handlers for."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        handlers: Mapping[str, Handler],
        *,
        lease: float = jobs.LEASE_SECONDS,
        poll: float = 1.0,
        name: str | None = None,
    ) -> None:
        self.sessions, self.handlers = sessions, handlers
        self.lease, self.poll = lease, poll
        self.name = name or jobs.worker_name()

    def run(self, stop: threading.Event) -> None:
        """Run jobs until `stop` is set (polling every `poll` seconds when none waits)."""
        while not stop.is_set():
            try:
                ran = self.run_once()
            except (OperationalError, PoolTimeout):
                ran = None  # the database is busy or away: try again after a pause
            if ran is None:
                stop.wait(self.poll)

    def run_until_idle(self) -> list[int]:
        """Run queued jobs until none waits; their ids (tests, `ptbill worker --once`)."""
        done = []
        while (job_id := self.run_once()) is not None:
            done.append(job_id)
        return done

    def run_once(self) -> int | None:
        """Claim one job and run it; its id, or None when no job waits."""
        with self.sessions.begin() as session:
            claim = jobs.claim_next(session, self.name, lease=self.lease)
        if claim is None:
            return None
        self._run(claim)
        return claim.id

    def _run(self, claim: Claim) -> None:
        started = time.monotonic()
        handler = self.handlers.get(claim.kind)
        if handler is None:
            self._end(
                claim,
                jobs.FAILED,
                errors=[
                    {
                        "field": "kind",
                        "problem": f"no worker here runs jobs of kind {claim.kind!r}",
                        "fix": "run a worker of the same ptbill version as the workbench",
                    }
                ],
            )
            return
        session = self.sessions()
        running = Running(claim, session, state=claim.checkpoint)
        outcome = "done"
        try:
            with _Heartbeat(self.sessions, running, self.lease / 4):
                try:
                    result = handler(running)
                    jobs.finish(session, claim, result)
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        except JobLost:
            outcome = "lost to another worker"
        except JobCancelled:
            outcome = "cancelled"
            self._end(claim, jobs.CANCELLED, result=self._partial(running))
        except InputErrors as e:
            outcome = "failed (input)"
            self._end(claim, jobs.FAILED, errors=problems(e.errors))
        except InputError as e:
            outcome = "failed (input)"
            self._end(claim, jobs.FAILED, errors=problems([e]))
        except (OperationalError, PoolTimeout) as e:
            outcome = f"given back (database busy: {type(getattr(e, 'orig', e)).__name__})"
            with self.sessions.begin() as s:
                jobs.release(s, claim)
        except IntegrityError:
            # Most likely another writer's concurrent commit of the same new row (two imports
            # meeting the same new patient at once): the retry finds the row. Bounded.
            if claim.attempt < jobs.MAX_ATTEMPTS:
                outcome = "given back (a concurrent writer's row: it runs again)"
                with self.sessions.begin() as s:
                    jobs.release(s, claim)
            else:
                outcome = "failed (IntegrityError)"
                self._end(claim, jobs.FAILED, errors=[_conflict(claim.attempt)])
        except Exception as e:  # a bug: the job fails, the worker goes on
            outcome = f"failed ({type(e).__name__})"
            log.error("job %d (%s) failed: %s", claim.id, claim.kind, type(e).__name__)
            self._end(
                claim,
                jobs.FAILED,
                errors=[
                    {
                        "field": "job",
                        "problem": f"an internal error ({type(e).__name__}) stopped the job; "
                        "what it had not committed was rolled back",
                        "fix": "report it with the job's id; the workers' log has the kind",
                    }
                ],
            )
        finally:
            session.close()
        log.info(
            "job %d (%s, attempt %d): %s in %.1f s",
            claim.id,
            claim.kind,
            claim.attempt,
            outcome,
            time.monotonic() - started,
        )

    @staticmethod
    def _partial(running: Running) -> dict[str, Any] | None:
        """What a cancelled job had committed (batches stay committed)."""
        if running.state is None:
            return None
        return {"stopped_after": running.done, "committed": running.state}

    def _end(self, claim: Claim, state: str, **what: Any) -> None:
        with self.sessions.begin() as session:
            jobs.end(session, claim, state, **what)
