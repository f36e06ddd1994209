"""The methods `dataclasses` writes for each class, compiled once and kept, as a module's .pyc
keeps its bytecode.

At import, Python 3.11's dataclasses writes each class's `__init__`, `__repr__`, `__eq__`...
as source and compiles it: some 700 compiles before `ptbill scrub` starts, a quarter of the
start's instructions (callgrind, one visit: 1,242.8M -> 934.1M with them kept; about 40 ms).
Compiled code depends on its source alone (compiled here without this module's __future__
flags, as dataclasses compiles it), so it is kept in a file beside this module's bytecode,
keyed by that source, and read back by the next command: what runs is what the source says.
Nothing is written where Python writes no bytecode (PYTHONDONTWRITEBYTECODE, a folder it
cannot write): the methods are then compiled as without this. A file that cannot be read
(another Python's, cut short) is ignored and written anew.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import importlib.util
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

# A file past this many methods (sources changed over many versions) is written again with
# only the methods the last process used.
MOST = 5_000
_HEADER = importlib.util.MAGIC_NUMBER  # the bytecode's version: marshal's format follows it


def cache_file() -> Path | None:
    """Where the methods are kept: beside this module's bytecode (PYTHONPYCACHEPREFIX
    included), None where Python keeps no bytecode."""
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    return Path(importlib.util.cache_from_source(__file__)).parent / f"dataclass-methods.{tag}.bin"


def read(path: Path) -> dict[str, CodeType]:
    try:
        data = path.read_bytes()
        if data.startswith(_HEADER):
            kept = marshal.loads(data[len(_HEADER) :])
            if isinstance(kept, dict):
                return kept
    except (OSError, ValueError, EOFError, TypeError):
        pass
    return {}


def write(path: Path, methods: dict[str, CodeType]) -> None:
    """The file replaced whole (another process reads the old one or the new one, never half)."""
    part = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(_HEADER + marshal.dumps(methods))
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)


class Kept:
    """The methods of `path`, and those compiled since it was read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.methods = read(path)
        self.used: dict[str, CodeType] = {}
        self.compiled = False

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        """builtins.exec, a source compiled once."""
        if isinstance(source, str):
            code = self.methods.get(source)
            if code is None:
                code = compile(source, "<string>", "exec", dont_inherit=True)
                self.methods[source] = code
                self.compiled = True
            self.used[source] = code
            source = code
        builtins.exec(source, globals, locals)

    def save(self) -> None:
        """The file written when a method was new (not where Python writes no bytecode)."""
        if self.compiled and not sys.dont_write_bytecode:
            write(self.path, self.methods if len(self.methods) <= MOST else self.used)
            self.compiled = False


def keep_compiled_methods(path: Path | None = None) -> Kept | None:
    """From now on in this process, dataclasses' methods compiled once and kept in `path`
    (default: cache_file()), saved at the process's exit; None: kept already, or nowhere."""
    path = path or cache_file()
    if getattr(dataclasses, "exec", None) is not None or path is None:
        return None
    kept = Kept(path)
    # dataclasses finds exec in its module's globals before the builtins: only its calls
    # come here.
    dataclasses.exec = kept.exec  # type: ignore[attr-defined]
    atexit.register(kept.save)
    return kept
