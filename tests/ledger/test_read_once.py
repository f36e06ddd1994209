"""A FHIR, HL7 v2 or CSV file is read once by each command that reads visits, however many
passes the command makes (ptbill.intake.stream.Once): counted by wrapping each format's
reader. The passes after the first read the visits' JSON that the first kept: what they make
of it must be what the file's own visits make (the claims of an import, a scrub's output)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.config.profiles import Config
from ptbill.intake import csv_charges, fhir, hl7v2
from ptbill.intake.stream import Once, parse_visit
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import Batched, import_files
from ptbill.ledger.prepare import source_of
from tests.ledger.test_intake_formats import AS_OF, _claims, _demo, _fresh

# Each format's readers of a whole file (FHIR's list and its visit-by-visit reader).
READERS = {
    "fhir": (fhir, ("read", "visits")),
    "hl7": (hl7v2, ("visits",)),
    "csv": (csv_charges, ("visits",)),
}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many times each format's reader was called."""
    counts = dict.fromkeys(READERS, 0)

    def counted(fmt: str, read: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[fmt] += 1
            return read(*args, **kwargs)

        return wrapper

    for fmt, (module, names) in READERS.items():
        for name in names:
            monkeypatch.setattr(module, name, counted(fmt, getattr(module, name)))
    return counts


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same 30 demo visits in each format."""
    folder = tmp_path_factory.mktemp("demo")
    return {fmt: _demo(folder, fmt, 30) for fmt in ("json", *READERS)}


def _batched(url: str, path: Path, config: Config, fmt: str) -> None:
    """An import as `ptbill import` makes it (checked whole, then committed batch by batch),
    in batches of 7 visits."""
    with Ledger(url) as ledger, ledger.sessions() as s:
        import_files(
            s,
            [str(path)],
            as_of=AS_OF,
            config=config,
            who="test",
            batch_size=7,
            fmt=fmt,
            batched=Batched(lambda _done, _summary: s.commit()),
        )
        s.commit()


@pytest.mark.parametrize("fmt", list(READERS))
def test_an_import_in_batches_reads_the_file_once_and_stores_what_json_does(
    db_url: str,
    tmp_path: Path,
    config: Config,
    demos: dict[str, Path],
    reads: dict[str, int],
    fmt: str,
) -> None:
    url = _fresh(db_url, tmp_path, "json")
    _batched(url, demos["json"], config, "json")
    expected = _claims(url)
    assert len(expected) == 30
    url = _fresh(db_url, tmp_path, fmt)
    _batched(url, demos[fmt], config, fmt)
    assert reads == {f: int(f == fmt) for f in READERS}  # the check's read, and no other
    got = _claims(url)
    assert got == expected


COMMANDS = [
    ["scrub"],
    ["scrub", "--json"],
    ["code"],
    ["code", "--json"],
    ["price"],
    ["price", "--json"],
    ["claim", "-o", "{out}", "--control-number", "1"],
]


@pytest.mark.parametrize("fmt", list(READERS))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_command_reads_the_file_once_and_says_what_json_gives(
    tmp_path: Path, demos: dict[str, Path], reads: dict[str, int], fmt: str, command: list[str]
) -> None:
    def run(source: str) -> tuple[int, bytes]:
        args = [a.format(out=tmp_path / f"{source}.837") for a in command]
        as_of = [] if command[0] == "code" else ["--as-of", "2025-06-22"]
        r = CliRunner(env={"PTBILL_TODAY": "2025-06-22"}).invoke(
            cli, [*args, *as_of, "--from", source, "-q", str(demos[source])], obj={}
        )
        assert r.exit_code in (0, 1), r.output
        return r.exit_code, r.stdout_bytes

    expected = run("json")
    assert reads == dict.fromkeys(READERS, 0)
    got = run(fmt)
    assert reads == {f: int(f == fmt) for f in READERS}
    assert got == expected
    if command[0] == "claim":
        assert (tmp_path / "json.837").read_bytes() == (tmp_path / f"{fmt}.837").read_bytes()


def test_scrub_json_of_duplicates_reads_the_file_twice_and_says_what_json_gives(
    tmp_path: Path, demos: dict[str, Path], reads: dict[str, int]
) -> None:
    """`scrub --json` reads its input once, and starts again when the input turns out to hold
    duplicates (ptbill.cli.visits.claims_in_one_read): then the file is read once more, and
    its visits' JSON kept for the last pass."""
    outputs = []
    for fmt in ("json", "hl7"):
        twice = tmp_path / f"twice.{fmt}"  # every visit twice: DUP-IN-BATCH
        twice.write_bytes(demos[fmt].read_bytes() * 2)
        r = CliRunner(env={"PTBILL_TODAY": "2025-06-22"}).invoke(
            cli, ["scrub", "--json", "--as-of", "2025-06-22", "--from", fmt, str(twice)], obj={}
        )
        assert r.exit_code == 1, r.output
        outputs.append(r.stdout_bytes)
    assert reads == {"fhir": 0, "hl7": 2, "csv": 0}
    assert outputs[0] == outputs[1] and b"DUP-IN-BATCH" in outputs[0]


@pytest.mark.parametrize("fmt", list(READERS))
def test_a_visit_read_again_is_the_visit_read(
    config: Config, demos: dict[str, Path], fmt: str
) -> None:
    once = Once()
    first = list(_visits(once, demos[fmt], fmt, config))
    again = list(_visits(once, demos[fmt], fmt, config))
    assert len(first) == 30 and all(isinstance(raw, bytes) for _, raw in again)
    for (label, visit), (label_again, raw) in zip(first, again, strict=True):
        read_again = parse_visit(raw)
        assert label == label_again and read_again == visit
        assert source_of(read_again) == source_of(visit)  # what the ledger stores of it


def _visits(once: Once, path: Path, fmt: str, config: Config) -> Iterator[tuple[str, Any]]:
    return once.items(str(path), fmt, config)  # type: ignore[arg-type]


def test_a_pass_stopped_early_keeps_nothing(config: Config, demos: dict[str, Path]) -> None:
    once = Once()
    items = once.items(str(demos["hl7"]), "hl7", config)
    next(items)
    items.close()
    assert once.kept == {}
