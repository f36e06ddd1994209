"""The job queue (ptbill.ledger.jobs, job_runner): each job claimed by one worker, done exactly
once, on SQLite and PostgreSQL. A worker that lost its job (the lease ran out) rolls its work
back; a cancelled job rolls back what it had not committed; a job whose worker keeps dying
fails; who sees which job."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from ptbill.errors import InputError
from ptbill.ledger import jobs
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.job_models import Job, JobInput
from ptbill.ledger.job_runner import Running, Worker
from ptbill.ledger.jobs import JobLost, JobScope


def _enqueue(ledger: Ledger, kind: str = "test", **kw: Any) -> int:
    with ledger.transaction() as s:
        return jobs.enqueue(s, kind, f"{kind}.txt", {"n": 1}, who="tester", **kw)


def _clinic(key: str) -> m.Clinic:
    return m.Clinic(key=key, name=key, npi="1234567893", tax_id="123456789")


def _keys(ledger: Ledger) -> list[str]:
    with ledger.transaction() as s:
        return sorted(s.scalars(select(m.Clinic.key)).all())


def _job(ledger: Ledger, job_id: int) -> dict[str, Any]:
    with ledger.transaction() as s:
        return jobs.job_detail(s, job_id, jobs.EVERYONE)


def _writes_a_clinic(job: Running) -> dict[str, Any]:
    """A job whose work is one row, named by its attempt."""
    job.session.add(_clinic(f"attempt-{job.claim.attempt}"))
    job.session.flush()
    return {"attempt": job.claim.attempt}


def test_two_workers_never_take_the_same_job(ledger: Ledger) -> None:
    first, second = _enqueue(ledger), _enqueue(ledger)
    # Two claims in transactions open at once: on PostgreSQL the second skips the row the
    # first locked; on SQLite the second waits for the first to commit.
    with ledger.sessions() as a:
        got_a = jobs.claim_next(a, "a")
        a.commit()
    with ledger.sessions() as b:
        got_b = jobs.claim_next(b, "b")
        b.commit()
        assert jobs.claim_next(b, "c") is None
    assert got_a is not None and got_b is not None
    assert (got_a.id, got_b.id) == (first, second)
    assert _job(ledger, first)["state"] == "running"


def test_skip_locked_lets_a_second_worker_past_a_claim_not_yet_committed(
    ledger: Ledger,
) -> None:
    if ledger.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a second claim waits for the first to commit")
    first, second = _enqueue(ledger), _enqueue(ledger)
    with ledger.sessions() as a, ledger.sessions() as b:
        got_a = jobs.claim_next(a, "a")
        got_b = jobs.claim_next(b, "b")  # the first job's row is locked by a: skipped
        assert got_a is not None and got_b is not None
        assert (got_a.id, got_b.id) == (first, second)
        a.commit()
        b.commit()


def test_a_job_is_done_once_with_its_work(ledger: Ledger) -> None:
    job_id = _enqueue(ledger, content="input text")
    worker = Worker(ledger.sessions, {"test": _writes_a_clinic})
    assert worker.run_until_idle() == [job_id]
    assert worker.run_until_idle() == []
    done = _job(ledger, job_id)
    assert done["state"] == "done" and done["result"] == {"attempt": 1}
    assert done["attempts"] == 1 and done["seconds"] is not None
    assert _keys(ledger) == ["attempt-1"]
    with ledger.transaction() as s:  # the input is not kept once the job ends
        assert s.get(JobInput, job_id) is None


def test_a_worker_that_lost_its_job_to_another_rolls_its_work_back(ledger: Ledger) -> None:
    """Worker A claims the job and goes silent past the lease; B takes it over (attempt 2)
    and finishes it. A, slow but alive, finishes later: its work is rolled back."""
    job_id = _enqueue(ledger)
    with ledger.transaction() as s:
        slow = jobs.claim_next(s, "a")
    assert slow is not None
    time.sleep(0.05)
    fast = Worker(ledger.sessions, {"test": _writes_a_clinic}, lease=0.01)
    assert fast.run_until_idle() == [job_id]
    with ledger.sessions() as s:
        s.add(_clinic("attempt-1"))
        s.flush()
        with pytest.raises(JobLost):
            jobs.finish(s, slow, {"attempt": 1})
        s.rollback()
    assert _keys(ledger) == ["attempt-2"]
    assert _job(ledger, job_id)["result"] == {"attempt": 2}


def test_a_cancelled_job_rolls_back_what_it_had_not_committed(ledger: Ledger) -> None:
    queued = _enqueue(ledger)
    with ledger.transaction() as s:
        assert jobs.cancel(s, queued, jobs.EVERYONE) == "cancelled"
        with pytest.raises(InputError, match="has finished"):
            jobs.cancel(s, queued, jobs.EVERYONE)
    running = _enqueue(ledger)

    def asks_to_cancel(job: Running) -> dict[str, Any]:
        with ledger.transaction() as other:  # someone cancels while the job works
            assert jobs.cancel(other, running, jobs.EVERYONE) == "running"
        return _writes_a_clinic(job)

    Worker(ledger.sessions, {"test": asks_to_cancel}).run_until_idle()
    assert _job(ledger, running)["state"] == "cancelled"
    assert _keys(ledger) == []


def test_bad_input_fails_the_job_with_the_problems_and_changes_nothing(ledger: Ledger) -> None:
    job_id = _enqueue(ledger)

    def bad(job: Running) -> dict[str, Any]:
        _writes_a_clinic(job)
        raise InputError(
            file="v.json", visit_id="V-1", field="date_of_service", problem="bad", fix="fix it"
        )

    Worker(ledger.sessions, {"test": bad}).run_until_idle()
    failed = _job(ledger, job_id)
    assert failed["state"] == "failed"
    assert failed["errors"] == [
        {
            "field": "date_of_service",
            "problem": "bad",
            "fix": "fix it",
            "file": "v.json",
            "visit_id": "V-1",
        }
    ]
    assert _keys(ledger) == []


def test_a_job_whose_worker_keeps_dying_fails(ledger: Ledger) -> None:
    job_id = _enqueue(ledger)
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        with ledger.transaction() as s:
            claim = jobs.claim_next(s, f"dies-{attempt}", lease=0.01)
        assert claim is not None and claim.attempt == attempt
        time.sleep(0.05)  # the worker dies: no heartbeat, no finish
    with ledger.transaction() as s:
        assert jobs.claim_next(s, "last", lease=0.01) is None
    failed = _job(ledger, job_id)
    assert failed["state"] == "failed" and "ended unexpectedly 3 times" in str(failed["errors"])


def test_who_sees_which_job(ledger: Ledger) -> None:
    with ledger.transaction() as s:
        s.add_all([_clinic("a"), _clinic("b")])
        s.flush()
        a, b = (s.scalar(select(m.Clinic.id).where(m.Clinic.key == k)) for k in "ab")
    mine = _enqueue(ledger, user_id=7)
    of_a = _enqueue(ledger, user_id=8, clinics=[a])
    of_both = _enqueue(ledger, user_id=8, clinics=[a, b])
    of_all = _enqueue(ledger, user_id=8)

    def seen(scope: JobScope) -> list[int]:
        with ledger.transaction() as s:
            rows, total = jobs.list_jobs(s, scope, limit=50, offset=0)
        assert total == len(rows)
        return sorted(r["id"] for r in rows)

    assert seen(jobs.EVERYONE) == [mine, of_a, of_both, of_all]
    # User 7's own job for every clinic is out of reach of a scope of A (their token
    # narrowed to A, or their company role taken away): its result names every clinic's rows.
    assert seen(JobScope(frozenset({a}))) == [of_a]
    assert seen(JobScope(frozenset({a, b}))) == [of_a, of_both]
    assert seen(JobScope(frozenset())) == []
    with ledger.transaction() as s:
        assert jobs.job_detail(s, of_a, JobScope(frozenset({a})))["clinics"] == ["a"]
        with pytest.raises(LookupError):
            jobs.job_detail(s, of_both, JobScope(frozenset({a})))
        with pytest.raises(LookupError):
            jobs.job_detail(s, mine, JobScope(frozenset({a, b})))
        with pytest.raises(LookupError):
            jobs.cancel(s, of_all, JobScope(frozenset({a, b})))


def test_progress_and_checkpoints_are_recorded_with_each_commit(ledger: Ledger) -> None:
    job_id = _enqueue(ledger)
    seen: list[dict[str, Any]] = []

    def batches(job: Running) -> dict[str, Any]:
        job.progress(0, 3)
        for n in (1, 2, 3):
            job.session.add(_clinic(f"batch-{n}"))
            job.commit(n, {"done": n})
            with ledger.transaction() as other:
                seen.append(jobs.job_detail(other, job_id, jobs.EVERYONE)["progress"])
        return {"batches": 3}

    Worker(ledger.sessions, {"test": batches}).run_until_idle()
    assert seen == [{"done": n, "total": 3} for n in (1, 2, 3)]
    assert _keys(ledger) == ["batch-1", "batch-2", "batch-3"]
    with ledger.transaction() as s:
        job = s.get_one(Job, job_id)
        assert job.state == "done" and job.checkpoint is None and job.done_count == 3


def test_a_job_that_meets_a_concurrent_writers_row_runs_again_then_fails(ledger: Ledger) -> None:
    """Two imports adding the same new patient at once: the later commit breaks a unique
    key. The job is given back and runs again (the row is there by then); a conflict on
    every attempt fails it, bounded."""
    once, always = _enqueue(ledger), _enqueue(ledger)

    def conflicts(job: Running) -> dict[str, Any]:
        if job.claim.id == always or job.claim.attempt == 1:
            with ledger.transaction() as other:  # the other writer commits first
                other.add(_clinic(f"same-{job.claim.id}-{job.claim.attempt}"))
            job.session.add(_clinic(f"same-{job.claim.id}-{job.claim.attempt}"))
            job.session.flush()
        return {"attempt": job.claim.attempt}

    worker = Worker(ledger.sessions, {"test": conflicts})
    worker.run_until_idle()
    assert _job(ledger, once)["state"] == "done"
    assert _job(ledger, once)["result"] == {"attempt": 2}
    failed = _job(ledger, always)
    assert failed["state"] == "failed" and failed["attempts"] == jobs.MAX_ATTEMPTS
    assert "other writers were adding" in failed["errors"][0]["problem"]
