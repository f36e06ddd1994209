"""The KX threshold tracker: year-to-date Medicare allowed amounts per patient, PT+SLP combined
and OT apart (M-3), from priced claims and then from posted remittances."""

from __future__ import annotations

import datetime as dt

import pytest

from ptbill.pricing import KxTracker, RemitLine, bucket_of, price_visit
from tests.factories import timed
from tests.pricing.helpers import D, coded, profile, provider

CHICAGO = provider("06102-16")


def priced(*services, dos: str, visit_id: str):
    return price_visit(coded(*services, dos=dos, visit_id=visit_id), profile(), CHICAGO)


def test_buckets_by_discipline_modifier():
    assert bucket_of(("GP", "KX")) == "pt_slp"
    assert bucket_of(("GN",)) == "pt_slp"
    assert bucket_of(("GO", "CO")) == "ot"
    assert bucket_of(("59",)) is None


def test_priced_claims_add_up_before_the_visit():
    # Allowed amounts (Chicago 2025, see test_medicare_prices): 97110 x1 alone = 29.54;
    # 97110 x2 + 97140 x1 = 51.97 + 21.28 = 73.25. The 97010 line pays $0 and counts $0.
    first = priced(timed("97110", 15), {"code": "97010"}, dos="2025-02-03", visit_id="V1")
    second = priced(timed("97110", 30), timed("97140", 15), dos="2025-02-10", visit_id="V2")
    tracker = KxTracker().with_priced("P-1", first).with_priced("P-1", second)
    ytd = tracker.therapy_amount_ytd("P-1", dt.date(2025, 2, 17))
    assert (ytd.amount, ytd.claims, ytd.estimated_claims) == (D("102.79"), 2, 2)
    # Before the second visit only the first counts; the visit being coded never counts itself.
    assert tracker.therapy_amount_ytd("P-1", dt.date(2025, 2, 9)).amount == D("29.54")
    assert tracker.therapy_amount_ytd("P-1", dt.date(2025, 2, 10), exclude_claim="V2").amount == D(
        "29.54"
    )
    # Another patient, another year, the OT bucket: nothing.
    assert tracker.therapy_amount_ytd("P-2", dt.date(2025, 2, 17)).amount == 0
    assert tracker.therapy_amount_ytd("P-1", dt.date(2026, 1, 5)).amount == 0
    assert tracker.therapy_amount_ytd("P-1", dt.date(2025, 2, 17), "ot").amount == 0


def test_remittance_replaces_the_priced_estimate_of_its_claim():
    first = priced(timed("97110", 15), dos="2025-02-03", visit_id="V1")
    second = priced(timed("97110", 15), dos="2025-02-10", visit_id="V2")
    tracker = (
        KxTracker()
        .with_priced("P-1", first)
        .with_priced("P-1", second)
        .with_remit("P-1", "V1", [RemitLine(dt.date(2025, 2, 3), ("GP",), D("28.90"))])
    )
    ytd = tracker.therapy_amount_ytd("P-1", dt.date(2025, 3, 1))
    # 28.90 posted for V1 + 29.54 priced for V2
    assert (ytd.amount, ytd.claims, ytd.estimated_claims) == (D("58.44"), 2, 1)
    assert "estimated from pricing" in ytd.explanation


def test_ot_lines_go_to_their_own_bucket():
    tracker = KxTracker().with_remit(
        "P-1",
        "C9",
        [
            RemitLine(dt.date(2025, 5, 1), ("GO",), D("40.00")),
            RemitLine(dt.date(2025, 5, 1), ("GP",), D("30.00")),
            RemitLine(dt.date(2025, 5, 1), ("GN",), D("20.00")),
        ],
    )
    on = dt.date(2025, 5, 2)
    assert tracker.therapy_amount_ytd("P-1", on, "ot").amount == D("40.00")
    assert tracker.therapy_amount_ytd("P-1", on, "pt_slp").amount == D("50.00")


def test_unpriced_lines_are_counted_as_unknown():
    unpriced = priced(timed("97110", 15), dos="2026-02-03", visit_id="V1")  # no 2026 RVUs
    ytd = KxTracker().with_priced("P-1", unpriced).therapy_amount_ytd("P-1", dt.date(2026, 3, 1))
    assert ytd.amount == 0 and ytd.unknown_lines == 1


def test_only_medicare_claims_feed_the_tracker():
    commercial = price_visit(
        coded(timed("97110", 15), payer="commercial"), profile("commercial"), CHICAGO, {}
    )
    with pytest.raises(ValueError, match="Medicare"):
        KxTracker().with_priced("P-1", commercial)
