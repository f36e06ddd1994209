"""`ptbill show CLAIM`: one claim's story, for a person and (--json) for a program."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner, Result

from ptbill.cli.main import cli
from ptbill.config import load_config
from ptbill.payer_sim import simulate
from tests.ledger.helpers import medicare_visit, write_visits


def run(*args: str) -> Result:
    env = {"PTBILL_TODAY": "2025-03-10", "COLUMNS": "200"}
    return CliRunner(env=env).invoke(cli, list(args), obj={}, catch_exceptions=False)


def test_show_tells_a_claim_from_import_to_payment(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    sent, remit = tmp_path / "c.837", tmp_path / "r.835"
    assert run("--db", db, "import", visits).exit_code == 0
    assert run("--db", db, "submit", "-o", str(sent)).exit_code == 0
    answer = simulate(sent.read_text(), load_config(None), received=dt.date(2025, 3, 11))
    remit.write_text(answer.remit_835 or "")
    assert run("--db", db, "post", str(remit)).exit_code in (0, 1)

    r = run("--db", db, "show", "V-1", "--json")
    assert r.exit_code == 0, r.output
    story = json.loads(r.output)
    assert story["claim_number"] == "V-1" and story["charge"] == "143.00"
    assert [s["interchange_control_number"] for s in story["submissions"]] != []
    assert story["payments"] and story["payments"][0]["trace_number"]
    assert [a["to_state"] for a in story["audit"]][:3] == ["draft", "ready", "submitted"]
    assert [x["code"] for x in story["lines"]] == ["97110", "97140"]

    text = run("--db", db, "show", "V-1").output
    for heading in ("lines", "versions", "submissions", "payments", "work items", "audit trail"):
        assert f"\n{heading} (" in text
    assert "97110-GP x2" in text and "ready -> submitted" in text

    r = run("--db", db, "show", "NOPE")
    assert r.exit_code == 2 and "no such claim" in r.output
