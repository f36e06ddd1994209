"""The importers on small files in CMS's real layouts (tests/pricing/fixtures): columns found
by their header labels, AMA descriptors never stored, manifests that name the source."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest

from ptbill.errors import InputError
from ptbill.reference import store
from ptbill.reference.importers.fees import import_fee_schedule, stored_fee_schedules
from ptbill.reference.importers.gpci import (
    import_gpci,
    import_zip_localities,
    parse_zip5,
    stored_gpci_releases,
)
from ptbill.reference.importers.pfs import import_pfs, load_pfs_release, parse_pprrvu
from ptbill.reference.snapshot import take_snapshot
from tests.pricing.conftest import FIXTURES

D = Decimal


def test_pprrvu_2025_layout_columns_by_label():
    path = FIXTURES / "PPRRVU2025_fixture.csv"
    parsed = parse_pprrvu(path.read_text(), str(path))
    assert (parsed.year, parsed.released, parsed.effective) == (
        2025,
        dt.date(2025, 9, 11),
        dt.date(2025, 10, 1),
    )
    assert parsed.conversion_factor == D("32.3465")
    rows = {(r.code, r.modifier): r for r in parsed.rows}
    r = rows[("97110", "")]
    assert (r.status, r.work_rvu, r.nonfacility_pe_rvu, r.facility_pe_rvu, r.mp_rvu) == (
        "A",
        D("0.45"),
        D("0.50"),
        D("0.50"),
        D("0.01"),
    )
    assert r.mppr_applies and not r.not_used_for_medicare
    assert rows[("97010", "")].not_used_for_medicare and rows[("97010", "")].status == "B"
    assert ("0075T", "26") in rows


def test_pprrvu_2026_layout_has_an_extra_column_before_conv_factor():
    path = FIXTURES / "PPRRVU2026_fixture.csv"
    parsed = parse_pprrvu(path.read_text(), str(path))
    # PRIC IND sits where the 2025 file has ENDO BASE: a positional reader would take the
    # wrong column for the conversion factor.
    assert parsed.conversion_factor == D("33.4009")
    assert (parsed.year, parsed.effective) == (2026, dt.date(2026, 7, 1))


def test_import_drops_descriptions_and_writes_a_manifest(data_dir):
    path = FIXTURES / "PPRRVU2025_fixture.csv"
    imported = import_pfs(data_dir, path)
    assert imported.release == "PPRRVU2025_fixture"
    stored = imported.path.read_text()
    assert "DESCRIPTION" not in stored.upper() and "FIXTURE-TEXT" not in stored
    manifest = json.loads(imported.path.with_suffix(".json").read_text())
    assert manifest["source_file"] == "PPRRVU2025_fixture.csv"
    assert manifest["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (manifest["rows"], manifest["year"], manifest["conversion_factor"]) == (
        5,
        2025,
        "32.3465",
    )
    assert store.releases(data_dir, "pfs") == ["PPRRVU2025_fixture"]
    release = load_pfs_release(data_dir, "PPRRVU2025_fixture")
    assert release is not None and release.row("97110").nonfacility_pe_rvu == D("0.50")


def test_release_name_option_and_bad_names(data_dir):
    path = FIXTURES / "PPRRVU2025_fixture.csv"
    assert import_pfs(data_dir, path, release="RVU25D").release == "RVU25D"
    with pytest.raises(InputError, match="release name"):
        import_pfs(data_dir, path, release="../evil")


def test_pprrvu_missing_column_is_an_input_error(tmp_path):
    text = (FIXTURES / "PPRRVU2025_fixture.csv").read_text().replace("CONV,", "CONVX,")
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(InputError, match="CONV FACTOR"):
        import_pfs(tmp_path, bad)


def test_not_a_pprrvu_file(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="HCPCS"):
        import_pfs(tmp_path, bad)


def test_gpci_addendum_real_layout(data_dir):
    imported = import_gpci(data_dir, FIXTURES / "GPCI2026_excerpt.csv")
    assert imported.manifest["year"] == 2026 and imported.manifest["rows"] == 5
    (release,) = stored_gpci_releases(take_snapshot(data_dir))
    ak = release.localities["02102-01"]
    assert (ak.name, ak.work, ak.pe, ak.mp) == ("ALASKA", D("1.500"), D("1.065"), D("0.551"))
    assert release.localities["03202-01"].name == "MONTANA"


def test_gpci_padded_after_a_spreadsheet_dropped_zeros(data_dir):
    import_gpci(data_dir, FIXTURES / "GPCI2025_spreadsheet.csv")
    (release,) = stored_gpci_releases(take_snapshot(data_dir))
    assert set(release.localities) == {"10112-00", "02102-01", "06102-16"}
    assert release.localities["06102-16"].pe == D("1.023")


def test_zip5_fixed_width_positions():
    text = (FIXTURES / "ZIP5_fixture.txt").read_text()
    rows = {z.zip: z for z in parse_zip5(text, "ZIP5_fixture.txt")}
    chicago = rows["60601"]
    assert (chicago.state, chicago.carrier, chicago.locality, chicago.key) == (
        "IL",
        "06102",
        "16",
        "06102-16",
    )
    assert (chicago.rural, chicago.plus_four, chicago.year_quarter) == ("", False, "20251")
    assert rows["62701"].rural == "R"
    assert rows["10021"].plus_four


def test_zip5_rejects_other_layouts(tmp_path):
    with pytest.raises(InputError, match="line 1"):
        parse_zip5("STATE,ZIP,CARRIER\n", "zip.csv")
    imported = import_zip_localities(tmp_path, FIXTURES / "ZIP5_fixture.txt", release="zip-2025q1")
    assert imported.manifest["year_quarter"] == "20251" and imported.manifest["rows"] == 5


def test_fee_schedule_import(data_dir):
    imported = import_fee_schedule(
        data_dir, "acme-ppo", FIXTURES / "fees_acme.csv", effective=dt.date(2025, 1, 1)
    )
    assert imported.kind == "fees-acme-ppo" and imported.manifest["rows"] == 4
    (schedule,) = stored_fee_schedules(take_snapshot(data_dir), "acme-ppo")
    assert schedule.effective == dt.date(2025, 1, 1)
    assert schedule.amount_for("97110", ("GP",)) == (D("50.00"), "")
    assert schedule.amount_for("97110", ("GP", "CQ")) == (D("42.50"), "CQ")
    assert schedule.amount_for("97530", ("GP",)) is None


@pytest.mark.parametrize(
    "text, problem",
    [
        ("code,modifier,allowed\n97110,,50\n97110,,51\n", "appears twice"),
        ("code,modifier,allowed\n97110,,-5\n", "negative"),
        ("code,modifier,allowed\n9711,,5\n", "not a 5-character"),
        ("cpt,price\n97110,5\n", "allowed amount column"),
        ("code,allowed\n97110,abc\n", "not a number"),
    ],
)
def test_fee_schedule_bad_rows(tmp_path, text, problem):
    path = tmp_path / "fees.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=problem):
        import_fee_schedule(tmp_path, "acme-ppo", path)
