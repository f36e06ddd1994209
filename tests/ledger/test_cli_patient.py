"""After the primary from the command line: coverage, balance, pay, refund, patient-writeoff,
statements (--json shapes, exit codes, clear errors), and the secondary claim sent by submit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ptbill.config import load_config
from ptbill.payer_sim import PayerSim, SimConfig, simulate
from tests.ledger.helpers import PAID_DAY, medicare_visit, write_visits
from tests.ledger.test_cli import run
from tests.x12.pyx12_check import assert_valid


def test_the_patient_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTBILL_TODAY", "2025-04-30")  # the clock, frozen after both payments
    db = str(tmp_path / "cli.db")
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    assert run("--db", db, "import", visits, "--as-of", "2025-03-10").exit_code == 0
    r = run(
        "--db",
        db,
        "coverage",
        "add",
        "P-1",
        "medigap",
        "--member-id",
        "MG1",
        "--from",
        "2025-01-01",
        "--json",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["coverages"][0] == {
        "rank": 2,
        "payer": "medigap",
        "member_id": "MG1",
        "relationship": "self",
        "start_date": "2025-01-01",
        "end_date": None,
    }
    first = tmp_path / "c.837"
    assert run("--db", db, "submit", "-o", str(first), "--as-of", "2025-03-10").exit_code == 0
    config = load_config(None)
    payer = PayerSim(config, SimConfig(reject_rate=0, denials=(), underpay_rate=0))
    answer = simulate(
        first.read_text(), config, payer.sim, received=dt.date(2025, 3, 11), payer=payer
    )
    remit = tmp_path / "r.835"
    remit.write_text(answer.remit_835 or "")
    r = run("--db", db, "post", str(remit), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["next_payers"]["secondary"] == ["V-1-S"]
    second = tmp_path / "s.837"
    r = run("--db", db, "submit", "-o", str(second), "--json")
    assert json.loads(r.output)["claims"] == ["V-1-S"]
    assert_valid(second.read_text())  # the secondary 837P, as pyx12 reads it
    # Medigap has the patient's share until it decides: nothing owed yet.
    r = run("--db", db, "balance", "P-1", "--json")
    (p,) = json.loads(r.output)["patients"]
    assert p["balance"] == "0.00" and p["pending_insurance"] == str(answer.decisions[0].patient)
    sec = simulate(second.read_text(), config, payer.sim, received=dt.date(2025, 3, 26), number=2)
    remit2 = tmp_path / "r2.835"
    remit2.write_text(sec.remit_835 or "")
    assert run("--db", db, "post", str(remit2)).exit_code == 0
    r = run("--db", db, "balance", "P-1", "--json")
    assert json.loads(r.output)["patients"][0]["balance"] == "0.00"  # the plan paid it all
    r = run("--db", db, "pay", "P-1", "10.00", "--method", "cash", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {
        "patient_id": "P-1",
        "kind": "payment",
        "amount": "10.00",
        "applied": [],
        "credit": "10.00",
        "balance": "0.00",
    }
    r = run("--db", db, "refund", "P-1", "10.00", "--method", "check", "--ref", "1001", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["credit"] == "0.00"
    r = run("--db", db, "patient-writeoff", "P-1", "--reason", "nothing owed")
    assert r.exit_code == 2 and "owes 0" in r.output and "Traceback" not in r.output
    r = run("--db", db, "pay", "P-1", "ten", "--method", "cash")
    assert r.exit_code == 2 and "not an amount" in r.output
    r = run("--db", db, "pay", "P-1", "5.00", "--method", "cash", "--as-of", "2025-05-01")
    assert r.exit_code == 2 and "2025-05-01 is after today (2025-04-30)" in r.output, r.output
    for odd in ("NaN", "Infinity", "1e30", "1e2", "0x10", "1,00"):  # Decimal reads the first
        r = run("--db", db, "pay", "P-1", odd, "--method", "cash")
        assert r.exit_code == 2 and "AMOUNT" in r.output, r.output
    # As a person types it at the desk: a dollar sign and thousands separators.
    r = run("--db", db, "pay", "P-1", "$1,250.00", "--method", "cash", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["credit"] == "1250.00", r.output
    narrow = run("--db", db, "balance", env={"COLUMNS": "40"})  # money is never cut
    assert "1,250.00" in narrow.output and "…" not in narrow.output, narrow.output
    r = run("--db", db, "refund", "P-1", "1,250", "--method", "check", "--ref", "1002", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["credit"] == "0.00", r.output
    r = run("--db", db, "statements", "-o", str(tmp_path / "st"), "--json")
    assert r.exit_code == 0 and json.loads(r.output)["statements"] == []


def _primary_paid(tmp_path: Path) -> str:
    """A ledger (its path) with medicare_visit V-1 of P-1 sent and paid by Medicare on
    PAID_DAY (paid_in_full), no next coverage."""
    from ptbill.ledger.db import Ledger
    from tests.ledger.helpers import (
        decision,
        import_and_submit,
        paid_in_full,
        post_835,
        remit_of,
        sim_claims,
    )

    db = str(tmp_path / "cli.db")
    config = load_config(None)
    ledger = Ledger(db)
    sent = import_and_submit(
        ledger, config, write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    )
    claim = sim_claims(sent.text)["V-1"]
    post_835(ledger, config, remit_of([decision(claim, paid_in_full(claim))]))
    ledger.close()
    return db


def test_statements_to_a_folder_that_cannot_be_written_record_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-o names a folder under a file: the error names it (exit 2, no traceback) and no
    statement is recorded, so the next run with a good folder sends them."""
    db = _primary_paid(tmp_path)
    monkeypatch.setenv("PTBILL_TODAY", str(PAID_DAY))
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    r = run("--db", db, "statements", "-o", str(blocked / "st"))
    assert r.exit_code == 2 and "cannot write" in r.output and str(blocked) in r.output, r.output
    r = run("--db", db, "statements", "-o", str(tmp_path / "st"), "--as-of", "2026-03-24")
    assert r.exit_code == 2 and "after today" in r.output, r.output  # a typo of a year
    r = run("--db", db, "statements", "-o", str(tmp_path / "st"), "--json")
    assert r.exit_code == 0 and [s["patient_id"] for s in json.loads(r.output)["statements"]] == [
        "P-1"
    ]


def test_the_patient_commands_held_to_a_clinic(tmp_path: Path) -> None:
    """A patient P-1 at each clinic: --clinic says whose (and holds the lists to it)."""
    db = str(tmp_path / "cli.db")
    oak = medicare_visit("V-7", dos=dt.date(2025, 3, 5), clinic="oak-avenue-pt")
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1"), oak])
    assert run("--db", db, "import", visits, "--as-of", "2025-03-10").exit_code == 0
    r = run("--db", db, "pay", "P-1", "5.00", "--method", "cash")
    assert r.exit_code == 2 and "2 clinics have a patient 'P-1'" in r.output
    r = run("--db", db, "pay", "P-1", "5.00", "--method", "cash", "--clinic", "oak-avenue-pt")
    assert r.exit_code == 0, r.output

    def credits(*clinic: str) -> dict[str, str]:
        r = run("--db", db, "balance", "--json", *clinic)
        assert r.exit_code == 0, r.output
        return {p["patient_id"]: p["credit"] for p in json.loads(r.output)["patients"]}

    assert credits() == {"P-1": "5.00"}  # Oak's P-1 holds the credit
    assert credits("--clinic", "oak-avenue-pt") == {"P-1": "5.00"}
    assert credits("--clinic", "elm-street-pt") == {}
    r = run("--db", db, "refund", "P-1", "5.00", "--method", "check", "--clinic", "elm-street-pt")
    assert r.exit_code == 2 and "credit is 0" in r.output  # Elm's P-1 has none to refund
    r = run("--db", db, "coverage", "list", "P-404", "--clinic", "elm-street-pt")
    assert r.exit_code == 2 and "no patient 'P-404' at the clinics given" in r.output
    r = run("--db", db, "statements", "-o", str(tmp_path / "st"), "--clinic", "no-such")
    assert r.exit_code == 2 and "no clinic 'no-such'" in r.output


def test_one_patients_balance_shows_each_visit_and_its_aging(tmp_path: Path) -> None:
    """`balance PATIENT` for people answers the desk's question, which visits and how old:
    each visit's charge, what the payers paid and took off, the share, what was applied and
    what is owed, then the aging (the docstring promised it; only --json had it)."""
    # 97110 x2 $96 + 97140 $47; allowed 60 + 20, coinsurance 12 + 4 (paid_in_full).
    db = _primary_paid(tmp_path)
    day = PAID_DAY + dt.timedelta(days=40)  # decided 40 days before: the 31-60 bucket
    r = run("--db", db, "balance", "P-1", "--as-of", str(day), env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if "V-1" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    # claim, date of service, charge, insurance paid, adjustments, share, applied, owes
    assert cells[:8] == ["V-1", "2025-03-03", "143.00", "62.72", "64.28", "16.00", "0.00", "16.00"]
    aging = next(line for line in r.output.splitlines() if "31-60" in line)
    values = r.output.splitlines()[r.output.splitlines().index(aging) + 2]
    assert [c.strip() for c in values.strip("│ ").split("│")] == [
        "P-1",
        "0.00",
        "16.00",
        "0.00",
        "0.00",
        "0.00",
    ]
    listing = run("--db", db, "balance", "--as-of", str(day))  # every patient: totals only
    assert listing.exit_code == 0 and "V-1" not in listing.output, listing.output
