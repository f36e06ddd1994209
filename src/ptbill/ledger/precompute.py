"""Coding, scrubbing and pricing an import's visits in worker processes, ahead of the ledger.

A visit whose file carries all the episode context it needs is coded, scrubbed and priced from
the visit, the configuration and the as-of date alone. Worker processes compute those while
the main process validates and stores the batches around them. A worker gets the visits' text
as read from the file (pickling a pydantic Visit costs more than validating its text again,
and text waiting its turn is small) and sends back what the ledger stores of each visit
(ptbill.ledger.stored.Stored: plain values and JSON text, cheap to move).

The results are a head start, not a decision: the importer recomputes a visit whose context it
derives from history, or that shares a patient and a day with another visit (the duplicate
checks look across visits). An input of one batch is computed in-process: starting workers
costs more than they save on a thousand visits; the pool starts when a second batch shows.

Workers are asked for (`ptbill import --workers N`), not the default: each repeats the
validation and holds about 100 MB, so on two cores (main process + 2 workers) a 100,000-visit
import ran 1.2-1.3x faster for 150 MB more (docs/benchmarks/ledger.md). With cores to spare
they pay.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError
from ptbill.intake.stream import Once, parse_visit
from ptbill.ledger.prepare import (
    Contexts,
    Prepared,
    Prices,
    compute,
    needs_history,
    source_of,
)
from ptbill.ledger.reading import raw_batches, validate_items
from ptbill.ledger.stored import Stored
from ptbill.scrub import Batch

Batches = Iterator[tuple[list[Prepared], list[InputError]]]
# What a worker sends back of a visit: its stored text and hash, and what the ledger stores of
# its coded, scrubbed and priced claim (all the importer needs of those results).
Done = tuple[str, str, Stored | None]


class Precompute:
    """The worker pool of one import (started on the input's second batch)."""

    def __init__(self, config: Config, as_of: dt.date, workers: int) -> None:
        self.config, self.as_of, self.workers = config, as_of, workers
        self.pool: ProcessPoolExecutor | None = None
        self.task = _compute  # what a worker runs on a batch

    def __enter__(self) -> Precompute:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:  # a worker that dies makes the import fail, never hang
            self.pool.shutdown(cancel_futures=True)

    def batches(
        self, path: str, size: int, fmt: str | None = None, once: Once | None = None
    ) -> Batches:
        """The file's batches of prepared visits (with what workers computed of them) and
        input errors, in file order (a FHIR, HL7 or CSV file read through `once`)."""
        # Batches in flight, as the file's text: one a worker and one more, so that none
        # waits. (They are validated in turn: a thousand visits validated hold about 17 MB.)
        ahead = self.workers + 1 if self.workers else 0
        pending: deque[list[Any]] = deque()  # [items, job]
        for n, items in enumerate(raw_batches(path, size, fmt, self.config, once)):
            pending.append([items, None])
            if n >= 1 and self.workers > 0:
                for waiting in pending:  # the first batch too, once a second one shows
                    if waiting[1] is None:
                        waiting[1] = self._start(path, waiting[0])
            if len(pending) > ahead:
                yield _finish(path, *pending.popleft())
        while pending:
            yield _finish(path, *pending.popleft())

    def _start(self, path: str, items: list[tuple[str, Any]]) -> Future[list[Done | None]]:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=mp.get_context("spawn"),
                initializer=_init,
                initargs=(self.config, self.as_of),
            )
        return self.pool.submit(self.task, path, [item for _, item in items])


def _finish(
    path: str, items: list[tuple[str, Any]], job: Future[list[Done | None]] | None
) -> tuple[list[Prepared], list[InputError]]:
    visits, errors = validate_items(path, items)
    try:
        results = job.result() if job is not None else [None] * len(visits)
    except BrokenProcessPool:
        raise InputError(
            path,
            "a worker process of the import ended unexpectedly (killed, or out of memory); "
            "nothing was imported",
            "run the import again; `--workers 0` imports in one process",
        ) from None
    prepared = [
        Prepared(v, *source_of(v)) if done is None else Prepared(v, *done[:2], stored=done[2])
        for v, done in zip(visits, results, strict=True)
        if v is not None
    ]
    return prepared, errors


# -- in the worker ------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init(config: Config, as_of: dt.date) -> None:
    _worker["contexts"], _worker["prices"] = Contexts(config), Prices(as_of)


def _compute(path: str, items: list[Any]) -> list[Done | None]:
    """Each item's stored text, its hash and what the ledger stores of its visit (None: the
    importer does it itself: the visit's context cannot be resolved or comes from history, or
    it is an earlier copy of a visit id, for the last copy wins, as in the importer); None for
    an invalid item (the importer reports it)."""
    from ptbill.bulk import batch as bulk

    contexts: Contexts = _worker["contexts"]
    with bulk():
        visits: list[Visit | None] = []
        for item in items:
            try:
                visits.append(parse_visit(item))
            except ValueError:  # pydantic's ValidationError is one
                visits.append(None)
        last = {v.visit_id: n for n, v in enumerate(visits) if v is not None}
        together = Batch(v for n in last.values() if (v := visits[n]) is not None)
        out: list[Done | None] = []
        for n, v in enumerate(visits):
            if v is None:
                out.append(None)
                continue
            p = Prepared(v, *source_of(v))
            if last[v.visit_id] == n:
                try:
                    ctx = contexts.of(v, path)
                except InputError:
                    ctx = None
                if ctx is not None and not needs_history(v, ctx.profile):
                    compute(p, ctx, _worker["prices"], together)
            out.append((p.source_json, p.sha, p.stored))
        return out
