"""Findings that say one thing once (issue #13, item 4): one problem of a visit is one finding,
not the same problem again under a second rule."""

from __future__ import annotations

from typing import Any

from tests.scrub.helpers import run_case, timed


def _errors(case: dict[str, Any]) -> list[str]:
    return [f.rule for f in run_case(case).findings if f.severity == "error"]


def test_an_unknown_codes_minutes_are_real_not_a_total_mismatch() -> None:
    # 97999 is not in the catalog (CODE-UNKNOWN, U-3); its 10 minutes are in the recorded total
    # timed minutes, which agree with the note (U-9): no UNITS-TOTAL-MISMATCH on top.
    services = [timed("97110", 24), timed("97999", 10)]
    errors = _errors({"services": services, "set": {"total_timed_minutes": 34}})
    assert "CODE-UNKNOWN" in errors and "UNITS-TOTAL-MISMATCH" not in errors
    # ... while a total that no reading of the minutes gives is still a mismatch
    off = _errors({"services": services, "set": {"total_timed_minutes": 35}})
    assert "UNITS-TOTAL-MISMATCH" in off


def test_an_evaluation_with_a_re_evaluation_is_one_finding() -> None:
    # 97162 + 97164 one day: E-7 (one evaluation code a day) is EVAL-WITH-REEVAL's; the PTP
    # pair 97162/97164 (indicator 0) says the same and is left to it.
    services = [timed("97162", 30), {**timed("97164", 20), "reevaluation_reason": "new fall"}]
    assert _errors({"services": services}) == ["EVAL-WITH-REEVAL"]
    # two initial evaluations: EVAL-MULTIPLE, once
    assert _errors({"services": [timed("97161", 30), timed("97163", 45)]}) == ["EVAL-MULTIPLE"]
    # the evaluation rule off for a payer: the pair edit speaks instead
    off = {"services": services, "rules": {"EVAL-WITH-REEVAL": {"enabled": False}}}
    assert _errors(off) == ["NCCI-PTP"]


def test_other_pairs_of_an_evaluation_day_are_still_ncci_findings() -> None:
    # 97164 with 97750 (indicator 0) is not an evaluation pair: NCCI-PTP reports it
    services = [{**timed("97164", 20), "reevaluation_reason": "new fall"}, timed("97750", 15)]
    assert "NCCI-PTP" in _errors({"services": services})
