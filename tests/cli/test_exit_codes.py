"""The exit-code table (ptbill.cli.exit_codes) as tests: what each command exits with, the
README's chains on a day with a blocked visit, and the table the same in README and --help."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ptbill.cli.exit_codes import EXIT_CODES, OUTPUT_FAILED, markdown_table
from ptbill.cli.main import cli
from ptbill.config import load_config
from ptbill.payer_sim import SimOutput, simulate
from tests.ledger.helpers import medicare_visit, write_visits

README = Path(__file__).resolve().parents[2] / "README.md"


def run(*args: str) -> Result:
    env = {"PTBILL_TODAY": "2025-03-10", "COLUMNS": "200"}
    return CliRunner(env=env).invoke(cli, list(args), obj={}, catch_exceptions=False)


def _day(tmp_path: Path) -> str:
    """A clinic day: two clean visits and one blocked (no diagnosis)."""
    return write_visits(
        tmp_path / "day.jsonl",
        [
            medicare_visit("V-1"),
            medicare_visit("V-2", patient="P-2"),
            medicare_visit("V-3", patient="P-3", diagnoses=[]),
        ],
    )


def test_the_table_is_the_same_in_the_readme_and_the_help() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8")
    assert OUTPUT_FAILED in README.read_text(encoding="utf-8")
    text = run("--help").output
    assert " ".join(OUTPUT_FAILED.split()) in " ".join(text.split())
    for command, ok, _, bad in EXIT_CODES:
        assert f"  {command}\n" in text and f"0 {ok}" in text and f"2 {bad}" in text


def test_every_command_that_exits_1_has_its_row() -> None:
    """The table says 'every other command' exits 0 or 2: each command that can exit 1 (see
    its --help) has its own row, so that a script's author reading the table is not misled."""
    rows = {row[0]: row for row in EXIT_CODES}
    for command in ("rescrub", "jobs show", "writeoff, appeal, rescrub, correct --from-stdin"):
        assert command in rows and rows[command][2] != "-", command
    text = run("--help").output
    assert "    1 a claim was refused or failed" in text
    assert "    1 it failed or was cancelled" in text


def test_import_and_submit_chain_on_a_day_with_a_blocked_visit(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    visits, out = _day(tmp_path), tmp_path / "batch.837"
    # The README's `ptbill import visits.jsonl && ptbill submit -o batch.837`.
    r = run("--db", db, "import", visits)
    assert r.exit_code == 0, r.output
    assert "2 ready, 1 blocked" in r.output and "blocked V-3: DX-MISSING" in r.output
    r = run("--db", db, "submit", "-o", str(out))
    assert r.exit_code == 0 and out.read_text().count("CLM*") == 2
    r = run("--db", str(tmp_path / "strict.db"), "import", visits, "--strict")
    assert r.exit_code == 1
    # Bad input: 2, and nothing stored.
    (tmp_path / "bad.jsonl").write_text('{"visit_id": "V-9"}\n')
    r = run("--db", str(tmp_path / "bad.db"), "import", str(tmp_path / "bad.jsonl"))
    assert r.exit_code == 2
    r = run("--db", str(tmp_path / "bad.db"), "worklist", "--json")
    assert r.output.strip() == "[]"


def _one_claim_answered(tmp_path: Path) -> tuple[str, SimOutput]:
    """A ledger that sent one claim, and the simulated payer's answers to it."""
    db = str(tmp_path / "l.db")
    visits, sent = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")]), tmp_path / "c.837"
    assert run("--db", db, "import", visits).exit_code == 0
    assert run("--db", db, "submit", "-o", str(sent)).exit_code == 0
    answer = simulate(sent.read_text(), load_config(None), received=dt.date(2025, 3, 11))
    return db, answer


def test_post_exits_0_when_posted_or_already_posted_and_1_when_nothing_matched(
    tmp_path: Path,
) -> None:
    db, answer = _one_claim_answered(tmp_path)
    remit = tmp_path / "r.835"
    remit.write_text(answer.remit_835 or "")
    r = run("--db", db, "post", str(remit))
    assert r.exit_code == 0 and "1 matched" in r.output, r.output
    r = run("--db", db, "post", str(remit))
    assert r.exit_code == 0 and "already posted on 2025-03-" in r.output, r.output
    r = run("--db", db, "post", str(remit), "--json")
    assert r.exit_code == 0 and '"posted": false' in r.output
    # The same 835 posted to a ledger that never sent its claim: nothing matches.
    r = run("--db", str(tmp_path / "other.db"), "post", str(remit))
    assert r.exit_code == 1 and "nothing in this 835 matched" in r.output, r.output
    assert "1 unmatched" in r.output
    (tmp_path / "cut.835").write_text((answer.remit_835 or "")[:200])
    r = run("--db", str(tmp_path / "other.db"), "post", str(tmp_path / "cut.835"))
    assert r.exit_code == 2


def test_an_answer_applied_before_exits_0_saying_when(tmp_path: Path) -> None:
    """A nightly script going over a mailbox folder again: the 999 and the 277 applied before
    are no failure (exit 0, as `post` of a posted 835), told with the date and the record."""
    from ptbill.payer_sim.status import answer_276

    db, answer = _one_claim_answered(tmp_path)
    ack = tmp_path / "a.999"
    ack.write_text(answer.ack_999)
    assert run("--db", db, "ack-apply", str(ack), "--as-of", "2025-03-11").exit_code == 0
    r = run("--db", db, "ack-apply", str(ack))
    assert r.exit_code == 0, r.output
    assert r.output == (
        f"{ack}: already applied on 2025-03-11 (acknowledgement #1); nothing was changed\n"
    )
    r = run("--db", db, "ack-apply", str(ack), "--json")
    assert r.exit_code == 0 and json.loads(r.output) == {
        "file": str(ack),
        "applied": False,
        "already_applied": True,
        "applied_on": "2025-03-11",
        "acknowledgement_id": 1,
        "message": "already applied on 2025-03-11 (acknowledgement #1); nothing was changed",
    }
    ask = tmp_path / "s.276"
    assert run("--db", db, "status", "request", "-o", str(ask), "--claim", "V-1").exit_code == 0
    status = tmp_path / "s.277"
    status.write_text(answer_276(ask.read_text(), {}, number=3, when=dt.date(2025, 3, 12)))
    assert run("--db", db, "status", "read", str(status), "--as-of", "2025-03-12").exit_code == 0
    r = run("--db", db, "status", "read", str(status), "--json")
    assert r.exit_code == 0, r.output
    said = json.loads(r.output)
    assert (said["already_applied"], said["applied_on"]) == (True, "2025-03-12")
    assert said["inbound_file_id"] >= 1 and "acknowledgement_id" not in said


def test_scrub_and_claim_exit_1_when_a_visit_is_blocked(tmp_path: Path) -> None:
    visits = _day(tmp_path)
    assert run("scrub", visits, "--quiet").exit_code == 1
    clean = write_visits(tmp_path / "clean.jsonl", [medicare_visit("V-1")])
    assert run("scrub", clean).exit_code == 0
    r = run("claim", visits, "-o", str(tmp_path / "o.837"))
    assert r.exit_code == 1 and (tmp_path / "o.837").read_text().count("CLM*") == 2
    assert run("scrub", str(tmp_path / "missing.jsonl")).exit_code == 2


def test_the_report_never_cuts_money_in_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    from decimal import Decimal

    from rich.console import Console

    from ptbill.cli import ledger_cmds, output
    from ptbill.reports.report import BUCKETS

    big = Decimal("2898296.12")
    figures = {
        "claims_submitted": 123456,
        "first_pass_acceptance_rate": Decimal("0.9"),
        "clean_claim_rate": Decimal("0.8"),
        "denial_rate": Decimal("0.1"),
        "paid_total": big,
        "expected_vs_paid": {
            "claims": 1,
            "expected": big,
            "paid": big,
            "difference": Decimal(0),
            "claims_without_expected": 0,
        },
        "ar_total": big,
        "ar_aging": {b: big for b, _ in BUCKETS},
        "days_in_ar": 45,
    }
    data = {
        "as_of": "2026-12-06",
        **figures,
        "payers": {"commercial-blue-cross-blue-shield": figures},
        "denials_by_category": {},
        "denials_by_carc": {},
    }
    console = Console(width=80, record=True)  # an 80-column terminal
    monkeypatch.setattr(output, "out", console)
    monkeypatch.setattr(ledger_cmds, "out", console)
    with console.capture() as captured:
        ledger_cmds.render_report(data)
    text = captured.get()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    # Every figure whole: paid and expected, A/R and its buckets, for both rows, and the
    # expected-vs-paid line's two.
    assert text.count("2,898,296.12") == 2 * 2 + 2 * (1 + len(BUCKETS)) + 2
    assert text.count("commercial-blue-cross-blue-shield") >= 2  # each split table names it


def test_a_summary_cut_to_a_screen_says_how_many_more() -> None:
    """ack-apply of a 277CA rejecting 674 claims listed 20 and stopped, as if there were 20."""
    from ptbill.cli.ledger_cmds import some_lines

    lines = [f"rejected V-{i}" for i in range(25)]
    shown = some_lines(lines, "see `ptbill worklist --kind rejection`")
    assert shown[:2] == ["  rejected V-0", "  rejected V-1"] and len(shown) == 21
    assert shown[-1] == "  ... and 5 more (see `ptbill worklist --kind rejection`)"
    assert some_lines(lines[:20], "x") == [f"  rejected V-{i}" for i in range(20)]
