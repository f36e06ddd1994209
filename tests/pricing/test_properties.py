"""Properties of Medicare pricing over random visits (codes, units, CQ, localities, 2025)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from ptbill.domain import CodedVisit
from ptbill.domain.coded import CodedLine
from ptbill.pricing import price_visit
from ptbill.pricing.settle import allowed_parts
from ptbill.reference.catalog import catalog
from ptbill.reference.gpci import gpcis
from tests.pricing.helpers import D, profile, provider

PAYABLE = sorted(
    c
    for c, i in catalog().items()
    if i.rvu_year == 2025 and i.mpfs_status == "A" and i.work_rvu is not None
)
MPPR_CODES = [c for c in PAYABLE if catalog()[c].mppr_applies]
OTHER_CODES = [c for c in PAYABLE if not catalog()[c].mppr_applies]
LOCALITIES = sorted(gpcis(2025))
MEDICARE = profile()


def coded_line(code: str, units: int, cq: bool) -> CodedLine:
    return CodedLine(
        code=code,
        units=units,
        modifiers=("GP", "CQ") if cq else ("GP",),
        diagnosis_pointers=(1,),
        minutes=None,
        assistant_minutes=0,
        charge=None,
        services=(0,),
        explanation=(),
    )


def visit(lines: list[CodedLine]) -> CodedVisit:
    return CodedVisit(
        visit_id="V-P",
        date_of_service=dt.date(2025, 6, 2),
        payer="medicare",
        unit_method="cms",
        total_timed_minutes=0,
        timed_units=0,
        lines=tuple(lines),
    )


line_specs = st.tuples(st.sampled_from(PAYABLE), st.integers(1, 4), st.booleans())


@settings(max_examples=150, deadline=None)
@given(st.lists(line_specs, min_size=1, max_size=6), st.sampled_from(LOCALITIES))
def test_mppr_never_raises_a_price_and_leaves_one_full_unit(specs, locality):
    p = price_visit(visit([coded_line(*s) for s in specs]), MEDICARE, provider(locality))
    assert p.complete
    unreduced_total = D(0)
    for x in p.lines:
        assert x.math is not None
        # The same line without MPPR (every unit full): never less than with it.
        without = allowed_parts(replace(x.math, full_units=x.units)).allowed
        assert x.allowed <= without
        assert x.allowed <= x.unit_fee * x.units
        unreduced_total += x.unit_fee * x.units
        # Every cent of the allowed amount is someone's (P-6, P-7).
        assert x.expected_payment + x.patient_responsibility + x.sequestration == x.allowed
    assert p.allowed <= unreduced_total
    mppr_units = sum(x.units for x in p.lines if catalog()[x.code].mppr_applies)
    full_units = sum(x.math.full_units for x in p.lines if catalog()[x.code].mppr_applies)
    assert full_units == (1 if mppr_units else 0)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(MPPR_CODES),
    st.booleans(),
    st.lists(st.tuples(st.sampled_from(OTHER_CODES), st.integers(1, 3), st.booleans()), max_size=3),
    st.sampled_from(LOCALITIES),
)
def test_a_single_always_therapy_unit_is_never_reduced(code, cq, others, locality):
    lines = [coded_line(code, 1, cq)] + [coded_line(*o) for o in others]
    p = price_visit(visit(lines), MEDICARE, provider(locality))
    single = p.lines[0]
    assert single.mppr_reduction == 0
    assert single.allowed == single.unit_fee - single.cq_reduction
    assert all(x.mppr_reduction == 0 for x in p.lines)
