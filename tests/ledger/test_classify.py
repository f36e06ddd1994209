"""Denial classification and deadlines (billing-rules.md R-1..R-3, C-8, C-10)."""

from __future__ import annotations

import datetime as dt

import pytest

from ptbill.denials.classify import classify, due_date, rejection_category

# (group, CARC, RARC) -> (category, action): the usual fix of R-2's table, as R-3's actions.
CASES = [
    ("CO", "45", None, "contractual", "informational"),
    ("CO", "253", None, "contractual", "informational"),  # sequestration, P-7
    ("PR", "1", None, "patient_responsibility", "bill_patient"),
    ("PR", "2", None, "patient_responsibility", "bill_patient"),
    ("CO", "4", None, "documentation", "correct_and_resubmit"),  # add/correct the modifier
    ("CO", "16", "M51", "documentation", "correct_and_resubmit"),  # not an appeal
    ("CO", "18", None, "duplicate", "reopen"),  # replacement or reopening, never a resend
    ("CO", "29", None, "timely_filing", "write_off"),  # no appeal rights (C-8)
    ("CO", "50", "N115", "medical_necessity", "appeal_with_records"),
    ("CO", "97", "M15", "ncci_bundling", "write_off"),  # bundled: do not bill it
    ("CO", "236", None, "ncci_bundling", "correct_and_resubmit"),  # 59/X only if distinct
    ("CO", "151", None, "medical_necessity", "appeal_with_records"),
    ("CO", "197", None, "authorization", "appeal_with_records"),  # retro auth, then appeal
    ("PR", "119", None, "benefit_maximum", "bill_patient"),  # patient liable only with ABN
    ("CO", "119", None, "benefit_maximum", "correct_and_resubmit"),  # add KX if documented
    ("CO", "204", None, "non_covered", "write_off"),
    ("CO", "27", None, "eligibility", "correct_and_resubmit"),
    ("CO", "999", None, "other", "review"),  # unknown: the work queue
]


@pytest.mark.parametrize(("group", "carc", "rarc", "category", "action"), CASES)
def test_classification(
    group: str, carc: str, rarc: str | None, category: str, action: str
) -> None:
    c = classify(group, carc, rarc)
    assert (c.category, c.action) == (category, action)
    assert c.is_denial == (category not in ("contractual", "patient_responsibility"))


def test_plain_words_name_the_remark() -> None:
    c = classify("CO", "50", "N115")
    assert "medically necessary" in c.plain and "local coverage determination" in c.plain


DETERMINED = dt.date(2026, 4, 16)
DOS = dt.date(2026, 3, 2)


def test_medicare_redetermination_is_120_days_from_the_initial_determination() -> None:
    due = due_date(
        "appeal_with_records",
        medicare=True,
        appeal_days=120,
        timely_filing_days=365,
        date_of_service=DOS,
        determined_on=DETERMINED,
    )
    assert due == dt.date(2026, 8, 14)  # 2026-04-16 + 120 days


def test_appeal_window_follows_the_payer_profile() -> None:
    due = due_date(
        "appeal_with_records",
        medicare=False,
        appeal_days=180,
        timely_filing_days=90,
        date_of_service=DOS,
        determined_on=DETERMINED,
    )
    assert due == DETERMINED + dt.timedelta(days=180)


def test_medicare_reopening_within_a_year_of_the_determination() -> None:
    due = due_date(
        "reopen",
        medicare=True,
        appeal_days=120,
        timely_filing_days=365,
        date_of_service=DOS,
        determined_on=DETERMINED,
    )
    assert due == dt.date(2027, 4, 16)  # C-10: one year


def test_an_unprocessed_claim_is_corrected_within_timely_filing_from_the_service() -> None:
    # Rejected or unprocessable claims do not stop the clock (C-8).
    due = due_date(
        "correct_and_resubmit",
        medicare=True,
        appeal_days=120,
        timely_filing_days=365,
        date_of_service=DOS,
        determined_on=DETERMINED,
        processed=False,
    )
    assert due == dt.date(2027, 3, 2)


def test_rejection_categories() -> None:
    assert rejection_category(["164"]) == "eligibility"  # member id
    assert rejection_category(["54"]) == "duplicate"
    assert rejection_category(["562"]) == "claim_data"  # NPI
