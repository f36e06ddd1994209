"""Output files written whole: into a temporary file beside the target, renamed over it when
done, so that nobody meets half a file under its name. A target that exists and is not a
regular file (a device or a pipe: `-o /dev/stdout`) is written itself: renaming over it would
replace the device with a file (as root) or fail (as anyone else).

Two targets are refused before anything is done: a SQLite database (the ledger in use or a
backup: `-o ptbill.db` is one slip away from `-o batch.837`, and nothing brings it back) and a
file the command reads (`claim visits.jsonl -o visits.jsonl`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ptbill.errors import InputError

SQLITE_MAGIC = b"SQLite format 3\x00"


def special(target: Path) -> bool:
    """Whether `target` is written itself (a device or a pipe), not replaced by a file."""
    return target.exists() and not target.is_file()


def _is_sqlite(target: Path) -> bool:
    try:
        with target.open("rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:  # missing or unreadable: not known to be a database
        return False


def refuse_precious(target: Path, inputs: tuple[str, ...] = ()) -> None:
    """Refuse (InputError) a target that is a SQLite database or one of `inputs`."""
    if not target.is_file():
        return
    if _is_sqlite(target):
        raise InputError(
            str(target),
            "the file is a SQLite database (a ledger or its backup): writing the output "
            "there would replace it; nothing was done",
            "give another output file",
        )
    if any(Path(name).is_file() and target.samefile(name) for name in inputs):
        raise InputError(
            str(target),
            "the file is an input of this command: writing the output there would replace "
            "it; nothing was done",
            "give another output file",
        )


@contextmanager
def written_whole(target: Path, inputs: tuple[str, ...] = ()) -> Iterator[Path]:
    """The path to write `target`'s content to; what was written there is put in place when
    the block ends, and dropped when it fails (nothing written: nothing put in place).
    `inputs` are the files the command reads: never a target."""
    refuse_precious(target, inputs)
    if special(target):
        yield target
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        if tmp.exists():
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
