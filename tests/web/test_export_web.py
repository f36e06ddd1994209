"""The export over HTTP (`GET /api/v1/export`) and the Export page: the same rows as
`ptbill export`, streamed, for any signed-in role (#14 item 7)."""

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
from ptbill.reports.export_names import WHATS
from tests.web.conftest import MakeBench, Workbench


def _cli_export(bench: Workbench, tmp_path: Path, *args: str) -> str:
    out = tmp_path / "cli.out"
    r = CliRunner().invoke(
        cli,
        ["--db", str(bench.db), "export", *args, "-o", str(out)],
        obj={},
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    return out.read_bytes().decode("utf-8")  # as written: CSV lines end in CRLF


def _patient_pays(bench: Workbench) -> dict[str, Any]:
    """A patient who owes pays 2.00 of it in cash (through the API); that patient."""
    listed = bench.get("/api/v1/balances?limit=200").json()["patients"]
    p = next(p for p in listed if Decimal(p["balance"]) > 2)
    body = {"amount": "2.00", "method": "cash"}
    assert bench.post(f"/api/v1/patients/{p['id']}/payments", json=body).status_code == 201
    return p


@pytest.mark.parametrize("what", WHATS)
def test_the_api_streams_what_the_command_line_writes(
    make_bench: MakeBench, tmp_path: Path, what: str
) -> None:
    bench = make_bench("posted")
    if what == "patient-transactions":  # the demo's patients have paid nothing yet
        _patient_pays(bench)
    for fmt in ("csv", "jsonl"):
        with bench.client.stream(
            "GET",
            f"/api/v1/export?what={what}&format={fmt}",
            headers=bench.as_role("viewer"),
        ) as r:
            assert r.status_code == 200
            body = "".join(r.iter_text())
        assert r.headers["content-type"].startswith(
            "text/csv" if fmt == "csv" else "application/x-ndjson"
        )
        assert r.headers["content-disposition"] == f'attachment; filename="ptbill-{what}.{fmt}"'
        assert body == _cli_export(bench, tmp_path, "--what", what, "--format", fmt)
    records = [json.loads(line) for line in body.splitlines()]
    assert records


def test_the_api_exports_per_clinic_and_date_and_refuses_an_unknown_clinic(
    bench: Workbench,
) -> None:
    every = bench.get("/api/v1/export?what=claims&format=jsonl").text.splitlines()
    dates = sorted({json.loads(x)["date_of_service"] for x in every})
    since, until = dates[1], dates[-2]
    some = bench.get(
        f"/api/v1/export?what=claims&format=csv&clinic=elm-street-pt&since={since}&until={until}"
    )
    rows = list(csv.DictReader(io.StringIO(some.text)))
    assert rows and {r["clinic"] for r in rows} == {"elm-street-pt"}
    assert all(since <= r["date_of_service"] <= until for r in rows)
    assert len(rows) < len(every)
    r = bench.get("/api/v1/export?what=claims&clinic=nowhere")
    assert r.status_code == 422 and "no clinic 'nowhere'" in r.json()["error"]["problem"]
    assert bench.get("/api/v1/export?what=everything").status_code == 422
    assert bench.get("/api/v1/export?what=claims", role=None).status_code == 401


def test_the_export_page_downloads_the_export(bench: Workbench, tmp_path: Path) -> None:
    p = _patient_pays(bench)
    bench.login("viewer")
    page = bench.client.get("/export")
    assert page.status_code == 200
    assert 'action="/export/download"' in page.text and 'value="elm-street-pt"' in page.text
    assert 'value="patient-transactions"' in page.text
    money = bench.client.get("/export/download?what=patient-transactions&format=csv")
    assert money.status_code == 200, money.text[:300]
    (row,) = csv.DictReader(io.StringIO(money.text))
    assert (row["patient"], row["kind"], row["method"]) == (p["patient_id"], "payment", "cash")
    assert row["amount"] == row["collected"] == "2.00" and row["applied_to"].endswith(" 2.00")
    assert money.text == _cli_export(bench, tmp_path, "--what", "patient-transactions")
    got = bench.client.get("/export/download?what=work-items&format=csv&clinic=&since=&until=")
    assert got.status_code == 200, got.text[:300]
    assert got.text == _cli_export(bench, tmp_path, "--what", "work-items")
    bad = bench.client.get("/export/download?what=claims&clinic=nowhere")
    assert bad.status_code == 422 and "no clinic" in bad.text
