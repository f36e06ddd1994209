"""Every `--format csv` (worklist, its groups, report, price, remit) reads back to the values of
the same command's --json: each cell, parsed, equals the JSON's value (money as a decimal,
counts as integers, null as an empty cell); nothing is cut or formatted for people."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.demo.workbench import build_demo_ledger
from ptbill.reports.report_csv import BREAKDOWNS
from ptbill.x12.synthetic import synthetic_835
from tests.ledger.helpers import medicare_visit, write_visits

ENV = {"PTBILL_TODAY": "2026-03-20", "COLUMNS": "60"}


def run(*args: str) -> str:
    r = CliRunner(env=ENV).invoke(cli, list(args), obj={}, catch_exceptions=False)
    assert r.exit_code in (0, 1), r.output
    return r.stdout


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def parsed(cell: str, like: Any) -> Any:
    """A CSV cell read as the type its JSON value has (a decimal string stays exact)."""
    if cell == "" and like is None:
        return None
    if isinstance(like, bool):
        return {"true": True, "false": False}[cell]
    if isinstance(like, int):
        return int(cell)
    if isinstance(like, list):
        return cell.split(" ") if cell else []
    if isinstance(like, str) and _decimal(like) is not None:
        return Decimal(cell)
    return cell


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def same(row: dict[str, str], record: dict[str, Any]) -> None:
    """Every column of `row` that the JSON record has holds the record's value."""
    shared = [c for c in row if c in record]
    assert shared, "no column in common"
    for c in shared:
        want = record[c]
        want = Decimal(want) if isinstance(want, str) and _decimal(want) is not None else want
        if isinstance(want, list):
            want = [str(x) for x in want]
        assert parsed(row[c], record[c]) == want, (c, row[c], record[c])


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("csv-ledger")
    build_demo_ledger(f"sqlite:///{folder / 'ledger.db'}", folder, visits=120, seed=7)
    return str(folder / "ledger.db")


def test_worklist_items_and_groups(ledger: str) -> None:
    items = json.loads(run("--db", ledger, "worklist", "--json"))
    rows = rows_of(run("--db", ledger, "worklist", "--format", "csv"))
    assert len(rows) == len(items) > 10
    assert {i["overdue"] for i in items} == {True, False}  # both read back
    for row, item in zip(rows, items, strict=True):
        same(row, item)
    for by in ("reason", "payer"):
        groups = json.loads(run("--db", ledger, "worklist", "--group-by", by, "--json"))
        rows = rows_of(run("--db", ledger, "worklist", "--group-by", by, "--format", "csv"))
        assert len(rows) == len(groups) > 1
        for row, group in zip(rows, groups, strict=True):
            same(row, {**group["key"], **group})


def _unflatten(rows: list[dict[str, str]]) -> dict[tuple[str, str, str, str], str]:
    return {(r["section"], r["name"], r["metric"], r["item"]): r["value"] for r in rows}


def _leaves(report: dict[str, Any]) -> dict[tuple[str, str, str, str], Any]:
    """The JSON report's numbers, keyed as the CSV's columns name them: a breakdown's keys go
    to `item`, a fixed group's fields to the metric."""
    out: dict[tuple[str, str, str, str], Any] = {}

    def add(section: str, name: str, metrics: dict[str, Any]) -> None:
        for metric, value in metrics.items():
            if metric in BREAKDOWNS:
                for item, v in value.items():
                    if isinstance(v, dict):
                        for field, x in v.items():
                            out[(section, name, f"{metric}.{field}", item)] = x
                    else:
                        out[(section, name, metric, item)] = v
            elif isinstance(value, dict):
                for field, x in value.items():
                    out[(section, name, f"{metric}.{field}", "")] = x
            else:
                out[(section, name, metric, "")] = value

    add("overall", "", {k: v for k, v in report.items() if k not in ("payers", "clinics", "as_of")})
    for name, metrics in report["payers"].items():
        add("payer", name, metrics)
    for name, metrics in report["clinics"].items():
        add("clinic", name, metrics)
    return out


def test_report_is_every_number_of_the_json_a_row_each(ledger: str) -> None:
    report = json.loads(run("--db", ledger, "report", "--json"))
    text = run("--db", ledger, "report", "--format", "csv")
    rows = rows_of(text)
    assert list(rows[0]) == ["as_of", "section", "name", "metric", "item", "value"]
    assert {r["as_of"] for r in rows} == {report["as_of"]}
    cells = _unflatten(rows)
    assert len(cells) == len(rows)  # each number once
    leaves = _leaves(report)
    assert set(cells) == set(leaves)
    for key, value in leaves.items():
        assert parsed(cells[key], value) == (Decimal(value) if isinstance(value, str) else value), (
            key
        )
    # Money is a plain decimal, never cut or formatted for people (the human report's $1,234.50).
    paid = cells[("overall", "", "paid_total", "")]
    assert Decimal(paid) > 1000 and "," not in paid and "$" not in paid and "…" not in text
    assert {r["section"] for r in rows} == {"overall", "payer", "clinic"}
    assert cells[("overall", "", "ar_aging", "0-30")] == report["ar_aging"]["0-30"]


def test_report_csv_of_one_clinic_is_its_json(ledger: str) -> None:
    clinic = sorted(json.loads(run("--db", ledger, "report", "--json"))["clinics"])[0]
    report = json.loads(run("--db", ledger, "report", "--json", "--clinic", clinic))
    rows = rows_of(run("--db", ledger, "report", "--format", "csv", "--clinic", clinic))
    assert {r["name"] for r in rows if r["section"] == "clinic"} == {clinic}
    assert set(_unflatten(rows)) == set(_leaves(report))


def test_price_rows_are_the_json_lines(tmp_path: Path) -> None:
    visits = [medicare_visit(f"V-{i}", patient=f"P-{i}") for i in range(5)]
    path = write_visits(tmp_path / "v.jsonl", visits)
    priced = json.loads(run("price", path, "--json"))
    rows = rows_of(run("price", path, "--format", "csv"))
    lines = [(v, x) for v in priced for x in v["lines"]]
    assert len(rows) == len(lines) > 5
    for row, (visit, line) in zip(rows, lines, strict=True):
        assert row["visit_id"] == visit["visit_id"]
        same(row, line)


def test_remit_claims_are_the_json_claims(tmp_path: Path) -> None:
    path = tmp_path / "r.835"
    path.write_text(synthetic_835(60, claims_per_payment=25), encoding="ascii")
    payments = json.loads(run("remit", str(path), "--json"))
    rows = rows_of(run("remit", str(path), "--format", "csv"))
    claims = [(p, c) for p in payments for c in p["claims"]]
    assert len(rows) == len(claims) == 60 and len(payments) == 3
    for row, (payment, claim) in zip(rows, claims, strict=True):
        same(row, {k: v for k, v in claim.items() if not isinstance(v, list)})
        assert row["trace_number"] == payment["trace_number"]
        assert int(row["lines"]) == len(claim["lines"])


def test_text_a_spreadsheet_would_run_is_written_as_text(tmp_path: Path) -> None:
    # OWASP "CSV injection": a cell starting with = + - @ is a formula to Excel, LibreOffice
    # and Google Sheets. The visit id comes from the EMR; written with a leading apostrophe it
    # is text to them. Numbers (negative money) stay numbers.
    visits = [medicare_visit("=1+2"), medicare_visit("@SUM(A1)", patient="P-2")]
    path = write_visits(tmp_path / "v.jsonl", visits)
    rows = rows_of(run("price", path, "--format", "csv"))
    assert {r["visit_id"] for r in rows} == {"'=1+2", "'@SUM(A1)"}
    assert all(r["visit_id"] for r in rows)


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 Main St", "'+1 Main St"),
        ("-cmd", "'-cmd"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("-16.00", "-16.00"),
        ("+5", "+5"),
        ("Smith", "Smith"),
        ("", ""),
    ],
)
def test_every_csv_writer_makes_formulas_text(text: str, cell: str) -> None:
    from ptbill.cli.output import csv_cell
    from ptbill.ledger.balances import BUCKETS
    from ptbill.reports.export import _cell
    from ptbill.reports.statements import to_csv

    assert csv_cell(text) == cell and _cell(text) == cell
    page = {
        "patient_id": "P-1", "name": text, "statement_date": "2025-04-24", "step": "first",
        "balance": "16.00", "aging": {name: "0" for name, _ in BUCKETS},
        "pay_by": "2025-05-24", "visits": [],
        "address": {"line1": text, "city": "Springfield", "state": "IL", "zip": "62704"},
    }  # fmt: skip
    [row] = rows_of(to_csv([(page, None)]))
    assert row["name"] == cell and row["address_line1"] == cell
