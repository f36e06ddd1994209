"""Which year's data prices a date: the date's own year only, an imported release over the
bundled data, and plain words when the year has no data."""

from __future__ import annotations

import datetime as dt

from ptbill.pricing import price_visit
from ptbill.pricing.pfs import kx_unit_amount, unit_amount
from ptbill.reference.importers.gpci import import_zip_localities
from ptbill.reference.importers.pfs import import_pfs
from ptbill.reference.snapshot import take_snapshot
from tests.factories import timed
from tests.pricing.conftest import FIXTURES
from tests.pricing.helpers import D, coded, line, profile, provider


def test_2026_dates_are_unpriceable_until_the_2026_file_is_imported():
    p = price_visit(
        coded({"code": "97161"}, timed("97110", 15), dos="2026-03-02"),
        profile(),
        provider("06102-16"),
    )
    assert not p.complete and p.allowed is None and p.expected_payment is None
    for x in p.lines:
        assert x.status == "unpriced" and x.allowed is None
        assert "no 2026 PFS RVUs" in x.basis[0]
        assert "ptbill reference import pfs" in x.basis[0]
    # The 2026 sequestration rate is blank in constants.csv: said, not assumed.
    assert any("2026 sequestration rate is blank" in n for n in p.notes)


def test_imported_2026_release_prices_and_is_named(data_dir):
    import_pfs(data_dir, FIXTURES / "PPRRVU2026_fixture.csv")
    # Fixture RVUs (synthetic): 97110 0.44 / 0.42 / 0.02; 97161 1.50 / 1.40 / 0.05; CF from the
    # file 33.4009. 06102-16 CHICAGO 2026 GPCI (bundled): 1.007 / 1.005 / 2.295.
    # 97161: 50.45205945 + 46.9950663 + 3.832753275 = 101.279879025 = $101.28 (highest PE)
    # 97110: 14.799270772 + 14.09851989 + 1.53310131 = 30.430891972 = $30.43;
    #        MPPR 14.09851989 / 2 = 7.049 -> 7.05; allowed 23.38
    # 2026 sequestration unknown: expected payment = Medicare's share before sequestration.
    #   97161: coins 20.256 -> 20.26; expected 81.02.   97110: coins 4.676 -> 4.68; 18.70
    p = price_visit(
        coded({"code": "97161"}, timed("97110", 15), dos="2026-08-03"),
        profile(),
        provider("06102-16"),
        reference=take_snapshot(data_dir),
    )
    ev, te = line(p, "97161"), line(p, "97110")
    assert (ev.unit_fee, ev.allowed, ev.expected_payment) == (D("101.28"), D("101.28"), D("81.02"))
    assert (te.unit_fee, te.mppr_reduction, te.allowed, te.expected_payment) == (
        D("30.43"),
        D("7.05"),
        D("23.38"),
        D("18.70"),
    )
    assert ev.sequestration is None and te.sequestration is None
    assert "imported PPRRVU2026_fixture" in ev.source and "gpci_2026" in ev.source
    assert any("33.4009" in b for b in ev.basis)
    assert any("CF 33.4009 (CONV FACTOR of PPRRVU2026_fixture)" in n for n in p.notes)
    assert any("sequestration unknown" in b for b in te.basis)
    assert line(p, "97110").status == "priced"


def test_release_taking_effect_after_the_date_is_used_with_a_caveat(data_dir):
    import_pfs(data_dir, FIXTURES / "PPRRVU2026_fixture.csv")
    p = price_visit(
        coded(timed("97110", 15), dos="2026-03-02"),
        profile(),
        provider("06102-16"),
        reference=take_snapshot(data_dir),
    )
    assert p.lines[0].allowed == D("30.43")
    assert any("takes effect 2026-07-01, after the date of service" in n for n in p.notes)


def test_sequestration_rate_from_the_profile_when_the_reference_has_none(data_dir):
    import_pfs(data_dir, FIXTURES / "PPRRVU2026_fixture.csv")
    # 97110 alone: 30.43; coins 6.086 -> 6.09; Medicare 24.34; 2% = 0.4868 -> 0.49; 23.85
    p = price_visit(
        coded(timed("97110", 15), dos="2026-08-03"),
        profile(sequestration_percent=D(2)),
        provider("06102-16"),
        reference=take_snapshot(data_dir),
    )
    assert (p.lines[0].sequestration, p.lines[0].expected_payment) == (D("0.49"), D("23.85"))


def test_imported_release_replaces_the_bundled_one_for_its_year(data_dir):
    import_pfs(data_dir, FIXTURES / "PPRRVU2025_fixture.csv")
    # The fixture gives 97110 a PE RVU of 0.50 (bundled: 0.43). Chicago 2025:
    # 14.657816475 + 0.50 x 1.023 x 32.3465 (16.54523475) + 0.65275237 = 31.855803595 = $31.86
    p = price_visit(
        coded(timed("97110", 15)),
        profile(),
        provider("06102-16"),
        reference=take_snapshot(data_dir),
    )
    assert p.lines[0].allowed == D("31.86")
    assert "imported PPRRVU2025_fixture" in p.lines[0].source


def test_as_of_leaves_out_releases_published_later(data_dir):
    import_pfs(data_dir, FIXTURES / "PPRRVU2025_fixture.csv")  # RELEASED 09/11/2025
    before = price_visit(
        coded(timed("97110", 15)),
        profile(),
        provider("06102-16"),
        as_of=dt.date(2025, 9, 1),
        reference=take_snapshot(data_dir),
    )
    assert before.lines[0].allowed == D("29.54")  # bundled RVU25D again
    assert "bundled" in before.lines[0].source
    import_pfs(data_dir, FIXTURES / "PPRRVU2026_fixture.csv")  # RELEASED 06/30/2026
    early = price_visit(
        coded(timed("97110", 15), dos="2026-08-03"),
        profile(),
        provider("06102-16"),
        as_of=dt.date(2026, 6, 1),
        reference=take_snapshot(data_dir),
    )
    assert early.lines[0].status == "unpriced"


def test_unit_amount_for_the_coder_keeps_its_contract():
    assert unit_amount("97110", 2025, "06102-16").amount == D("29.54")
    missing = unit_amount("97110", 2026, "06102-16")
    assert missing.amount is None and "no 2026 PFS RVUs" in missing.basis
    assert unit_amount("97110", 2025, None).amount is None


def test_the_kx_amount_is_estimated_only_with_the_years_own_cf_and_gpci():
    # The KX threshold's visit amount (M-3) when the year's RVUs are missing: the latest
    # bundled RVUs (2025, codes.csv) with the 2026 CF 33.4009 and 2026 GPCIs of 06102-99:
    # (0.45 x 1.000 + 0.43 x 0.913 + 0.01 x 1.563) x 33.4009 = $28.67. Never priced from it.
    est = kx_unit_amount("97110", 2026, "06102-99", estimate=True)
    assert est.estimated and est.amount == D("28.67")
    assert est.basis.startswith("estimated:") and "no 2026 PFS RVUs" in est.basis
    assert unit_amount("97110", 2026, "06102-99").amount is None  # pricing still refuses
    # The year's own RVUs: the PFS amount, not an estimate.
    own = kx_unit_amount("97110", 2025, "06102-16", estimate=True)
    assert not own.estimated and own == unit_amount("97110", 2025, "06102-16")
    # Not estimated: the profile says so; no 2027 CF; no 2026 GPCI for the locality; none.
    assert kx_unit_amount("97110", 2026, "06102-99", estimate=False).amount is None
    no_cf = kx_unit_amount("97110", 2027, "06102-99", estimate=True)
    assert no_cf.amount is None and "no 2027 conversion factor" in no_cf.basis
    no_gpci = kx_unit_amount("97110", 2026, "99999-99", estimate=True)
    assert no_gpci.amount is None and "no 2026 GPCI for locality 99999-99" in no_gpci.basis
    assert kx_unit_amount("97110", 2026, None, estimate=True).amount is None


def test_the_kx_estimate_gives_way_to_the_years_imported_rvus(data_dir):
    import_pfs(data_dir, FIXTURES / "PPRRVU2026_fixture.csv")
    own = kx_unit_amount(
        "97110", 2026, "06102-99", estimate=True, reference=take_snapshot(data_dir)
    )
    assert not own.estimated and own.amount == D("28.55")  # the fixture's 2026 RVUs


def test_locality_from_the_zip_once_the_zip_file_is_imported(data_dir):
    no_locality = provider(None, zip_code="60601")
    p = price_visit(coded(timed("97110", 15)), profile(), no_locality)
    assert p.lines[0].status == "unpriced"
    assert "ZIP code to carrier locality file is not imported" in p.lines[0].basis[0]
    import_zip_localities(data_dir, FIXTURES / "ZIP5_fixture.txt")
    p = price_visit(
        coded(timed("97110", 15)), profile(), no_locality, reference=take_snapshot(data_dir)
    )
    assert p.locality == "06102-16" and p.lines[0].allowed == D("29.54")
    assert any("from ZIP 60601" in n for n in p.notes)


def test_a_zip_split_by_zip4_is_not_guessed(data_dir):
    import_zip_localities(data_dir, FIXTURES / "ZIP5_fixture.txt")
    p = price_visit(
        coded(timed("97110", 15)),
        profile(),
        provider(None, zip_code="10021"),
        reference=take_snapshot(data_dir),
    )
    assert p.locality is None
    assert "split between Medicare localities" in p.lines[0].basis[0]


def test_a_snapshot_sees_the_releases_imported_before_it_was_taken(data_dir):
    # A release imported after a snapshot was taken is not in it: the caller takes a new one.
    # The fixture gives 97110 a PE RVU of 0.50, so its Chicago 2025 amount is $31.86.
    visit = coded(timed("97110", 15))
    before = take_snapshot(data_dir)
    import_pfs(data_dir, FIXTURES / "PPRRVU2025_fixture.csv")
    after = take_snapshot(data_dir)
    old = price_visit(visit, profile(), provider("06102-16"), reference=before)
    new = price_visit(visit, profile(), provider("06102-16"), reference=after)
    assert (old.lines[0].allowed, new.lines[0].allowed) == (D("29.54"), D("31.86"))
    assert unit_amount("97110", 2025, "06102-16", before).amount == D("29.54")
    assert unit_amount("97110", 2025, "06102-16", after).amount == D("31.86")
