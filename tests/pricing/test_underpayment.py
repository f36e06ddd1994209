"""Underpayment detection against payers that short-pay, each short payment worked out by hand
from the expected line (Chicago 2025, see test_medicare_prices):

  97110 x2: unit 29.54, MPPR cut 7.11 on one unit, allowed 51.97, expected 40.75
  97140 x1: unit 27.90, MPPR cut 6.62, allowed 21.28, expected 16.68
"""

from __future__ import annotations

from ptbill.pricing import Adjustment, PaidLine, Tolerance, find_underpayments, price_visit
from ptbill.reference.importers.pfs import import_pfs
from ptbill.reference.snapshot import take_snapshot
from tests.factories import timed
from tests.pricing.conftest import FIXTURES
from tests.pricing.helpers import D, coded, line, profile, provider
from tests.pricing.test_contracts import ACME


def chicago_visit():
    p = price_visit(coded(timed("97110", 30), timed("97140", 15)), profile(), provider("06102-16"))
    return p, line(p, "97110"), line(p, "97140")


def test_payer_took_mppr_on_every_unit():
    # The payer reduced both 97110 units: 2 x 29.54 - 2 x 7.11 = 44.86; coins 8.972 -> 8.97;
    # Medicare 35.89; sequestration 0.7178 -> 0.72; paid 35.17.
    p, a, b = chicago_visit()
    (u,) = find_underpayments(p, [PaidLine(a.index, D("35.17")), PaidLine(b.index, D("16.68"))])
    assert (u.code, u.expected, u.paid, u.gap) == ("97110", D("40.75"), D("35.17"), D("5.58"))
    assert u.likely_cause == "mppr" and "MPPR" in u.explanation
    assert "expected $40.75, paid $35.17" in u.explanation


def test_payer_took_the_cq_reduction():
    # 97140 paid as an assistant's service: 21.28 - 15% (3.192 -> 3.19) = 18.09;
    # coins 3.618 -> 3.62; Medicare 14.47; sequestration 0.2894 -> 0.29; paid 14.18.
    p, _, b = chicago_visit()
    (u,) = find_underpayments(p, [PaidLine(b.index, D("14.18"))])
    assert u.likely_cause == "cq" and u.gap == D("2.50")


def test_deductible_named_by_the_835():
    # $20.00 of 97110's allowed 51.97 went to the deductible: coins 20% x 31.97 = 6.394 ->
    # 6.39; Medicare 25.58; sequestration 0.5116 -> 0.51; paid 25.07.
    p, a, _ = chicago_visit()
    paid = PaidLine(
        a.index,
        D("25.07"),
        payer_allowed=D("51.97"),
        adjustments=(
            Adjustment("PR", "1", D("20.00")),
            Adjustment("PR", "2", D("6.39")),
            Adjustment("CO", "253", D("0.51")),
        ),
    )
    (u,) = find_underpayments(p, [paid])
    assert u.likely_cause == "deductible" and "$20.00" in u.explanation
    assert "CARC" in u.explanation


def test_within_tolerance_is_not_a_finding():
    p, a, b = chicago_visit()
    assert (
        find_underpayments(
            p,
            [
                PaidLine(a.index, D("40.00")),  # short 0.75 <= $1.00
                PaidLine(b.index, D("17.00")),
            ],
        )
        == []
    )  # overpaid
    tight = Tolerance(D("0.10"), D(0))
    (u,) = find_underpayments(p, [PaidLine(a.index, D("40.00"))], tight)
    assert u.gap == D("0.75")
    # 1% of a $200.00 expected payment is $2.00: a $1.50 gap is within it.
    assert Tolerance().allows(D("1.50"), D("200.00"))
    assert not Tolerance().allows(D("2.01"), D("200.00"))
    assert Tolerance.from_profile(profile(underpayment_tolerance=D("5"))).amount == D("5")


def test_payer_allowed_another_fee_schedule():
    p, a, _ = chicago_visit()
    (u,) = find_underpayments(p, [PaidLine(a.index, D("36.00"), payer_allowed=D("48.00"))])
    assert u.likely_cause == "wrong_fee_schedule" and "$48.00" in u.explanation


def test_payer_allowed_amount_that_is_the_mppr_alternative():
    # The payer's allowed 44.86 is 97110 with both units reduced (see the MPPR test); the paid
    # amount does not match exactly (it took something else off too), but the allowed does.
    p, a, _ = chicago_visit()
    (u,) = find_underpayments(p, [PaidLine(a.index, D("30.00"), payer_allowed=D("44.86"))])
    assert u.likely_cause == "mppr"


def test_commercial_payer_short_paying_every_line_by_the_same_fraction():
    # Contract: 97110 2 x 50.00 = 100.00, 97140 45.00, no coinsurance. The payer pays 90% of
    # each (90.00, 40.50): a deductible would fill lines in order, not cut each by 10%.
    c = coded(timed("97110", 30), timed("97140", 15), payer="commercial")
    p = price_visit(c, profile("commercial"), provider(), {"commercial": ACME})
    a, b = line(p, "97110"), line(p, "97140")
    found = find_underpayments(p, [PaidLine(a.index, D("90.00")), PaidLine(b.index, D("40.50"))])
    assert [u.likely_cause for u in found] == ["wrong_fee_schedule"] * 2
    assert "90.00% of expected" in found[0].explanation


def test_single_unexplained_short_line_on_a_contract_points_to_the_deductible():
    c = coded(timed("97110", 30), payer="commercial")
    p = price_visit(c, profile("commercial"), provider(), {"commercial": ACME})
    (u,) = find_underpayments(p, [PaidLine(p.lines[0].index, D("70.00"))])
    assert u.likely_cause == "deductible" and "deductible" in u.candidates
    # With itemised 835 adjustments and no PR-1, a deductible is ruled out.
    paid = PaidLine(p.lines[0].index, D("70.00"), adjustments=(Adjustment("CO", "45", D("30.00")),))
    (u,) = find_underpayments(p, [paid])
    assert u.likely_cause == "unexplained" and "deductible" not in u.candidates


def test_sequestration_when_the_year_rate_is_unknown(data_dir):
    # 2026 (imported fixture release): 97161 alone in Chicago = 101.28; coins 20.256 -> 20.26;
    # expected before sequestration 81.02. The payer took 2%: 1.6204 -> 1.62; paid 79.40.
    import_pfs(data_dir, FIXTURES / "PPRRVU2026_fixture.csv")
    p = price_visit(
        coded({"code": "97161"}, dos="2026-08-03"),
        profile(),
        provider("06102-16"),
        reference=take_snapshot(data_dir),
    )
    (u,) = find_underpayments(p, [PaidLine(p.lines[0].index, D("79.40"))])
    assert u.likely_cause == "sequestration" and u.gap == D("1.62")


def test_lines_without_an_expected_amount_are_not_judged():
    p = price_visit(
        coded(timed("97110", 15), {"code": "97010"}, dos="2026-02-02"),
        profile(),
        provider("06102-16"),
    )
    assert find_underpayments(p, [PaidLine(x.index, D(0)) for x in p.lines]) == []
