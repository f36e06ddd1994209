"""An output file never replaces what the user cannot get back: a SQLite database (the ledger
in use or a backup of it: `-o ptbill.db` is one slip of the fingers away from `-o batch.837`)
or the input the command is reading. Refused before anything is done, exit 2, the file
untouched."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ledger.helpers import medicare_visit, write_visits


def _ptbill(args: list[str], folder: Path, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PTBILL_TODAY": "2025-03-10", "PTBILL_DATA": str(folder / "data")}
    return subprocess.run(
        [sys.executable, "-m", "ptbill", "--db", f"sqlite:///{db}", *args],
        text=True,
        env=env,
        timeout=120,
        capture_output=True,
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    db = tmp_path / "p.db"
    assert _ptbill(["import", visits], tmp_path, db).returncode == 0
    return db


def _claims(db: Path) -> int:
    with sqlite3.connect(db) as c:
        return int(c.execute("select count(*) from claims").fetchone()[0])


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--what", "claims", "-o"],
        ["submit", "-o"],
        ["demo-data", "--visits", "5", "-o"],
    ],
    ids=["export", "submit", "demo-data"],
)
def test_an_output_over_the_ledger_in_use_is_refused(
    ledger: Path, tmp_path: Path, args: list[str]
) -> None:
    before = ledger.read_bytes()
    done = _ptbill([*args, str(ledger)], tmp_path, ledger)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{ledger}: the file is a SQLite database" in done.stderr
    assert "Fix: give another output file" in done.stderr
    assert ledger.read_bytes() == before and _claims(ledger) == 1
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_output_over_a_backup_of_the_ledger_is_refused(ledger: Path, tmp_path: Path) -> None:
    backup = tmp_path / "monday.db"
    shutil.copyfile(ledger, backup)
    done = _ptbill(["export", "--what", "claims", "-o", str(backup)], tmp_path, ledger)
    assert done.returncode == 2 and "is a SQLite database" in done.stderr
    assert _claims(backup) == 1


def test_a_claim_file_over_its_own_input_is_refused(tmp_path: Path) -> None:
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    before = Path(visits).read_bytes()
    done = _ptbill(["claim", visits, "-o", visits], tmp_path, tmp_path / "p.db")
    assert done.returncode == 2, done.stderr
    assert f"{visits}: the file is an input of this command" in done.stderr
    assert Path(visits).read_bytes() == before


def test_an_ordinary_file_is_still_replaced(ledger: Path, tmp_path: Path) -> None:
    old = tmp_path / "claims.csv"
    old.write_text("yesterday's export\n")
    done = _ptbill(["export", "--what", "claims", "-o", str(old)], tmp_path, ledger)
    assert done.returncode == 0, done.stderr
    assert old.read_text().startswith("claim_id") or "V-1" in old.read_text()


def test_a_refused_claim_file_takes_no_control_number(tmp_path: Path) -> None:
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    db = tmp_path / "p.db"
    sqlite3.connect(db).execute("create table t (x)").connection.close()
    assert _ptbill(["claim", visits, "-o", str(db)], tmp_path, tmp_path / "q.db").returncode == 2
    done = _ptbill(["claim", visits, "-o", str(tmp_path / "b.837")], tmp_path, tmp_path / "q.db")
    assert done.returncode == 0, done.stderr
    assert "(interchange 1)" in done.stderr


def test_a_message_to_a_pipe_is_one_line_whatever_its_length(tmp_path: Path) -> None:
    """What a command says on stderr, read by a script through a pipe, is not wrapped at 80
    columns: a long output path used to be cut over three lines (`grep` of the interchange
    number failed), so this test's own outcome hung on the length of pytest's temp folder."""
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    folder = tmp_path / ("a-folder-with-a-long-name-" * 4)
    folder.mkdir()
    target = folder / "batch.837"
    done = _ptbill(["claim", visits, "-o", str(target)], tmp_path, tmp_path / "q.db")
    assert done.returncode == 0, done.stderr
    assert f"1 claim(s) written to {target} (interchange 1); 0 blocked" in done.stderr
