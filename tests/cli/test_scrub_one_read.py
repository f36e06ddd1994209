"""`ptbill scrub --json` reads its input once (ptbill.cli.visits.claims_in_one_read): each visit
validated and scrubbed in one go, the output held until the whole input has read. What that
must not change: a bad visit anywhere prints nothing; a duplicate met late is found in the
visits before it; the as-of date is the one the whole input's clinics give."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli import visits
from ptbill.cli.main import cli
from ptbill.config import load_config
from tests.ledger.helpers import medicare_visit, write_visits


def run(*args: str) -> tuple[int, bytes, str]:
    r = CliRunner(env={"PTBILL_TODAY": "2025-03-10"}).invoke(cli, list(args), obj={})
    return r.exit_code, r.stdout_bytes, r.stderr


@pytest.mark.parametrize("output", ["--json", "--jsonl"])
def test_a_bad_visit_after_many_good_ones_prints_nothing(tmp_path: Path, output: str) -> None:
    good = [medicare_visit(f"V-{i}", patient=f"P-{i}") for i in range(300)]
    path = write_visits(tmp_path / "v.jsonl", good)
    code, written, _ = run("scrub", output, path)
    assert code == 0 and len(written) > 64 * 1024  # more than the writer holds before it writes
    bad = medicare_visit("V-BAD", patient="P-BAD", payer="nobody")
    path = write_visits(tmp_path / "v.jsonl", [*good, bad])
    code, written, err = run("scrub", output, path)
    assert code == 2 and written == b""
    assert "V-BAD" in err and "payer" in err


def test_a_duplicate_met_late_is_found_in_the_visit_before_it(tmp_path: Path) -> None:
    first = medicare_visit("V-0", patient="P-0")
    others = [medicare_visit(f"V-{i}", patient=f"P-{i}") for i in range(1, 50)]
    path = write_visits(tmp_path / "v.jsonl", [first, *others, first])
    code, written, _ = run("scrub", "--jsonl", path)
    records = [json.loads(line) for line in written.splitlines()]
    assert code == 1 and len(records) == 51
    flagged = [
        r["visit_id"] for r in records if any(f["rule"] == "DUP-IN-BATCH" for f in r["findings"])
    ]
    assert flagged == ["V-0", "V-0"]


def _scrubbed(items: list[visits.ClaimItem]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (x.visit.visit_id, x.scrub.status, tuple(f.rule for f in x.scrub.findings)) for x in items
    ]


@pytest.mark.parametrize("second_clinic", ["elm-street-pt", "oak-avenue-pt"])
def test_the_as_of_date_is_the_whole_inputs(tmp_path: Path, second_clinic: str) -> None:
    """Today is the only clinic's; with two clinics, the company's (here a later day, past a
    commercial visit's filing limit): the claims made for the first clinic's day are made
    again."""
    dos = dt.date(2024, 12, 1)
    late = medicare_visit("V-1", patient="P-1", dos=dos, payer="commercial")
    other = medicare_visit("V-2", patient="P-2", dos=dos, payer="commercial")
    other["clinic"] = second_clinic
    path = write_visits(tmp_path / "v.jsonl", [late, other])
    config = load_config()
    asked: list[set[str | None]] = []

    def as_of_for(clinics: set[str | None]) -> dt.date:
        asked.append(set(clinics))
        return dos + dt.timedelta(days=10 if clinics == {"elm-street-pt"} else 400)

    restarts: list[int] = []
    made = list(
        visits.claims_in_one_read(
            (path,), config, None, as_of_for, lambda: restarts.append(1), priced=False
        )
    )
    two = second_clinic != "elm-street-pt"
    assert len(restarts) == (1 if two else 0)
    day = as_of_for({"elm-street-pt", second_clinic})
    found = visits.check((path,), config)
    expected = list(visits.claims(found, day, lambda n: None, priced=False))
    assert _scrubbed(made[-2:]) == _scrubbed(expected)
    rules = {f.rule for f in made[-2].scrub.findings}
    assert ("TIMELY-FILING" in rules) == two, rules
