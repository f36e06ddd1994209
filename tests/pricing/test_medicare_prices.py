"""Medicare PFS prices computed by hand from the bundled 2025 data (codes.csv RVUs, gpci_2025.csv,
CF 2025 = 32.3465 from constants.csv) with billing-rules.md P-1 .. P-7 and M-8.

Rounding (docs/pricing.md): one unit's fee to the cent; the MPPR cut (50% of one unit's PE part)
to the cent; the CQ cut (15% of the line after MPPR) to the cent; coinsurance 20% of the allowed
amount to the cent, Medicare's share the rest; sequestration 2% of Medicare's share to the cent.
All half-up.
"""

from __future__ import annotations

from ptbill.pricing import price_visit
from ptbill.pricing.engine import ORDER_NOTE
from ptbill.pricing.settle import settle
from tests.factories import timed
from tests.pricing.helpers import D, coded, line, profile, provider


def test_chicago_two_codes_with_mppr():
    # 06102-16 CHICAGO 2025 GPCI: work 1.007, PE 1.023, MP 2.018.
    # 97110 (work 0.45, PE 0.43, MP 0.01):
    #   work 0.45 x 1.007 x 32.3465 = 14.657816475
    #   PE   0.43 x 1.023 x 32.3465 = 14.228901885
    #   MP   0.01 x 2.018 x 32.3465 =  0.652752370   -> unit fee 29.539470730 = $29.54
    # 97140 (work 0.43, PE 0.40, MP 0.01):
    #   work 14.006357965 + PE 13.236187800 + MP 0.652752370 = 27.895298135 = $27.90
    # 30 + 15 timed minutes = 3 units: 97110 x2, 97140 x1. Highest PE: 97110 (14.23 > 13.24),
    # so one 97110 unit is full; the other 97110 unit and the 97140 unit lose 50% of their PE.
    #   97110: 2 x 29.54 - 7.11 (14.228901885 / 2 = 7.114 -> 7.11) = 51.97
    #          coinsurance 20% x 51.97 = 10.394 -> 10.39; Medicare 41.58;
    #          sequestration 2% x 41.58 = 0.8316 -> 0.83; expected 40.75
    #   97140: 27.90 - 6.62 (13.2361878 / 2 = 6.618 -> 6.62) = 21.28
    #          coinsurance 4.256 -> 4.26; Medicare 17.02; sequestration 0.3404 -> 0.34; 16.68
    c = coded(timed("97110", 30), timed("97140", 15))
    p = price_visit(c, profile(), provider("06102-16"))
    a, b = line(p, "97110"), line(p, "97140")
    assert (a.units, a.unit_fee, a.mppr_reduction, a.allowed) == (
        2,
        D("29.54"),
        D("7.11"),
        D("51.97"),
    )
    assert (a.coinsurance, a.sequestration, a.expected_payment) == (
        D("10.39"),
        D("0.83"),
        D("40.75"),
    )
    assert a.patient_responsibility == D("10.39")
    assert (b.unit_fee, b.mppr_reduction, b.allowed) == (D("27.90"), D("6.62"), D("21.28"))
    assert (b.patient_responsibility, b.sequestration, b.expected_payment) == (
        D("4.26"),
        D("0.34"),
        D("16.68"),
    )
    assert p.allowed == D("73.25") and p.expected_payment == D("57.43")
    assert p.patient_responsibility == D("14.65")
    assert p.complete and p.locality == "06102-16"
    text = "\n".join(a.basis)
    assert "(0.45 x 1.007 + 0.43 x 1.023 + 0.01 x 2.018) x 32.3465 = $29.54" in text
    assert "PE part $14.2289" in text and "-$7.11" in text
    assert any("CHICAGO" in n and "06102-16" in n for n in p.notes)
    assert "RVU25D" in a.source and "gpci_2025" in a.source


def test_alabama_evaluation_is_the_full_price_unit():
    # 10112-00 ALABAMA 2025 GPCI: work 1.000, PE 0.869, MP 0.575.
    # 97161 (1.54 / 1.45 / 0.04): 49.81361 + 40.758207325 + 0.7439695 = 91.315786825 = $91.32
    # 97530 (0.44 / 0.62 / 0.01): 14.23246 + 17.42764727 + 0.185992375 = 31.846099645 = $31.85
    # 97110 (0.45 / 0.43 / 0.01): 14.555925 + 12.086916655 + 0.185992375 = 26.82883403 = $26.83
    # 25 timed minutes = 2 units (97530 15 min, 97110 10 min). Highest PE: the evaluation
    # (40.76), which MPPR covers too (always-therapy, P-3): it is paid in full.
    #   97161: allowed 91.32; coins 18.264 -> 18.26; Medicare 73.06; seq 1.4612 -> 1.46; 71.60
    #   97530: 31.85 - 8.71 (17.42764727 / 2 = 8.7138) = 23.14; coins 4.628 -> 4.63;
    #          Medicare 18.51; seq 0.3702 -> 0.37; expected 18.14
    #   97110: 26.83 - 6.04 (12.086916655 / 2 = 6.0435) = 20.79; coins 4.158 -> 4.16;
    #          Medicare 16.63; seq 0.3326 -> 0.33; expected 16.30
    c = coded({"code": "97161"}, timed("97530", 15), timed("97110", 10))
    p = price_visit(c, profile(), provider("10112-00"))
    ev, ta, te = line(p, "97161"), line(p, "97530"), line(p, "97110")
    assert (ev.allowed, ev.mppr_reduction, ev.expected_payment) == (D("91.32"), D(0), D("71.60"))
    assert (ta.allowed, ta.mppr_reduction, ta.expected_payment) == (
        D("23.14"),
        D("8.71"),
        D("18.14"),
    )
    assert (te.allowed, te.patient_responsibility, te.expected_payment) == (
        D("20.79"),
        D("4.16"),
        D("16.30"),
    )


def test_san_francisco_assistant_line_mppr_then_cq():
    # 01112-05 SAN FRANCISCO 2025 GPCI: work 1.088, PE 1.419, MP 0.445.
    # 97110: 15.8368464 + 19.736863905 + 0.143941925 = 35.71765223 = $35.72; half PE 9.87
    # 97112 (0.50 / 0.48 / 0.01): 17.596496 + 22.03184808 + 0.143941925 = 39.772286005 = $39.77
    # 97110 30 min all by the PTA -> 2 units with CQ; 97112 15 min by the PT -> 1 unit.
    # Highest PE: 97112 (22.03 > 19.74): paid in full. Both 97110 units lose half their PE.
    #   97110 CQ: 2 x 35.72 - 2 x 9.87 = 51.70; then CQ: 15% x 51.70 = 7.755 -> 7.76 (half-up);
    #             allowed 43.94; coins 8.788 -> 8.79; Medicare 35.15; seq 0.703 -> 0.70; 34.45
    #   97112:    allowed 39.77; coins 7.954 -> 7.95; Medicare 31.82; seq 0.6364 -> 0.64; 31.18
    c = coded(timed("97110", 30, assistant_minutes=30), timed("97112", 15))
    p = price_visit(c, profile(), provider("01112-05"))
    cq, ne = line(p, "97110", cq=True), line(p, "97112")
    assert (cq.units, cq.mppr_reduction, cq.cq_reduction, cq.allowed) == (
        2,
        D("19.74"),
        D("7.76"),
        D("43.94"),
    )
    assert (cq.patient_responsibility, cq.sequestration, cq.expected_payment) == (
        D("8.79"),
        D("0.70"),
        D("34.45"),
    )
    assert (ne.allowed, ne.mppr_reduction, ne.expected_payment) == (D("39.77"), D(0), D("31.18"))
    assert ORDER_NOTE in p.notes
    assert any("85%" in b for b in cq.basis)


def test_alaska_tie_in_pe_goes_to_the_unit_without_cq():
    # 02102-01 ALASKA 2025 GPCI: work 1.500, PE 1.081, MP 0.592.
    # 97110: 21.8338875 + 15.035623595 + 0.19149128 = 37.061002375 = $37.06; half PE 7.52.
    # 30 min with 15 by the PTA: one plain unit and one CQ unit of 97110 (M-12). Equal PE;
    # the tie goes to the higher total fee after CQ (P-3, docs/pricing.md): the plain unit.
    #   plain: 37.06; coins 7.412 -> 7.41; Medicare 29.65; seq 0.593 -> 0.59; expected 29.06
    #   CQ:    37.06 - 7.52 = 29.54; CQ 15% = 4.431 -> 4.43; allowed 25.11;
    #          coins 5.022 -> 5.02; Medicare 20.09; seq 0.4018 -> 0.40; expected 19.69
    c = coded(timed("97110", 30, assistant_minutes=15))
    p = price_visit(c, profile(), provider("02102-01"))
    plain, cq = line(p, "97110"), line(p, "97110", cq=True)
    assert (plain.allowed, plain.mppr_reduction, plain.expected_payment) == (
        D("37.06"),
        D(0),
        D("29.06"),
    )
    assert (cq.mppr_reduction, cq.cq_reduction, cq.allowed, cq.expected_payment) == (
        D("7.52"),
        D("4.43"),
        D("25.11"),
        D("19.69"),
    )


def test_bundled_code_pays_nothing_with_the_reason():
    c = coded(timed("97110", 15), {"code": "97010"})
    p = price_visit(c, profile(), provider("06102-16"))
    hot = line(p, "97010")
    assert hot.status == "not_paid"
    assert (hot.allowed, hot.expected_payment, hot.patient_responsibility) == (D(0), D(0), D(0))
    assert "status B" in hot.basis[0]
    # 97110 alone: the day's only always-therapy unit, not reduced; $29.54 in Chicago.
    assert line(p, "97110").allowed == D("29.54")
    assert p.complete


def test_deductible_applies_line_by_line_before_coinsurance():
    # Same visit as the Chicago test, $60.00 of deductible left (P-6):
    #   97110 allowed 51.97: all to the deductible; coinsurance 0; Medicare 0; expected 0.
    #   97140 allowed 21.28: deductible 8.03 (60 - 51.97); coins 20% x 13.25 = 2.65;
    #          Medicare 21.28 - 8.03 - 2.65 = 10.60; seq 0.212 -> 0.21; expected 10.39
    c = coded(timed("97110", 30), timed("97140", 15))
    p = price_visit(c, profile(), provider("06102-16"), deductible_remaining=D("60.00"))
    a, b = line(p, "97110"), line(p, "97140")
    assert (a.deductible, a.coinsurance, a.expected_payment) == (D("51.97"), D(0), D(0))
    assert (b.deductible, b.coinsurance, b.sequestration, b.expected_payment) == (
        D("8.03"),
        D("2.65"),
        D("0.21"),
        D("10.39"),
    )
    assert b.patient_responsibility == D("10.68")


def test_without_deductible_input_the_result_says_it_is_excluded():
    p = price_visit(coded(timed("97110", 15)), profile(), provider("06102-16"))
    assert any("EXCLUDES the deductible" in n for n in p.notes)
    configured = profile(annual_deductible={2025: D("257.00")})
    p = price_visit(coded(timed("97110", 15)), configured, provider("06102-16"))
    assert any("$257.00 a year" in n for n in p.notes)


def test_sequestration_example_from_the_rules():
    # P-7: allowed $100, $50 to the deductible, Medicare would pay $40, pays $39.20.
    s = settle(D("100.00"), D("50.00"), D(20), D(2), True)
    assert (s.deductible, s.coinsurance, s.payer_before_sequestration) == (
        D("50.00"),
        D("10.00"),
        D("40.00"),
    )
    assert (s.sequestration, s.expected_payment, s.patient_responsibility) == (
        D("0.80"),
        D("39.20"),
        D("60.00"),
    )


def test_no_locality_is_reported_on_every_line():
    c = coded(timed("97110", 30), timed("97140", 15))
    p = price_visit(c, profile(), provider(None))
    assert not p.complete and p.allowed is None
    for x in p.lines:
        assert x.status == "unpriced"
        assert "no Medicare locality" in x.basis[0] and "ZIP" in x.basis[0]


def test_unknown_locality_is_reported():
    p = price_visit(coded(timed("97110", 15)), profile(), provider("99999-99"))
    assert p.lines[0].status == "unpriced"
    assert "99999-99 is not in the 2025 GPCIs" in p.lines[0].basis[0]


def test_contractor_priced_code_is_not_guessed():
    c = coded(timed("97110", 15), {"code": "97139", "description": "unlisted"})
    p = price_visit(c, profile(), provider("06102-16"))
    unlisted = line(p, "97139")
    assert unlisted.status == "unpriced" and "status C" in unlisted.basis[0]
