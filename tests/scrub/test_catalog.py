"""The rule catalog itself: ids, categories, docstrings, citations, payer settings, and the
generated docs/rules.md being current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ptbill.config import load_config
from ptbill.errors import InputError
from ptbill.scrub import CATEGORIES, RULES, active_rules
from ptbill.scrub.registry import SECTIONS
from ptbill.scrub.rulebook import EXTRA_SOURCES, rules_markdown
from tests.scrub.helpers import profile_for, run_case

ROOT = Path(__file__).resolve().parents[2]
BILLING_RULES = ROOT / "docs" / "billing-rules.md"

# The category vocabulary of interfaces.md, copied here so that a change on either side shows.
INTERFACE_CATEGORIES = [
    "units",
    "modifier",
    "ncci",
    "mue",
    "bundled",
    "diagnosis",
    "evaluation",
    "plan_of_care",
    "progress_report",
    "authorization",
    "threshold",
    "timely_filing",
    "documentation",
    "provider",
    "patient",
    "coverage",
    "duplicate",
]


def test_categories_are_the_interface_vocabulary() -> None:
    assert list(CATEGORIES) == INTERFACE_CATEGORIES
    assert {r.category for r in RULES.values()} <= set(CATEGORIES)


def test_issue_3_rule_ids_exist() -> None:
    # the ids the design and the issue name
    for rid in (
        "NCCI-PTP",
        "MUE-UNITS",
        "DX-NOT-BILLABLE",
        "CODE-BUNDLED",
        "POC-EXPIRED",
        "AUTH-MISSING",
        "TIMELY-FILING",
    ):
        assert rid in RULES


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_docstring_has_the_five_sections(rule_id: str) -> None:
    r = RULES[rule_id]
    sections = r.sections()
    assert list(sections) == list(SECTIONS)
    assert all(len(text) > 8 for text in sections.values()), sections
    assert r.title.endswith(".") and len(r.title) <= 120, r.title


def _billing_rules_keys() -> tuple[set[str], str]:
    text = BILLING_RULES.read_text(encoding="utf-8")
    ids = set(re.findall(r"^### ([A-Z]-\d+[a-z]?)$", text, re.MULTILINE))
    return ids, text


def test_every_citation_is_in_billing_rules_or_listed() -> None:
    ids, text = _billing_rules_keys()
    unknown = []
    for r in RULES.values():
        for key in r.citation:
            if re.fullmatch(r"[A-Z]-\d+[a-z]?", key):
                ok = key in ids
            elif key.startswith("MBPM15-"):
                ok = "[MBPM15-" in text
            elif key.startswith("SOURCES.md §"):
                ok = True
            else:
                ok = f"[{key}]" in text or key in EXTRA_SOURCES
            if not ok:
                unknown.append((r.id, key))
    assert not unknown


def test_docs_rules_md_is_current() -> None:
    path = ROOT / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/rules.md is stale: run `ptbill rules --markdown > docs/rules.md`"
    )


def test_docs_name_every_rule_and_the_payer_settings() -> None:
    md = rules_markdown()
    for rid in RULES:
        assert f"## {rid}\n" in md
    assert '`medicare`: allowed = ["PT", "DPT", "MPT", "MSPT"]' in md


def test_bundled_profiles_switch_medicare_rules_on_in_data() -> None:
    config = load_config()
    medicare = {a.rule.id: a for a in active_rules(config.payers["medicare"])}
    commercial = {a.rule.id: a for a in active_rules(config.payers["commercial"])}
    for rid in ("CODE-BUNDLED", "CODE-NOT-PAYABLE", "REFERRING-MISSING"):
        assert rid in medicare and rid not in commercial
    assert medicare["REEVAL-NO-REASON"].severity == "error"
    assert commercial["REEVAL-NO-REASON"].severity == "warning"
    assert medicare["PATIENT-MEMBER-ID"].params.format == "mbi"
    assert "MUE-UNITS" in medicare and "MUE-UNITS" not in commercial
    # payer-dependent rules are left out up front, not run per visit
    assert "AUTH-MISSING" not in medicare and "KX-NOT-DOCUMENTED" not in commercial


@pytest.mark.parametrize(
    ("rules", "field", "problem"),
    [
        ({"NO-SUCH-RULE": {}}, "rules.NO-SUCH-RULE", "no scrub rule"),
        ({"TIMELY-FILING": {"warn_dayz": 3}}, "rules.TIMELY-FILING.warn_dayz", "not a parameter"),
        ({"TIMELY-FILING": {"warn_days": "30"}}, "rules.TIMELY-FILING.warn_days", "wrong type"),
        ({"TIMELY-FILING": {"enabled": "no"}}, "rules.TIMELY-FILING.enabled", "not a boolean"),
        ({"TIMELY-FILING": {"severity": "fatal"}}, "rules.TIMELY-FILING.severity", "severity"),
    ],
)
def test_bad_rule_settings_are_input_errors(rules, field, problem) -> None:
    profile = profile_for("medicare", rules)
    with pytest.raises(InputError) as e:
        active_rules(profile)
    assert e.value.field == field and problem in e.value.problem
    assert "medicare" in e.value.file


def test_a_profile_switches_a_rule_off_and_sets_its_parameters() -> None:
    late = {"set": {"signed": None}}
    assert "DOC-UNSIGNED" in run_case(late).rules()
    off = run_case({**late, "rules": {"DOC-UNSIGNED": {"enabled": False}}})
    assert "DOC-UNSIGNED" not in off.rules() and off.status == "ready"
    # warn_days widens the warning window: 2027-01-10 is 51 days before the deadline
    quiet = run_case({"as_of": "2027-01-10"})
    assert "TIMELY-FILING" not in quiet.rules()
    warned = run_case({"as_of": "2027-01-10", "rules": {"TIMELY-FILING": {"warn_days": 60}}})
    assert [f.severity for f in warned.findings if f.rule == "TIMELY-FILING"] == ["warning"]


def test_a_profile_severity_caps_every_hit_of_the_rule() -> None:
    case = {"set": {"signed": None}, "rules": {"DOC-UNSIGNED": {"severity": "warning"}}}
    r = run_case(case)
    assert [f.severity for f in r.findings if f.rule == "DOC-UNSIGNED"] == ["warning"]
    assert r.status == "ready"
    # a hit the rule itself reports as a warning stays a warning under severity = "error"
    soon = run_case({"as_of": "2027-02-10", "rules": {"TIMELY-FILING": {"severity": "error"}}})
    assert [f.severity for f in soon.findings if f.rule == "TIMELY-FILING"] == ["warning"]
