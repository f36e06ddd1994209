"""Where imported reference tables live: CMS files a clinic imports (NCCI PTP and MUE
quarters, PFS RVU releases, GPCIs, contract fee schedules) are kept as versioned CSV tables,
one file per release, each with a manifest naming its source files and their sha256.

The folder is $PTBILL_DATA, else ~/.local/share/ptbill. Layout: <kind>/<release>.csv and
<kind>/<release>.json (the manifest).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

DATA_ENV = "PTBILL_DATA"
RELEASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


def data_dir() -> Path:
    return Path(os.environ.get(DATA_ENV) or Path.home() / ".local" / "share" / "ptbill")


def release_path(kind: str, release: str) -> Path:
    if not RELEASE_NAME.match(release):
        raise ValueError(f"release name {release!r}: use letters, digits, '.', '_' or '-'")
    return data_dir() / kind / f"{release}.csv"


def releases(kind: str) -> list[str]:
    folder = data_dir() / kind
    return sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []


def manifest(kind: str, release: str) -> dict[str, Any] | None:
    path = release_path(kind, release).with_suffix(".json")
    return json.loads(path.read_text("utf-8")) if path.exists() else None


_writes = [0]  # releases written by this process: lets caches notice an import at once


def writes() -> int:
    return _writes[0]


def read_release(kind: str, path: Path) -> tuple[dict[str, Any], list[dict[str, str]]] | None:
    """A stored release's manifest and rows, or None when either file is missing."""
    meta = manifest(kind, path.stem)
    if meta is None or not path.exists():
        return None
    with path.open(encoding="utf-8") as f:
        return meta, list(csv.DictReader(f))


def write_release(kind: str, release: str, csv_text: str, meta: dict[str, Any]) -> Path:
    """Write a table and its manifest atomically (a temp file renamed into place)."""
    _writes[0] += 1
    path = release_path(kind, release)
    path.parent.mkdir(parents=True, exist_ok=True)
    for target, text in (
        (path, csv_text),
        (path.with_suffix(".json"), json.dumps(meta, indent=2, default=str)),
    ):
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    return path


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stamp(*kinds: str) -> tuple[int, ...]:
    """A cheap token that changes whenever a release of these kinds is imported (every write
    renames a file into the kind's folder), for caches of values derived from them."""
    base = os.environ.get(DATA_ENV) or _default_dir()
    out = []
    for kind in kinds:
        try:
            out.append(os.stat(os.path.join(base, kind)).st_mtime_ns)
        except OSError:
            out.append(-1)
    return tuple(out)


@functools.cache
def _default_dir() -> str:
    return str(Path.home() / ".local" / "share" / "ptbill")
