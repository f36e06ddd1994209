"""Property tests of the unit methods (billing-rules.md U-11, U-13, U-14, U-16, U-31)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ptbill.coding import code_visit, resolve
from ptbill.coding.units import allocate_per_code, allocate_total_time
from ptbill.config import load_config
from tests.factories import timed, visit

minutes_lists = st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=6)
TIMED = ["97110", "97112", "97116", "97140", "97530", "97535", "97035", "97032"]


@given(minutes_lists)
def test_cms_total_is_the_closed_form(minutes: list[int]) -> None:
    t = sum(minutes)
    a = allocate_total_time(minutes)
    assert a.total_units == (0 if t < 8 else (t + 7) // 15)
    assert sum(a.units) == a.total_units  # the engine allocates exactly the day's total


@given(minutes_lists)
def test_cms_every_code_keeps_its_full_units_and_at_most_one_more(minutes: list[int]) -> None:
    a = allocate_total_time(minutes)
    for m, u in zip(minutes, a.units, strict=True):
        assert m // 15 <= u <= m // 15 + 1
        if u > m // 15:
            assert m % 15 > 0  # an extra unit only for a code with leftover minutes


@given(minutes_lists)
def test_cms_extra_units_go_to_the_largest_leftovers(minutes: list[int]) -> None:
    a = allocate_total_time(minutes)
    got = [m % 15 for m, x in zip(minutes, a.extra, strict=True) if x]
    missed = [m % 15 for m, x in zip(minutes, a.extra, strict=True) if not x and m % 15]
    if got and missed:
        assert min(got) >= max(missed)


@given(minutes_lists)
def test_ama_is_per_code(minutes: list[int]) -> None:
    a = allocate_per_code(minutes)
    assert a.units == tuple(0 if m < 8 else (m + 7) // 15 for m in minutes)
    # adding another code never changes a code's units under the per-code method
    assert allocate_per_code([*minutes, 9]).units[: len(minutes)] == a.units


@given(
    st.lists(st.tuples(st.sampled_from(TIMED), st.integers(1, 60)), min_size=1, max_size=5),
    st.sampled_from(["medicare", "commercial"]),
)
def test_engine_units_match_the_method(services, payer) -> None:
    v = visit(*(timed(c, m) for c, m in services), payer=payer)
    ctx = resolve(v, load_config(), "t")
    c = code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality)
    per_code: dict[str, int] = {}
    for code, m in services:
        per_code[code] = per_code.get(code, 0) + m
    assert sorted(x.code for x in c.lines) == sorted(per_code)  # one line per code (U-21)
    total = sum(per_code.values())
    if payer == "medicare":
        expected = 0 if total < 8 else (total + 7) // 15
        assert c.timed_units == sum(x.units for x in c.lines) == expected
    else:
        for x in c.lines:
            m = per_code[x.code]
            assert x.units == (0 if m < 8 else (m + 7) // 15)
    assert all(x.units == 0 or x.modifiers[0] == "GP" for x in c.lines)
