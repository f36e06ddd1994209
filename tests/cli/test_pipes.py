"""A file given as a pipe (`/dev/stdin`, a shell's `<(...)`, a FIFO): the commands that read
their input more than once (all of it checked before anything is printed or stored) refuse it
by name, with the fix, exit 2 and no traceback; those that read it once take it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ledger.helpers import medicare_visit, write_visits
from tests.x12.helpers import DATA


def _ptbill(args: list[str], stdin: bytes, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PTBILL_TODAY": "2025-03-10", "PTBILL_DATA": str(folder / "data")}
    return subprocess.run(
        [sys.executable, "-m", "ptbill", "--db", str(folder / "p.db"), *args],
        input=stdin.decode(),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


READ_TWICE = [
    (["code"], "visits"),
    (["scrub"], "visits"),
    (["price"], "visits"),
    (["claim", "-o", "out.837"], "visits"),
    (["import"], "visits"),
    (["post"], "835"),
    (["ack"], "999"),
    (["ack-apply"], "999"),
]


@pytest.mark.parametrize(("args", "what"), READ_TWICE, ids=[a[0] for a, _ in READ_TWICE])
def test_a_pipe_is_refused_where_the_file_is_read_twice(
    tmp_path: Path, args: list[str], what: str
) -> None:
    visits = Path(write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")]))
    source = {
        "visits": visits,
        "835": DATA / "remit_basic.835",
        "999": DATA / "ack_partial.999",
    }[what]
    done = _ptbill([*args, "/dev/stdin"], source.read_bytes(), tmp_path)
    assert done.returncode == 2, done.stderr
    assert "/dev/stdin" in done.stderr and "is a pipe" in done.stderr
    assert "save it to a file first" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "out.837").exists()


def test_remit_reads_a_pipe() -> None:
    done = _ptbill(["remit", "/dev/stdin"], (DATA / "remit_basic.835").read_bytes(), Path("/tmp"))
    assert done.returncode == 0, done.stderr
    assert "NORIDIAN JE PART B paid" in done.stdout
