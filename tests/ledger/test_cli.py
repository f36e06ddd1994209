"""The ledger's command line: --db / PTBILL_DB, exit codes, clear errors, JSON shapes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ptbill.cli.main import cli
from ptbill.config import load_config
from ptbill.payer_sim import simulate
from tests.ledger.helpers import medicare_visit, write_visits


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), obj={}, env=env, catch_exceptions=False)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.db")


def test_the_loop_from_the_command_line(db: str, tmp_path: Path) -> None:
    visits = write_visits(
        tmp_path / "v.jsonl", [medicare_visit("V-1"), medicare_visit("V-2", patient="P-2")]
    )
    r = run("--db", db, "import", visits, "--as-of", "2025-03-10", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["ready"] == 2
    out = tmp_path / "c.837"
    r = run("--db", db, "submit", "-o", str(out), "--as-of", "2025-03-10")
    assert r.exit_code == 0 and out.read_text().startswith("ISA*")
    answer = simulate(out.read_text(), load_config(None), received=dt.date(2025, 3, 11))
    remit = tmp_path / "r.835"
    remit.write_text(answer.remit_835 or "")
    r = run("post", str(remit), "--json", env={"PTBILL_DB": db})  # the database from PTBILL_DB
    posted = json.loads(r.output)
    assert posted["posted"] and posted["payments"] >= 1
    # Exit 1 when a person has work from it (#19): claims unmatched or work items opened.
    assert r.exit_code == (1 if posted["unmatched"] or posted["work_items"] else 0), r.output
    # The same payments again, in the same bytes or re-saved with CRLF line ends: exit 0,
    # already posted (#14).
    crlf = tmp_path / "r-crlf.835"
    crlf.write_bytes(remit.read_text().replace("~", "~\r\n").encode())
    for again in (remit, crlf):
        r = run("post", str(again), env={"PTBILL_DB": db})
        assert r.exit_code == 0 and "Traceback" not in r.output, r.output
        assert f"already posted on {answer.paid_on} (trace SIM" in r.output
        assert "nothing was changed" in r.output
    r = run("--db", db, "post", str(crlf), "--json")
    again_json = json.loads(r.output)
    assert r.exit_code == 0 and not again_json["posted"] and again_json["paid_total"] == "0.00"
    assert [e["posted_on"] for e in again_json["already_posted"]] == [str(answer.paid_on)] * len(
        again_json["already_posted"]
    )
    r = run("--db", db, "report", "--json")
    assert json.loads(r.output)["paid_total"] == posted["paid_total"]  # counted once
    r = run("--db", db, "worklist", "--json")
    assert r.exit_code == 0
    for item in json.loads(r.output):
        assert {
            "claim_id",
            "visit_id",
            "kind",
            "category",
            "carc",
            "rarc",
            "amount",
            "action",
            "due_date",
        } <= set(item)
    r = run("--db", db, "report", "--json", env={"PTBILL_TODAY": "2025-04-30"})
    data = json.loads(r.output)
    assert data["claims_submitted"] == 2 and "medicare" in data["payers"]
    for key in (
        "first_pass_acceptance_rate",
        "clean_claim_rate",
        "denial_rate",
        "paid_total",
        "expected_vs_paid",
        "ar_total",
        "ar_aging",
        "days_in_ar",
        "denials_by_category",
        "denials_by_carc",
    ):
        assert key in data
    assert data["as_of"] == "2025-04-30"  # today (the clock, frozen here)
    r = run("--db", db, "submit", "-o", str(tmp_path / "none.837"))
    assert r.exit_code == 0 and not (tmp_path / "none.837").exists()


def test_blocked_visits_are_work_exit_1_only_with_strict(db: str, tmp_path: Path) -> None:
    path = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1", diagnoses=[])])
    r = run("--db", db, "import", path, "--as-of", "2025-03-10")
    assert r.exit_code == 0 and "blocked V-1: DX-MISSING" in r.output
    r = run("--db", db + "2", "import", path, "--as-of", "2025-03-10", "--strict")
    assert r.exit_code == 1 and "blocked V-1: DX-MISSING" in r.output


def test_bad_input_exits_2_without_a_traceback(db: str, tmp_path: Path) -> None:
    bad = medicare_visit("V-1")
    bad["patient"]["birth_date"] = "1951-13-40"
    path = write_visits(tmp_path / "v.jsonl", [bad])
    r = run("--db", db, "import", path)
    assert r.exit_code == 2
    assert "v.jsonl: visit V-1: patient.birth_date" in r.output
    assert "Traceback" not in r.output and "1951-13-40" not in r.output  # no birth dates


def test_unknown_claim_and_illegal_moves_exit_2(db: str, tmp_path: Path) -> None:
    path = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    run("--db", db, "import", path, "--as-of", "2025-03-10")
    r = run("--db", db, "writeoff", "NOPE", "--reason", "x")
    assert r.exit_code == 2 and "no such claim" in r.output
    r = run("--db", db, "appeal", "V-1")  # ready, never decided by the payer
    assert r.exit_code == 2 and "does not allow" in r.output


def test_an_unreachable_database_exits_2(tmp_path: Path) -> None:
    r = run("--db", "postgresql://nobody:secret@127.0.0.1:1/none", "report")
    assert r.exit_code == 2 and "cannot open" in r.output and "secret" not in r.output


def test_an_output_file_that_cannot_be_written_exits_2_and_changes_nothing(
    db: str, tmp_path: Path
) -> None:
    """-o into a folder that does not exist: the file and the reason named, no traceback, no
    temporary file left, and the ledger as it was (the claims still ready)."""
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    assert run("--db", db, "import", visits, "--as-of", "2025-03-10").exit_code == 0
    gone = tmp_path / "no-such-folder"

    def refused(*args: str, name: str) -> None:
        r = CliRunner().invoke(cli, ["--db", db, *args, "-o", str(gone / name)], obj={})
        assert r.exit_code == 2, r.output
        assert f"{gone / name}: cannot write the file" in r.output
        assert not isinstance(r.exception, OSError)  # said, not a traceback

    refused("submit", "--as-of", "2025-03-10", name="c.837")
    assert json.loads(run("--db", db, "show", "V-1", "--json").output)["state"] == "ready"
    refused("eligibility", "request", visits, name="e.270")
    out = tmp_path / "c.837"
    assert run("--db", db, "submit", "-o", str(out), "--as-of", "2025-03-10").exit_code == 0
    refused("status", "request", "--claim", "V-1", name="s.276")
    assert not gone.exists() and not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_posted_money_is_told_in_cents_whatever_the_835_wrote() -> None:
    # X12 decimals drop trailing zeros (BPR02 "2598.2"); what was posted is 2598.20
    from decimal import Decimal

    from ptbill.remit.post_summary import PostSummary

    told = PostSummary("in.835", paid_total=Decimal("2598.2")).as_json()
    assert (str(told["paid_total"]), str(told["provider_adjustments"])) == ("2598.20", "0.00")
