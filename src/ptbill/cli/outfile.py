"""Output files written whole: into a temporary file beside the target, renamed over it when
done, so that nobody meets half a file under its name. A target that exists and is not a
regular file (a device or a pipe: `-o /dev/stdout`) is written itself: renaming over it would
replace the device with a file (as root) or fail (as anyone else)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _special(target: Path) -> bool:
    return target.exists() and not target.is_file()


@contextmanager
def written_whole(target: Path) -> Iterator[Path]:
    """The path to write `target`'s content to; what was written there is put in place when
    the block ends, and dropped when it fails (nothing written: nothing put in place)."""
    if _special(target):
        yield target
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        if tmp.exists():
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
