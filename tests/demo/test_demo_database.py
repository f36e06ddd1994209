"""`ptbill demo` makes its database anew while a workbench may still be open on the last one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ptbill.cli.demo_tour import remove_sqlite
from ptbill.errors import InputError
from ptbill.ledger.db import Ledger

# The last demo's workbench: another process writing to the database, then holding it open.
_WORKBENCH = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=wal")
c.execute("CREATE TABLE IF NOT EXISTS seen (n INTEGER)")
for n in range(50):
    c.execute("INSERT INTO seen VALUES (?)", (n,))
    c.commit()
print("open", flush=True)
time.sleep(120)
"""


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    """A ledger that another process (the last demo's workbench) has open and writes to."""
    db_path = tmp_path / "ptbill.db"
    with Ledger(f"sqlite:///{db_path}"):
        pass
    workbench = subprocess.Popen(
        [sys.executable, "-c", _WORKBENCH, str(db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert workbench.stdout is not None and workbench.stdout.readline() == "open\n"
        assert (tmp_path / "ptbill.db-wal").exists()
        yield db_path
    finally:
        workbench.kill()
        workbench.wait()


def test_a_new_database_opens_while_a_workbench_holds_the_last_one(held: Path) -> None:
    remove_sqlite(held)
    with Ledger(f"sqlite:///{held}") as ledger, ledger.transaction() as s:
        tables = s.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'table'"))
        assert tables.scalar() > 0  # made, migrated and readable


def test_a_database_deleted_under_a_workbench_is_told_with_its_cause(held: Path) -> None:
    held.unlink()  # by hand, its -wal and -shm left to the workbench
    with pytest.raises(InputError) as caught, Ledger(f"sqlite:///{held}"):
        pass
    assert "disk I/O error" in str(caught.value) and "stop that process" in str(caught.value)
