"""`ptbill remit` and `ptbill ack`: the JSON contract of interfaces.md, tables, exit status."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.x12.synthetic import synthetic_835
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
    "remarks",  # claim-level RARCs (MOA/MIA): added to the contract's keys
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
    assert claim["remarks"] == ["MA01"]  # MOA05, as `remit --claims` shows it
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


def test_remit_summary_and_claims():
    code, out, _ = run("remit", str(REMIT))
    assert code == 0
    assert "NORIDIAN JE PART B paid 70.02 by ACH" in out
    assert "provider adjustment WO (ICN099): 10.00" in out
    # Totals by claim status, from the file's CLP02/CLP03/CLP04/CLP05.
    assert "1 processed as primary: 2, charge 243.00, paid 137.81, patient 37.30" in out
    assert "4 denied: 1, charge 55.00, paid 0.00" in out
    assert "CO-50: 55.00 in 1 adjustment(s)" in out.splitlines()[6]  # the largest first
    assert "V-1" not in out  # claims only with --claims
    code, out, _ = run("remit", str(REMIT), "--claims")
    for text in ("V-1", "CO-45 37.50", "N115", "provider adjustment WO (ICN099): 10.00"):
        assert text in out


def test_remit_summary_writes_every_amount_of_a_payment_alike(tmp_path):
    """The payment's header shows its amount as the totals under it do (1,006.87, not
    1006.87): a biller compares the two at a glance."""
    path = write(tmp_path, "big.835", synthetic_835(60, claims_per_payment=25))
    code, out, _ = run("remit", path)
    assert code == 0
    assert "SYNTHETIC MAC PART B paid 1,006.87 by ACH" in out
    assert "paid 1,149.11 by ACH" in out and "paid 243.38 by ACH" in out


def test_remit_jsonl_and_csv_are_the_claims_of_the_json():
    _, document, _ = run("remit", str(REMIT), "--json")
    payments = json.loads(document)
    claims = [c for p in payments for c in p["claims"]]
    _, lines, _ = run("remit", str(REMIT), "--jsonl")
    records = [json.loads(x) for x in lines.splitlines()]
    assert [{k: r[k] for k in CLAIM_KEYS} for r in records] == claims
    assert {r["trace_number"] for r in records} == {"EFT0001"}
    _, text, _ = run("remit", str(REMIT), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["claim_id"], r["status"], r["charge"], r["paid"]) for r in rows] == [
        (c["claim_id"], c["status"], c["charge"], c["paid"]) for c in claims
    ]
    assert rows[2]["adjustments"] == "CO-45:-20.00 PR-2:-20.00"
    assert [r["remarks"] for r in rows] == [" ".join(c["remarks"]) for c in claims]
    assert [int(r["lines"]) for r in rows] == [len(c["lines"]) for c in claims]


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


def test_ack_ta1_reports_type_ta1():
    code, out, _ = run("ack", str(DATA / "ack_rejected_interchange.ta1"), "--json")
    doc = json.loads(out)
    assert code == 1 and (doc["type"], doc["verdict"], doc["groups"]) == ("TA1", "rejected", [])
    code, out, _ = run("ack", str(DATA / "ack_rejected_interchange.ta1"))
    assert out.startswith("TA1 for interchange 000000001: rejected")


def test_ack_277ca_rejected_above_the_claims_exits_1(tmp_path):
    text = (DATA / "claims_ack.277").read_text()
    head = text[: text.index("HL*3*2*19*1~")].replace(
        "STC*A1:19:PR*20260306*WQ*206~", "STC*A3:24:41*20260306*U*206~"
    )
    count = head[head.index("ST*277") :].count("~") + 1
    batch = head + f"SE*{count}*0001~\nGE*1*301~\nIEA*1*000000301~\n"
    code, out, _ = run("ack", write(tmp_path, "batch.277", batch), "--json")
    assert code == 1
    doc = json.loads(out)
    assert (doc["accepted"], doc["verdict"]) == (False, "rejected")
    (receiver,) = doc["transactions"][0]["receivers"]
    assert (receiver["batch"], receiver["status"], receiver["claims"]) == (
        "0000000010001",
        "rejected",
        0,
    )
    assert receiver["quantities"] == {"90": 1, "AA": 1} and receiver["amounts"]["YY"] == "96.00"
    code, out, _ = run("ack", write(tmp_path, "batch.277", batch))
    assert code == 1 and "every claim it covers is rejected" in out


def test_ack_277ca_pending_only_exits_0(tmp_path):
    text = (DATA / "claims_ack.277").read_text()
    for old in ("STC*A2:20:PR*", "STC*A7:562:82*", "STC*A7:453*"):
        text = text.replace(old, "STC*P1:20*")
    code, out, _ = run("ack", write(tmp_path, "pending.277", text), "--json")
    doc = json.loads(out)
    assert code == 0 and (doc["accepted"], doc["verdict"]) == (False, "pending")
    assert {c["status"] for c in doc["transactions"][0]["claims"]} == {"unknown"}


# --- files of the wrong kind: named, with the command that reads them --------------------------

ACK_TEXT = (DATA / "ack_partial.999").read_text()


def _as(gs01: str, version: str, st01: str) -> str:
    """The 999 fixture re-enveloped as another kind (only the envelope changes: the readers
    tell the kind from it)."""
    return (
        ACK_TEXT.replace("GS*FA*", f"GS*{gs01}*")
        .replace("*005010X231A1~\nST*999*", f"*{version}~\nST*{st01}*")
        .replace("ST*999*", f"ST*{st01}*")
    )


@pytest.mark.parametrize(
    ("command", "path", "said", "fix"),
    [
        ("remit", DATA / "ack_partial.999", "this is a 999 acknowledgment", "`ptbill ack`"),
        ("remit", DATA / "claims_ack.277", "this is a 277CA claim acknowledgment", "`ptbill ack`"),
        ("remit", DATA / "ack_rejected_interchange.ta1", "this is a TA1", "`ptbill ack`"),
        ("ack", REMIT, "this is an 835 remittance", "`ptbill remit`"),
    ],
)
def test_a_file_of_another_kind_is_named_with_its_command(command, path, said, fix):
    code, out, err = run(command, str(path))
    assert code == 2 and out == ""
    assert said in err and fix in err and "whole" not in err  # no advice about a cut file


@pytest.mark.parametrize(
    ("gs01", "version", "st01", "said", "fix"),
    [
        ("HC", "005010X222A1", "837", "an 837P professional claim", "ptbill writes 837"),
        ("HC", "005010X223A2", "837", "an 837I institutional claim", "ptbill writes 837"),
        ("HS", "005010X279A1", "270", "a 270 eligibility inquiry", "give it the 271"),
        ("HB", "005010X279A1", "271", "a 271 eligibility response", "ptbill eligibility read"),
        ("HR", "005010X212", "276", "a 276 claim status request", "give it the 277"),
        ("HN", "005010X212", "277", "a 277 claim status response", "ptbill status read"),
        ("FA", "005010X230", "997", "a 997 functional acknowledgment", "does not read 997"),
    ],
)
@pytest.mark.parametrize("command", ["remit", "ack"])
def test_kinds_other_commands_read_are_named(tmp_path, command, gs01, version, st01, said, fix):
    path = write(tmp_path, "other.x12", _as(gs01, version, st01))
    code, out, err = run(command, path)
    assert code == 2 and out == ""
    assert "segment 2 (GS), GS0" in err and said in err and fix in err


def test_a_file_of_another_version_is_told_to_ask_for_5010(tmp_path):
    text = REMIT.read_text().replace("*005010X221A1~", "*004010X091A1~", 1)
    code, out, err = run("remit", write(tmp_path, "old.835", text))
    assert code == 2 and out == ""
    assert "segment 2 (GS), GS08: version '004010X091A1' is not 005010X221A1" in err
    assert "Fix: ask the sender for the file in version 005010X221A1 (HIPAA 5010)" in err


def test_a_ta1_without_its_note_code(tmp_path):
    text = (DATA / "ack_rejected_interchange.ta1").read_text().replace("*A*000~", "")
    text = text.replace("*R*006~", "*A~")
    code, out, _ = run("ack", write(tmp_path, "a.ta1", text))
    assert code == 0 and out.strip() == "TA1 for interchange 000000001: accepted"
    code, out, _ = run("ack", write(tmp_path, "a.ta1", text), "--json")
    (interchange,) = json.loads(out)["interchanges"]
    assert (interchange["note_code"], interchange["message"]) == (None, None)
