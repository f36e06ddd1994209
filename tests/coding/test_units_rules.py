"""The unit rules of billing-rules.md §1-§2, each worked example as a test."""

from __future__ import annotations

import pytest

from ptbill.coding import units_for
from ptbill.coding.units import allocate_total_time, midpoint_units
from ptbill.config import PayerProfile
from ptbill.domain import Service


def profile(method: str, tie_break: str = "first_listed") -> PayerProfile:
    return PayerProfile(
        key="t",
        name="t",
        unit_method=method,
        payer_id="X",
        payer_name="X",
        tie_break=tie_break,
        ncci_table="none",
    )


def units(method: str, *pairs: tuple[str, int]) -> dict[str, int]:
    services = [Service(code=c, minutes=m) for c, m in pairs]
    return units_for(services, profile(method)).units


# U-10: the CMS table of total timed minutes -> units, row by row.
@pytest.mark.parametrize(
    "low,high,expected",
    [
        (0, 7, 0),
        (8, 22, 1),
        (23, 37, 2),
        (38, 52, 3),
        (53, 67, 4),
        (68, 82, 5),
        (83, 97, 6),
        (98, 112, 7),
        (113, 127, 8),
    ],
)
def test_cms_total_time_table(low: int, high: int, expected: int) -> None:
    for t in (low, high):
        assert midpoint_units(t) == expected


def test_cms_example_1() -> None:  # 97112 24 + 97110 23 = 47 -> 3: 97112 x2, 97110 x1
    assert units("cms", ("97112", 24), ("97110", 23)) == {"97112": 2, "97110": 1}


def test_cms_example_2_either_code_may_carry_the_extra_unit() -> None:
    u = units("cms", ("97112", 20), ("97110", 20))
    assert sorted(u.values()) == [1, 2]  # 40 -> 3, never 3 units on one code


def test_cms_example_3_short_service_wins_on_leftover() -> None:
    assert units("cms", ("97110", 33), ("97140", 7)) == {"97110": 2, "97140": 1}


def test_cms_example_4_extra_services_do_not_add_units() -> None:
    u = units("cms", ("97110", 18), ("97140", 13), ("97116", 10), ("97035", 8))
    assert u == {"97110": 1, "97140": 1, "97116": 1, "97035": 0}


def test_cms_example_5_three_short_services_make_one_unit() -> None:
    u = units("cms", ("97112", 7), ("97110", 7), ("97140", 7))
    assert sum(u.values()) == 1 and max(u.values()) == 1


def test_mac_article_a52758() -> None:
    assert units("cms", ("97140", 35), ("97035", 7)) == {"97140": 2, "97035": 1}


def test_single_service_under_8_minutes_is_not_billed() -> None:  # U-12
    assert units("cms", ("97110", 7)) == {"97110": 0}


def test_u17_short_services_unit_goes_to_the_most_minutes() -> None:
    assert units("cms", ("97110", 3), ("97140", 6)) == {"97110": 0, "97140": 1}


def test_u19_tie_on_leftovers_accepts_either_answer() -> None:
    u = units("cms", ("97110", 22), ("97140", 7))
    assert u in ({"97110": 2, "97140": 0}, {"97110": 1, "97140": 1})


# U-33: the same minutes under both methods.
@pytest.mark.parametrize(
    "pairs,cms,ama",
    [
        ((("97110", 33), ("97140", 7)), {"97110": 2, "97140": 1}, {"97110": 2, "97140": 0}),
        ((("97112", 7), ("97110", 7), ("97140", 7)), None, {"97112": 0, "97110": 0, "97140": 0}),
        ((("97110", 10), ("97140", 10)), None, {"97110": 1, "97140": 1}),
        ((("97112", 24), ("97110", 23)), {"97112": 2, "97110": 1}, {"97112": 2, "97110": 2}),
        ((("97112", 20), ("97110", 20)), None, {"97112": 1, "97110": 1}),
        (
            (("97110", 18), ("97140", 13), ("97116", 10), ("97035", 8)),
            None,
            {"97110": 1, "97140": 1, "97116": 1, "97035": 1},
        ),
    ],
)
def test_methods_compared(pairs, cms, ama) -> None:
    cms_units = units("cms", *pairs)
    if cms is not None:
        assert cms_units == cms
    assert units("ama", *pairs) == ama


def test_cms_totals_of_the_comparison_table() -> None:
    assert sum(units("cms", ("97112", 7), ("97110", 7), ("97140", 7)).values()) == 1
    assert sum(units("cms", ("97110", 10), ("97140", 10)).values()) == 1
    assert sum(units("cms", ("97112", 20), ("97110", 20)).values()) == 3
    ex4 = units("cms", ("97110", 18), ("97140", 13), ("97116", 10), ("97035", 8))
    assert sum(ex4.values()) == 3


def test_ama_midpoint_rule_per_code() -> None:  # U-30: 8-22 = 1, 23-37 = 2, 38-52 = 3
    for m, expected in ((7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3)):
        assert units("ama", ("97110", m)) == {"97110": expected}


def test_untimed_codes_are_one_unit_under_both_methods() -> None:  # U-2, U-32
    for method in ("cms", "ama"):
        assert units(method, ("97012", 25), ("97161", 45)) == {"97012": 1, "97161": 1}


def test_untimed_minutes_never_count_as_timed_minutes() -> None:  # U-7
    result = units_for(
        [Service(code="97161", minutes=45), Service(code="97110", minutes=10)], profile("cms")
    )
    assert result.total_timed_minutes == 10 and result.units["97110"] == 1


def test_same_code_entered_twice_is_one_line() -> None:  # U-21
    result = units_for(
        [Service(code="97110", minutes=10), Service(code="97110", minutes=10)], profile("cms")
    )
    assert result.units == {"97110": 1} and result.total_timed_minutes == 20


def test_tie_break_is_first_listed_by_default() -> None:
    assert units("cms", ("97110", 20), ("97112", 20)) == {"97110": 2, "97112": 1}
    assert units("cms", ("97112", 20), ("97110", 20)) == {"97112": 2, "97110": 1}


def test_priority_decides_equal_leftovers() -> None:
    a = allocate_total_time([20, 20], priority=[1, 0])
    assert a.units == (1, 2)


# Codes with their own time structure follow their definitions (CPT time rule per unit).
@pytest.mark.parametrize(
    "code,minutes,expected",
    [
        ("97129", 7, {"97129": 0}),
        ("97129", 8, {"97129": 1}),
        ("97129", 22, {"97129": 1}),  # 7 past the first 15: below the add-on midpoint
        ("97129", 40, {"97129": 1, "97130": 2}),  # 25 past: 2 add-on units
        ("97550", 15, {"97550": 0}),  # first unit is 30 min: midpoint at 16
        ("97550", 16, {"97550": 1}),
        ("97550", 53, {"97550": 1, "97551": 2}),  # 23 past the first 30
        ("97545", 150, {"97545": 1}),  # 30 past two hours: the hour add-on needs 31
        ("97545", 151, {"97545": 1, "97546": 1}),
    ],
)
def test_time_families(code: str, minutes: int, expected: dict[str, int]) -> None:
    for method in ("cms", "ama"):
        assert units(method, (code, minutes)) == expected


def test_add_on_minutes_join_their_base_code() -> None:
    assert units("cms", ("97129", 15), ("97130", 15)) == {"97129": 1, "97130": 1}
