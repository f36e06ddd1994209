"""`scrub --json` and `--jsonl` in worker processes (ptbill.cli.parallel): the same bytes, errors
and exit status as one process, whatever the input shows (duplicates, a bad visit, two clinics'
dates, a worker that fails, Ctrl-C), and no worker left behind."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ptbill.cli import parallel, visits
from ptbill.cli.main import cli
from ptbill.cli.output import JsonList
from ptbill.config import load_config
from tests.ledger.helpers import medicare_visit, write_visits

N = 240


def run(*args: str) -> tuple[int, bytes, str]:
    r = CliRunner(env={"PTBILL_TODAY": "2025-03-10"}).invoke(cli, list(args), obj={})
    return r.exit_code, r.stdout_bytes, r.stderr


def _visits(n: int = N) -> list[dict[str, Any]]:
    """n visits, each its own patient; every fifth without a diagnosis (blocked)."""
    return [
        medicare_visit(f"V-{i}", patient=f"P-{i}", **({"diagnoses": []} if i % 5 == 0 else {}))
        for i in range(n)
    ]


def _children() -> set[int]:
    pid = os.getpid()
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
        return {int(x) for x in f.read().split()}


@pytest.fixture
def outcomes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Chunks of a few visits, and what each run in workers came to (True: the workers' output
    stood; False: made again in one process). No worker is left after the test."""
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 8 << 10)
    said: list[bool] = []
    in_workers = parallel._in_workers

    def spy(*args: Any) -> Any:
        done = yield from in_workers(*args)
        said.append(done)
        return done

    monkeypatch.setattr(parallel, "_in_workers", spy)
    before = _children()
    yield said
    assert _children() <= before


def _both(path: str, output: str) -> tuple[tuple[int, bytes, str], tuple[int, bytes, str]]:
    one = run("scrub", output, path, "--workers", "1")
    many = run("scrub", output, path, "--workers", "3")
    return one, many


@pytest.mark.parametrize("output", ["--json", "--jsonl"])
def test_workers_write_what_one_process_writes(
    tmp_path: Path, output: str, outcomes: list[bool]
) -> None:
    path = write_visits(tmp_path / "v.jsonl", _visits())
    one, many = _both(path, output)
    assert outcomes == [True]  # the workers' output stood
    assert one == many and one[0] == 1
    assert len(one[1]) > 8 * (8 << 10)  # many chunks
    assert one[1].count(b"V-") >= N


def test_a_duplicate_in_a_later_chunk_is_found_in_one_process(
    tmp_path: Path, outcomes: list[bool]
) -> None:
    good = _visits()
    path = write_visits(tmp_path / "v.jsonl", [*good, good[3]])
    one, many = _both(path, "--jsonl")
    assert outcomes == [False] and one == many
    flagged = [
        r["visit_id"]
        for r in map(json.loads, many[1].splitlines())
        if any(f["rule"] == "DUP-IN-BATCH" for f in r["findings"])
    ]
    assert flagged == ["V-3", "V-3"]


@pytest.mark.parametrize("output", ["--json", "--jsonl"])
def test_a_bad_visit_in_the_middle_prints_nothing_and_says_the_same(
    tmp_path: Path, output: str, outcomes: list[bool]
) -> None:
    good = _visits()
    bad = medicare_visit("V-BAD", patient="P-BAD", payer="nobody")
    path = write_visits(tmp_path / "v.jsonl", [*good[: N // 2], bad, *good[N // 2 :]])
    (code, written, err), many = _both(path, output)
    assert outcomes == [False] and many == (code, written, err)
    assert code == 2 and written == b"" and "V-BAD" in err


def test_a_line_that_is_not_json_is_told_as_one_process_tells_it(
    tmp_path: Path, outcomes: list[bool]
) -> None:
    path = tmp_path / "v.jsonl"
    lines = [json.dumps(v) for v in _visits()]
    lines[150] = lines[150][:40]  # cut short
    path.write_text("\n".join(lines) + "\n")
    one, many = _both(str(path), "--json")
    assert outcomes == [False] and one == many
    assert one[0] == 2 and one[1] == b"" and "line 151" in one[2]


@pytest.mark.parametrize("dates_differ", [True, False])
def test_two_clinics(tmp_path: Path, dates_differ: bool, outcomes: list[bool]) -> None:
    """A second clinic late in the input: when the two clinics' day is not the first one's,
    the input is made claims again in one process as of that day (as claims_in_one_read)."""
    dos = dt.date(2024, 12, 1)
    items = _visits()
    for v in items:
        v.update(date_of_service=dos.isoformat(), payer="commercial")
    items[-5]["clinic"] = "oak-avenue-pt"
    path = write_visits(tmp_path / "v.jsonl", items)
    config = load_config()

    def as_of_for(clinics: set[str | None]) -> dt.date:
        later = dates_differ and clinics != {"elm-street-pt"}
        return dos + dt.timedelta(days=400 if later else 10)

    def make(x: visits.ClaimItem) -> tuple[bytes, int]:
        return f"{x.visit.visit_id} {x.scrub.status}".encode(), x.scrub.blocked

    def made(workers: int) -> tuple[list[tuple[bytes, int]], int]:
        texts: list[tuple[bytes, int]] = []
        restarts: list[int] = []

        def restart() -> None:
            restarts.append(1)
            texts.clear()  # the caller forgets what it was given

        for text in parallel.texts_in_one_read(
            (path,),
            config,
            None,
            as_of_for,
            restart,
            make,
            workers=workers,
            sep=b"\n",
            priced=False,
        ):
            texts.append(text)
        return texts, len(restarts)

    (one, once), (many, restarts) = made(1), made(2)
    # A worker's chunk comes as one text (its claims' joined by `sep`), its tallies summed.
    assert len(one) == N
    assert b"\n".join(t for t, _ in one) == b"\n".join(t for t, _ in many)
    assert sum(t for _, t in one) == sum(t for _, t in many)
    assert outcomes == [not dates_differ]
    # Started again by the workers' read, then by the one process's.
    assert (once, restarts) == ((1, 2) if dates_differ else (0, 0))
    if dates_differ:  # 400 days on, past the commercial filing limit: every visit blocked
        assert sum(t for _, t in many) == N


@pytest.mark.parametrize("how", ["raises", "dies"])
def test_a_worker_that_fails_leaves_the_work_to_one_process(
    tmp_path: Path, how: str, outcomes: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = parallel._work

    def failing(job: Any, origin: str, start: int, end: int, *rest: Any) -> Any:
        if start >= 5 * parallel.CHUNK_BYTES:
            if how == "dies":
                os._exit(3)
            raise RuntimeError("a bug")
        return work(job, origin, start, end, *rest)

    monkeypatch.setattr(parallel, "_work", failing)
    path = write_visits(tmp_path / "v.jsonl", _visits())
    one, many = _both(path, "--json")
    assert outcomes == [False] and one == many and one[0] == 1


def test_ctrl_c_leaves_no_worker_and_no_output(
    tmp_path: Path, outcomes: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_visits(tmp_path / "v.jsonl", _visits())
    add_text = JsonList.add_text

    def interrupted(self: JsonList, text: bytes) -> None:
        if self.count == 10:  # a worker's chunk (here a few visits) is added at once
            raise KeyboardInterrupt
        add_text(self, text)

    monkeypatch.setattr(JsonList, "add_text", interrupted)
    code, written, _ = run("scrub", "--json", path, "--workers", "2")
    assert code == 1 and written == b""  # click's "Aborted!"
    assert outcomes == []  # stopped in the middle (the fixture: no worker left)


def test_the_progress_is_counted_in_bytes_to_the_end(
    tmp_path: Path, outcomes: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[tuple[str, int, bool]] = []
    done: list[int] = []
    progress = parallel.progress

    def counted(what: str, total: int, *, quiet: bool, in_bytes: bool = False) -> Any:
        told.append((what, total, in_bytes))
        return progress(what, total, quiet=quiet, in_bytes=in_bytes)

    monkeypatch.setattr(parallel, "progress", counted)
    monkeypatch.setattr("ptbill.cli.progress._nothing", done.append)
    path = write_visits(tmp_path / "v.jsonl", _visits())
    run("scrub", "--jsonl", path, "--workers", "2")
    size = Path(path).stat().st_size
    assert told == [("scrubbing", size, True)] and sum(done) == size and outcomes == [True]


def test_how_many_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = write_visits(tmp_path / "v.jsonl", _visits(20))
    listed = tmp_path / "v.json"
    listed.write_text(json.dumps(_visits(20)))
    assert parallel.workers_for((lines,), None, None) == 1  # small: one process
    assert parallel.workers_for((lines,), None, 4) == 4
    assert parallel.workers_for((str(listed),), None, 4) == 1  # a JSON list: one process
    assert parallel.workers_for((lines, str(tmp_path / "missing.jsonl")), None, 4) == 1
    monkeypatch.setattr(parallel, "AUTO_BYTES", 1)
    assert parallel.workers_for((lines,), None, None) == min(
        len(os.sched_getaffinity(0)), parallel.MAX_WORKERS
    )


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_stopped_command_leaves_no_worker_and_no_output(tmp_path: Path, sig: int) -> None:
    """Ctrl-C (SIGINT to the terminal's process group) or a kill of the command itself, while
    its workers scrub: nothing on stdout, and the workers end (they ignore Ctrl-C: the command
    stops them; a killed command's workers end when they find it gone)."""
    path = write_visits(tmp_path / "v.jsonl", _visits(12_000))  # about 1 s of work
    out = tmp_path / "out.json"
    env = dict(os.environ, PTBILL_TODAY="2025-03-10", PTBILL_WORKERS="2")
    with out.open("wb") as f:
        child = subprocess.Popen(
            [sys.executable, "-m", "ptbill", "scrub", "--json", path],
            stdout=f,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group, as a terminal's job
        )
        workers: set[int] = set()
        deadline = time.monotonic() + 60
        while len(workers) < 2 and child.poll() is None and time.monotonic() < deadline:
            try:
                with open(f"/proc/{child.pid}/task/{child.pid}/children", encoding="ascii") as c:
                    workers = {int(x) for x in c.read().split()}
            except FileNotFoundError:
                break
            time.sleep(0.005)
        assert len(workers) == 2, "the workers were not seen at work"
        if sig == signal.SIGINT:
            os.killpg(child.pid, sig)
        else:
            os.kill(child.pid, sig)
        code = child.wait(timeout=60)
    assert code != 0 and out.read_bytes() == b""
    deadline = time.monotonic() + 30
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, workers))


def test_several_files_with_a_bom_blank_lines_and_crlf(
    tmp_path: Path, outcomes: list[bool]
) -> None:
    """Lines cut into chunks anywhere: the files are read as one process reads them (a byte
    order mark at the start, blank lines, CRLF ends) and in order."""
    items = [json.dumps(v).encode() for v in _visits()]
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(items[:100]) + b"\r\n\r\n  \n")
    second.write_bytes(b"\n\n" + b"\n\n".join(items[100:]))  # no end of line at the end
    one = run("scrub", "--jsonl", str(first), str(second), "--workers", "1")
    many = run("scrub", "--jsonl", str(first), str(second), "--workers", "2")
    assert outcomes == [True] and one == many
    assert [json.loads(x)["visit_id"] for x in many[1].splitlines()] == [f"V-{i}" for i in range(N)]
