"""The workbench imports every intake format: the API (format recognised, or given) and the
worklist page's form."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ptbill.config import load_config
from ptbill.domain.visit import Visit
from ptbill.intake import csv_charges, fhir_export, hl7v2_export
from tests.web.conftest import MakeBench

WRITERS = {"fhir": fhir_export.write, "hl7": hl7v2_export.write, "csv": csv_charges.write}
NAMES = {"fhir": "visits.json", "hl7": "visits.hl7", "csv": "visits.csv"}


def _visits(bench: object, fmt: str) -> list[Visit]:
    out = []
    for n, d in enumerate(bench.templates.visits[:2]):  # type: ignore[attr-defined]
        d = copy.deepcopy(d)
        d["visit_id"] = f"V-UP-{fmt}-{n}"
        out.append(Visit.model_validate(d))
    return out


def test_the_api_imports_fhir_hl7_and_csv(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    for fmt, write in WRITERS.items():
        text = write(_visits(bench, fmt), load_config(None))
        given = "" if fmt == "hl7" else f"?format={fmt}"  # HL7 recognised from its content
        r = bench.post(
            f"/api/v1/visits{given}", files={"file": (NAMES[fmt], text.encode(), "text/plain")}
        )
        job = bench.job(r)
        assert job["state"] == "done", job
        assert job["result"]["read"] == 2 and job["result"]["new"] == 2, fmt
        assert job["params"]["format"] == (None if fmt == "hl7" else fmt)
        assert bench.get(f"/api/v1/visits/V-UP-{fmt}-0").status_code == 200


def test_a_bad_hl7_upload_names_the_message_and_segment(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    text = hl7v2_export.write(_visits(bench, "hl7"), load_config(None)).replace("|CG|", "|CD|", 1)
    r = bench.post("/api/v1/visits", files={"file": ("bad.hl7", text.encode(), "text/plain")})
    job = bench.job(r)
    assert job["state"] == "failed"
    body = json.dumps(job["errors"])
    assert "message 1 (DEMO00000001), FT1[1]-6" in body and "not a charge" in body
    assert bench.get("/api/v1/visits/V-UP-hl7-1").status_code == 404  # nothing of the file


def test_the_page_form_imports_a_csv_export(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("biller")
    text = csv_charges.write(_visits(bench, "csv"), load_config(None))
    page = bench.client.get("/worklist").text
    form = page.split('action="/visits/import"', 1)[1].split("</form>", 1)[0]
    assert 'name="format"' in form and "HL7 v2" in form and ".csv" in form
    r = bench.client.post(
        "/visits/import",
        files={"file": ("export.csv", text.encode(), "text/csv")},
        data={"csrf_token": bench.csrf(), "format": "csv"},
    )
    assert "done" in bench.job_page(r).text
    assert bench.get("/api/v1/visits/V-UP-csv-1").status_code == 200


@pytest.mark.parametrize(
    # the second's ISA16 is '|', a CSV separator: still a 999, not a CSV charge export
    "name",
    ["999-greenriver-ncdma-rejected.txt", "999-herophilus-accepted.txt"],
)
def test_an_x12_file_uploaded_as_visits_is_named_with_where_it_goes(
    make_bench: MakeBench, name: str
) -> None:
    bench = make_bench("posted")
    corpus = Path(__file__).resolve().parents[2] / ".." / "shared" / "x12-corpus"
    text = (corpus / name).read_bytes()
    r = bench.post("/api/v1/visits", files={"file": ("answer.txt", text, "text/plain")})
    assert r.status_code == 422, r.text
    body = json.dumps(r.json())
    assert "this is a 999 acknowledgment, not a visit file" in body
    assert "Acknowledgements page" in body  # where the workbench takes it, not a command


def test_an_upload_fails_as_the_command_line_fails_on_a_workbook_or_windows_text(
    make_bench: MakeBench,
) -> None:
    """An .xlsx renamed .csv was 'binary data (NUL bytes)' to the workbench, a ZIP archive (an
    Excel workbook) with what to do to the command line; a Windows-1252 export was told to
    'save it as UTF-8 a visit file'."""
    from ptbill.intake.detect import NOT_UTF8_FIX

    bench = make_bench("posted")
    workbook = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64
    r = bench.post("/api/v1/visits", files={"file": ("export.csv", workbook, "text/csv")})
    assert r.status_code == 422
    body = json.dumps(r.json())
    assert (
        "ZIP archive (an Excel .xlsx workbook is one)" in body and "save the sheet as CSV" in body
    )
    latin = "visit_id,code\nV-1,97110 Zo\u00eb\n".encode("cp1252")
    r = bench.post("/api/v1/visits", files={"file": ("export.csv", latin, "text/csv")})
    assert r.status_code == 422
    at = latin.index(b"\xeb") + 1
    assert r.json()["error"]["problem"] == f"not UTF-8 text (byte {at})"
    assert r.json()["error"]["fix"] == NOT_UTF8_FIX
