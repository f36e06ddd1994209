"""`ptbill worklist` filtered and grouped (plain text when piped, CSV, claim ids, JSON), and the
bulk actions it feeds: `ptbill worklist ... --format ids | ptbill writeoff --from-stdin`."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from ptbill.cli.main import cli
from ptbill.config.profiles import bundled_demo_config_text
from ptbill.demo.workbench import build_demo_ledger
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), obj={}, input=stdin, catch_exceptions=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-worklist")
    build_demo_ledger(f"sqlite:///{folder / 'ledger.db'}", folder, visits=120, seed=7)
    return folder / "ledger.db"


@pytest.fixture
def db(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "ledger.db"
    path.write_bytes(template.read_bytes())
    return str(path)


def _states(db: str, numbers: list[str]) -> dict[str, str]:
    with Ledger(db) as ledger, ledger.transaction() as s:
        return dict(
            s.execute(
                select(m.Claim.claim_number, m.Claim.state).where(m.Claim.claim_number.in_(numbers))
            ).all()
        )


def test_the_worklist_has_headings_a_summary_and_its_items(db: str) -> None:
    items = json.loads(run("--db", db, "worklist", "--json").output)
    r = run("--db", db, "worklist", "--limit", "5")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    claims = len({i["claim_id"] for i in items if i["kind"] != "unmatched"})
    assert lines[0].startswith("Worklist as of ")
    assert f": {len(items)} open item(s) on {claims} claim(s)" in lines[0]
    assert "By denial reason:" in lines and "\x1b[" not in r.output  # plain text in a pipe
    assert f"5 of {len(items)} items, earliest deadline first:" in lines
    table = lines[lines.index(f"5 of {len(items)} items, earliest deadline first:") + 1 :]
    assert table[0].split() == ["Item", "Due", "Claim", "Payer", "Kind", "Category"] + [
        "Rule/CARC",
        "Amount",
        "Action",
    ]
    rows = [row.split() for row in table[1:]]  # the id (for `ptbill resolve`), due, claim
    assert [(int(r[0]), r[2 if "overdue" not in r else 3]) for r in rows] == [
        (i["id"], i["claim_id"]) for i in items[:5]
    ]


def test_filters_groups_and_csv(db: str) -> None:
    items = json.loads(run("--db", db, "worklist", "--json").output)
    groups = json.loads(run("--db", db, "worklist", "--group-by", "rule", "--json").output)
    blocked = [g for g in groups if g["key"]["kind"] == "blocked"]
    assert sum(g["count"] for g in groups) == len(items) and blocked
    rule = blocked[0]["key"]["rule"]
    chosen = [i for i in items if i["rule"] == rule]
    r = run("--db", db, "worklist", "--kind", "blocked", "--rule", rule, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [int(row["id"]) for row in rows] == [i["id"] for i in chosen]
    assert {row["rule"] for row in rows} == {rule} and rows[0]["amount"] == str(chosen[0]["amount"])
    payer = chosen[0]["payer"]
    r = run("--db", db, "worklist", "--payer", payer, "--due", "later", "--json")
    assert {i["payer"] for i in json.loads(r.output)} <= {payer}
    r = run("--db", db, "worklist", "--group-by", "payer", "--format", "csv")
    by_payer = list(csv.DictReader(io.StringIO(r.output)))
    assert sum(int(g["count"]) for g in by_payer) == len(items)
    assert set(by_payer[0]) == {"payer", "count", "claims", "amount", "overdue", "version"}
    r = run("--db", db, "worklist", "--group-by", "kind")
    assert "By kind:" in r.output and "Due" not in r.output  # the groups only
    r = run("--db", db, "worklist", "--due", "soon")
    assert r.exit_code == 2 and "soon" in r.output


# Denials with money still owed by the payer (a PR-119 denial's balance is the patient's:
# its write-off is refused, test_actions).
PAYER_DENIALS = ("--kind", "denial", "--category", "medical_necessity")


def test_the_pipe_to_a_bulk_write_off(db: str) -> None:
    items = json.loads(run("--db", db, "worklist", *PAYER_DENIALS, "--json").output)
    ids = run("--db", db, "worklist", *PAYER_DENIALS, "--format", "ids", "--limit", "4")
    numbers = ids.output.split()
    assert numbers == list(dict.fromkeys(i["claim_id"] for i in items[:4]))
    r = run("--db", db, "writeoff", "--from-stdin", "--reason", "small balance", stdin=ids.output)
    assert r.exit_code == 0, r.output
    for n in numbers:
        assert f"done     {n}: wrote off " in r.output
    assert f"writeoff: {len(numbers)} done, 0 refused, 0 failed" in r.output
    assert set(_states(db, numbers).values()) == {"closed"}
    # Again, with a claim id the ledger does not know: each is refused; exit 1.
    again = run(
        "--db",
        db,
        "writeoff",
        "--from-stdin",
        "--reason",
        "again",
        "--json",
        stdin=ids.output + "\nV-NOPE\n",
    )
    assert again.exit_code == 1
    answer = json.loads(again.output)
    assert (answer["done"], answer["refused"]) == (0, len(numbers) + 1)
    assert "no such claim" in answer["claims"][-1]["detail"]


def test_a_list_of_ids_saved_on_windows_is_read_as_any(db: str) -> None:
    """A file of ids saved by Notepad or a spreadsheet (a byte-order mark, CRLF line ends) and
    given on standard input: each id is the claim it names."""
    numbers = run("--db", db, "worklist", *PAYER_DENIALS, "--format", "ids").output.split()
    r = run(
        "--db",
        db,
        "writeoff",
        "--from-stdin",
        "--reason",
        "small balance",
        "--json",
        stdin="\ufeff" + "\r\n".join(numbers[:2]) + "\r\n",
    )
    answer = json.loads(r.output)
    assert [c["claim_id"] for c in answer["claims"]] == numbers[:2]
    assert (r.exit_code, answer["done"]) == (0, 2), r.output


def test_bad_input_to_a_bulk_action_changes_nothing(db: str) -> None:
    numbers = run("--db", db, "worklist", "--kind", "denial", "--format", "ids").output.split()
    r = run(
        "--db", db, "writeoff", "--from-stdin", "--reason", "x", stdin=f"{numbers[0]}\nnot one\n"
    )
    assert r.exit_code == 2 and "line 2" in r.output and "nothing was done" in r.output
    assert _states(db, numbers[:1])[numbers[0]] != "closed"
    r = run("--db", db, "writeoff", numbers[0], "--from-stdin", "--reason", "x")
    assert r.exit_code == 2 and "not both" in r.output
    r = run("--db", db, "correct")
    assert r.exit_code == 2


def test_a_real_shell_pipe(db: str) -> None:
    """The two commands as a shell runs them, each its own process."""
    ptbill = f"{sys.executable} -m ptbill --db {db}"
    done = subprocess.run(
        [
            "sh",
            "-c",
            f"{ptbill} worklist --kind blocked --format ids --limit 3 "
            f"| {ptbill} rescrub --from-stdin --json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PTBILL_USER": "pipe-test"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["action"] == "rescrub" and answer["done"] == len(answer["claims"]) >= 1
    with Ledger(db) as ledger, ledger.transaction() as s:
        whos = s.scalars(
            select(m.AuditEntry.who).where(m.AuditEntry.why.like("scrubbed again as of %"))
        ).all()
    assert whos and set(whos) == {"pipe-test"}


def test_clinic_narrows_the_worklist_and_its_bulk_actions(db: str) -> None:
    """--clinic is every ledger command's: the worklist lists that clinic's items only, and a
    bulk action given another clinic's claim refuses it as not found (the others are done)."""
    items = json.loads(run("--db", db, "worklist", "--json").output)
    elm = json.loads(run("--db", db, "worklist", "--json", "--clinic", "elm-street-pt").output)
    assert elm and {i["clinic"] for i in elm} == {"elm-street-pt"}
    assert {i["id"] for i in elm} == {i["id"] for i in items if i["clinic"] == "elm-street-pt"}
    mine = run("--db", db, "worklist", "--kind", "blocked", "--clinic", "elm-street-pt")
    assert mine.exit_code == 0 and "oak-avenue-pt" not in mine.output
    ids = "--format", "ids", "--kind", "blocked", "--limit", "1"
    ours = run("--db", db, "worklist", *ids, "--clinic", "elm-street-pt").output.split()
    theirs = run("--db", db, "worklist", *ids, "--clinic", "oak-avenue-pt").output.split()
    numbers = ours + theirs
    before = _states(db, numbers)
    r = run(
        "--db",
        db,
        "writeoff",
        "--from-stdin",
        "--clinic",
        "elm-street-pt",
        "--reason",
        "filing limit passed",
        stdin="\n".join(numbers) + "\n",
    )
    assert r.exit_code == 1
    assert f"no claim {theirs[0]!r} at elm-street-pt" in r.output
    after = _states(db, numbers)
    assert after[ours[0]] == "closed"
    assert after[theirs[0]] == before[theirs[0]]


@pytest.mark.parametrize("width", [80, 60])
def test_on_a_narrow_terminal_no_amount_is_cut(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    """The tables are wider than the terminal: their cells fold, but an amount stays whole on
    one line ("1,234,5" over "67.89" reads as two figures), and nothing runs off the edge."""
    import datetime as dt
    from decimal import Decimal

    from rich.console import Console

    from ptbill.cli import work_cmds
    from ptbill.remit.worklist import WorkFilter

    big = Decimal("1234567.89")
    item = {
        "id": 123456,
        "due_date": dt.date(2024, 4, 9),
        "overdue": True,
        "claim_id": "V-2025-000517",
        "payer": "commercial-blue-cross",
        "kind": "underpayment",
        "category": "medical_necessity",
        "rule": "DX-EXTERNAL-CAUSE-FIRST",
        "carc": None,
        "rarc": None,
        "amount": big,
        "action": "request_more_visits",
        "detail": "",
    }
    group = {
        "key": {"kind": "underpayment", "category": "medical_necessity", "carc": "45"},
        "count": 20,
        "claims": 20,
        "amount": big,
        "overdue": 1,
    }
    whole = {"count": 1, "claims": 1, "amount": big, "overdue": 1}
    console = Console(width=width, force_terminal=True, color_system=None)
    monkeypatch.setattr(work_cmds, "out", console)
    with console.capture() as captured:
        work_cmds._print_text(
            whole, dt.date(2025, 4, 30), WorkFilter(), [group], None, [item], False
        )
    lines = captured.get().splitlines()
    assert max(len(line) for line in lines) <= width and not any("…" in line for line in lines)
    assert sum("1,234,567.89" in line for line in lines) == 3  # heading, group, item


def test_a_filter_that_can_select_nothing_is_refused(db: str, tmp_path: Path) -> None:
    """A payer no profile knows, or --since after --until, used to list nothing (exit 0): a
    typo read as 'no work'. Refused, exit 2, naming the option and the fix."""
    r = run("--db", db, "worklist", "--payer", "medicar")
    assert r.exit_code == 2
    assert "error: --payer: no payer profile 'medicar'. Fix: use one of: " in r.output
    assert "medicare" in r.output and "medigap" in r.output
    assert run("--db", db, "worklist", "--payer", "medicare").exit_code == 0
    assert run("--db", db, "worklist", "--payer", "-").exit_code == 0  # the items of no payer
    r = run("--db", db, "worklist", "--since", "2025-03-10", "--until", "2025-03-01")
    assert r.exit_code == 2
    assert r.output.startswith(
        "error: --since: 2025-03-10 is after --until 2025-03-01: no item can be in between. "
        "Fix: give a --since on or before the --until"
    )
    day = run("--db", db, "worklist", "--since", "2025-03-10", "--until", "2025-03-10")
    assert day.exit_code == 0


def test_a_clinic_the_ledger_does_not_have_is_said_once(db: str, tmp_path: Path) -> None:
    """The --clinic message says what is wrong and the fix once: not 'clinic: --clinic:', and
    a clinic of the configuration not imported yet is not 'no clinic'."""
    r = run("--db", db, "worklist", "--clinic", "nowhere")
    assert r.exit_code == 2
    assert r.output.startswith(
        "error: --clinic: no clinic 'nowhere'. Fix: use one of: elm-street-pt, oak-avenue-pt"
    )
    demo = bundled_demo_config_text()
    oak = re.search(r"^\[clinics\.oak-avenue-pt\].*?(?=^\[(?!clinics\.oak)|\Z)", demo, re.M | re.S)
    assert oak is not None
    config = tmp_path / "three.toml"
    config.write_text(demo + "\n" + oak.group(0).replace("oak-avenue-pt", "pine-pt"))
    r = run("--config", str(config), "--db", db, "worklist", "--clinic", "pine-pt")
    assert r.exit_code == 2
    assert r.output.startswith(
        "error: --clinic: clinic 'pine-pt' is configured but has nothing in the ledger yet. "
        "Fix: import its visits first"
    )


def test_an_action_that_does_not_apply_is_refused_with_a_fix_that_helps(db: str) -> None:
    """An appeal of a blocked claim (never sent: nothing to appeal) is refused per claim; its
    fix points at the claim's story, whose work items say what it needs, not at `ptbill
    report` (which shows no claim's state)."""
    ids = ("--kind", "blocked", "--format", "ids", "--limit", "1")
    [number] = run("--db", db, "worklist", *ids).output.split()
    r = run("--db", db, "appeal", "--from-stdin", stdin=f"{number}\n")
    assert r.exit_code == 1
    assert f"Fix: its work items say what it needs: `ptbill show {number}`" in r.output
    assert "ptbill report" not in r.output
