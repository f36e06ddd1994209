"""#14 item 7: read-only commands on a read-only SQLite file, `ptbill backup` and `ptbill
export`."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shlex
import shutil
import site
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ptbill.cli.main import cli
from ptbill.config.profiles import Config
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.engine import make_engine
from ptbill.ledger.migrate import upgrade
from ptbill.ledger.patient_pay import pay
from ptbill.payer_sim import simulate
from ptbill.remit.post import post_text
from ptbill.reports.export_names import WHATS
from tests.ledger.conftest import _reset_postgres
from tests.ledger.helpers import (
    DOS,
    WHO,
    commercial_visit,
    import_and_submit,
    medicare_visit,
    write_visits,
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


@pytest.fixture
def posted(db_url: str, config: Config, tmp_path: Path) -> str:
    """A ledger with claims of two dates of service, submitted, answered and posted, and a
    patient's payment."""
    visits = [
        medicare_visit("V-1"),
        medicare_visit("V-2", patient="P-2", dos=DOS + dt.timedelta(days=7)),
        commercial_visit("V-3", dos=DOS + dt.timedelta(days=14)),
        medicare_visit("V-4", patient="P-4", diagnoses=[]),  # blocked: a work item
    ]
    with Ledger(db_url) as ledger:
        sent = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
        answer = simulate(sent.text, config, received=dt.date(2025, 3, 11))
        with ledger.transaction() as s:
            post_text(s, answer.remit_835 or "", "r.835", who=WHO, config=config, as_of=None)
        with ledger.transaction() as s:  # the patients' money: a payment in cash
            cash = {"method": "cash", "reference": "", "who": WHO}
            pay(s, patient="P-1", amount=Decimal("5.00"), on=dt.date(2025, 3, 12), **cash)
    return db_url


def _export(db: str, what: str, fmt: str, out: Path, *more: str) -> Result:
    return run("--db", db, "export", "--what", what, "--format", fmt, "-o", str(out), *more)


def _cell(value: object) -> str:
    return (
        ""
        if value is None
        else ("true" if value is True else "false" if value is False else str(value))
    )


@pytest.mark.parametrize("what", WHATS)
def test_export_csv_parses_back_to_the_values_of_json_lines(
    posted: str, tmp_path: Path, what: str
) -> None:
    as_csv, as_jsonl = tmp_path / "x.csv", tmp_path / "x.jsonl"
    assert _export(posted, what, "csv", as_csv).exit_code == 0
    r = _export(posted, what, "jsonl", as_jsonl)
    assert r.exit_code == 0, r.output
    records = [json.loads(line) for line in as_jsonl.read_text().splitlines()]
    with open(as_csv, newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert records, what
    assert table == [{k: _cell(v) for k, v in rec.items()} for rec in records]
    assert f"{len(records)} row(s) of {what} written to {as_jsonl}" in r.output


def test_export_holds_the_ledger_s_values_per_clinic_and_date(posted: str, tmp_path: Path) -> None:
    out = tmp_path / "claims.jsonl"
    assert _export(posted, "claims", "jsonl", out).exit_code == 0
    claims = {c["claim_number"]: c for c in map(json.loads, out.read_text().splitlines())}
    assert set(claims) == {"V-1", "V-2", "V-3", "V-4"}
    assert claims["V-1"]["charge"] == "143.00" and claims["V-4"]["state"] == "blocked"
    assert {c["clinic"] for c in claims.values()} == {"elm-street-pt"}
    # The payments export adds up to the report's paid total (money counted once).
    payments = tmp_path / "p.jsonl"
    assert _export(posted, "payments", "jsonl", payments).exit_code == 0
    paid = sum(Decimal(p["paid"]) for p in map(json.loads, payments.read_text().splitlines()))
    report = json.loads(run("--db", posted, "report", "--json").output)
    assert paid == Decimal(report["paid_total"]) > 0
    # A date range (inclusive) and a clinic.
    week = tmp_path / "week.jsonl"
    since, until = str(DOS + dt.timedelta(days=7)), str(DOS + dt.timedelta(days=14))
    r = _export(posted, "claims", "jsonl", week, "--since", since, "--until", until)
    assert r.exit_code == 0
    assert [c["claim_number"] for c in map(json.loads, week.read_text().splitlines())] == [
        "V-2",
        "V-3",
    ]
    r = _export(posted, "claims", "csv", tmp_path / "c.csv", "--clinic", "elm-street-pt")
    assert r.exit_code == 0 and "4 row(s) of claims" in r.output
    r = _export(posted, "claims", "csv", tmp_path / "none.csv", "--clinic", "nowhere")
    assert r.exit_code == 2 and "no clinic 'nowhere'" in r.output and "elm-street-pt" in r.output
    assert not (tmp_path / "none.csv").exists()
    r = _export(posted, "work-items", "csv", tmp_path / "w.csv", "--since", until, "--until", since)
    assert r.exit_code == 2 and "starts" in r.output


def _sqlite_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sqlite_posted(posted: str) -> Iterator[str]:
    if not posted.startswith("sqlite"):
        pytest.skip("a SQLite file")
    yield posted


def test_a_read_only_sqlite_file_serves_worklist_report_and_export(
    sqlite_posted: str, tmp_path: Path
) -> None:
    path = _sqlite_file(sqlite_posted)
    path.chmod(0o444)
    before = _sha(path)
    try:
        for args in (
            ("worklist", "--json"),
            ("report", "--json"),
            ("export", "--what", "claims", "-o", str(tmp_path / "c.csv")),
            ("eligibility", "list", "--json"),
            ("exchange", "runs", "--json"),
        ):
            r = run("--db", str(path), *args)
            assert r.exit_code == 0, (args, r.output)
        assert _sha(path) == before
        # What they open cannot write, whoever runs it (root too).
        with (
            Ledger(sqlite_posted, read_only=True) as ledger,
            pytest.raises(OperationalError, match="readonly"),
            ledger.transaction() as s,
        ):
            s.execute(insert(m.Counter).values(name="x", value=1))
    finally:
        path.chmod(0o644)


def test_read_only_commands_as_a_user_who_may_not_write_the_file(sqlite_posted: str) -> None:
    """The operating system's refusal, not only SQLite's: the ledger in a folder that only
    root may write, the commands run as nobody."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a command as another user")
    folder = Path(tempfile.mkdtemp(prefix="ptbill-ro-"))
    try:
        ledger = folder / "ledger.db"
        shutil.copyfile(_sqlite_file(sqlite_posted), ledger)
        ledger.chmod(0o444)
        folder.chmod(0o555)

        python = _python_for_nobody()

        def as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [python, "-m", "ptbill", "--db", str(ledger), *args],
                capture_output=True,
                text=True,
                cwd="/",
                env={"PATH": "/usr/bin:/bin", "PYTHONPATH": _our_path(), "PTBILL_USER": "nobody"},
                user=65534,
                group=65534,
                extra_groups=[],
                timeout=120,
                check=False,
            )

        probe = as_nobody("--version")
        if probe.returncode != 0:
            pytest.skip(f"nobody cannot run ptbill from here: {probe.stderr[-200:]}")
        for args in (
            ("worklist", "--json"),
            ("report", "--json"),
            ("export", "--what", "work-items", "--format", "jsonl", "-o", "-"),
        ):
            done = as_nobody(*args)
            assert done.returncode == 0, (args, done.stderr)
        mine = json.loads(run("--db", sqlite_posted, "report", "--json").output)
        assert json.loads(as_nobody("report", "--json").stdout) == mine
        denied = as_nobody("import", "/dev/null")  # a command that writes: a clear refusal
        assert denied.returncode == 2 and "Traceback" not in denied.stderr
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def _python_for_nobody() -> str:
    """A Python of this version that an unprivileged user may run (a virtualenv's Python may
    link into root's home)."""
    for candidate in (sys.executable, shutil.which("python3") or "", "/usr/bin/python3"):
        try:
            done = subprocess.run(
                [candidate, "-c", "import sys; print(tuple(sys.version_info[:2]))"],
                capture_output=True,
                text=True,
                user=65534,
                group=65534,
                extra_groups=[],
                timeout=30,
                check=False,
            )
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == str(tuple(sys.version_info[:2])):
            return candidate
    pytest.skip("no Python of this version that nobody may run")


def _our_path() -> str:
    """ptbill's source and this environment's packages, for that Python."""
    import ptbill

    return os.pathsep.join([str(Path(ptbill.__file__).parents[1]), *site.getsitepackages()])


def test_read_only_commands_refuse_a_schema_behind_and_do_not_migrate(
    db_url: str, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0003")
    engine.dispose()
    r = run("--db", db_url, "worklist")
    assert r.exit_code == 2 and "behind this ptbill's" in r.output and "ptbill migrate" in r.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0003"
    engine.dispose()
    assert run("--db", db_url, "migrate").exit_code == 0
    assert run("--db", db_url, "worklist").exit_code == 0
    r = run("--db", str(tmp_path / "missing.db"), "report")
    assert r.exit_code == 2 and "no ledger at this path" in r.output
    assert not (tmp_path / "missing.db").exists()


# --- backup ---------------------------------------------------------------------------------


def _claims_export(db: str, tmp_path: Path, name: str) -> str:
    out = tmp_path / name
    assert _export(db, "claims", "jsonl", out).exit_code == 0
    return out.read_text()


def test_backup_and_restore_round_trip(sqlite_posted: str, config: Config, tmp_path: Path) -> None:
    path = _sqlite_file(sqlite_posted)
    copy = tmp_path / "backups" / "ledger-1.db"
    copy.parent.mkdir()
    r = run("--db", str(path), "backup", str(copy))
    assert r.exit_code == 0, r.output
    assert "checked" in r.output and not list(copy.parent.glob(".*.tmp"))
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    as_backed_up = _claims_export(sqlite_posted, tmp_path, "before.jsonl")
    assert _claims_export(str(copy), tmp_path, "copy.jsonl") == as_backed_up
    # The ledger moves on; the backup does not.
    r = run("--db", str(path), "writeoff", "V-4", "--reason", "test", "--as-of", "2025-04-01")
    assert r.exit_code == 0, r.output
    assert _claims_export(sqlite_posted, tmp_path, "after.jsonl") != as_backed_up
    # Restored (copied back while nothing runs), the ledger is as it was backed up.
    for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(copy, path)
    assert _claims_export(sqlite_posted, tmp_path, "restored.jsonl") == as_backed_up
    # A backup never overwrites a file.
    r = run("--db", str(path), "backup", str(copy))
    assert r.exit_code == 2 and "never overwrites" in r.output


def test_a_backup_is_consistent_while_another_connection_writes(
    sqlite_posted: str, tmp_path: Path
) -> None:
    """A writer adds an audit row and counts it in `counters`, one transaction each; every
    backup taken meanwhile holds as many rows as its counter says."""
    path = _sqlite_file(sqlite_posted)
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        conn.execute("INSERT INTO counters (name, value) VALUES ('writer', 0)")
        claim_id = conn.execute("SELECT min(id) FROM claims").fetchone()[0]
        while not stop.is_set() and written[0] < 5000:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO audit_log (claim_id, who, on_date, from_state, to_state, why) "
                "VALUES (?, 'writer', '2025-04-01', 'paid', 'paid', 'test')",
                (claim_id,),
            )
            conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'writer'")
            conn.execute("COMMIT")
            written[0] += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for n in range(5):
            copy = tmp_path / f"b{n}.db"
            assert run("--db", str(path), "backup", str(copy)).exit_code == 0
            conn = sqlite3.connect(copy)
            rows = conn.execute("SELECT count(*) FROM audit_log WHERE who = 'writer'").fetchone()
            counted = conn.execute("SELECT value FROM counters WHERE name = 'writer'").fetchone()
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()
            assert counted is None or rows[0] == counted[0]
    finally:
        stop.set()
        thread.join()
    assert written[0] > 0


def _quoted_commands(output: str) -> dict[str, list[str]]:
    """The commands a message names between backticks, by program."""
    found = re.findall(r"`([^`]+)`", " ".join(output.split()))
    return {args[0]: args for args in map(shlex.split, found)}


def test_backup_and_restore_round_trip_on_postgresql(posted: str, tmp_path: Path) -> None:
    """The pg_dump and pg_restore commands `ptbill backup` names, run as it names them: the
    ledger restored into an emptied database is the ledger as it was backed up, and takes
    new writes."""
    if not posted.startswith("postgresql"):
        pytest.skip("a PostgreSQL database")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed")
    dump = tmp_path / "ledger.dump"
    r = run("--db", posted, "backup", str(dump))
    assert r.exit_code == 2, r.output
    commands = _quoted_commands(r.output)
    url = make_url(posted)
    env = {**os.environ, "PGPASSWORD": url.password or ""}

    def pg(program: str, **names: str) -> None:
        args = [names.get(a, a) for a in commands[program]]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (args, done.stderr)

    pg("pg_dump")
    assert dump.stat().st_size > 0
    as_backed_up = _claims_export(posted, tmp_path, "before.jsonl")
    r = run("--db", posted, "writeoff", "V-4", "--reason", "test", "--as-of", "2025-04-01")
    assert r.exit_code == 0, r.output
    assert _claims_export(posted, tmp_path, "after.jsonl") != as_backed_up
    _reset_postgres(posted)  # the empty database to restore into
    pg("pg_restore", **{"--dbname=NEWDB": f"--dbname={url.database}"})
    assert _claims_export(posted, tmp_path, "restored.jsonl") == as_backed_up
    # Its sequences came back too: the write done after the backup can be done again.
    r = run("--db", posted, "writeoff", "V-4", "--reason", "test", "--as-of", "2025-04-01")
    assert r.exit_code == 0, r.output
    assert _claims_export(posted, tmp_path, "again.jsonl") == (tmp_path / "after.jsonl").read_text()


def test_backup_of_a_postgresql_ledger_says_how_to_use_pg_dump(tmp_path: Path) -> None:
    r = run("--db", "postgresql://biller:s3cret@db.example:6543/ledger", "backup", "x.dump")
    assert r.exit_code == 2
    assert "pg_dump --format=custom --host=db.example --port=6543 --username=biller" in r.output
    assert "--file=x.dump ledger" in r.output
    restore = "pg_restore --host=db.example --port=6543 --username=biller --dbname=NEWDB x.dump"
    assert restore in r.output
    assert "s3cret" not in r.output
    socket = "postgresql+psycopg://ptbill:pw@/ledger_a?host=/tmp/pg-socket"
    r = run("--db", socket, "backup", "y.dump")
    assert r.exit_code == 2 and "--host=/tmp/pg-socket" in r.output and "pw@" not in r.output
    assert not (tmp_path / "x.dump").exists()
