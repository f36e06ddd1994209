"""`ptbill demo-data`: JSON Lines that intake reads back, a summary without patient data."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.intake import load_visits


def run(*args: str):
    return CliRunner().invoke(cli, ["demo-data", *args], obj={})


def test_writes_n_lines_that_intake_loads(tmp_path: Path) -> None:
    out = tmp_path / "visits.jsonl"
    result = run("--visits", "120", "--seed", "5", "-o", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 120
    visits = load_visits(out)
    assert [v.visit_id for v in visits] == [json.loads(line)["visit_id"] for line in lines]
    assert result.stdout == ""


def test_summary_has_counts_and_no_patient_data(tmp_path: Path) -> None:
    out = tmp_path / "visits.jsonl"
    result = run("--visits", "300", "--seed", "8", "-o", str(out))
    summary = result.stderr.strip()
    assert "\n" not in summary
    assert "300 visits" in summary and "medicare" in summary and "mistake" in summary
    for line in out.read_text(encoding="utf-8").splitlines():
        v = json.loads(line)
        p = v["patient"]
        for secret in (p["last_name"], p["birth_date"], v["subscriber"]["member_id"]):
            assert secret not in summary


def test_stdout_and_options() -> None:
    result = run(
        "--visits", "15", "--seed", "2", "--start", "2026-06-01", "--days", "3", "--error-rate", "0"
    )
    assert result.exit_code == 0
    visits = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(visits) == 15
    assert {v["date_of_service"] for v in visits} <= {"2026-06-01", "2026-06-02", "2026-06-03"}
    assert not any(v["extensions"]["synthetic"]["mistakes"] for v in visits)
    again = run(
        "--visits", "15", "--seed", "2", "--start", "2026-06-01", "--days", "3", "--error-rate", "0"
    )
    assert again.stdout == result.stdout


def test_bad_input_exits_2_without_output(tmp_path: Path) -> None:
    for args in (
        ["--visits", "0"],
        ["--visits", "5", "--error-rate", "2"],
        ["--visits", "5", "--start", "2026-13-01"],
        ["--seed", "1"],
    ):
        result = run(*args)
        assert result.exit_code == 2, args
        assert result.stdout == ""
    missing = tmp_path / "no" / "such" / "dir" / "v.jsonl"
    result = run("--visits", "5", "-o", str(missing))
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "no" in result.stderr
    assert not missing.parent.exists()
