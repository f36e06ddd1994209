"""Where imported reference tables live: CMS files a clinic imports (NCCI PTP and MUE
quarters, PFS RVU releases, GPCIs, contract fee schedules) are kept as versioned CSV tables,
one file per release, each with a manifest naming its source files and their sha256.

The folder (the data folder) is given by the caller: the edges resolve it once (`ptbill
--data`, $PTBILL_DATA, else ~/.local/share/ptbill; see `data_folder`). Layout:
<kind>/<release>.csv and <kind>/<release>.json (the manifest). What a run reads of it is a
ptbill.reference.snapshot.ReferenceSnapshot, taken once.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path
from typing import Any

DATA_ENV = "PTBILL_DATA"
RELEASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


def data_folder(setting: str | Path | None) -> Path:
    """The data folder a setting names (`--data`, $PTBILL_DATA), else ~/.local/share/ptbill.
    Called by the edges (the command line, the workbench) only."""
    return Path(setting) if setting else Path.home() / ".local" / "share" / "ptbill"


def release_path(folder: Path, kind: str, release: str) -> Path:
    if not RELEASE_NAME.match(release):
        raise ValueError(f"release name {release!r}: use letters, digits, '.', '_' or '-'")
    return folder / kind / f"{release}.csv"


def releases(folder: Path, kind: str) -> list[str]:
    path = folder / kind
    return sorted(p.stem for p in path.glob("*.csv")) if path.is_dir() else []


def manifest(folder: Path, kind: str, release: str) -> dict[str, Any] | None:
    return _manifest(release_path(folder, kind, release))


def _manifest(path: Path) -> dict[str, Any] | None:
    meta = path.with_suffix(".json")
    return json.loads(meta.read_text("utf-8")) if meta.exists() else None


def read_release(path: Path) -> tuple[dict[str, Any], list[dict[str, str]]] | None:
    """A stored release's manifest and rows, or None when either file is missing."""
    meta = _manifest(path)
    if meta is None or not path.exists():
        return None
    with path.open(encoding="utf-8") as f:
        return meta, list(csv.DictReader(f))


def write_release(
    folder: Path, kind: str, release: str, csv_text: str, meta: dict[str, Any]
) -> Path:
    """Write a table and its manifest atomically (a temp file renamed into place)."""
    path = release_path(folder, kind, release)
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
