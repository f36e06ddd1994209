"""A refund to a payer from the workbench: the API's POST (scoped, 422s naming the body's
field) and the claim page's form (ptbill.ledger.payer_refunds)."""

from __future__ import annotations

import re
from decimal import Decimal

from ptbill.payer_sim.adjudicate import LineDecision
from ptbill.payer_sim.write import remittance_claims
from tests.ledger.helpers import decision, remit, sim_claims
from tests.web.conftest import MakeBench, Workbench

D = Decimal


def _paid_twice(bench: Workbench) -> tuple[str, Decimal]:
    """An Elm Street claim paid its whole charge by two decisions (ICNs A1, A9): the second
    is paid twice, a refund item of the charge."""
    subs = bench.get("/api/v1/submissions", "manager").json()["submissions"]
    texts = [bench.get(f"/api/v1/submissions/{s['id']}/837", "manager").text for s in subs]
    claim = next(
        c for text in texts for c in sim_claims(text).values() if c.billing_npi == "1234567893"
    )
    lines = [LineDecision(x, x.charge, x.charge, []) for x in claim.lines]
    for number, icn in ((77, "A1"), (78, "A9")):
        body = remit([remittance_claims(decision(claim, lines, icn=icn))], number=number)
        queued = bench.post(
            "/api/v1/remittances", role="elm-biller", files={"file": (f"{icn}.835", body)}
        )
        assert bench.job(queued, "elm-biller")["state"] == "done"
    charge = sum((x.charge for x in claim.lines), D(0))
    assert _owed(bench, claim.claim_id) == [charge]
    return claim.claim_id, charge


def _owed(bench: Workbench, number: str) -> list[Decimal]:
    items = bench.get("/api/v1/worklist?kind=refund&limit=200", "elm-biller").json()["items"]
    return [D(i["amount"]) for i in items if i["claim_id"] == number]


def test_a_refund_to_the_payer_through_the_api(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    number, charge = _paid_twice(bench)
    url = f"/api/v1/claims/{number}/payer-refunds"
    body = {"amount": "10.00", "method": "check", "reference": "CHK-9"}
    for wrong, field in (
        ({"amount": str(charge + D("0.01"))}, "amount"),  # more than is owed back
        ({"amount": "-1"}, "amount"),
        ({"method": "wire"}, "method"),
        ({"reference": ""}, "reference"),
    ):
        r = bench.post(url, role="elm-biller", json={**body, **wrong})
        assert r.status_code == 422, r.text
        answer = r.json()
        errors = answer["errors"] if "errors" in answer else [answer["error"]]
        assert [e["field"].removeprefix("body.") for e in errors] == [field], r.text
        assert "command line" not in r.text
    assert bench.post(url, role="viewer", json=body).status_code == 403
    assert bench.post(url, role="oak-biller", json=body).status_code == 404  # another clinic's
    done = bench.post(url, role="elm-biller", json=body)
    assert done.status_code == 201, done.text
    assert (D(done.json()["amount"]), D(done.json()["left"])) == (D("10.00"), charge - 10)
    assert _owed(bench, number) == [charge - 10]
    again = bench.post(url, role="elm-biller", json={**body, "reference": " chk-9 "})
    assert again.status_code == 422 and again.json()["error"]["field"] == "reference"
    assert _owed(bench, number) == [charge - 10]


def test_the_claim_page_records_a_refund_to_the_payer(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    number, charge = _paid_twice(bench)
    bench.login("elm-biller")
    page = bench.client.get(f"/claims/{number}")
    assert 'id="payer-refund"' in page.text, page.text[page.text.find("Actions") :][:1500]
    assert f'value="{charge:.2f}"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    once = re.search(r'name="once" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "once": once, "amount": f"{charge}", "method": "eft"}
    for _ in range(2):  # a double click: recorded once, the second lands where the first went
        r = bench.client.post(
            f"/claims/{number}/payer-refunds",
            data={**form, "reference": "T-1"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].endswith("done=payer_refunded")
    shown = bench.client.get(r.headers["location"]).text
    assert "The refund to the payer was recorded" in shown
    assert 'id="payer-refund"' not in shown  # nothing is owed back any more
    assert _owed(bench, number) == []
    dashboard = bench.client.get("/").text
    shown = dashboard.split('id="collections-by-payer"', 1)[1].split("</p>", 1)[0]
    assert f"(less ${charge:,.2f} refunded to payers for over-payments)" in shown, shown


def test_a_refund_to_the_payer_retried_with_its_key_is_recorded_once(
    make_bench: MakeBench,
) -> None:
    """An API client that timed out sends the same POST with the same Idempotency-Key: it
    gets the first answer, and the refund is recorded once."""
    bench = make_bench("pending")
    number, charge = _paid_twice(bench)
    url = f"/api/v1/claims/{number}/payer-refunds"
    body = {"amount": "10.00", "method": "check", "reference": "CHK-7"}
    headers = {**bench.as_role("elm-biller"), "Idempotency-Key": "refund-1"}
    first = bench.client.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = bench.client.post(url, json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert _owed(bench, number) == [charge - 10]
    other = bench.client.post(url, json={**body, "amount": "5.00"}, headers=headers)
    assert other.status_code == 422 and other.json()["error"]["field"] == "Idempotency-Key"
    assert _owed(bench, number) == [charge - 10]
