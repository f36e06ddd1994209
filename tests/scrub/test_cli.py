"""`ptbill scrub` and `ptbill rules` as interfaces.md defines them: JSON per visit, exit 0 all
ready / 1 any blocked / 2 unreadable input, and a report a biller can act on."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.scrub import CATEGORIES, RULES
from ptbill.scrub.rulebook import rules_markdown
from tests.scrub.helpers import CLINIC_TOML, base_dict


def run(*args: str, today: str = "2026-03-02") -> tuple[int, str, str]:
    # a wide terminal, so that report cells are not wrapped into each other; the clock frozen
    # on the visits' day
    env = {"COLUMNS": "400", "PTBILL_TODAY": today}
    r = CliRunner(env=env).invoke(cli, list(args), obj={})
    return r.exit_code, r.stdout, r.stderr


def write(tmp_path: Path, visits: list[dict], name: str = "visits.json") -> str:
    p = tmp_path / name
    p.write_text(json.dumps(visits))
    return str(p)


def blocked_visit() -> dict:
    v = base_dict()
    v["visit_id"] = "V-TEST-2"
    v["patient"]["id"] = "P-2"
    v["signed"] = None
    return v


def test_json_contract_and_exit_1_when_any_visit_is_blocked(tmp_path: Path) -> None:
    code, out, _ = run("scrub", "--json", write(tmp_path, [base_dict(), blocked_visit()]))
    assert code == 1
    data = json.loads(out)
    assert [(d["visit_id"], d["status"]) for d in data] == [
        ("V-TEST-1", "ready"),
        ("V-TEST-2", "blocked"),
    ]
    [f] = data[1]["findings"]
    assert {"rule", "category", "severity", "line", "message", "fix"} <= set(f)
    assert (f["rule"], f["category"], f["severity"], f["line"]) == (
        "DOC-UNSIGNED",
        "documentation",
        "error",
        None,
    )
    assert f["rule"] in RULES and f["category"] in CATEGORIES


def test_exit_0_when_every_visit_is_ready(tmp_path: Path) -> None:
    code, out, _ = run("scrub", "--json", write(tmp_path, [base_dict()]))
    assert code == 0 and json.loads(out)[0]["findings"] == []


def test_unreadable_input_exits_2_without_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, out, err = run("scrub", "--json", str(bad))
    assert code == 2 and out == "" and "bad.json" in err and "Traceback" not in err
    v = base_dict()
    v["payer"] = "nobody"
    code, out, err = run("scrub", write(tmp_path, [v]))
    assert code == 2 and "payer" in err and "V-TEST-1" in err and out == ""
    code, _, err = run("scrub", str(tmp_path / "missing.json"))
    assert code == 2 and "no such file" in err


def test_as_of_defaults_to_today(tmp_path: Path) -> None:
    path = write(tmp_path, [base_dict()])
    code, out, _ = run("scrub", "--json", path)
    assert code == 0  # today 2026-03-02: well within the filing limit
    code, out, _ = run("scrub", "--json", path, today="2027-06-01")
    assert code == 1  # the same file scrubbed a year later
    assert [f["rule"] for f in json.loads(out)[0]["findings"]] == ["TIMELY-FILING"]
    code, out, _ = run("scrub", "--json", "--as-of", "2026-03-02", path, today="2027-06-01")
    assert code == 0  # --as-of still rules
    _, help_text, _ = run("scrub", "--help")
    assert "today in the clinic's time zone" in " ".join(help_text.split())
    code, _, err = run("scrub", "--as-of", "03/02/2026", path)
    assert code == 2


def test_human_report_names_rule_line_code_and_fix(tmp_path: Path) -> None:
    v = blocked_visit()
    v["services"][1]["note"] = None
    code, out, _ = run("scrub", write(tmp_path, [base_dict(), v]))
    assert code == 1
    text = " ".join(out.split())
    assert "V-TEST-2" in text and "BLOCKED" in text and "DOC-NOTE-MISSING" in text
    assert "2 97140" in text  # line number and code
    assert "document the purpose and response of 97140" in text
    assert "2 visits as of 2026-03-02 (today in America/Chicago): 1 ready, 1 blocked" in text
    assert "V-TEST-1" not in text  # visits without findings only with --all
    _, out, _ = run("scrub", "--all", write(tmp_path, [base_dict()], "one.json"))
    assert "V-TEST-1" in out


def test_no_visits_is_an_input_error(tmp_path: Path) -> None:
    code, out, err = run("scrub", write(tmp_path, []))
    assert code == 2 and "no visits" in err


def test_rules_listing_and_markdown() -> None:
    code, out, _ = run("rules")
    assert code == 0 and "NCCI-PTP" in out and "MUE-UNITS" in out
    code, out, _ = run("rules", "--markdown")
    assert code == 0 and out == rules_markdown()
    code, out, _ = run("rules", "--payer", "commercial")
    assert code == 0 and "commercial" in out
    code, _, err = run("rules", "--payer", "nobody")
    assert code == 2 and "nobody" in err


def test_bad_rule_settings_in_the_configuration_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "clinic.toml"
    config.write_text(CLINIC_TOML + "[payers.medicare.rules.TIMELY-FILING]\nwarn_dayz = 10\n")
    code, out, err = run("--config", str(config), "scrub", write(tmp_path, [base_dict()]))
    assert code == 2 and out == ""
    assert "rules.TIMELY-FILING.warn_dayz" in err and "not a parameter" in err
