"""`ptbill claim`: ready visits into one 837P that pyx12 accepts; blocked visits on stderr."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.demo.generator import START, generate
from tests.factories import timed, visit_dict
from tests.x12.pyx12_check import pyx12_errors


def run(*args: str):
    return CliRunner().invoke(cli, list(args), obj={})


def test_claim_writes_ready_visits_and_lists_blocked_ones(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PTBILL_DATA", str(tmp_path / "data"))
    good = visit_dict(
        timed("97110", 24, diagnosis_pointers=[1, 2]),
        timed("97140", 13, body_region="right knee"),
        visit_id="GOOD-1",
        total_timed_minutes=37,
        total_treatment_minutes=40,
    )
    bad = visit_dict(
        timed("97110", 24),
        visit_id="BAD-1",
        diagnoses=[],
        signed=None,
        date_of_service="2026-03-03",
    )
    f = tmp_path / "v.jsonl"
    f.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    out = tmp_path / "out.837"
    r = run("claim", str(f), "-o", str(out), "--as-of", "2026-03-10", "--control-number", "7")
    assert r.exit_code == 1, r.stderr  # one visit blocked
    assert "blocked: BAD-1" in r.stderr and "GOOD-1" not in r.stderr
    text = out.read_text()
    assert "CLM*GOOD-1*" in text and "BAD-1" not in text
    assert text.startswith("ISA*") and "*260310*0000*" in text  # --as-of sets date and time
    assert "ISA*00*" in text and "*000000007*" in text
    assert pyx12_errors(text) == []


def test_claim_of_a_generated_day_is_valid_x12_and_reproducible(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PTBILL_DATA", str(tmp_path / "data"))
    visits = generate(40, seed=5, days=1, error_rate=0.0)
    f = tmp_path / "day.jsonl"
    f.write_text("".join(json.dumps(v) + "\n" for v in visits))
    a, b = tmp_path / "a.837", tmp_path / "b.837"
    as_of = (START + dt.timedelta(days=28)).isoformat()  # within every payer's filing limit
    for out in (a, b):
        r = run("claim", str(f), "-o", str(out), "--as-of", as_of, "--control-number", "9")
        assert r.exit_code == 0, r.stderr
    assert a.read_text() == b.read_text()
    assert a.read_text().count("CLM*") == 40
    assert pyx12_errors(a.read_text()) == []


def test_control_numbers_persist_between_runs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PTBILL_DATA", str(tmp_path / "data"))
    f = tmp_path / "v.json"
    f.write_text(
        json.dumps(
            visit_dict(timed("97110", 24), total_timed_minutes=24, total_treatment_minutes=24)
        )
    )
    numbers = []
    for name in ("1.837", "2.837"):
        r = run("claim", str(f), "-o", str(tmp_path / name), "--as-of", "2026-03-10")
        assert r.exit_code == 0, r.stderr
        numbers.append((tmp_path / name).read_text().split("*")[13])
    assert numbers == ["000000001", "000000002"]


def test_claim_into_a_folder_that_does_not_exist_exits_2(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PTBILL_DATA", str(tmp_path / "data"))
    f = tmp_path / "v.jsonl"
    good = visit_dict(
        timed("97110", 24), visit_id="GOOD-1", total_timed_minutes=24, total_treatment_minutes=30
    )
    f.write_text(json.dumps(good) + "\n")
    target = tmp_path / "no-such-folder" / "out.837"
    r = run("claim", str(f), "-o", str(target), "--as-of", "2026-03-10")
    assert r.exit_code == 2, r.output
    assert f"{target}: cannot write the file" in r.stderr
    assert not isinstance(r.exception, OSError)  # said, not a traceback
