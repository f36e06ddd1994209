"""A progress bar on stderr for long work: only on a terminal, only past a few thousand items,
never with --quiet. stdout stays the command's output. rich's progress bar is imported only
when a bar is shown (about 10 ms of every batch command's start otherwise: output to a file or
a pipe shows none)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ptbill.cli.common import err

# Fewer items than this finish before a bar would be worth reading.
ITEMS = 2_000
BYTES = 4 * 1024 * 1024  # about 2,000 visits of JSON
_STEP = 256  # items counted before the bar is told (its lock costs microseconds)

Advance = Callable[[int], None]


def _nothing(n: int) -> None:
    return None


def shown(total: int, quiet: bool, threshold: int = ITEMS) -> bool:
    return not quiet and total >= threshold and not _plainly_no_terminal() and err.is_terminal


def _plainly_no_terminal() -> bool:
    """stderr is no terminal and no setting of rich's says to take it for one (TTY_COMPATIBLE,
    FORCE_COLOR): what rich's `is_terminal` answers then, without making the console (and
    importing rich) for output to a file or a pipe."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one: rich says False too
        tty = False
    return not tty and not {"TTY_COMPATIBLE", "FORCE_COLOR"} & os.environ.keys()


@contextmanager
def progress(what: str, total: int, *, quiet: bool, in_bytes: bool = False) -> Iterator[Advance]:
    """`advance(n)` as n more items (or bytes) are done; a bar while it runs, gone after."""
    if not shown(total, quiet, BYTES if in_bytes else ITEMS):
        yield _nothing
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    count = DownloadColumn() if in_bytes else MofNCompleteColumn()
    with Progress(
        TextColumn(what),
        BarColumn(),
        count,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err.console,
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=total)
        pending = 0

        def advance(n: int) -> None:
            nonlocal pending
            pending += n
            if pending >= _STEP or in_bytes:
                bar.advance(task, pending)
                pending = 0

        yield advance
