"""`ptbill show CLAIM`: one claim's story, for a person and (--json) for a program."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
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


def test_show_names_the_patient_and_the_claims_chain_of_payers(tmp_path: Path) -> None:
    """P-1 has Medigap behind Medicare: once Medicare's 835 is posted, the balance goes to
    Medigap as a claim of its own (docs/ledger.md); `show` of either tells both, in order, as
    the claim page and GET /api/v1/claims/{claim}/payers do, and names the patient by the
    clinic's id, not the ledger's row number."""
    db = str(tmp_path / "l.db")
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    sent, remit = tmp_path / "c.837", tmp_path / "r.835"
    assert run("--db", db, "import", visits).exit_code == 0
    medigap = ["P-1", "medigap", "--member-id", "MG1", "--rank", "2", "--from", "2025-01-01"]
    added = run("--db", db, "coverage", "add", *medigap)
    assert added.exit_code == 0, added.output
    assert run("--db", db, "submit", "-o", str(sent)).exit_code == 0
    answer = simulate(sent.read_text(), load_config(None), received=dt.date(2025, 3, 11))
    remit.write_text(answer.remit_835 or "")
    assert run("--db", db, "post", str(remit)).exit_code in (0, 1)

    story = json.loads(run("--db", db, "show", "V-1", "--json").output)
    assert story["patient_external_id"] == "P-1"
    chain = [(p["role"], p["payer"], p["this"]) for p in story["payers"]]
    assert chain == [("primary", "medicare", True), ("secondary", "medigap", False)]
    second = story["payers"][1]["claim_id"]
    text = run("--db", db, "show", second).output
    assert "patient P-1 " in text
    assert "\npayers (2)" in text and f"secondary medigap {second}" in text
    assert "primary medicare V-1 " in text


def test_an_audit_entry_that_kept_the_state_says_so() -> None:
    """A work item closed by hand, a refund to the payer: the claim's state is unchanged and
    the line says so, rather than "paid -> paid"."""
    from ptbill.cli.show_cmds import audit_line

    kept = {"on_date": "2025-04-01", "who": "ann", "from_state": "paid", "to_state": "paid"}
    assert audit_line({**kept, "why": "work item 7 closed: called"}) == (
        "2025-04-01 ann: paid (unchanged) (work item 7 closed: called)"
    )
    moved = {**kept, "from_state": None, "to_state": "draft", "why": ""}
    assert audit_line(moved) == "2025-04-01 ann: - -> draft"


def test_the_queries_shared_with_the_workbench_load_no_web_stack() -> None:
    """`ptbill show` (and any command reading a claim's story) raises the workbench's NotFound
    without loading FastAPI and Starlette (a tenth of a second of each run)."""
    code = (
        "import sys; import ptbill.cli.show_cmds, ptbill.web.queries.claims, "
        "ptbill.web.queries.files, ptbill.web.queries.patients; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'starlette'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
