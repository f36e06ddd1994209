"""Recording money once: a form submitted twice (a double click, a browser's retry) or an API
client retrying a POST after a timeout records the payment, refund or write-off once and
answers the repeat with the first answer (docs/web.md, "Recording money once")."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tests.web.conftest import MakeBench, Workbench

D = Decimal
KEY = "Idempotency-Key"


def _owing(bench: Workbench) -> dict[str, Any]:
    listed = bench.get("/api/v1/balances?limit=200").json()["patients"]
    owing = [p for p in listed if D(p["balance"]) > D("10.00")]
    assert owing, "the demo ledger's posted 835 leaves patients a share"
    return owing[0]


def _account(bench: Workbench, pid: int) -> dict[str, Any]:
    return bench.get(f"/api/v1/patients/{pid}/account").json()


def _denied(bench: Workbench) -> str:
    return bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"][0]["claim_number"]


def _keyed(bench: Workbench, url: str, body: dict[str, Any], key: str, role: str = "biller") -> Any:
    """A POST with an Idempotency-Key, as an API client retrying after a timeout sends it."""
    return bench.client.post(url, json=body, headers={**bench.as_role(role), KEY: key})


def _form(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form posting to `action` (what a browser sends)."""
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_a_cash_payment_retried_with_its_key_is_recorded_once(bench: Workbench) -> None:
    p = _owing(bench)
    before = D(p["balance"])
    url = f"/api/v1/patients/{p['id']}/payments"
    body = {"amount": "3.00", "method": "cash"}  # no reference: nothing else tells them apart
    first = _keyed(bench, url, body, "pay-1", "biller")
    assert first.status_code == 201, first.text
    again = _keyed(bench, url, body, "pay-1", "biller")
    assert again.status_code == 201, again.text
    assert again.json() == first.json()  # the first answer, balance and all
    assert D(again.json()["balance"]) == before - D("3.00")
    account = _account(bench, p["id"])
    assert D(account["balance"]) == before - D("3.00")
    assert [t["amount"] for t in account["transactions"]].count("3.00") == 1
    other = _keyed(bench, url, {**body, "amount": "4.00"}, "pay-1")
    assert other.status_code == 422, other.text
    assert other.json()["error"]["field"] == KEY and KEY in other.json()["error"]["problem"]
    assert D(_account(bench, p["id"])["balance"]) == before - D("3.00")
    # A new key is a new payment; no key, too (cash without a reference is allowed twice).
    new = _keyed(bench, url, body, "pay-2", "biller")
    assert new.status_code == 201 and D(new.json()["balance"]) == before - D("6.00")
    assert D(bench.post(url, json=body).json()["balance"]) == before - D("9.00")


def test_the_key_is_the_callers_own(bench: Workbench) -> None:
    """Another user's same key is their own request, never the first user's answer."""
    p = _owing(bench)
    before = D(p["balance"])
    url = f"/api/v1/patients/{p['id']}/payments"
    body = {"amount": "1.00", "method": "cash"}
    mine = _keyed(bench, url, body, "k", "biller")
    theirs = _keyed(bench, url, body, "k", "admin")
    assert mine.status_code == theirs.status_code == 201, theirs.text
    assert D(theirs.json()["balance"]) == before - D("2.00")


def test_a_bad_key_is_refused_naming_the_header(bench: Workbench) -> None:
    p = _owing(bench)
    url = f"/api/v1/patients/{p['id']}/payments"
    body = {"amount": "1.00", "method": "cash"}
    for bad in ("x" * 101, "two words"):
        r = bench.client.post(url, json=body, headers={**bench.as_role("biller"), KEY: bad})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == KEY
    assert D(_account(bench, p["id"])["balance"]) == D(p["balance"])
    paths = bench.get("/api/v1/openapi.json").json()["paths"]
    for path in ("payments", "refunds", "writeoff"):
        route = paths[f"/api/v1/patients/{{patient_id}}/{path}"]["post"]
        assert KEY in [q["name"] for q in route["parameters"]], path
    claim = paths["/api/v1/claims/{claim_number}/writeoff"]["post"]
    assert KEY in [q["name"] for q in claim["parameters"]]


def test_refund_and_write_offs_retried_with_their_key_count_once(bench: Workbench) -> None:
    p = _owing(bench)
    pid, owed = p["id"], D(p["balance"])
    paid = bench.post(
        f"/api/v1/patients/{pid}/payments",
        json={"amount": str(owed + D("20.00")), "method": "card", "reference": "A1"},
    )
    assert D(paid.json()["credit"]) == D("20.00"), paid.text
    refund = {"amount": "5.00", "method": "cash"}
    for _ in range(2):
        r = _keyed(bench, f"/api/v1/patients/{pid}/refunds", refund, "r")
        assert r.status_code == 201 and D(r.json()["credit"]) == D("15.00"), r.text
    assert D(_account(bench, pid)["credit"]) == D("15.00")

    q = _owing(bench)
    url = f"/api/v1/patients/{q['id']}/writeoff"
    off = {"reason": "hardship", "amount": "1.00"}
    for _ in range(2):
        r = _keyed(bench, url, off, "w")
        assert r.status_code == 201 and D(r.json()["balance"]) == D(q["balance"]) - 1, r.text
    assert D(_account(bench, q["id"])["balance"]) == D(q["balance"]) - 1

    number = _denied(bench)
    url = f"/api/v1/claims/{number}/writeoff"
    first = _keyed(bench, url, {"reason": "small balance"}, "c")
    assert first.status_code == 200, first.text
    again = _keyed(bench, url, {"reason": "small balance"}, "c")
    assert again.status_code == 200 and again.json() == first.json(), again.text
    other = _keyed(bench, url, {"reason": "another"}, "c")
    assert other.status_code == 422 and other.json()["error"]["field"] == KEY


def test_the_payment_form_submitted_twice_records_once(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    p = _owing(bench)
    before = D(p["balance"])
    bench.login("biller")
    action = f"/patients/{p['id']}/payments"
    fields = _form(bench.client.get(f"/patients/{p['id']}/account").text, action)
    assert fields.get("once"), "the form carries a one-time token"
    data = {**fields, "amount": "2.50", "method": "cash"}
    first = bench.client.post(action, data=data, follow_redirects=False)
    again = bench.client.post(action, data=data, follow_redirects=False)  # the double click
    assert first.status_code == again.status_code == 303, again.text
    assert again.headers["location"] == first.headers["location"]
    shown = bench.client.get(again.headers["location"]).text
    assert "The payment was recorded and applied." in shown
    assert D(_account(bench, p["id"])["balance"]) == before - D("2.50")
    # The same form sent back with another amount: said in words, nothing recorded.
    changed = bench.client.post(action, data={**data, "amount": "9.00"}, follow_redirects=False)
    assert changed.status_code == 422, changed.text
    assert "already submitted" in changed.text and "reload the page" in changed.text
    assert D(_account(bench, p["id"])["balance"]) == before - D("2.50")
    # A form loaded again has a new token: a second payment is recorded.
    fresh = _form(bench.client.get(f"/patients/{p['id']}/account").text, action)
    assert fresh["once"] != fields["once"]
    bench.client.post(action, data={**data, **fresh}, follow_redirects=False)
    assert D(_account(bench, p["id"])["balance"]) == before - D("5.00")


def test_the_write_off_and_refund_forms_submitted_twice_record_once(
    make_bench: MakeBench,
) -> None:
    bench = make_bench("posted")
    p = _owing(bench)
    pid, owed = p["id"], D(p["balance"])
    bench.post(
        f"/api/v1/patients/{pid}/payments",
        json={"amount": str(owed + D("8.00")), "method": "card", "reference": "A9"},
    )
    bench.login("biller")
    action = f"/patients/{pid}/refunds"
    fields = _form(bench.client.get(f"/patients/{pid}/account").text, action)
    data = {**fields, "amount": "3.00", "method": "check"}
    for _ in range(2):
        r = bench.client.post(action, data=data, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith("done=refunded"), r.text
    assert D(_account(bench, pid)["credit"]) == D("5.00")

    q = _owing(bench)
    action = f"/patients/{q['id']}/writeoff"
    fields = _form(bench.client.get(f"/patients/{q['id']}/account").text, action)
    for _ in range(2):
        r = bench.client.post(action, data={**fields, "reason": "hardship"}, follow_redirects=False)
        assert r.status_code == 303, r.text
    assert D(_account(bench, q["id"])["balance"]) == 0

    number = _denied(bench)
    action = f"/claims/{number}/writeoff"
    fields = _form(bench.client.get(f"/claims/{number}").text, action)
    assert fields.get("once")
    for _ in range(2):
        r = bench.client.post(action, data={**fields, "reason": "small"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith("done=written_off"), r.text
