"""What `ptbill scrub`, `code`, `price` and `remit` print, pinned byte for byte: the outputs
the commands wrote before their hot paths were rewritten (issue #19's speed goals: parsing each
visit once, the remittance's JSON written from the reader's objects), they must still write.

Each case is a command over an input the test makes: demo visits (ptbill.demo.generator, seed
7; some given again, as duplicates, and as a JSON list as well as JSON Lines) and 835s (the
tests' own, the public corpus's that read, and synthetic ones). The golden file holds each
output's SHA-256 and exit status; it was written by the commands before the rewrite:

    .venv/bin/python -m tests.cli.test_output_pinned > tests/cli/data/outputs.golden

Write it again only for a change that means to change what a command prints, and say so.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.demo.generator import generate
from ptbill.x12.synthetic import synthetic_835
from tests.x12.helpers import DATA

GOLDEN = Path(__file__).parent / "data" / "outputs.golden"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "x12-corpus"
AS_OF = ("--as-of", "2025-03-31")


def _visit_files(folder: Path) -> dict[str, Path]:
    visits = generate(300, 7)
    for i, v in enumerate(visits[:150]):
        v["patient"]["id"] = f"P-{i:04d}"  # each its own patient, as bench_cli's
    again = [json.loads(json.dumps(visits[3])) for _ in range(4)]  # an export sent twice
    renumbered = json.loads(json.dumps(visits[10]))
    renumbered["visit_id"] += "-B"
    files = {
        "visits.jsonl": [*visits, *again, renumbered],
        "list.json": visits[:60],
    }
    paths = {}
    for name, items in files.items():
        path = folder / name
        if name.endswith(".jsonl"):
            path.write_text("".join(json.dumps(v) + "\n" for v in items))
        else:
            path.write_text(json.dumps(items, indent=1))
        paths[name] = path
    return paths


def _remits(folder: Path) -> dict[str, Path]:
    paths = {name: DATA / name for name in ("remit_basic.835", "remit_every_segment.835")}
    for n, seed in ((300, 7), (40, 3)):
        path = folder / f"synthetic-{n}-{seed}.835"
        path.write_text(synthetic_835(n, seed=seed))
        paths[path.name] = path
    if CORPUS.is_dir():
        for path in sorted(CORPUS.glob("835-*")):
            paths[path.name] = path
    return paths


def cases(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """(label, arguments) of every pinned run."""
    for name, path in _visit_files(folder).items():
        for args in (
            ["scrub", "--json", *AS_OF],
            ["scrub", "--jsonl", *AS_OF],
            ["scrub", "--all", *AS_OF],
            ["code", "--json"],
            ["price", "--jsonl", *AS_OF],
        ):
            yield f"{name} {' '.join(args)}", [args[0], str(path), *args[1:]]
    for name, path in _remits(folder).items():
        for extra in (["--json"], ["--jsonl"], ["--format", "csv"], [], ["--claims"]):
            yield f"{name} remit {' '.join(extra)}".rstrip(), ["remit", str(path), *extra]


def outcome(args: list[str]) -> str:
    env = {"PTBILL_TODAY": "2025-03-10", "COLUMNS": "200"}
    r = CliRunner(env=env).invoke(cli, args, obj={})
    return f"{r.exit_code} {hashlib.sha256(r.stdout_bytes).hexdigest()}"


def golden() -> dict[str, str]:
    pairs = (line.rsplit("\t", 1) for line in GOLDEN.read_text().splitlines() if line)
    return dict(pairs)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return dict(cases(tmp_path_factory.mktemp("pinned")))


def test_every_case_is_pinned(runs: dict[str, list[str]]) -> None:
    assert [label for label in runs if label not in golden()] == []


@pytest.mark.parametrize(("label", "expected"), golden().items())
def test_the_output_is_what_it_was(runs: dict[str, list[str]], label: str, expected: str) -> None:
    if label not in runs:
        pytest.skip(f"{label}: its input is not here (the public corpus?)")
    assert outcome(runs[label]) == expected


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for label, args in cases(Path(tmp)):
            sys.stdout.write(f"{label}\t{outcome(args)}\n")


@pytest.mark.parametrize("to_file", [True, False])
def test_a_held_output_past_memory_reaches_stdout_whole(tmp_path: Path, to_file: bool) -> None:
    """A held output over 8 MB goes to a temporary file first, then to stdout by sendfile (a
    file or a pipe): the same bytes as a test runner's stdout, which takes them by copying."""
    path = tmp_path / "big.835"
    path.write_text(synthetic_835(7_000, seed=5))
    expected = CliRunner().invoke(cli, ["remit", str(path), "--json"], obj={}).stdout_bytes
    assert len(expected) > 8 << 20
    command = [sys.executable, "-m", "ptbill", "remit", str(path), "--json"]
    if to_file:
        out = tmp_path / "out.json"
        with out.open("wb") as f:
            subprocess.run(command, stdout=f, check=True)
        assert out.read_bytes() == expected
    else:
        done = subprocess.run(command, stdout=subprocess.PIPE, check=True)
        assert done.stdout == expected
