"""Every file a command reads whole is bounded: a device (/dev/zero) or a file far larger than
its kind ever is gets a clear error naming it, never the machine's memory (an eligibility
answer, a claim status answer, a CMS reference file, a FHIR/HL7/CSV export and the
configuration were read without end: /dev/zero took 18-24 GB before the kernel killed them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ptbill.cli.main import cli
from tests.ledger.helpers import medicare_visit, write_visits


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj={})


def _over(path: Path, bound: int) -> str:
    path.write_bytes(b"ISA*00*" + b"x" * bound)  # one byte over, starting as X12 would
    return str(path)


@pytest.mark.parametrize("command", [("eligibility", "read"), ("status", "read")])
def test_an_answer_file_over_the_bound_is_refused(
    command: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ptbill.cli.payer_cmds.MAX_ANSWER_BYTES", 4096)
    r = _run("--db", str(tmp_path / "l.db"), *command, _over(tmp_path / "a.x12", 4096))
    assert r.exit_code == 2 and "larger than" in r.stderr and "271 or 277" in r.stderr


@pytest.mark.parametrize("kind", ["pfs", "gpci", "zip-locality", "ncci-mue"])
def test_a_reference_file_over_the_bound_is_refused(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ptbill.reference.importers.pfs.MAX_REFERENCE_BYTES", 4096)
    r = _run(
        "--data",
        str(tmp_path / "data"),
        "reference",
        "import",
        kind,
        _over(tmp_path / "MUE_Eff_07-01-2026.csv", 4096),
    )
    assert r.exit_code == 2 and "larger than" in r.stderr and "was not read" in r.stderr


@pytest.mark.parametrize("fmt", ["hl7", "fhir", "csv"])
def test_an_export_read_whole_over_the_bound_is_refused(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ptbill.intake.load.MAX_DOCUMENT_BYTES", 4096)
    r = _run("scrub", "--from", fmt, _over(tmp_path / "export.txt", 4096))
    assert r.exit_code == 2 and "larger than" in r.stderr and "JSON Lines" in r.stderr


def test_a_configuration_over_the_bound_or_not_utf8_is_refused(tmp_path: Path) -> None:
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    r = _run("--config", "/dev/zero", "code", visits)
    assert r.exit_code == 2 and "configuration is larger than" in r.stderr
    latin1 = tmp_path / "clinic.toml"
    latin1.write_bytes('name = "Muñoz PT"\n'.encode("latin-1"))
    r = _run("--config", str(latin1), "code", visits)
    assert r.exit_code == 2 and "not UTF-8" in r.stderr and "Traceback" not in r.output


def test_eligibility_request_refuses_a_device_as_its_visits(tmp_path: Path) -> None:
    r = _run(
        "--db",
        str(tmp_path / "l.db"),
        "eligibility",
        "request",
        "/dev/zero",
        "-o",
        str(tmp_path / "x.270"),
    )
    assert r.exit_code == 2 and "pipe or a device" in r.stderr
