"""The reference data one run reads: the data bundled in the package plus the releases imported
into the data folder, as they were when the snapshot was taken.

An edge (a command, the workbench when it starts, an import's worker by its arguments) takes
one snapshot and passes it down on the configuration (Config.reference) to every visit's
context, so that coding, scrubbing and pricing are functions of their inputs: nothing below
the edge looks at the data folder or the environment to find out which releases exist.
A release imported later is seen by the next snapshot, never by one already taken.

A snapshot is a small description -- the folder, and per kind the releases it held, each by
name and file stamp -- so it pickles cheaply to worker processes, and equal descriptions are
equal snapshots: memos key on the description (`key`, one string). The tables themselves are
read from their files on first use and kept on the snapshot; a file that changed after the
snapshot was taken is refused rather than read, so every process of a run reads the same
data. Bundled data are loaded once per process by their own modules (they never change).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ptbill.errors import InputError

T = TypeVar("T")
# A release file's stamp: its modification time (ns) and size. An import renames a new file
# into place, which changes the modification time.
Stamp = tuple[int, int]
Releases = tuple[tuple[str, tuple[tuple[str, Stamp], ...]], ...]  # by kind, by name
_ALL = "*"  # the cache key of a kind's every release
_MEMO_MAX = 65536  # entries of one memo (never reached by one clinic's codes)


class ReferenceSnapshot:
    """The imported releases of a data folder at one moment (none: the bundled data only)."""

    __slots__ = ("_index", "_loaded", "_memos", "folder", "key", "releases")

    def __init__(self, folder: Path | None, releases: Releases = ()) -> None:
        self.folder = folder
        self.releases = releases
        # The description as one string, for memo keys: a string keeps its hash once computed,
        # so a key that holds it costs no more to look up than one without it.
        self.key = repr((str(folder) if folder is not None else None, releases))
        self._index = {kind: dict(named) for kind, named in releases}
        self._loaded: dict[tuple[str, str], Any] = {}
        self._memos: dict[str, dict[Any, Any]] = {}

    # -- what it holds --------------------------------------------------------------------------

    def names(self, kind: str) -> tuple[str, ...]:
        """The releases of `kind`, by name in order."""
        return tuple(self._index.get(kind, ()))

    def where(self) -> str:
        """The data folder, as error messages name it."""
        return str(self.folder) if self.folder is not None else "bundled data only"

    # -- reading tables -------------------------------------------------------------------------

    def all(self, kind: str, load: Callable[[Path], T | None]) -> list[T]:
        """Every release of `kind` read by `load` (None: not a complete release), read once.
        One kind has one reader: the first caller's `load` is the one used."""
        key = (kind, _ALL)
        found = self._loaded.get(key)
        if found is None:
            loaded = (load(self._checked(kind, name)) for name in self.names(kind))
            found = self._loaded[key] = [x for x in loaded if x is not None]
        return found

    def one(self, kind: str, name: str, load: Callable[[Path], T]) -> T:
        """The release `name` of `kind` read by `load`, read once. The caller checks that the
        snapshot has it (names)."""
        key = (kind, name)
        found = self._loaded.get(key)
        if found is None:
            found = self._loaded[key] = load(self._checked(kind, name))
        return found

    def memo(self, name: str) -> dict[Any, Any]:
        """A dictionary for values derived from this snapshot's data only (e.g. the unit
        amount of a code in a locality), kept as long as the snapshot. Kept to a bound."""
        memo = self._memos.get(name)
        if memo is None or len(memo) >= _MEMO_MAX:
            memo = self._memos[name] = {}
        return memo

    def _checked(self, kind: str, name: str) -> Path:
        assert self.folder is not None  # a release is listed only in a folder's snapshot
        path = self.folder / kind / f"{name}.csv"
        try:
            now = _stamp(path)
        except OSError:
            now = None
        if now != self._index[kind][name]:
            raise InputError(
                f"reference data ({self.folder})",
                "the release's file was replaced or removed after this run listed the "
                "releases (imported again meanwhile?)",
                "run the command again: it reads the releases as they are now",
                field=f"{kind} release {name!r}",
            )
        return path

    # -- a value: compared, hashed and pickled by its description --------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, ReferenceSnapshot):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __reduce__(self) -> tuple[Any, ...]:
        # A worker process gets the description and reads the tables it needs itself.
        return (ReferenceSnapshot, (self.folder, self.releases))

    def __repr__(self) -> str:
        held = "; ".join(
            f"{kind} {', '.join(n for n, _ in named)}" for kind, named in self.releases
        )
        return f"ReferenceSnapshot({self.where()}: {held or 'no imported release'})"


def _stamp(path: Path) -> Stamp:
    s = os.stat(path)
    return (s.st_mtime_ns, s.st_size)


def take_snapshot(folder: Path | str | None) -> ReferenceSnapshot:
    """The releases in `folder` now (None: no data folder, the bundled data only). Costs a
    directory listing and a stat per release: the tables are read when first used."""
    if folder is None:
        return BUNDLED_ONLY
    base = Path(folder)
    kinds = []
    if base.is_dir():
        for sub in sorted(base.iterdir(), key=lambda p: p.name):
            if not sub.is_dir():
                continue
            named = []
            for csv_path in sorted(sub.glob("*.csv"), key=lambda p: p.stem):
                try:
                    named.append((csv_path.stem, _stamp(csv_path)))
                except OSError:  # removed while listed
                    continue
            if named:
                kinds.append((sub.name, tuple(named)))
    return ReferenceSnapshot(base, tuple(kinds))


# The bundled data alone: what the core functions use when no snapshot is given (tests, tools).
BUNDLED_ONLY = ReferenceSnapshot(None)
