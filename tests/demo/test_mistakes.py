"""Labelled mistakes: each visit's label is exactly the set of problems it has."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from ptbill.demo.generator import MISTAKE_KINDS, START, generate
from tests.demo.checks import MBI, billable, problems


def labels(visit: dict[str, Any]) -> list[str]:
    return visit["extensions"]["synthetic"]["mistakes"]


def test_every_kind_is_produced_once_per_mistaken_visit(visits: list[dict[str, Any]]) -> None:
    counts = Counter(k for v in visits for k in labels(v))
    assert set(counts) == set(MISTAKE_KINDS)
    assert all(len(labels(v)) <= 1 for v in visits)
    # Kinds that fit only some visits (an evaluation day, Medicare) still get a fair share.
    assert min(counts.values()) >= max(counts.values()) // 2


def test_labels_match_the_problems(visits: list[dict[str, Any]]) -> None:
    wrong = [
        (v["visit_id"], labels(v), sorted(problems(v, START)))
        for v in visits
        if set(labels(v)) != problems(v, START)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("seed", "start"), [(1, START), (7, START), (99, START), (5, dt.date(2025, 12, 15))]
)  # across New Year
def test_labels_match_the_problems_when_mistakes_are_common(seed: int, start: dt.date) -> None:
    visits = generate(1200, seed, start=start, error_rate=0.6)
    wrong = [
        (v["visit_id"], labels(v), sorted(problems(v, start)))
        for v in visits
        if set(labels(v)) != problems(v, start)
    ]
    assert wrong == []


def test_error_rate_bounds() -> None:
    assert not any(labels(v) for v in generate(500, 4, error_rate=0))
    assert all(len(labels(v)) == 1 for v in generate(500, 4, error_rate=1))


def _one(visits: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(v for v in visits if labels(v) == [kind])


def test_a_few_kinds_concretely(visits: list[dict[str, Any]]) -> None:
    v = _one(visits, "invalid_diagnosis")
    assert not billable(v["diagnoses"][0])  # coded short of its required characters
    assert all(billable(code) for code in v["diagnoses"][1:])

    v = _one(visits, "no_diagnosis")
    assert v["diagnoses"] == []
    assert all("diagnosis_pointers" not in s for s in v["services"])

    v = _one(visits, "medicare_bundled_code")
    assert v["payer"] == "medicare" and "97010" in {s["code"] for s in v["services"]}

    v = _one(visits, "ncci_not_distinct")
    by_code = {s["code"]: s for s in v["services"]}
    assert {"97140", "97530"} <= set(by_code)
    assert all(
        "distinct" not in by_code[c] and "body_region" not in by_code[c] for c in ("97140", "97530")
    )

    v = _one(visits, "invalid_member_id")
    assert v["payer"] == "medicare" and not MBI.match(v["subscriber"]["member_id"])

    v = _one(visits, "authorization_exhausted")
    auth = v["episode"]["authorization"]
    assert v["payer"] != "medicare" and auth["visits_used"] >= auth["visits_authorized"]

    v = _one(visits, "unsigned_note")
    assert v["signed"] is None

    v = _one(visits, "eval_and_reeval_same_day")
    codes = {s["code"] for s in v["services"]}
    assert "97164" in codes and codes & {"97161", "97162", "97163"}
    assert v["episode"]["visit_number"] == 1
