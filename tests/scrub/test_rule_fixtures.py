"""Every rule against its own fixture (fixtures/RULE-ID.json): each failing case must produce
a finding of that rule with the expected severity, line and wording; each passing case none.
Cases start from a clean visit (helpers.base_dict) and change only what they name."""

from __future__ import annotations

from typing import Any

import pytest

from ptbill.scrub import RULES, Finding
from tests.scrub.helpers import fixture_files, load_fixture, run_case

CASES = [
    pytest.param(data["rule"], case, id=f"{data['rule']}: {case['expect']}: {case['name']}")
    for path in fixture_files()
    for data in [load_fixture(path)]
    for case in data["cases"]
]


def test_every_rule_has_a_failing_and_a_passing_fixture() -> None:
    seen: dict[str, set[str]] = {}
    for path in fixture_files():
        data = load_fixture(path)
        assert path.stem == data["rule"], f"{path.name} names {data['rule']}"
        assert data["rule"] in RULES, f"{path.name}: no rule {data['rule']}"
        seen[data["rule"]] = {c["expect"] for c in data["cases"]}
    missing = [rid for rid in RULES if seen.get(rid) != {"fail", "pass"}]
    assert not missing, f"rules without both a failing and a passing fixture: {missing}"


def _matches(f: Finding, case: dict[str, Any]) -> bool:
    if "severity" in case and f.severity != case["severity"]:
        return False
    if "line" in case and f.line != case["line"]:
        return False
    if any(s not in f.message for s in case.get("message_has", [])):
        return False
    if any(s in f.message for s in case.get("message_not", [])):
        return False
    if any(s not in f.fix for s in case.get("fix_has", [])):
        return False
    return all(
        s.lower() in (f.data_release or "").lower() for s in case.get("data_release_has", [])
    )


@pytest.mark.parametrize(("rule_id", "case"), CASES)
def test_fixture_case(rule_id: str, case: dict[str, Any]) -> None:
    result = run_case(case)
    mine = [f for f in result.findings if f.rule == rule_id]
    if case["expect"] == "pass":
        assert not mine, [f.message for f in mine]
        return
    assert mine, f"{rule_id} did not fire; findings: {[f.rule for f in result.findings]}"
    assert any(_matches(f, case) for f in mine), [
        (f.severity, f.line, f.message, f.fix, f.data_release) for f in mine
    ]
    for f in mine:
        assert f.fix, "every finding has a fix"
        assert f.category == RULES[rule_id].category
    if any(f.severity == "error" for f in result.findings):
        assert result.status == "blocked"
