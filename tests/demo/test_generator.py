"""The synthetic clinic: deterministic, valid, codable and shaped like a PT practice."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest

from ptbill.coding import code_visit, resolve
from ptbill.coding.modifiers import DISTINCT_MODIFIERS
from ptbill.config import load_config
from ptbill.demo import data
from ptbill.demo.generator import START, generate, npi_check_digit, working_days
from ptbill.domain.visit import Visit
from tests.demo.checks import (
    KX,
    KX_2026,
    MBI,
    TIMED,
    billable,
    is_external_cause,
    luhn_npi_ok,
    treatment_day,
)


def mistakes(visit: dict[str, Any]) -> list[str]:
    return visit["extensions"]["synthetic"]["mistakes"]


def clean(visits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in visits if not mistakes(v)]


# -- identifiers --


def test_npi_check_digit_cms_example() -> None:
    # CMS's worked example in the NPI check-digit paper: base 123456789 -> check digit 3.
    assert npi_check_digit("123456789") == 3
    # The spec's example referring NPI 1245319599 carries check digit 9.
    assert npi_check_digit("124531959") == 9


@pytest.mark.parametrize("bad", ["12345678", "1234567890", "12345678a"])
def test_npi_check_digit_refuses_a_bad_base(bad: str) -> None:
    with pytest.raises(ValueError):
        npi_check_digit(bad)


def test_every_provider_npi_is_valid(visits: list[dict[str, Any]]) -> None:
    npis = set()
    for v in visits:
        people = [v["referring_provider"]]
        if "invalid_npi" not in mistakes(v):  # that mistake is the rendering PT's NPI
            people += [v["rendering_provider"], v["supervising_provider"]]
        npis |= {p["npi"] for p in people if p is not None}
        npis.add(v["episode"]["plan_of_care"]["certifying_npi"])
    assert len(npis) > 20
    assert all(luhn_npi_ok(npi) for npi in npis)


def test_medicare_member_ids_are_mbis_and_others_alphanumeric(visits: list[dict[str, Any]]) -> None:
    for v in visits:
        member = v["subscriber"]["member_id"]
        if v["payer"] == "medicare" and "invalid_member_id" not in mistakes(v):
            assert MBI.match(member), v["visit_id"]
        elif v["payer"] != "medicare":
            assert member.isalnum() and not MBI.match(member)


# -- determinism and shape --


def test_same_seed_same_visits_other_seed_other_visits() -> None:
    assert generate(300, 11) == generate(300, 11)
    assert generate(300, 11) != generate(300, 12)


def test_generate_does_not_touch_global_random() -> None:
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    generate(50, 1)
    assert random.random() == expected


def test_count_ids_and_validation(visits: list[dict[str, Any]]) -> None:
    n = len(visits)
    assert n == 2000
    assert len({v["visit_id"] for v in visits}) == n
    for v in visits:
        Visit.model_validate(v)
        assert v["clinic"] == "elm-street-pt"


def test_arguments() -> None:
    assert generate(0, 1) == []
    for bad in ({"n": -1}, {"days": 0}, {"error_rate": 1.5}):
        with pytest.raises(ValueError):
            generate(**{"n": 5, "seed": 1, **bad})  # type: ignore[arg-type]


def test_dates_are_working_days_of_the_window() -> None:
    start = dt.date(2026, 5, 9)  # a Saturday: the window opens on Monday the 11th
    days = working_days(start, 7)
    assert days[0] == dt.date(2026, 5, 11) and len(days) == 7
    assert all(d.weekday() < 5 for d in days)
    visits = generate(400, 3, start=start, days=7, error_rate=0)
    assert {dt.date.fromisoformat(v["date_of_service"]) for v in visits} <= set(days)
    assert len({v["date_of_service"] for v in visits}) == 7


def test_payer_mix_and_mistake_share(visits: list[dict[str, Any]]) -> None:
    share, n = Counter(v["payer"] for v in visits), len(visits)
    assert 0.38 <= share["medicare"] / n <= 0.52
    assert 0.09 <= share["medicaid"] / n <= 0.21
    assert 0.28 <= share["commercial"] / n <= 0.42
    assert 0.02 <= share["acme-ppo"] / n <= 0.09
    assert set(share) == {"medicare", "medicaid", "commercial", "acme-ppo"}
    mistaken = sum(1 for v in visits if mistakes(v)) / n
    assert 0.09 <= mistaken <= 0.15


# -- the clinical content of clean visits --


def test_every_diagnosis_code_the_generator_knows_is_billable() -> None:
    known = {c for cond in data.CONDITIONS + data.SENIOR_CONDITIONS for c in cond.diagnoses}
    known |= {c.external_cause for c in data.CONDITIONS if c.external_cause}
    known |= {"M62.81", "W19.XXXD", "X50.0XXD"}
    assert len(known) >= 30
    assert [c for c in known if not billable(c)] == []


def test_diagnoses_used_are_billable(visits: list[dict[str, Any]]) -> None:
    for v in visits:
        if "invalid_diagnosis" not in mistakes(v):
            assert all(billable(c) for c in v["diagnoses"]), v["diagnoses"]


def test_clean_visit_content(visits: list[dict[str, Any]]) -> None:
    for v in clean(visits):
        dos = dt.date.fromisoformat(v["date_of_service"])
        services = v["services"]
        codes = [s["code"] for s in services]
        timed = [s for s in services if s["code"] in TIMED]
        assert v["diagnoses"] and not is_external_cause(v["diagnoses"][0])
        for s in services:
            assert s["diagnosis_pointers"]
            assert all(
                not is_external_cause(v["diagnoses"][p - 1]) for p in s["diagnosis_pointers"]
            )
        for s in timed:
            assert 8 <= s["minutes"] <= 38 and 0 <= s["assistant_minutes"] <= s["minutes"]
            assert s["note"]["purpose"] and s["note"]["response"]
            if s["code"] == "97140":
                assert s["body_region"]
        assert v["total_timed_minutes"] == sum(s["minutes"] for s in timed)
        assert v["total_treatment_minutes"] == sum(s["minutes"] for s in services)
        evals = [s for s in services if s["code"] in ("97161", "97162", "97163", "97164")]
        if not evals:  # a treatment visit: 2-4 timed codes, 23-60 minutes
            assert 2 <= len(timed) <= 4 and 23 <= v["total_timed_minutes"] <= 60
        assert len(evals) <= 1
        if any(s.get("assistant_minutes") for s in services):
            assert v["supervising_provider"]["credential"] == "PT"
        assert v["signed"] == {
            "by_npi": v["rendering_provider"]["npi"],
            "date": v["date_of_service"],
        }
        assert v["rendering_provider"]["credential"] == "PT"
        if v["payer"] == "medicare":
            assert "97010" not in codes and "97014" not in codes
        elif "G0283" in codes:
            pytest.fail("G0283 is the Medicare code; others bill 97014")
        assert dos >= START


def test_evaluation_components_match_the_level(visits: list[dict[str, Any]]) -> None:
    # billing-rules.md E-1: history / exam / presentation / decision making per level.
    seen = Counter()
    for v in clean(visits):
        for s in v["services"]:
            e = s.get("evaluation")
            if s["code"] == "97161":
                assert e["history_factors"] == 0 and 1 <= e["exam_elements"] <= 2
                assert (e["presentation"], e["decision_making"]) == ("stable", "low")
            elif s["code"] == "97162":
                assert 1 <= e["history_factors"] <= 2 and e["exam_elements"] >= 3
                assert (e["presentation"], e["decision_making"]) == ("evolving", "moderate")
            elif s["code"] == "97163":
                assert e["history_factors"] >= 3 and e["exam_elements"] >= 4
                assert (e["presentation"], e["decision_making"]) == ("unstable", "high")
            elif s["code"] == "97164":
                assert s["reevaluation_reason"]
            else:
                continue
            seen[s["code"]] += 1
            if s["code"] != "97164":
                assert v["episode"]["visit_number"] == 1
    assert set(seen) == {"97161", "97162", "97163", "97164"}


def test_episodes(visits: list[dict[str, Any]]) -> None:
    reports = 0
    for v in clean(visits):
        dos = dt.date.fromisoformat(v["date_of_service"])
        ep = v["episode"]
        poc = ep["plan_of_care"]
        start, end = (dt.date.fromisoformat(poc[k]) for k in ("start_date", "end_date"))
        certified = dt.date.fromisoformat(poc["certified_date"])
        assert start <= dos <= end and (end - start).days <= 90  # D-4
        assert 0 < (certified - start).days <= 30  # D-3
        assert poc["certifying_npi"] == v["referring_provider"]["npi"]  # C-7
        # D-8: never past the 10th treatment day, nor on it without writing the report.
        assert treatment_day(ep) < 10 or ep["progress_report_this_visit"]
        reports += ep["progress_report_this_visit"]
        auth = ep["authorization"]
        if v["payer"] == "medicare":
            assert auth is None
        else:
            assert auth["visits_used"] < auth["visits_authorized"]
            assert auth["start_date"] <= v["date_of_service"] <= auth["end_date"]
            assert ep["therapy_amount_ytd"] == "0.00"
    assert reports > 0


def test_medicare_patients_are_65_or_older(visits: list[dict[str, Any]]) -> None:
    for v in visits:
        if v["payer"] == "medicare":
            born = dt.date.fromisoformat(v["patient"]["birth_date"])
            dos = dt.date.fromisoformat(v["date_of_service"])
            assert (dos.year - born.year - ((dos.month, dos.day) < (born.month, born.day))) >= 65


def test_therapy_amount_grows_and_kx_is_documented_past_the_threshold(
    visits: list[dict[str, Any]],
) -> None:
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in clean(visits):
        if v["payer"] == "medicare":
            by_patient[v["patient"]["id"]].append(v)
    growing = 0
    for series in by_patient.values():
        amounts = [Decimal(v["episode"]["therapy_amount_ytd"]) for v in series]
        assert amounts == sorted(amounts)
        growing += len(set(amounts)) > 1
    assert growing > 10
    over = [
        v
        for vs in by_patient.values()
        for v in vs
        if Decimal(v["episode"]["therapy_amount_ytd"]) > KX_2026
    ]
    assert over, "some Medicare patients pass the 2026 KX threshold"
    assert all(v["episode"]["kx_medical_necessity_documented"] for v in over)


# -- the coding engine takes every visit --


def test_the_coding_engine_codes_every_visit(visits: list[dict[str, Any]]) -> None:
    config = load_config()
    ncci_pairs = kx_lines = 0
    for d in visits:
        v = Visit.model_validate(d)
        ctx = resolve(v, config, "demo")
        coded = code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality)
        assert coded.lines
        kinds = mistakes(d)
        lines = {line.code: line for line in coded.billed_lines}
        if "97140" in lines and "97530" in lines:
            distinct = set(lines["97530"].modifiers) & DISTINCT_MODIFIERS
            assert bool(distinct) == ("ncci_not_distinct" not in kinds), d["visit_id"]
            ncci_pairs += 1
        ep = d["episode"]
        if v.payer == "medicare" and coded.billed_lines and not kinds:
            assert all(line.modifiers[0] == "GP" for line in coded.billed_lines)
            if Decimal(ep["therapy_amount_ytd"]) > KX_2026:
                assert all("KX" in line.modifiers for line in coded.billed_lines)
                kx_lines += 1
        limit = KX.get(v.date_of_service.year)  # none for a visit shifted back to 2024
        if v.payer == "medicare" and "kx_not_documented" not in kinds and limit is not None:
            # Even the charges (more than any Medicare amount) keep an undocumented visit
            # within the threshold: no line goes out past it without KX (M-3, PR-119).
            reach = Decimal(ep["therapy_amount_ytd"]) + coded.total_charge
            assert ep["kx_medical_necessity_documented"] or reach <= limit, d["visit_id"]
        if "kx_not_documented" in kinds:
            assert not any("KX" in line.modifiers for line in coded.lines)
    assert ncci_pairs > 10 and kx_lines > 0
