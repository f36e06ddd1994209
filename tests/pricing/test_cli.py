"""`ptbill price` and `ptbill reference import pfs | gpci | zip-locality | fees`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ptbill.cli.main import cli
from tests.factories import timed, visit_dict
from tests.pricing.conftest import FIXTURES

CHICAGO_PROVIDER = {
    "name": "Test PT",
    "npi": "1234567893",
    "tax_id": "37-1234567",
    "address": {"line1": "1 Main St", "city": "Chicago", "state": "IL", "zip": "60601"},
    "medicare_locality": "06102-16",
}


def run(*args: str):
    return CliRunner().invoke(cli, list(args), obj={})


def write_visits(tmp_path, *visits) -> str:
    path = tmp_path / "visits.json"
    path.write_text(json.dumps(list(visits)))
    return str(path)


def chicago_visit(date_of_service: str = "2025-03-03"):
    return visit_dict(
        timed("97110", 30),
        timed("97140", 15),
        date_of_service=date_of_service,
        clinic=None,
        billing_provider=CHICAGO_PROVIDER,
    )


def test_price_json_per_line(tmp_path):
    # Hand-computed in test_medicare_prices.test_chicago_two_codes_with_mppr.
    result = run("price", write_visits(tmp_path, chicago_visit()), "--json")
    assert result.exit_code == 0, result.output
    (v,) = json.loads(result.output)
    assert (v["allowed"], v["expected_payment"], v["patient_responsibility"]) == (
        "73.25",
        "57.43",
        "14.65",
    )
    first = v["lines"][0]
    assert (
        first["code"],
        first["allowed"],
        first["expected_payment"],
        first["patient_responsibility"],
        first["mppr_reduction"],
    ) == ("97110", "51.97", "40.75", "10.39", "7.11")
    assert any("32.3465" in b for b in first["basis"])
    assert v["locality"] == "06102-16" and v["complete"] is True


def test_price_table(tmp_path):
    result = run("price", write_visits(tmp_path, chicago_visit()))
    assert result.exit_code == 0, result.output
    assert "allowed $73.25" in result.output and "MPPR" in result.output


def test_price_unpriceable_year_exits_1_and_says_why(tmp_path):
    result = run(
        "price", write_visits(tmp_path, chicago_visit(date_of_service="2026-03-02")), "--json"
    )
    assert result.exit_code == 1
    (v,) = json.loads(result.output)
    assert v["complete"] is False and v["allowed"] is None
    assert "no 2026 PFS RVUs" in v["lines"][0]["basis"][0]


def test_price_bad_input_exits_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run("price", str(bad))
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_import_pfs_then_price_2026(tmp_path, data_dir):
    result = run("reference", "import", "pfs", str(FIXTURES / "PPRRVU2026_fixture.csv"))
    assert result.exit_code == 0, result.output
    assert "PPRRVU2026_fixture" in result.output and "year 2026" in result.output
    assert "conversion factor 33.4009" in result.output
    priced = run(
        "price", write_visits(tmp_path, chicago_visit(date_of_service="2026-08-03")), "--json"
    )
    assert priced.exit_code == 0, priced.output
    (v,) = json.loads(priced.output)
    assert "imported PPRRVU2026_fixture" in v["lines"][0]["source"]
    # --as-of before the file's RELEASED date (06/30/2026): as if it were not imported.
    early = run(
        "price",
        write_visits(tmp_path, chicago_visit(date_of_service="2026-08-03")),
        "--as-of",
        "2026-06-01",
    )
    assert early.exit_code == 1


def test_import_gpci_zip_and_fees(data_dir):
    assert run("reference", "import", "gpci", str(FIXTURES / "GPCI2026_excerpt.csv")).exit_code == 0
    zips = run("reference", "import", "zip-locality", str(FIXTURES / "ZIP5_fixture.txt"))
    assert zips.exit_code == 0 and "5 rows" in zips.output and "year quarter 20251" in zips.output
    fees = run(
        "reference",
        "import",
        "fees",
        "acme-ppo",
        str(FIXTURES / "fees_acme.csv"),
        "--effective",
        "2025-01-01",
    )
    assert fees.exit_code == 0, fees.output
    assert (data_dir / "fees-acme-ppo" / "fees_acme.json").exists()


def test_import_errors_exit_2(tmp_path):
    unknown = run("reference", "import", "fees", "no-such-payer", str(FIXTURES / "fees_acme.csv"))
    assert unknown.exit_code == 2 and "no payer profile" in unknown.output
    missing = run("reference", "import", "pfs", str(tmp_path / "missing.csv"))
    assert missing.exit_code == 2 and "cannot read" in missing.output
    wrong = run("reference", "import", "pfs", str(FIXTURES / "GPCI2026_excerpt.csv"))
    assert wrong.exit_code == 2 and "HCPCS" in wrong.output


def test_data_option_names_the_folder_each_command_reads(tmp_path, data_dir):
    # --data wins over PTBILL_DATA (the conftest's data_dir); each command takes its snapshot
    # of the folder it is given.
    other = tmp_path / "other-data"
    fixture = str(FIXTURES / "PPRRVU2026_fixture.csv")
    assert run("--data", str(other), "reference", "import", "pfs", fixture).exit_code == 0
    assert (other / "pfs" / "PPRRVU2026_fixture.csv").exists() and not data_dir.exists()
    visits = write_visits(tmp_path, chicago_visit(date_of_service="2026-08-03"))
    priced = run("--data", str(other), "price", visits, "--json")
    assert priced.exit_code == 0, priced.output
    assert "imported PPRRVU2026_fixture" in json.loads(priced.output)[0]["lines"][0]["source"]
    assert run("price", visits).exit_code == 1  # PTBILL_DATA's folder has no 2026 RVUs
    listed = run("--data", str(other), "reference", "list")
    assert listed.exit_code == 0 and "PPRRVU2026_fixture" in listed.output  # title cut short
