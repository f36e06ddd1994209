"""A big JSON Lines input of `scrub --json` and `--jsonl` made claims in worker processes, so
that a batch uses the machine's cores: the read of ptbill.cli.visits.claims_in_one_read, its
visits validated, coded and scrubbed in chunks by forked workers, in input order.

The parent cuts each file into chunks by byte offset (a chunk holds the lines that start in
its range) and hands a few chunks per worker out at a time (memory stays flat in the input
size); a worker reads its chunk from the file itself and sends back, per chunk, each claim's
output text (already serialised) and its tally (e.g. blocked or not), with what the parent
needs to know of the whole input: the two hashes a visit of the duplicate check and the
clinics, in the order they appear. A chunk's texts come back joined by the output's separator
(one write a chunk for the parent, whose CPU the workers share). The parent writes the texts
in order.

The claims are made as the one read makes them: for an input without duplicates, as of its
first visit's clinic's date. When the input shows otherwise (a duplicate, clinics whose date
differs), or a visit is bad, or a worker fails, or a file changed while it was read, the
workers are stopped, the caller's `restart()` is called, and the input is made claims again
by claims_in_one_read in this process: so what is printed, the errors and the exit status are
word for word those of one process. Workers are forked (Linux): the reference data loaded
before the fork is shared, not loaded again.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import stat
from array import array
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from ptbill.cli.progress import progress
from ptbill.cli.visits import (
    ClaimItem,
    Item,
    claim_of,
    claims_in_one_read,
    clinic_of,
    hashes_of,
    price_memo,
)
from ptbill.config import Config
from ptbill.errors import InputError
from ptbill.intake.load import file_format
from ptbill.intake.stream import (
    READ_BUFFER,
    blank,
    first_line,
    is_json_lines,
    line_of,
    parse_visit,
)
from ptbill.ledger.prepare import Contexts
from ptbill.scrub import Batch

# A claim's output text and its tally (what the caller counts, e.g. 1 when it is blocked).
Made = tuple[bytes, int]
Make = Callable[[ClaimItem], Made]

# Below this much input (about 4,000 visits) starting workers costs more than they save.
AUTO_BYTES = 8 << 20
MAX_WORKERS = 8  # by default: past a few, the parent's writing is the limit
# A chunk's bytes (about 125 visits): its messages cost nothing beside its work, and the last
# chunks keep no worker busy alone for long (256 KB, 1 MB and 4 MB measured alike at 50,000
# visits on a loaded host, 256 KB a little ahead).
CHUNK_BYTES = 256 << 10
IN_FLIGHT = 2  # chunks handed to each worker at a time


def _json_lines(path: str, fmt: str | None) -> bool:
    """Whether `path` is a regular file of JSON Lines (its chunks can be read by offset)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode) or file_format(path, fmt)[0] != "json":
            return False
        with open(path, "rb") as f:
            head = first_line(f)
    except (OSError, ValueError, InputError):  # the one process says what is wrong
        return False
    return bool(head) and is_json_lines(head)


def workers_for(files: tuple[str, ...], fmt: str | None, asked: int | None) -> int:
    """How many worker processes to use: `asked` (--workers), else the usable CPUs (at most
    MAX_WORKERS) for an input of at least AUTO_BYTES; 1 (this process alone) for a small input
    and for anything but regular files of JSON Lines, or where processes cannot be forked."""
    forks = "fork" in multiprocessing.get_all_start_methods() and hasattr(os, "sched_getaffinity")
    if asked == 1 or not forks or not all(_json_lines(f, fmt) for f in files):
        return 1
    if asked is not None:
        return asked
    if sum(os.stat(f).st_size for f in files) < AUTO_BYTES:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS))


def texts_in_one_read(
    files: tuple[str, ...],
    config: Config,
    fmt: str | None,
    as_of_for: Callable[[set[str | None]], dt.date | None],
    restart: Callable[[], None],
    make: Make,
    *,
    workers: int,
    sep: bytes,
    priced: bool = True,
    quiet: bool = False,
) -> Iterator[Made]:
    """`make` of each claim of claims_in_one_read, in input order (see its `restart`): in
    `workers` processes when more than one, else in this one. A Made may hold the texts of
    several claims in a row, joined by `sep` (what the output puts between two texts), with
    their tallies summed: a worker's chunk comes as one."""
    if workers > 1:
        done = yield from _in_workers(files, config, as_of_for, make, workers, sep, priced, quiet)
        if done:
            return
        restart()
    for x in claims_in_one_read(files, config, fmt, as_of_for, restart, priced=priced, quiet=quiet):
        yield make(x)


@dataclass(frozen=True)
class _Job:
    """What every worker knows, from the fork."""

    config: Config
    as_of: dt.date | None
    make: Make
    sep: bytes
    priced: bool


@dataclass
class _Chunk:
    """A worker's answer for a chunk: its claims' texts joined by the job's `sep`, how many
    claims and their tallies summed, the visits' hashes (as hashes_of gives them) and their
    clinics in the order they first appear."""

    text: bytes
    count: int
    tally: int
    ids: bytes
    days: bytes
    clinics: list[str | None]


def _lines(path: str, start: int, end: int) -> Generator[bytes, None, None]:
    """The lines of the file that start in [start, end), as raw_items gives them (a line
    longer than a visit may be: VisitTooLong, and the one process says so)."""
    with open(path, "rb", buffering=READ_BUFFER) as f:
        if start:
            f.seek(start - 1)
            f.readline()  # the end of the line before, which the chunk before holds
        at = f.tell()
        while line := line_of(f):
            if at >= end:
                return
            size = len(line)
            if not at:  # the file's first line
                line = line.removeprefix(b"\xef\xbb\xbf")
            at += size
            if not blank(line):
                yield line


def _work(job: _Job, origin: str, start: int, end: int, contexts: Contexts, memo: Any) -> _Chunk:
    texts: list[bytes] = []
    tally = 0
    ids, days = array("q"), array("q")
    clinics: dict[str | None, None] = {}
    alone = Batch(())
    for line in _lines(origin, start, end):
        visit = parse_visit(line)
        ctx = contexts.of(visit, origin)
        same_id, same_day = hashes_of(visit)
        ids.append(same_id)
        days.append(same_day)
        clinics[clinic_of(ctx)] = None
        text, n = job.make(claim_of(Item(origin, visit, ctx), job.as_of, alone, memo))
        texts.append(text)
        tally += n
    return _Chunk(
        job.sep.join(texts), len(texts), tally, ids.tobytes(), days.tobytes(), list(clinics)
    )


def _worker(job: _Job, conn: Connection, parents: list[Connection]) -> None:
    """A worker's life: chunks (path, start, end) in, _Chunk (or None: it failed) out, until
    None comes in. `parents`: the parent's ends of the pipes, which the fork copied: closed,
    so that a worker finds the parent gone (killed) when it is."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it (Ctrl-C reaches both)
    for end in parents:
        end.close()
    contexts, memo = Contexts(job.config), price_memo(job.as_of, job.priced)
    try:
        while (task := conn.recv()) is not None:
            try:
                origin, start, end = task
                answer = _work(job, origin, start, end, contexts, memo)
            except Exception:  # a bad visit or a failure: the parent reads the input again
                answer = None
            conn.send(answer)
    except (EOFError, OSError):  # the parent is gone (killed): nothing to answer
        return


def _chunks(files: tuple[str, ...]) -> Iterator[tuple[str, int, int]]:
    for f in files:
        size = os.stat(f).st_size
        for start in range(0, size, CHUNK_BYTES):
            yield f, start, min(start + CHUNK_BYTES, size)


def _first(
    files: tuple[str, ...],
    config: Config,
    as_of_for: Callable[[set[str | None]], dt.date | None],
    make: Make,
    priced: bool,
) -> tuple[str | None, dt.date | None]:
    """The first visit's clinic and the as-of date it makes, the visit made a claim here so
    that the reference data a claim reads is loaded before the fork, once for every worker
    (ValueError, InputError: the one process tells what is wrong)."""
    origin = files[0]
    with closing(_lines(origin, 0, os.stat(origin).st_size)) as lines:
        visit = parse_visit(next(lines))
    ctx = Contexts(config).of(visit, origin)
    clinic = clinic_of(ctx)
    as_of = as_of_for({clinic})
    make(claim_of(Item(origin, visit, ctx), as_of, Batch(()), price_memo(as_of, priced)))
    return clinic, as_of


def _stamps(files: tuple[str, ...]) -> list[tuple[int, int]]:
    return [(s.st_size, s.st_mtime_ns) for s in map(os.stat, files)]


def _in_workers(
    files: tuple[str, ...],
    config: Config,
    as_of_for: Callable[[set[str | None]], dt.date | None],
    make: Make,
    workers: int,
    sep: bytes,
    priced: bool,
    quiet: bool,
) -> Generator[Made, None, bool]:
    """The texts made in workers; returns True when they are the input's, False (nothing more
    yielded) when the input must be made claims again in one process."""
    try:
        stamps = _stamps(files)
        first, as_of = _first(files, config, as_of_for, make, priced)
    except Exception:  # the one process tells what is wrong
        return False
    clinics: set[str | None] = {first}
    job = _Job(config, as_of, make, sep, priced)
    fork = multiprocessing.get_context("fork")
    pipes: list[Connection] = []
    procs = []
    finished = False
    try:
        for _ in range(workers):
            mine, theirs = fork.Pipe()
            pipes.append(mine)
            proc = fork.Process(target=_worker, args=(job, theirs, pipes), daemon=True)
            proc.start()
            theirs.close()
            procs.append(proc)
        ids: set[int] = set()
        days: set[int] = set()
        seen = 0
        handing = _Handing(pipes, _chunks(files))
        with progress(
            "scrubbing", sum(s[0] for s in stamps), quiet=quiet, in_bytes=True
        ) as advance:
            for chunk, size in handing.answers():
                if chunk is None:
                    return False
                count = chunk.count
                seen += count
                ids.update(array("q", chunk.ids))
                days.update(array("q", chunk.days))
                if len(ids) != seen or len(days) != seen:
                    return False  # a duplicate: DUP-IN-BATCH looks across the input
                for clinic in chunk.clinics:
                    if clinic not in clinics:
                        clinics.add(clinic)
                        if as_of_for(clinics) != as_of:
                            return False
                if count:  # a chunk may hold no line's start
                    yield chunk.text, chunk.tally
                advance(size)
        finished = True
        return bool(seen) and _stamps(files) == stamps
    except (EOFError, OSError):  # a worker died
        return False
    finally:
        _stop(pipes, procs, finished)


class _Handing:
    """The chunks handed out to the workers and their answers taken back in input order. A
    worker is given another chunk as soon as it answers (so a worker slowed by another
    process on its core gets fewer), each has up to IN_FLIGHT at a time, and the answers read
    but not yet used are at most a window of chunks past the one written: memory stays flat
    however far one worker lags."""

    def __init__(self, pipes: list[Connection], tasks: Iterator[tuple[str, int, int]]) -> None:
        self.pipes, self.tasks = pipes, tasks
        self.window = len(pipes) * IN_FLIGHT * 2
        self.queued: list[deque[int]] = [deque() for _ in pipes]  # each worker's, in order
        self.sizes: dict[int, int] = {}
        self.handed = self.written = 0

    def _hand(self, worker: int) -> bool:
        task = next(self.tasks, None)
        if task is None:
            return False
        self.pipes[worker].send(task)
        self.queued[worker].append(self.handed)
        self.sizes[self.handed] = task[2] - task[1]
        self.handed += 1
        return True

    def answers(self) -> Iterator[tuple[_Chunk | None, int]]:
        """(answer, the chunk's bytes) of each chunk in order; an answer None: it failed."""
        done: dict[int, _Chunk | None] = {}
        workers = dict(zip(self.pipes, range(len(self.pipes)), strict=True))
        while True:
            while self.written in done:
                yield done.pop(self.written), self.sizes.pop(self.written)
                self.written += 1
            for worker, queued in enumerate(self.queued):
                while (
                    len(queued) < IN_FLIGHT
                    and self.handed - self.written < self.window
                    and self._hand(worker)
                ):
                    pass
            busy = [conn for conn, queued in zip(self.pipes, self.queued, strict=True) if queued]
            if not busy:
                return
            for conn in wait(busy):
                assert isinstance(conn, Connection)
                done[self.queued[workers[conn]].popleft()] = conn.recv()


def _stop(pipes: list[Connection], procs: list[Any], finished: bool) -> None:
    """Every worker ended and waited for, none left behind whatever happened: told to end
    when the input is done, else (a fallback, Ctrl-C, an error) terminated at once."""
    for conn, proc in zip(pipes, procs, strict=False):  # a pipe more when a start failed
        try:
            if finished:
                conn.send(None)
                continue
        except OSError:
            pass
        proc.terminate()
    for proc in procs:
        proc.join()
    for conn in pipes:
        conn.close()
