"""Rules as typed, versioned objects (issue #12, item 4): each rule's parameters a typed
dataclass that payer profiles are checked against, with the file, the rule and the parameter in
every refusal; `since` and `aliases`, so that a renamed rule id keeps working."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ptbill.config import load_config
from ptbill.config.profiles import bundled_payer_data
from ptbill.errors import InputError
from ptbill.scrub import RULES, active_rules, registry
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams, Params, WrongValue, param, parameters, settle
from ptbill.scrub.registry import find_rule, rule
from ptbill.scrub.review import Review
from ptbill.scrub.rulebook import rules_markdown
from tests.scrub.helpers import CLINIC_TOML, base_dict, profile_for, run_case
from tests.scrub.test_cli import run, write


@dataclass(frozen=True, slots=True)
class _Limits(Params):
    most: int = param(1, "the most services a visit may document")
    codes: tuple[str, ...] = param(("97110",), "codes counted")


@pytest.fixture
def renamed() -> Iterator[str]:
    """A rule registered as TEST-SERVICES-MANY, formerly TEST-SERVICES-OLD, for one test (the
    catalog and the profiles' resolved rules are restored after it)."""
    registry._ACTIVE.clear()

    @rule(
        "TEST-SERVICES-MANY",
        "documentation",
        "warning",
        ("D-9",),
        params=_Limits,
        since="0.2.0",
        aliases=("TEST-SERVICES-OLD",),
    )
    def many(r: Review, p: _Limits) -> Iterator[Hit]:
        """More services of the counted codes than the limit.

        *What it checks*: a test rule.
        *Why payers care*: they do not.
        *Fails*: two.
        *Passes*: one.
        *Fix*: nothing.
        """
        n = sum(1 for s in r.visit.services if s.code in p.codes)
        if n > p.most:
            yield Hit(f"{n} services of {', '.join(p.codes)} (most {p.most})", "nothing")

    try:
        yield "TEST-SERVICES-MANY"
    finally:
        del registry.RULES["TEST-SERVICES-MANY"], registry.ALIASES["TEST-SERVICES-OLD"]
        registry._ACTIVE.clear()


def _findings(rules: dict[str, Any]) -> list[tuple[str, str]]:
    case = {"rules": rules, "set": {"services.1.code": "97110"}}  # 97110 twice
    return [(f.rule, f.message) for f in run_case(case).findings if f.rule.startswith("TEST-")]


def test_a_former_id_in_a_profile_reaches_the_rule_and_findings_carry_the_current_id(
    renamed: str,
) -> None:
    assert find_rule("TEST-SERVICES-OLD") is registry.RULES[renamed]
    assert _findings({}) == [(renamed, "2 services of 97110 (most 1)")]
    # the profile names the rule by its former id: its settings apply to the renamed rule
    assert _findings({"TEST-SERVICES-OLD": {"most": 2}}) == []
    assert _findings({"TEST-SERVICES-OLD": {"enabled": False}}) == []
    assert _findings({renamed: {"most": 5}}) == []
    # a bad setting under the former id is refused naming the id it was written under
    with pytest.raises(InputError) as e:
        active_rules(profile_for("medicare", {"TEST-SERVICES-OLD": {"most": "2"}}))
    assert e.value.field == "rules.TEST-SERVICES-OLD.most"


def test_a_clinic_file_written_before_the_rename_overrides_the_bundled_settings(
    renamed: str, tmp_path: Path
) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text(CLINIC_TOML + "[payers.medicare.rules.TEST-SERVICES-OLD]\nmost = 3\n")
    loaded = load_config(str(path)).payers["medicare"]
    assert loaded.rule_source("TEST-SERVICES-OLD") == (
        str(path),
        "payers.medicare.rules.TEST-SERVICES-OLD",
    )
    # as if the bundled profile had been updated to the new id: the clinic's setting wins
    profile = loaded.model_copy(
        update={"rules": {**loaded.rules, renamed: {"most": 4, "severity": "info"}}}
    )
    profile._rule_sources = {
        **loaded._rule_sources,
        renamed: ("bundled payers/medicare.toml", f"rules.{renamed}"),
    }
    (active,) = [a for a in active_rules(profile) if a.rule.id == renamed]
    assert (active.params, active.severity) == (_Limits(most=3), "info")
    # the same rule under both ids in one file is ambiguous: refused, naming the file
    both = tmp_path / "both.toml"
    both.write_text(
        CLINIC_TOML
        + "[payers.medicare.rules.TEST-SERVICES-OLD]\nmost = 3\n"
        + f"[payers.medicare.rules.{renamed}]\nmost = 4\n"
    )
    with pytest.raises(InputError) as e:
        active_rules(load_config(str(both)).payers["medicare"])
    assert e.value.file == str(both) and "set twice" in e.value.problem
    assert renamed in e.value.problem and "TEST-SERVICES-OLD" in e.value.problem


def test_the_docs_list_since_aliases_and_typed_parameters(renamed: str) -> None:
    monkeyed = rules_markdown()
    section = monkeyed.split(f"## {renamed}\n", 1)[1].split("\n## ", 1)[0]
    assert "- since: ptbill 0.2.0; former ids: `TEST-SERVICES-OLD`" in section
    assert "`most` (a whole number; default `1`): the most services" in section
    assert '`codes` (a list of texts; default `["97110"]`): codes counted' in section


def test_a_rule_id_or_alias_cannot_be_taken_twice(renamed: str) -> None:
    def check(r: Review, p: NoParams) -> Iterator[Hit]:
        """X.

        *What it checks*: x.
        *Why payers care*: x.
        *Fails*: x.
        *Passes*: x.
        *Fix*: x.
        """
        yield from ()

    for rid, aliases in (
        ("TEST-SERVICES-OLD", ()),  # a former id is not free for a new rule
        ("TEST-OTHER", ("TEST-SERVICES-MANY",)),  # nor is a current id an alias
        ("TEST-OTHER", ("NCCI-PTP",)),
    ):
        with pytest.raises(ValueError, match="registered twice|already a rule id"):
            rule(rid, "documentation", "info", ("D-9",), aliases=aliases)(check)
    with pytest.raises(ValueError, match="since"):
        rule("TEST-OTHER", "documentation", "info", ("D-9",), since="2026")(check)


def test_every_parameter_is_typed_documented_and_its_default_of_its_type() -> None:
    for r in RULES.values():
        assert isinstance(r.defaults, r.params_type)
        assert [p.name for p in r.parameters] == [f.name for f in dataclasses.fields(r.params_type)]
        for p in r.parameters:
            assert p.doc and p.kind.convert(p.default) == p.default, (r.id, p.name)


@pytest.mark.parametrize(
    ("annotation", "default", "problem"),
    [
        (float, 1.5, "cannot set"),
        (list[int], (1,), "cannot set"),
        (int, "7", "is not a whole number"),
    ],
)
def test_a_parameter_a_profile_cannot_set_is_refused_at_registration(
    annotation: object, default: object, problem: str
) -> None:
    cls = dataclasses.make_dataclass(
        "Bad",
        [("x", annotation, param(default, "doc"))],
        bases=(Params,),
        frozen=True,
        slots=True,
    )
    with pytest.raises(ValueError, match=problem):
        parameters(cls)


def test_settings_are_checked_against_the_types_without_coercion() -> None:
    declared = parameters(_Limits)
    assert settle(_Limits, declared, {"most": 3, "codes": ["97110", "97112"]}) == _Limits(
        3, ("97110", "97112")
    )
    for bad in ({"most": "3"}, {"most": True}, {"most": 2.0}, {"codes": "97110"}, {"codes": [1]}):
        with pytest.raises(WrongValue, match="wrong type"):
            settle(_Limits, declared, bad)
    with pytest.raises(WrongValue, match="not a parameter") as e:
        settle(_Limits, declared, {"mots": 3})
    assert "most, codes" in e.value.fix
    # a literal takes only its values, a table only texts
    ptp = RULES["NCCI-PTP"]
    with pytest.raises(WrongValue, match='one of "error", "warning", "info"'):
        settle(ptp.params_type, ptp.parameters, {"unverified_severity": "fatal"})
    payable = RULES["CODE-NOT-PAYABLE"]
    assert settle(
        payable.params_type, payable.parameters, {"replacements": {"97014": "G0283"}}
    ).replacements == {"97014": "G0283"}
    with pytest.raises(WrongValue):
        settle(payable.params_type, payable.parameters, {"replacements": {"97014": 1}})


def test_a_rules_parameter_reads_by_name_for_the_pages_that_show_it() -> None:
    medicare = {a.rule.id: a for a in active_rules(load_config().payers["medicare"])}
    assert medicare["PROGRESS-REPORT-OVERDUE"].params.get("every") == 10
    assert medicare["PROVIDER-CREDENTIAL"].params.get("allowed") == ("PT", "DPT", "MPT", "MSPT")
    assert medicare["PROVIDER-CREDENTIAL"].params.get("nothing") is None


def test_bundled_profiles_name_rules_by_their_current_ids() -> None:
    for payer, data in bundled_payer_data().items():
        for rid in data.get("rules", {}):
            assert rid in RULES, f"payers/{payer}.toml names {rid}, not a current rule id"


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("warn_dayz = 10", "not a parameter of this rule"),
        ('warn_days = "10"', "wrong type: the parameter is a whole number"),
        ("warn_days = [10]", "wrong type"),
    ],
)
def test_a_bad_setting_in_a_clinic_file_names_the_file_rule_and_parameter(
    tmp_path: Path, setting: str, problem: str
) -> None:
    config = tmp_path / "clinic.toml"
    config.write_text(CLINIC_TOML + f"[payers.medicare.rules.TIMELY-FILING]\n{setting}\n")
    code, out, err = run("--config", str(config), "scrub", write(tmp_path, [base_dict()]))
    assert code == 2 and out == ""
    name = setting.split(" ")[0]
    assert f"{config}: payers.medicare.rules.TIMELY-FILING.{name}: TIMELY-FILING: " in err
    assert problem in err and "Traceback" not in err


def test_a_bad_setting_of_a_derived_profile_names_its_own_section(tmp_path: Path) -> None:
    config = tmp_path / "clinic.toml"
    config.write_text(
        CLINIC_TOML
        + '[payers.acme]\nbase = "commercial"\npayer_id = "ACME"\n'
        + "[payers.acme.rules.NCCI-PTP]\neither_code = 1\n"
    )
    with pytest.raises(InputError) as e:
        active_rules(load_config(str(config)).payers["acme"])
    assert (e.value.file, e.value.field) == (str(config), "payers.acme.rules.NCCI-PTP.either_code")
    assert "true or false" in e.value.problem
    # the bundled settings it inherits are named where they were written
    commercial = load_config(str(config)).payers["acme"]
    assert commercial.rule_source("MUE-UNITS") == (
        "bundled payers/commercial.toml",
        "rules.MUE-UNITS",
    )


def test_rule_settings_that_are_not_a_table_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "clinic.toml"
    config.write_text(CLINIC_TOML + "[payers.medicare.rules]\nTIMELY-FILING = 3\n")
    with pytest.raises(InputError) as e:
        load_config(str(config))
    assert e.value.field == "payers.medicare.rules.TIMELY-FILING"
