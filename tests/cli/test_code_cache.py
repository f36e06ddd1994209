"""What dataclasses and typing compile, compiled once and kept (ptbill.cli.code_cache): a class
made with kept methods behaves as one made without them, a forward reference evaluates the
same, the file is read back by the next process, a bad file is ignored, and nothing is written
where Python writes no bytecode."""

from __future__ import annotations

import dataclasses
import inspect
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from ptbill.cli import code_cache
from ptbill.cli.code_cache import Kept, cache_file, keep_compiled_code


def _make() -> Any:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Line:
        code: str
        units: int = 1
        modifiers: list[str] = dataclasses.field(default_factory=list)

    return Line


def _behaviour(cls: Any) -> tuple[Any, ...]:
    a, b = cls("97110", 2, ["GP"]), cls("97110", 2, ["GP"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.units = 3
    return (
        repr(a),
        a == b,
        a != cls("97140"),
        cls("97530").modifiers,
        str(inspect.signature(cls)),
        cls.__init__.__annotations__,  # not turned into strings by this module's __future__
    )


@pytest.fixture
def kept_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)

    def install() -> Kept:
        kept = Kept(tmp_path / "methods.bin")
        monkeypatch.setattr(dataclasses, "exec", kept.exec, raising=False)
        monkeypatch.setattr(typing, "compile", kept.compile, raising=False)
        return kept

    return install


def test_a_class_made_with_kept_methods_behaves_as_without(kept_in: Any) -> None:
    plain = _behaviour(_make())
    first = kept_in()
    assert _behaviour(_make()) == plain and first.compiled
    first.save()
    again = kept_in()  # the next process: the file read back, nothing compiled
    assert again.code and _behaviour(_make()) == plain and not again.compiled


def test_a_forward_reference_evaluates_as_without(kept_in: Any) -> None:
    def evaluated() -> Any:
        ref = typing.ForwardRef("list[int] | None")
        return ref._evaluate({}, {}, frozenset())  # type: ignore[call-arg]

    plain = evaluated()
    first = kept_in()
    assert evaluated() == plain and first.compiled
    first.save()
    again = kept_in()
    assert evaluated() == plain and not again.compiled
    with pytest.raises(SyntaxError, match="Forward reference must be an expression"):
        typing.ForwardRef("not an expression!")


def test_a_bad_file_is_ignored_and_written_anew(kept_in: Any, tmp_path: Path) -> None:
    path = tmp_path / "methods.bin"
    for bad in (b"", b"not marshal", code_cache._HEADER + b"\xff\x00", b"\x00" * 64):
        path.write_bytes(bad)
        kept = kept_in()
        assert kept.code == {}
        _behaviour(_make())
        kept.save()
        assert kept_in().code, bad  # written again, whole


def test_nothing_is_written_where_python_writes_no_bytecode(
    kept_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = kept_in()
    _make()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    kept.save()
    assert not (tmp_path / "methods.bin").exists()


def test_past_most_only_the_methods_used_are_written(
    kept_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = kept_in()
    kept.code.update({f"# stale {n}\n": compile("", "<string>", "exec") for n in range(5)})
    monkeypatch.setattr(code_cache, "MOST", 3)
    _make()
    kept.save()
    assert set(kept_in().code) == set(kept.used)


def test_installed_once_and_only_into_dataclasses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataclasses, "exec", print, raising=False)
    monkeypatch.delattr(typing, "compile", raising=False)
    assert keep_compiled_code() is None  # kept already: left as it is
    assert dataclasses.exec is print  # type: ignore[attr-defined]
    assert "compile" not in vars(typing)


def test_the_command_keeps_them_beside_its_bytecode(tmp_path: Path) -> None:
    """`ptbill` as users run it, twice: the file is made under PYTHONPYCACHEPREFIX (where
    Python puts bytecode) and the second run's output is the first's."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path / "pyc")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    argv = [sys.executable, "-m", "ptbill", "units", "--json", "97110=33", "97140=7"]
    runs = [subprocess.run(argv, env=env, capture_output=True, check=True) for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout and b'"97110"' in runs[0].stdout
    kept = list((tmp_path / "pyc").rglob("generated-code.*.bin"))
    assert len(kept) == 1 and kept[0].parent.name == "cli", kept
    assert cache_file() is not None and cache_file().name == kept[0].name  # type: ignore[union-attr]
