"""scrub_visit as a function: clean visits pass, results are pure and deterministic, batches
and history find duplicates, and messages never carry patient identifiers."""

from __future__ import annotations

import re

import pytest

from ptbill.domain import Visit
from ptbill.scrub import Batch, scrub_batch, scrub_visit
from tests.factories import BASE
from tests.scrub.helpers import (
    AS_OF,
    base_dict,
    coded_for,
    context,
    fixture_files,
    load_fixture,
    profile_for,
    run_case,
)


@pytest.mark.parametrize("payer", ["medicare", "medicaid", "commercial", "acme-ppo"])
def test_the_clean_base_visit_has_no_finding(payer: str) -> None:
    r = run_case({"payer": payer})
    assert r.status == "ready" and r.findings == ()


def test_same_input_same_result_and_json_shape() -> None:
    v = Visit.model_validate(base_dict())
    v2 = v.model_copy(update={"signed": None})
    ctx = context(v2, profile_for("medicare"))
    coded = coded_for(v2, ctx)
    a = scrub_visit(v2, coded, ctx, AS_OF)
    b = scrub_visit(v2, coded, ctx, AS_OF)
    assert a == b and a.status == "blocked"
    assert a.to_json() == {
        "visit_id": "V-TEST-1",
        "status": "blocked",
        "findings": [
            {
                "rule": "DOC-UNSIGNED",
                "category": "documentation",
                "severity": "error",
                "line": None,
                "message": "the treatment note for 2026-03-02 is not signed",
                "fix": "have the treating therapist sign the note before billing",
                "citation": ["D-9", "MBPM15-220.3E"],
            }
        ],
    }


def test_batch_as_a_plain_list_or_prebuilt_gives_the_same_findings() -> None:
    v = Visit.model_validate(base_dict())
    twin = Visit.model_validate(base_dict())
    ctx = context(v, profile_for("medicare"))
    coded = coded_for(v, ctx)
    from_list = scrub_visit(v, coded, ctx, AS_OF, batch=[v, twin])
    prebuilt = scrub_visit(v, coded, ctx, AS_OF, batch=Batch([v, twin]))
    assert from_list == prebuilt and "DUP-IN-BATCH" in from_list.rules()
    # the visit alone in its batch is not its own duplicate
    assert scrub_visit(v, coded, ctx, AS_OF, batch=[v]).findings == ()


def test_scrub_batch_flags_both_copies_of_a_duplicate() -> None:
    v = Visit.model_validate(base_dict())
    other = base_dict()
    other["visit_id"], other["patient"]["id"] = "V-TEST-2", "P-2"
    items = []
    for visit in (v, Visit.model_validate(base_dict()), Visit.model_validate(other)):
        ctx = context(visit, profile_for("medicare"))
        items.append((visit, coded_for(visit, ctx), ctx))
    results = scrub_batch(items, AS_OF)
    assert [r.status for r in results] == ["blocked", "blocked", "ready"]


def test_as_of_is_explicit_nothing_reads_the_clock() -> None:
    late = run_case({"as_of": "2030-01-01"})
    early = run_case({"as_of": "2026-03-02"})
    assert "TIMELY-FILING" in late.rules() and early.findings == ()


def test_findings_come_in_catalog_order_with_lines_in_range() -> None:
    r = run_case(
        {
            "services": [{"code": "97010"}, {"code": "97014"}],
            "set": {"signed": None, "diagnoses": ["M17.1"]},
        }
    )
    from ptbill.scrub import RULES

    order = list(RULES)
    ids = [f.rule for f in r.findings]
    assert ids == sorted(ids, key=order.index)
    assert all(f.line is None or 1 <= f.line <= 2 for f in r.findings)


PHI = re.compile(r"\b(Ann|Lee|1951-04-09|1EG4TE5MK73|Sam|Nguyen|Maya|Ortiz)\b")


def test_messages_never_carry_patient_or_person_identifiers() -> None:
    # every failing fixture case, checked for the base visit's names, birth date and member id
    seen = 0
    for path in fixture_files():
        for case in load_fixture(path)["cases"]:
            for f in run_case(case).findings:
                assert not PHI.search(f.message) and not PHI.search(f.fix), (f.rule, f.message)
                seen += 1
    assert seen > 100
    assert BASE["patient"]["first_name"] == "Ann"  # the names the pattern looks for


def test_a_day_without_kx_threshold_data_is_reported_not_guessed() -> None:
    r = run_case(
        {
            "set": {
                "date_of_service": "2027-01-04",
                "signed.date": "2027-01-04",
                "episode.therapy_amount_ytd": "9000.00",
            },
            "as_of": "2027-01-10",
        }
    )
    assert "KX-THRESHOLD-UNKNOWN" in r.rules() and "KX-NOT-DOCUMENTED" not in r.rules()


def test_history_only_counts_the_same_day() -> None:
    r = run_case(
        {
            "history": [
                {
                    "set": {
                        "visit_id": "V-0",
                        "date_of_service": "2026-03-01",
                        "signed.date": "2026-03-01",
                    }
                }
            ]
        }
    )
    assert r.findings == ()
    assert run_case({"history": [{"set": {"visit_id": "V-0"}}]}).blocked
