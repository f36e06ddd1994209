"""The batch commands write as they go: --jsonl is --json a line at a time, CSV reads back to
the same values, and memory does not grow with the input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from tests.ledger.helpers import medicare_visit, write_visits


def run(*args: str) -> tuple[int, str]:
    env = {"PTBILL_TODAY": "2025-03-10", "COLUMNS": "200"}
    r = CliRunner(env=env).invoke(cli, list(args), obj={})
    return r.exit_code, r.stdout


def _visits(tmp_path: Path, n: int, name: str = "v.jsonl") -> str:
    """n clean visits, each its own patient; every fifth without a diagnosis (blocked)."""
    return write_visits(
        tmp_path / name,
        [
            medicare_visit(f"V-{i}", patient=f"P-{i}", **({"diagnoses": []} if i % 5 == 0 else {}))
            for i in range(n)
        ],
    )


@pytest.mark.parametrize("command", ["code", "scrub", "price"])
def test_jsonl_is_the_json_a_line_at_a_time(tmp_path: Path, command: str) -> None:
    path = _visits(tmp_path, 12)
    code, document = run(command, path, "--json")
    code_l, lines = run(command, path, "--jsonl")
    assert code == code_l and code in (0, 1)
    records = json.loads(document)
    assert len(records) == 12 and [json.loads(x) for x in lines.splitlines()] == records
    # --json is one document, indented as json.dumps(..., indent=2) writes it.
    assert document == json.dumps(records, indent=2) + "\n"


def test_price_csv_reads_back_to_the_json_values(tmp_path: Path) -> None:
    path = _visits(tmp_path, 6)
    _, document = run("price", path, "--json")
    _, text = run("price", path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    lines = [(v, x) for v in json.loads(document) for x in v["lines"]]
    assert len(rows) == len(lines)
    for row, (visit, line) in zip(rows, lines, strict=True):
        assert row["visit_id"] == visit["visit_id"] and row["code"] == line["code"]
        assert int(row["units"]) == line["units"]
        for money in ("charge", "allowed", "expected_payment", "patient_responsibility"):
            assert (Decimal(row[money]) if row[money] else None) == (
                Decimal(line[money]) if line[money] is not None else None
            )


def test_the_summary_counts_ready_and_blocked_by_category(tmp_path: Path) -> None:
    code, text = run("scrub", _visits(tmp_path, 10))
    assert code == 1
    assert "10 visits as of 2025-03-10 (today in America/Chicago): 8 ready, 2 blocked" in text
    assert "blocked by category:" in text and "DX-MISSING 2" in text
    assert "20 billed lines, 30 units, charges $1,430.00" in text  # 10 x 97110 x2 + 97140 x1
    code, text = run("scrub", _visits(tmp_path, 10), "--quiet")
    assert "ready" not in text


# The child's own high-water mark (VmHWM: ru_maxrss would carry the parent's peak over
# through fork and exec on Linux).
_PEAK = """
import sys
from ptbill.cli.main import cli
try:
    cli(sys.argv[1:], obj={})
except SystemExit:
    pass
with open("/proc/self/status") as f:
    sys.stderr.write(next(x.split()[1] for x in f if x.startswith("VmHWM:")))
"""


def _peak_kb(*args: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={"PTBILL_TODAY": "2025-03-10", "PATH": ""},
        check=False,
    )
    return int(done.stderr.decode().strip().splitlines()[-1])


@pytest.mark.parametrize("command", [["scrub", "--jsonl"], ["price", "--json"], ["code"]])
def test_memory_does_not_grow_with_the_input(tmp_path: Path, command: list[str]) -> None:
    small, large = _visits(tmp_path, 1_000, "small.jsonl"), _visits(tmp_path, 5_000, "large.jsonl")
    grown = _peak_kb(command[0], large, *command[1:]) - _peak_kb(command[0], small, *command[1:])
    # Holding the results would cost tens of KB a visit (4,000 more: over 100 MB); streamed,
    # the difference is the allocator's noise and the run's few small tables.
    assert grown < 25_000, f"{grown} KB more for 4,000 more visits"
