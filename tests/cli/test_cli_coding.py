"""The CLI contract of `units`, `code` and `schema` (interfaces.md), and bad input -> exit 2."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ptbill.cli.main import cli
from tests.factories import timed, visit_dict


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), obj={})
    return r.exit_code, r.stdout, r.stderr


def write(tmp_path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_units_json_contract() -> None:
    code, out, _ = run("units", "--json", "97110=33", "97140=7", "97010=5")
    assert code == 0
    assert json.loads(out) == {
        "method": "cms",
        "total_timed_minutes": 40,
        "units": {"97110": 2, "97140": 1, "97010": 1},
    }
    code, out, _ = run("units", "--method", "ama", "--json", "97110=33", "97140=7")
    assert json.loads(out)["units"] == {"97110": 2, "97140": 0}


def test_units_human_table_mentions_the_method() -> None:
    code, out, _ = run("units", "97112=24", "97110=23")
    assert code == 0 and "CMS method" in out and "97112" in out


def test_units_bad_argument_exits_2() -> None:
    code, out, err = run("units", "97110")
    assert code == 2 and "CODE=MINUTES" in err and out == ""
    code, _, err = run("units", "99999=10")
    assert code == 2 and "99999" in err


def test_code_json_contract(tmp_path) -> None:
    f = write(tmp_path, "v.json", json.dumps(visit_dict(timed("97110", 24), timed("97140", 13))))
    code, out, _ = run("code", f, "--json")
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 1
    v = data[0]
    assert {"visit_id", "lines", "total_timed_minutes", "unit_method"} <= set(v)
    line = v["lines"][0]
    assert {"code", "units", "modifiers", "diagnosis_pointers", "minutes", "charge"} <= set(line)
    assert line["charge"] == "48.00"  # money as a decimal string


def test_code_accepts_list_and_json_lines(tmp_path) -> None:
    a = visit_dict(timed("97110", 24), visit_id="A")
    b = visit_dict(timed("97110", 10), visit_id="B")
    listed = write(tmp_path, "l.json", json.dumps([a, b]))
    lines = write(tmp_path, "l.jsonl", json.dumps(a) + "\n" + json.dumps(b) + "\n")
    for f in (listed, lines):
        code, out, _ = run("code", f, "--json")
        assert code == 0 and [v["visit_id"] for v in json.loads(out)] == ["A", "B"]


def test_code_human_output(tmp_path) -> None:
    f = write(tmp_path, "v.json", json.dumps(visit_dict(timed("97110", 33), timed("97140", 7))))
    code, out, _ = run("code", f)
    assert code == 0 and "97140" in out and "leftover" in out


def test_unknown_key_names_file_visit_and_field(tmp_path) -> None:
    v = visit_dict(timed("97110", 24))
    v["services"][0]["minuts"] = 3
    f = write(tmp_path, "bad.json", json.dumps(v))
    code, out, err = run("code", f, "--json")
    assert code == 2 and out == ""
    assert "bad.json" in err and "V-TEST-1" in err and "services[0].minuts" in err
    assert "Traceback" not in err


def test_one_bad_visit_means_no_output_at_all(tmp_path) -> None:
    good = visit_dict(timed("97110", 24), visit_id="GOOD")
    bad = visit_dict(timed("97110", 24), visit_id="BAD", date_of_service="03/02/2026")
    f = write(tmp_path, "b.jsonl", json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    code, out, err = run("code", f, "--json")
    assert code == 2 and out == ""
    assert "visit BAD: date_of_service" in err and "YYYY-MM-DD" in err


def test_invalid_json_names_line_and_column(tmp_path) -> None:
    f = write(tmp_path, "x.json", '{"visit_id": "A",\n  "payer": }')
    code, _, err = run("code", f)
    assert code == 2 and "x.json: line 2 column" in err


def test_empty_and_missing_files(tmp_path) -> None:
    code, _, err = run("code", write(tmp_path, "e.json", "  \n"))
    assert code == 2 and "empty" in err
    code, _, err = run("code", str(tmp_path / "nope.json"))
    assert code == 2 and "no such file" in err


def test_unknown_payer_profile(tmp_path) -> None:
    f = write(tmp_path, "p.json", json.dumps(visit_dict(timed("97110", 24), payer="aetna")))
    code, _, err = run("code", f)
    assert code == 2 and "payer" in err and "aetna" in err and "medicare" in err


def test_missing_required_field_and_wrong_type(tmp_path) -> None:
    v = visit_dict(timed("97110", 24))
    del v["patient"]
    v["services"][0]["minutes"] = -5
    f = write(tmp_path, "m.json", json.dumps(v))
    code, _, err = run("code", f)
    assert code == 2 and "patient" in err and "services[0].minutes" in err


def test_error_messages_carry_no_patient_data(tmp_path) -> None:
    v = visit_dict(timed("97110", 24))
    v["patient"]["birth_date"] = "1951-13-40"
    f = write(tmp_path, "phi.json", json.dumps(v))
    code, _, err = run("code", f)
    assert code == 2 and "patient.birth_date" in err
    assert "Lee" not in err and "1EG4TE5MK73" not in err


def test_schema_visit_is_a_strict_json_schema() -> None:
    code, out, _ = run("schema", "visit")
    schema = json.loads(out)
    assert code == 0 and schema["additionalProperties"] is False
    assert {"visit_id", "date_of_service", "services", "diagnoses"} <= set(schema["properties"])


def test_custom_configuration_file(tmp_path) -> None:
    cfg = write(tmp_path, "c.toml", '[payers.mine]\nbase = "commercial"\nunit_method = "cms"\n')
    f = write(
        tmp_path,
        "v.json",
        json.dumps(
            visit_dict(
                timed("97110", 33),
                timed("97140", 7),
                payer="mine",
                clinic=None,
                billing_provider={
                    "name": "Solo PT",
                    "npi": "1234567893",
                    "tax_id": "37-1234567",
                    "address": {
                        "line1": "1 A St",
                        "city": "Springfield",
                        "state": "IL",
                        "zip": "62701",
                    },
                },
            )
        ),
    )
    code, out, _ = run("--config", cfg, "code", f, "--json")
    assert code == 0
    units = {x["code"]: x["units"] for x in json.loads(out)[0]["lines"]}
    assert units == {"97110": 2, "97140": 1}  # CMS method from the clinic's override


def test_bad_configuration_is_a_clear_error(tmp_path) -> None:
    cfg = write(tmp_path, "c.toml", '[payers.mine]\nbase = "commercial"\nunit_method = "fast"\n')
    f = write(tmp_path, "v.json", json.dumps(visit_dict(timed("97110", 33))))
    code, _, err = run("--config", cfg, "code", f)
    assert code == 2 and "c.toml" in err and "unit_method" in err
