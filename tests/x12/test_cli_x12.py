"""`ptbill remit` and `ptbill ack`: the JSON contract of interfaces.md, tables, exit status."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ptbill.cli.main import cli
from tests.x12.helpers import DATA

REMIT = DATA / "remit_basic.835"
PAYMENT_KEYS = {
    "payer",
    "payee_npi",
    "trace_number",
    "payment_date",
    "amount",
    "method",
    "claims",
    "provider_adjustments",
    "imbalances",
}
CLAIM_KEYS = {
    "claim_id",
    "status",
    "charge",
    "paid",
    "patient_responsibility",
    "payer_claim_control_number",
    "adjustments",
    "lines",
}
LINE_KEYS = {
    "code",
    "modifiers",
    "charge",
    "paid",
    "units",
    "date_of_service",
    "adjustments",
    "remarks",
}


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), obj={})
    return r.exit_code, r.stdout, r.stderr


def write(tmp_path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_remit_json_has_exactly_the_contract_shape():
    code, out, _ = run("remit", str(REMIT), "--json")
    assert code == 0
    (payment,) = json.loads(out)
    assert set(payment) == PAYMENT_KEYS
    assert {
        k: payment[k]
        for k in ("payer", "payee_npi", "trace_number", "payment_date", "amount", "method")
    } == {
        "payer": "NORIDIAN JE PART B",
        "payee_npi": "1234567893",
        "trace_number": "EFT0001",
        "payment_date": "2026-03-20",
        "amount": "70.02",
        "method": "ACH",
    }
    claim = payment["claims"][0]
    assert set(claim) == CLAIM_KEYS
    assert {
        k: claim[k]
        for k in (
            "claim_id",
            "status",
            "charge",
            "paid",
            "patient_responsibility",
            "payer_claim_control_number",
        )
    } == {
        "claim_id": "V-1",
        "status": "1",
        "charge": "143.00",
        "paid": "67.81",
        "patient_responsibility": "17.30",
        "payer_claim_control_number": "ICN001",
    }
    line = claim["lines"][0]
    assert set(line) == LINE_KEYS
    assert line == {
        "code": "97110",
        "modifiers": ["GP"],
        "charge": "96.00",
        "paid": "45.86",
        "units": 2,
        "date_of_service": "2026-03-02",
        "remarks": [],
        "adjustments": [
            {"group": "CO", "reason": "45", "amount": "37.50", "quantity": None},
            {"group": "CO", "reason": "253", "amount": "0.94", "quantity": None},
            {"group": "PR", "reason": "2", "amount": "11.70", "quantity": None},
        ],
    }
    assert payment["claims"][1]["lines"][0]["remarks"] == ["N115"]
    assert payment["provider_adjustments"] == [
        {"reason": "WO", "reference": "ICN099", "amount": "10.00"},
        {"reason": "L6", "reference": None, "amount": "-2.21"},
    ]
    assert payment["imbalances"] == []


def test_remit_reports_imbalances_and_exits_1(tmp_path):
    text = REMIT.read_text().replace("CLP*V-1*1*143*67.81", "CLP*V-1*1*143*68.81")
    code, out, _ = run("remit", write(tmp_path, "x.835", text), "--json")
    assert code == 1
    imbalances = json.loads(out)[0]["imbalances"]
    assert [(i["level"], i["claim_id"], i["expected"], i["found"]) for i in imbalances] == [
        ("claim", "V-1", "67.81", "68.81"),
        ("payment", None, "71.02", "70.02"),
    ]


def test_remit_table():
    code, out, _ = run("remit", str(REMIT))
    assert code == 0
    assert "NORIDIAN JE PART B paid 70.02 by ACH" in out
    for text in ("V-1", "CO-45 37.50", "N115", "provider adjustment WO (ICN099): 10.00"):
        assert text in out


def test_remit_unreadable_file_exits_2_with_where_and_what(tmp_path):
    text = REMIT.read_text().replace("CLP*V-1*1*143*", "CLP*V-1*1*14x*")
    path = write(tmp_path, "bad.835", text)
    code, out, err = run("remit", path, "--json")
    assert code == 2 and out == ""
    assert "segment 14 (CLP), CLP03" in err and "'14x' is not a decimal number" in err
    assert "Traceback" not in err


def test_remit_a_file_that_does_not_exist_exits_2(tmp_path):
    code, _, err = run("remit", str(tmp_path / "none.835"))
    assert code == 2 and "cannot read the file" in err


def test_ack_999_json():
    code, out, _ = run("ack", str(DATA / "ack_partial.999"), "--json")
    assert code == 1  # one transaction set rejected
    doc = json.loads(out)
    assert doc["type"] == "999" and doc["accepted"] is False
    (group,) = doc["groups"]
    assert (group["status"], group["received"], group["accepted"]) == ("partially accepted", 2, 1)
    first, second = group["transactions"]
    assert (first["control_number"], first["status"]) == ("0001", "accepted")
    assert second["errors"] == [{"code": "5", "message": "one or more segments in error"}]
    assert second["segments"][0]["claim_id"] == "V-2"
    assert second["segments"][0]["elements"][0]["message"] == "code value not allowed"


def test_ack_277ca_json_and_table():
    code, out, _ = run("ack", str(DATA / "claims_ack.277"), "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["type"] == "277CA"
    claims = doc["transactions"][0]["claims"]
    assert [(c["claim_id"], c["status"]) for c in claims] == [
        ("V-TEST-1", "accepted"),
        ("V-2", "rejected"),
    ]
    assert claims[1]["statuses"][0]["message"].startswith("rejected: information invalid")
    code, out, _ = run("ack", str(DATA / "claims_ack.277"))
    assert "V-2" in out and "rejected" in out


def test_ack_all_accepted_exits_0(tmp_path):
    text = (
        (DATA / "claims_ack.277")
        .read_text()
        .replace("STC*A7:562:82*20260306*U*96", "STC*A2:20:PR*20260306*WQ*96")
    )
    text = text.replace("STC*A7:453*20260306*U", "STC*A2:20*20260306*U")
    code, out, _ = run("ack", write(tmp_path, "ok.277", text))
    assert code == 0


def test_ack_ta1():
    code, out, _ = run("ack", str(DATA / "ack_rejected_interchange.ta1"))
    assert code == 1 and "rejected (006 invalid sender id)" in out


def test_ack_refuses_a_remittance_with_a_hint():
    code, _, err = run("ack", str(REMIT))
    assert code == 2 and "ptbill remit" in err
