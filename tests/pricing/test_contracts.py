"""Commercial contracts: fee schedule amounts, percent of Medicare, the profile's cost sharing."""

from __future__ import annotations

import datetime as dt

import pytest

from ptbill.config import load_config
from ptbill.errors import InputError
from ptbill.pricing import price_visit
from ptbill.reference.importers.fees import FeeSchedule, import_fee_schedule
from ptbill.reference.snapshot import take_snapshot
from tests.factories import timed
from tests.pricing.conftest import FIXTURES
from tests.pricing.helpers import D, coded, line, profile, provider

ACME = FeeSchedule(
    "acme-2025",
    "commercial",
    None,
    "fees.csv",
    {
        ("97110", ""): D("50.00"),
        ("97110", "CQ"): D("42.50"),
        ("97140", ""): D("45.00"),
    },
)


def test_fee_schedule_amounts_times_units():
    # AMA per-code method: 97110 30 min = 2 units, 97140 15 min = 1 unit.
    c = coded(timed("97110", 30), timed("97140", 15), payer="commercial")
    p = price_visit(c, profile("commercial"), provider(), {"commercial": ACME})
    a, b = line(p, "97110"), line(p, "97140")
    # No coinsurance configured: the whole allowed amount is expected from the payer.
    assert (a.allowed, a.expected_payment, a.patient_responsibility) == (
        D("100.00"),
        D("100.00"),
        D(0),
    )
    assert (b.allowed, b.expected_payment) == (D("45.00"), D("45.00"))
    assert a.mppr_reduction == 0 and a.sequestration == 0  # no MPPR, no sequestration
    assert any("no coinsurance_percent" in n for n in p.notes)
    assert "acme-2025" in a.basis[0]


def test_contract_coinsurance_from_the_profile():
    c = coded(timed("97110", 30), payer="commercial")
    p = price_visit(
        c, profile("commercial", coinsurance_percent=D(20)), provider(), {"commercial": ACME}
    )
    # 2 x 50.00 = 100.00; patient 20% = 20.00; payer 80.00
    assert (p.lines[0].patient_responsibility, p.lines[0].expected_payment) == (
        D("20.00"),
        D("80.00"),
    )


def test_percent_of_medicare_for_codes_the_schedule_lacks():
    # 97530 is not in the schedule. Medicare in Chicago 2025: 97530 (0.44 / 0.62 / 0.01)
    # = 14.33208722 + 20.51609109 + 0.65275237 = 35.50093068 = $35.50; its PE (20.52) beats
    # 97110's (14.23), so it is the full-price unit. 120% x 35.50 = 42.60.
    c = coded(timed("97110", 30), timed("97530", 15), payer="commercial")
    p = price_visit(
        c,
        profile("commercial", percent_of_medicare=D(120)),
        provider("06102-16"),
        {"commercial": ACME},
    )
    assert line(p, "97110").allowed == D("100.00")
    ta = line(p, "97530")
    assert ta.allowed == D("42.60") and ta.expected_payment == D("42.60")
    assert "120% of Medicare" in ta.basis[0]


def test_code_missing_from_the_schedule_without_percent_is_unpriced():
    c = coded(timed("97530", 15), payer="commercial")
    p = price_visit(c, profile("commercial"), provider(), {"commercial": ACME})
    assert p.lines[0].status == "unpriced" and "not in acme-2025" in p.lines[0].basis[0]


def test_no_schedule_imported_says_how_to_import_one():
    no_fees = profile("commercial", contract_fees=None)
    p = price_visit(coded(timed("97110", 15), payer="commercial"), no_fees, provider())
    assert "ptbill reference import fees commercial" in p.lines[0].basis[0]


def test_the_profiles_contract_fees_price_when_no_release_is_imported():
    # The demo clinic's SAMPLE contract (demo-clinic.toml): 97110 $34.00 and 97140 $33.00 a
    # unit; AMA per-code units: 97110 30 min = 2, 97140 15 min = 1. 2 x 34 + 33 = 101.00.
    c = coded(timed("97110", 30), timed("97140", 15), payer="commercial")
    p = price_visit(c, profile("commercial"), provider())
    assert [x.allowed for x in p.lines] == [D("68.00"), D("33.00")]
    assert p.expected_payment == D("101.00")
    assert "elm-street-commercial-SAMPLE" in p.lines[0].source
    assert "SAMPLE" in p.lines[0].basis[0] and "not CMS data" in p.lines[0].basis[0]


def test_an_imported_release_takes_precedence_over_the_contract_fees(data_dir):
    import_fee_schedule(
        data_dir,
        "commercial",
        FIXTURES / "fees_acme.csv",
        release="acme-2025",
        effective=dt.date(2025, 1, 1),
    )
    c = coded(timed("97110", 15), payer="commercial")
    priced = price_visit(c, profile("commercial"), provider(), reference=take_snapshot(data_dir))
    assert priced.lines[0].allowed == D("50.00")


def test_contract_fees_apply_from_their_effective_date_and_never_replace_a_pinned_release():
    before = coded(timed("97110", 15), payer="commercial", dos="2024-12-30")
    early = price_visit(before, profile("commercial"), provider()).lines[0]
    assert early.status == "unpriced" and "takes effect 2025-01-01" in early.basis[0]
    c = coded(timed("97110", 15), payer="commercial")
    pinned = price_visit(c, profile("commercial", fee_schedule="acme-2026"), provider())
    assert pinned.lines[0].status == "unpriced" and "not imported" in pinned.lines[0].basis[0]


def test_contract_fees_in_the_configuration_are_checked(tmp_path):
    path = tmp_path / "clinic.toml"
    ok = '[payers.commercial.contract_fees]\nname = "c-2025"\nlabel = "our contract"\n'
    path.write_text(ok + 'allowed = { "97110" = "40.00" }\n')
    fees = load_config(str(path)).payer("commercial").contract_fees
    assert fees is not None and fees.allowed == {"97110": D("40.00")}
    for n, (bad, field) in enumerate(
        (('{ "97110" = "-1" }', "97110"), ('{ "9711" = "1" }', "9711"))
    ):
        path = tmp_path / f"bad{n}.toml"  # load_config is memoised by path
        path.write_text(ok + f"allowed = {bad}\n")
        with pytest.raises(InputError) as e:
            load_config(str(path))
        assert field in str(e.value) and "contract_fees.allowed" in str(e.value)


def test_imported_schedule_in_force_on_the_date(data_dir):
    import_fee_schedule(
        data_dir,
        "commercial",
        FIXTURES / "fees_acme.csv",
        release="acme-2025",
        effective=dt.date(2025, 1, 1),
    )
    ref = take_snapshot(data_dir)
    c = coded(timed("97110", 15), payer="commercial")
    commercial = profile("commercial")
    assert price_visit(c, commercial, provider(), reference=ref).lines[0].allowed == D("50.00")
    before = coded(timed("97110", 15), payer="commercial", dos="2024-12-30")
    priced_before = price_visit(before, commercial, provider(), reference=ref)
    assert priced_before.lines[0].status == "unpriced"
    pinned = profile("commercial", fee_schedule="acme-2026")
    assert "not imported" in price_visit(c, pinned, provider(), reference=ref).lines[0].basis[0]


def test_assistant_reduction_only_when_the_profile_sets_it():
    # Medicaid profile: CMS units, CQ required. 97140 15 min all by the PTA -> CQ line.
    c = coded(timed("97140", 15, assistant_minutes=15), payer="medicaid")
    schedules = {"medicaid": ACME}
    plain = price_visit(c, profile("medicaid"), provider(), schedules)
    assert plain.lines[0].allowed == D("45.00")
    reduced = price_visit(
        c, profile("medicaid", assistant_reduction_percent=D(15)), provider(), schedules
    )
    # 45.00 - 15% (6.75) = 38.25
    assert (reduced.lines[0].cq_reduction, reduced.lines[0].allowed) == (D("6.75"), D("38.25"))


def test_pricing_settings_load_from_the_clinic_configuration(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text(
        '[payers.acme-ppo]\nbase = "commercial"\npayer_id = "ACME1"\n'
        'percent_of_medicare = "110"\ncoinsurance_percent = 20\n'
        'annual_deductible = { 2025 = "500.00" }\nfee_schedule = "acme-2025"\n'
        'underpayment_tolerance = "2.50"\n'
    )
    acme = load_config(str(path)).payer("acme-ppo")
    assert acme is not None
    assert (acme.percent_of_medicare, acme.coinsurance_percent) == (D(110), D(20))
    assert acme.annual_deductible == {2025: D("500.00")}
    assert (acme.fee_schedule, acme.underpayment_tolerance) == ("acme-2025", D("2.50"))
    # Existing profiles stay valid and keep Medicare's defaults unset.
    assert load_config().payer("medicare").coinsurance_percent is None
