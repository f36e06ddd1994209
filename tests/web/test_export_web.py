"""The export over HTTP (`GET /api/v1/export`) and the Export page: the same rows as
`ptbill export`, streamed, for any signed-in role (#14 item 7)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

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


@pytest.mark.parametrize("what", WHATS)
def test_the_api_streams_what_the_command_line_writes(
    make_bench: MakeBench, tmp_path: Path, what: str
) -> None:
    bench = make_bench("posted")
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
    bench.login("viewer")
    page = bench.client.get("/export")
    assert page.status_code == 200
    assert 'action="/export/download"' in page.text and 'value="elm-street-pt"' in page.text
    got = bench.client.get("/export/download?what=work-items&format=csv&clinic=&since=&until=")
    assert got.status_code == 200, got.text[:300]
    assert got.text == _cli_export(bench, tmp_path, "--what", "work-items")
    bad = bench.client.get("/export/download?what=claims&clinic=nowhere")
    assert bad.status_code == 422 and "no clinic" in bad.text
