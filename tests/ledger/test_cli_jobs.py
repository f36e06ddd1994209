"""`ptbill jobs list|show|cancel` and `ptbill worker --once`: the queue the workbench fills,
at the command line (JSON shapes, exit codes, clear errors)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from ptbill.cli.main import cli
from ptbill.ledger import jobs
from ptbill.ledger.db import Ledger
from ptbill.web.accounts import add_user
from ptbill.web.jobs import IMPORT
from tests.ledger.helpers import medicare_visit


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", db, *args], obj={}, catch_exceptions=False)


def _queue(db: str, *files: tuple[str, str]) -> list[int]:
    """Import jobs of (name, content) started by a biller, as the workbench queues them."""
    with Ledger(db) as ledger:
        with ledger.transaction() as s:
            user = add_user(s, "admin", "admin", "a long password").id
        with ledger.transaction() as s:
            return [
                jobs.enqueue(
                    s,
                    IMPORT,
                    name,
                    {"as_of": "2025-03-10"},
                    who="web:admin",
                    user_id=user,
                    content=content,
                )
                for name, content in files
            ]


def test_jobs_are_listed_run_by_a_worker_and_shown(tmp_path: Path) -> None:
    db = str(tmp_path / "jobs.db")
    good = "".join(
        json.dumps(v) + "\n" for v in (medicare_visit("V-1"), medicare_visit("V-2", "P-2"))
    )
    bad = json.dumps({**medicare_visit("V-3"), "date_of_service": "03/02/2025"}) + "\n"
    ok, broken, later = _queue(db, ("good.jsonl", good), ("bad.jsonl", bad), ("l.jsonl", good))

    listed = json.loads(run(db, "jobs", "list", "--json", "--limit", "2").output)
    assert [j["id"] for j in listed["jobs"]] == [later, broken]  # the newest first
    assert (listed["total"], listed["next_offset"]) == (3, 2)
    assert {j["state"] for j in listed["jobs"]} == {"queued"}

    cancelled = run(db, "jobs", "cancel", str(later), "--json")
    assert cancelled.exit_code == 0 and json.loads(cancelled.output)["state"] == "cancelled"
    again = run(db, "jobs", "cancel", str(later))
    assert again.exit_code == 2 and "has finished (cancelled)" in again.output

    worker = run(db, "worker", "--once")
    assert worker.exit_code == 0 and "ran 2 job(s)" in worker.output

    done = run(db, "jobs", "show", str(ok), "--json")
    assert done.exit_code == 0
    job = json.loads(done.output)
    assert job["state"] == "done" and job["result"]["new"] == 2
    assert job["progress"] == {"done": 2, "total": 2}
    failed = run(db, "jobs", "show", str(broken))
    assert failed.exit_code == 1  # a failed job
    assert "failed" in failed.output and "date_of_service" in failed.output
    assert [
        j["id"]
        for j in json.loads(run(db, "jobs", "list", "--state", "done", "--json").output)["jobs"]
    ] == [ok]

    missing = run(db, "jobs", "show", "999")
    assert missing.exit_code == 2 and "no job 999" in missing.output


def test_the_jobs_held_to_a_clinic(tmp_path: Path) -> None:
    """--clinic shows the jobs that work for those clinics only, as a clinic's biller sees them
    on the Jobs page: another clinic's job, or a company-wide one, is not found."""
    from sqlalchemy import select

    from ptbill.ledger import models as m
    from tests.ledger.helpers import write_visits

    db = str(tmp_path / "jobs.db")
    oak = medicare_visit("V-2", "P-2", clinic="oak-avenue-pt")
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1"), oak])
    assert run(db, "import", visits, "--as-of", "2025-03-10").exit_code == 0
    with Ledger(db) as ledger, ledger.transaction() as s:
        clinic = dict(s.execute(select(m.Clinic.key, m.Clinic.id)).tuples().all())
        elm_job, oak_job, company_job = (
            jobs.enqueue(s, IMPORT, name, {}, who="web:x", clinics=ids)
            for name, ids in (
                ("elm.jsonl", [clinic["elm-street-pt"]]),
                ("oak.jsonl", [clinic["oak-avenue-pt"]]),
                ("all.jsonl", None),
            )
        )
    oak_only = ("--clinic", "oak-avenue-pt")
    listed = json.loads(run(db, "jobs", "list", "--json", *oak_only).output)
    assert [j["id"] for j in listed["jobs"]] == [oak_job] and listed["total"] == 1
    assert len(json.loads(run(db, "jobs", "list", "--json").output)["jobs"]) == 3
    for other in (elm_job, company_job):
        for verb in ("show", "cancel"):
            r = run(db, "jobs", verb, str(other), *oak_only)
            assert r.exit_code == 2 and f"no job {other}" in r.output
    assert run(db, "jobs", "show", str(oak_job), *oak_only).exit_code == 0
    r = run(db, "jobs", "list", "--clinic", "no-such")
    assert r.exit_code == 2 and "no clinic 'no-such'" in r.output
