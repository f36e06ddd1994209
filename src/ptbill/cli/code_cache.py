"""Code that the standard library generates and compiles at each start, compiled once and
kept, as a module's .pyc keeps its bytecode.

At import, Python 3.11's dataclasses writes each class's `__init__`, `__repr__`, `__eq__`...
as source and compiles it, and typing compiles every annotation written as a string (a forward
reference; pydantic reads a model's annotations so): some 600 and 900 compiles before `ptbill
scrub` starts, about 30% of the start's instructions (callgrind, one visit: 1,235M -> 885M with
them kept; about 50 ms). Compiled code depends on its source and mode alone (compiled here
without this module's __future__ flags, as the standard library compiles it), so it is kept in
a file beside this module's bytecode, keyed by them, and read back by the next command: what
runs is what the source says. Nothing is written where Python writes no bytecode
(PYTHONDONTWRITEBYTECODE, a folder it cannot write): the code is then compiled as without
this. A file that cannot be read (another Python's, cut short) is ignored and written anew.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import importlib.util
import marshal
import os
import sys
import typing
from pathlib import Path
from types import CodeType
from typing import Any

# A file past this many pieces of code (sources changed over many versions) is written again
# with only those the last process used.
MOST = 10_000
_HEADER = importlib.util.MAGIC_NUMBER  # the bytecode's version: marshal's format follows it


def cache_file() -> Path | None:
    """Where the code is kept: beside this module's bytecode (PYTHONPYCACHEPREFIX included),
    None where Python keeps no bytecode."""
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    return Path(importlib.util.cache_from_source(__file__)).parent / f"generated-code.{tag}.bin"


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


def write(path: Path, code: dict[str, CodeType]) -> None:
    """The file replaced whole (another process reads the old one or the new one, never half)."""
    part = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(_HEADER + marshal.dumps(code))
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)


class Kept:
    """The code of `path` by mode and source, and what was compiled since it was read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.code = read(path)
        self.used: dict[str, CodeType] = {}
        self.compiled = False

    def _compiled(self, source: str, mode: str) -> CodeType:
        key = f"{mode}:{source}"
        code = self.code.get(key)
        if code is None:
            code = self.code[key] = builtins.compile(source, "<string>", mode, dont_inherit=True)
            self.compiled = True
        self.used[key] = code
        return code

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        """builtins.exec, a source compiled once."""
        if isinstance(source, str):
            source = self._compiled(source, "exec")
        builtins.exec(source, globals, locals)

    def compile(self, source: Any, filename: Any, mode: str, *rest: Any, **options: Any) -> Any:
        """builtins.compile, a source of no file (a forward reference's) compiled once."""
        if isinstance(source, str) and filename == "<string>" and not rest and not options:
            return self._compiled(source, mode)
        return builtins.compile(source, filename, mode, *rest, **options)

    def save(self) -> None:
        """The file written when some code was new (not where Python writes no bytecode)."""
        if self.compiled and not sys.dont_write_bytecode:
            write(self.path, self.code if len(self.code) <= MOST else self.used)
            self.compiled = False


def keep_compiled_code(path: Path | None = None) -> Kept | None:
    """From now on in this process, what dataclasses and typing compile compiled once and kept
    in `path` (default: cache_file()), saved at the process's exit; None: kept already, or
    nowhere."""
    path = path or cache_file()
    if getattr(dataclasses, "exec", None) is not None or path is None:
        return None
    kept = Kept(path)
    # A module finds a name in its globals before the builtins: only these two modules' calls
    # come here.
    dataclasses.exec = kept.exec  # type: ignore[attr-defined]
    typing.compile = kept.compile  # type: ignore[attr-defined]
    atexit.register(kept.save)
    return kept
