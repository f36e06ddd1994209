"""A `ptbill worker` killed with SIGKILL in the middle of a job: a second worker finishes it,
and the ledger holds what one application of the job makes, never two (issue #14 item 4).

- An import job (SQLite and PostgreSQL): killed once its first batch committed, while it
  writes the next. The retry goes on after the committed batches: every visit is new (none
  found "unchanged", which a batch written twice, or half of one, would show), each claim has
  the audit trail of one import, and the money equals a plain import of the same file.
- A posting job (PostgreSQL): killed while its one transaction waits on a table the test
  holds locked, half-way through the 835. The retry posts the whole file once: one
  remittance, the 835's paid total, each claim payment once.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from ptbill.config import load_config
from ptbill.demo.generator import generate
from ptbill.ledger import jobs
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files
from ptbill.web.accounts import add_user
from ptbill.web.jobs import IMPORT, POST

PTBILL = str(Path(sys.executable).with_name("ptbill"))
LEASE = 3.0
# Eight batches of 1,000: the kill after the first must land while the worker writes the
# later ones, on a fast idle machine too (with three, the job could end before the test saw
# its first batch).
VISITS = 7500
DEADLINE = 600.0  # seconds any wait may take on a loaded machine


class Workers:
    """`ptbill worker` processes on one ledger, each logging to a file of its own."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"worker-{len(self.started)}.log").open("wb")
        proc = subprocess.Popen(
            [PTBILL, "--db", self.url, "worker", "--poll", "0.1", "--lease", str(LEASE), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(proc)
        return proc

    def log(self, n: int) -> str:
        return (self.folder / f"worker-{n}.log").read_text()

    def stop(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
def workers(db_url: str, tmp_path: Path) -> Iterator[Workers]:
    made = Workers(db_url, tmp_path)
    yield made
    made.stop()


def _admin(ledger: Ledger) -> int:
    with ledger.transaction() as s:
        return add_user(s, "admin", "admin", "a long password").id


def _job(ledger: Ledger, job_id: int) -> dict[str, Any]:
    with ledger.transaction() as s:
        return jobs.job_detail(s, job_id, jobs.EVERYONE)


def _committed(ledger: Ledger, job_id: int) -> int:
    """How many visits the job has committed (it must not have ended)."""
    job = _job(ledger, job_id)
    assert job["state"] in ("queued", "running"), (job["state"], job["errors"])
    return int(job["progress"]["done"])


def _until(what: str, check: Any, proc: subprocess.Popen[bytes] | None = None) -> Any:
    deadline = time.monotonic() + DEADLINE
    while True:
        found = check()
        if found:
            return found
        assert proc is None or proc.poll() is None, f"the worker ended before {what}"
        assert time.monotonic() < deadline, f"no {what} in {DEADLINE} s"
        time.sleep(0.05)


def _finish_with_a_second_worker(workers: Workers, ledger: Ledger, job_id: int) -> dict[str, Any]:
    time.sleep(LEASE + 0.5)  # the dead worker's lease runs out
    second = workers.start("--once")
    assert second.wait(timeout=DEADLINE) == 0, workers.log(len(workers.started) - 1)
    return _job(ledger, job_id)


def _totals(url: str) -> dict[str, Any]:
    with Ledger(url) as ledger, ledger.transaction() as s:
        return {
            "visits": s.scalar(select(func.count()).select_from(m.Visit)),
            "claims": s.scalar(select(func.count()).select_from(m.Claim)),
            "charge": s.scalar(select(func.sum(m.Claim.charge))),
            "expected": s.scalar(select(func.sum(m.Claim.expected_allowed))),
            "states": dict(
                s.execute(select(m.Claim.state, func.count()).group_by(m.Claim.state)).all()
            ),
            "audit": s.scalar(select(func.count()).select_from(m.AuditEntry)),
        }


def test_an_import_job_whose_worker_is_killed_is_finished_once(
    ledger: Ledger, workers: Workers, tmp_path: Path
) -> None:
    visits = generate(VISITS, 11)
    content = "".join(json.dumps(v) + "\n" for v in visits)
    user = _admin(ledger)
    with ledger.transaction() as s:
        job_id = jobs.enqueue(
            s,
            IMPORT,
            "big.jsonl",
            {"as_of": "2025-04-01"},
            who="web:admin",
            user_id=user,
            content=content,
        )
    first = workers.start()
    # Once the first batch has committed, the worker is writing the second: kill it.
    _until("first batch", lambda: _committed(ledger, job_id) >= 1000, first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    stopped = _job(ledger, job_id)
    assert stopped["state"] == "running" and stopped["progress"]["done"] < VISITS

    done = _finish_with_a_second_worker(workers, ledger, job_id)
    assert done["state"] == "done", (done["errors"], done["progress"])
    assert done["attempts"] == 2
    result = done["result"]
    assert result["read"] == VISITS and result["new"] == VISITS
    assert result["unchanged"] == 0 and result["updated"] == 0
    # The same file imported plainly, in one go, into an empty ledger: the same claims.
    plain = f"sqlite:///{tmp_path / 'plain.db'}"
    path = tmp_path / "big.jsonl"
    path.write_text(content, encoding="utf-8")
    with Ledger(plain) as other, other.transaction() as s:
        day = dt.date.fromisoformat(result["as_of"])
        import_files(s, [str(path)], as_of=day, config=load_config(None), who="web:admin")
    assert _totals(ledger.url) == _totals(plain)


def test_a_posting_job_whose_worker_is_killed_mid_transaction_posts_once(
    ledger: Ledger, workers: Workers, tmp_path: Path
) -> None:
    if ledger.engine.dialect.name != "postgresql":
        pytest.skip("holds a PostgreSQL table lock to stop the posting half-way")
    from ptbill.demo.workbench import build_demo_ledger

    demo = build_demo_ledger(ledger.url, tmp_path / "demo", visits=120, seed=3, post=False)
    clp = [s.split("*") for s in demo.remit_835.split("~") if s.strip().startswith("CLP*")]
    paid = sum(Decimal(e[4]) for e in clp)
    user = _admin(ledger)
    with ledger.transaction() as s:
        job_id = jobs.enqueue(
            s,
            POST,
            "payer.835",
            {"as_of": None},
            who="web:admin",
            user_id=user,
            content=demo.remit_835,
        )
    # Hold the payments table: the posting stops half-way, at its first payment.
    holder = ledger.engine.connect()
    holder.execute(text("LOCK TABLE payments IN ACCESS EXCLUSIVE MODE"))
    first = workers.start()
    _until("a posting waiting on the lock", lambda: _waiting(ledger) > 0, first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    holder.rollback()
    holder.close()

    done = _finish_with_a_second_worker(workers, ledger, job_id)
    assert done["state"] == "done", (done["errors"], done["progress"])
    assert done["attempts"] == 2
    assert Decimal(done["result"]["paid_total"]) == paid
    with ledger.transaction() as s:
        assert s.scalar(select(func.count()).select_from(m.Remittance)) == 1
        assert s.scalar(select(func.count()).select_from(m.ClaimPayment)) == len(clp)
        assert s.scalar(select(func.sum(m.ClaimPayment.paid))) == paid
        assert s.scalar(select(func.sum(m.Claim.paid))) == paid


def _waiting(ledger: Ledger) -> int:
    """Backends of this database waiting for a lock (the killed worker's, until it notices)."""
    with ledger.engine.connect() as conn:
        return (
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )
