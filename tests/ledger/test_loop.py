"""The demo's whole loop (`make demo`): generate, import, submit, simulate, post, report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ptbill.demo import loop as demo_loop
from ptbill.demo.loop import run_loop
from ptbill.ledger.jsontext import to_json

AS_OF = dt.date(2025, 4, 30)


def test_the_loop_runs_end_to_end(db_url: str, tmp_path: Path) -> None:
    result = run_loop(db_url, tmp_path / "out", AS_OF, visits=150)
    steps, report = result["steps"], result["report"]
    for name in ("visits.jsonl", "claims.837", "ack.999", "ack.277", "remit-1.835"):
        assert Path(result["files"][name]).exists()
    assert report["as_of"] == AS_OF
    # Every claim sent: the month's primaries, then the next payers' (an 837P, or a crossover).
    assert steps["submit"]["claims"] > 0
    assert report["claims_submitted"] == (
        steps["submit"]["claims"]
        + steps["secondary"]["claims"]
        + len(steps["post-1"]["next_payers"]["crossover"])
    )
    assert steps["ack.277"]["accepted"] + steps["ack.277"]["rejected"] == steps["submit"]["claims"]
    assert steps["post-1"]["matched"] == steps["ack.277"]["accepted"]
    assert steps["post-1"]["unmatched"] == [] and steps["post-1"]["imbalances"] == []
    kinds = {w["kind"] for w in result["worklist"]}
    assert "blocked" in kinds and "denial" in kinds
    if "appeal" in steps:
        assert Path(steps["appeal"]["pdf"]).read_bytes().startswith(b"%PDF")
    # After the primary: Medigap claims sent and paid, Medicaid's crossovers paid, statements.
    made = steps["post-1"]["next_payers"]
    assert steps["secondary"]["claims"] == len(made["secondary"]) > 0
    assert steps["secondary-835"]["matched"] > 0 and steps["secondary-835"]["unmatched"] == []
    assert steps["crossover-835"]["matched"] == len(made["crossover"]) > 0
    assert steps["crossover-835"]["unmatched"] == []
    assert steps["statements"]["statements"] > 0
    assert Path(result["files"]["statements.pdf"]).read_bytes().startswith(b"%PDF")
    assert report["patient_ar_total"] == steps["statements"]["balance"]


def test_the_loop_is_deterministic(tmp_path: Path) -> None:
    a = run_loop(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "a", AS_OF, visits=80)
    b = run_loop(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "b", AS_OF, visits=80)
    assert to_json(a["report"]) == to_json(b["report"])
    assert json.loads(to_json(a["worklist"])) == json.loads(to_json(b["worklist"]))
    assert (tmp_path / "a" / "remit-1.835").read_text() == (
        tmp_path / "b" / "remit-1.835"
    ).read_text()


def test_make_demos_month_has_expected_payments(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make demo` reports expected vs paid with real figures: its month is priced by the
    # bundled 2025 PFS, and commercial and Acme claims by the demo clinic's SAMPLE contract
    # fees. Medicaid has no fee schedule to price from: unknown, never invented.
    monkeypatch.setenv("PTBILL_DATA", str(tmp_path / "data"))  # the bundled data only
    result = run_loop(db_url, tmp_path / "out", demo_loop.AS_OF, visits=200)
    payers = result["report"]["payers"]
    for key in ("medicare", "commercial", "acme-ppo"):
        ev = payers[key]["expected_vs_paid"]
        assert ev["claims"] > 0 and ev["expected"] > 0, key
    assert payers["medicaid"]["expected_vs_paid"]["claims"] == 0
