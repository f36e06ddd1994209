"""Where the output goes is not always a regular file: `-o /dev/stdout` or a FIFO (a pipe
to another program) is written as it is, not replaced by a file renamed over it (as root,
the device itself was replaced); and an output that cannot be written (a full disk:
/dev/full) is said in one line with the fix, exit 2, no traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

from tests.ledger.helpers import medicare_visit, write_visits


def _ptbill(args: list[str], folder: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PTBILL_TODAY": "2025-03-10", "PTBILL_DATA": str(folder / "data")}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "ptbill", "--db", f"sqlite:///{folder / 'p.db'}", *args],
        text=True,
        env=env,
        timeout=120,
        **kw,
    )


def test_claim_into_a_fifo_writes_the_837p_through_it(tmp_path: Path) -> None:
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    fifo = tmp_path / "to-sftp"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = _ptbill(["claim", visits, "-o", str(fifo)], tmp_path, capture_output=True)
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert got and got[0].startswith(b"ISA*") and b"CLM*V-1*" in got[0]
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still the pipe, not a file put in its place
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_output_that_cannot_be_written_is_said_without_a_traceback(tmp_path: Path) -> None:
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    with open("/dev/full", "w") as full:
        done = _ptbill(["scrub", "--json", visits], tmp_path, stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "the output could not be written (No space left on device)" in done.stderr
    assert "Fix: free some space, or write it elsewhere" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_837p_into_a_full_disk_leaves_the_claims_ready(tmp_path: Path) -> None:
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    assert _ptbill(["import", visits], tmp_path, capture_output=True).returncode == 0
    done = _ptbill(["submit", "-o", "/dev/full"], tmp_path, capture_output=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "/dev/full" in done.stderr
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # the device is still a device
    again = _ptbill(["submit", "-o", str(tmp_path / "c.837"), "--json"], tmp_path,
                    capture_output=True)  # fmt: skip
    assert again.returncode == 0 and json.loads(again.stdout)["claims"] == ["V-1"]
