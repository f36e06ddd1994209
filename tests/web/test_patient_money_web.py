"""The workbench after the primary pays: patient balances and payments (API and the account
page's form), statements (API, page and PDF), coverages and a claim's payers."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from ptbill.payer_sim.adjudicate import LineDecision
from ptbill.payer_sim.write import remittance_claims
from ptbill.web.models import SecurityEvent
from tests.ledger.helpers import decision, remit, sim_claims
from tests.web.conftest import MakeBench, Workbench

D = Decimal


def _owing(bench: Workbench) -> dict:
    listed = bench.get("/api/v1/balances").json()
    owing = [p for p in listed["patients"] if D(p["balance"]) > 0]
    assert owing, "the demo ledger's posted 835 leaves patients a share"
    return owing[0]


def test_a_payment_through_the_api_lowers_the_balance_once(bench: Workbench) -> None:
    p = _owing(bench)
    before = D(p["balance"])
    account = bench.get(f"/api/v1/patients/{p['id']}/account").json()
    assert D(account["balance"]) == before
    assert sum(D(v["balance"]) for v in account["visits"] if D(v["balance"]) > 0) == before
    body = {"amount": "1.00", "method": "card", "reference": "AUTH-1"}
    r = bench.post(f"/api/v1/patients/{p['id']}/payments", json=body)
    assert r.status_code == 201, r.text
    assert D(r.json()["balance"]) == before - D("1.00")
    after = bench.get(f"/api/v1/patients/{p['id']}/account").json()
    assert D(after["balance"]) == before - D("1.00")
    assert after["transactions"][0]["kind"] == "payment"
    viewer = bench.post(f"/api/v1/patients/{p['id']}/payments", json=body, role="viewer")
    assert viewer.status_code == 403
    bad = bench.post(f"/api/v1/patients/{p['id']}/payments", json={**body, "amount": "-3"})
    assert bad.status_code == 422
    twice = bench.post(f"/api/v1/patients/{p['id']}/payments", json=body)  # AUTH-1 again
    assert twice.status_code == 422 and "recorded on" in twice.text, twice.text
    error = twice.json()["error"]  # in the request's words, not the command line's
    assert error["field"] == "reference" and "command line" not in twice.text
    again = {**body, "reference": "AUTH-2"}
    later = bench.post(f"/api/v1/patients/{p['id']}/payments?as_of=2099-01-01", json=again)
    assert later.status_code == 422 and "after today" in later.text, later.text


def test_the_account_page_records_a_payment_from_its_form(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    p = _owing(bench)
    bench.login("biller")
    page = bench.client.get(f"/patients/{p['id']}/account")
    assert page.status_code == 200 and "Record the payment" in page.text
    assert "patient-balance" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = bench.client.post(
        f"/patients/{p['id']}/payments",
        data={"csrf_token": token, "amount": "2.50", "method": "cash"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=paid")
    shown = bench.client.get(r.headers["location"]).text
    assert "The payment was recorded and applied." in shown
    assert D(bench.get(f"/api/v1/patients/{p['id']}/account").json()["balance"]) == D(
        p["balance"]
    ) - D("2.50")
    for odd in ("NaN", "Infinity", "1e2"):  # Decimal reads them: an error page, not a 500
        r = bench.client.post(
            f"/patients/{p['id']}/payments",
            data={"csrf_token": token, "amount": odd, "method": "cash"},
            follow_redirects=False,
        )
        assert r.status_code == 422 and f"&#39;{odd}&#39; is not an amount" in r.text, r.text
    patient_page = bench.client.get(f"/patients/{p['id']}").text
    assert f"/patients/{p['id']}/account" in patient_page
    owes = patient_page.split('id="patient-owes"', 1)[1].split("</strong>", 1)[0]
    assert f"{D(p['balance']) - D('2.50'):,.2f}" in owes  # the balance on the patient page


def test_statements_are_made_listed_and_shown_as_pdf(bench: Workbench) -> None:
    owing, offset = [], 0
    while offset is not None:  # every page of the list
        page = bench.get(f"/api/v1/balances?limit=200&offset={offset}").json()
        owing += page["patients"]
        offset = page["next_offset"]
    due = [p for p in owing if D(p["balance"]) > 0]
    later = bench.post("/api/v1/statements?as_of=2099-01-01")  # would move the cycle on
    assert later.status_code == 422 and "after today" in later.text, later.text
    r = bench.post("/api/v1/statements")
    assert r.status_code == 201, r.text
    made = r.json()["statements"]
    assert sorted(s["patient_id"] for s in made) == sorted(p["patient_id"] for p in due)
    assert {s["step"] for s in made} == {"first"}
    for s in made:  # money as every answer has it: a decimal string with its two places
        amounts = [s["balance"], s["credit"], *s["aging"].values()]
        amounts += [v[k] for v in s["visits"] for k in ("charges", "you_paid", "owed")]
        assert all(re.fullmatch(r"-?\d+\.\d\d", a) for a in amounts), s
    again = bench.post("/api/v1/statements").json()  # the same day: nothing new is due
    assert again["statements"] == [] and len(again["waiting"]) == len(due)
    listed = bench.get("/api/v1/statements").json()
    assert listed["total"] == len(due)
    first = listed["statements"][0]
    pdf = bench.get(f"/api/v1/statements/{first['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = bench.get("/statements")
    assert page.status_code == 200 and f"/statements/{first['id']}.pdf" in page.text
    assert bench.get("/api/v1/statements/999999.pdf").status_code == 404


def test_a_secondary_coverage_makes_a_second_claim_shown_on_the_claim_page(
    make_bench: MakeBench,
) -> None:
    bench = make_bench("pending")
    claims = bench.get("/api/v1/claims?payer=medicare&limit=200").json()["claims"]
    assert claims
    patients = {c["patient_id"] for c in claims}
    for pid in patients:
        r = bench.post(
            f"/api/v1/patients/{pid}/coverages",
            json={"payer": "medigap", "member_id": f"MG{pid}", "start_date": "2024-01-01"},
        )
        assert r.status_code == 201, r.text
        assert r.json()[0]["payer"] == "medigap" and r.json()[0]["rank"] == 2
    files = {"file": ("payer.835", bench.templates.demo.remit_835.encode(), "text/plain")}
    posted = bench.job(bench.post("/api/v1/remittances", files=files))
    assert posted["state"] == "done", posted
    made = posted["result"]["next_payers"]["secondary"]
    assert made, "Medicare left coinsurance on some claims: they go on to the Medigap plan"
    number = made[0]
    payers = bench.get(f"/api/v1/claims/{number}/payers").json()["payers"]
    assert [(p["role"], p["payer"]) for p in payers] == [
        ("primary", "medicare"),
        ("secondary", "medigap"),
    ]
    assert payers[0]["claim_id"] + "-S" == number
    page = bench.get(f"/claims/{payers[0]['claim_id']}")
    assert "Payers of this visit" in page.text and number in page.text
    # The biller records Medicaid as this patient's secondary instead: the claim not sent
    # yet is held, and the work queue says to scrub it again (not to edit a visit V-...-S).
    pid = next(c["patient_id"] for c in claims if c["claim_number"] == payers[0]["claim_id"])
    r = bench.post(
        f"/api/v1/patients/{pid}/coverages",
        json={"payer": "medicaid", "member_id": f"MCD{pid}", "start_date": "2024-01-01"},
    )
    assert r.status_code == 201, r.text
    assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "blocked"
    listed = bench.get("/api/v1/worklist?kind=blocked&rule=COB-COVERAGE-CHANGED").json()
    assert number in [i["claim_id"] for i in listed["items"]], listed
    bench.login("biller")
    queue = bench.client.get("/worklist?kind=blocked&rule=COB-COVERAGE-CHANGED").text
    assert f">{number}</a>" in queue and "(&#34;Scrub again&#34; on the work queue)" in queue
    assert f"/visits/{number}/edit" not in queue
    # The plan is owed what Medicare left the patient, not the visit's charge again.
    left = D(payers[0]["patient_responsibility"])
    assert 0 < left < D(payers[1]["charge"])
    for url in (f"/api/v1/claims?q={number}", f"/api/v1/claims/{number}"):
        found = bench.get(url).json()
        row = found["claims"][0] if "claims" in found else found
        assert (row["claim_number"], D(row["balance"])) == (number, left), url


def test_a_visit_the_patient_owes_nothing_on_is_not_called_paid(make_bench: MakeBench) -> None:
    """A visit whose payer left the patient no share (a denial, a write-off, paid in full)
    says so on the account page, rather than "paid" as if the patient had paid it."""
    bench = make_bench("posted")
    bench.login("biller")
    for p in bench.get("/api/v1/balances?limit=200").json()["patients"]:
        zero = [
            v
            for v in p["visits"]
            if D(v["patient_share"]) == 0 and D(v["applied"]) == 0 and not v["pending_with"]
        ]
        if zero:
            break
    else:
        raise AssertionError("the demo ledger has a visit that leaves the patient nothing")
    page = bench.client.get(f"/patients/{p['id']}/account").text
    row = page.split(f">{zero[0]['claim_id']}</a>", 1)[1].split("</tr>", 1)[0]
    assert "nothing owed" in row and ">paid<" not in row


def test_the_account_pages_aging_is_in_words(make_bench: MakeBench) -> None:
    """The aging buckets read as days ('over 120 days'), never the API's key ('over_120')."""
    bench = make_bench("posted")
    bench.login("biller")
    p = _owing(bench)
    page = bench.client.get(f"/patients/{p['id']}/account").text
    aging = page.split("Aging", 1)[1].split("</p>", 1)[0]
    assert "over_120" not in aging
    for words in ("0-30 days", "31-60 days", "61-90 days", "91-120 days", "over 120 days"):
        assert words in aging


def test_a_days_statements_as_the_batch_pdf_and_the_mail_vendors_csv(
    make_bench: MakeBench,
) -> None:
    """Statements made from the workbench are printed as the command line's are: one batch
    PDF of the day's statements and the mail vendor's CSV (API and the statements page)."""
    from tests.ledger.test_patient_money import pdf_text

    bench = make_bench("posted")
    made = bench.post("/api/v1/statements").json()["statements"]
    assert made, "the demo ledger's posted 835 leaves patients a balance"
    day = made[0]["statement_date"]
    pdf = bench.get(f"/api/v1/statements/batch/{day}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert all(f"Account: {s['patient_id']}" in text for s in made)
    csv = bench.get(f"/api/v1/statements/batch/{day}.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    rows = csv.text.splitlines()
    assert rows[0].startswith("patient_id,name,address_line1,") and len(rows) == len(made) + 1
    assert sorted(r.split(",")[0] for r in rows[1:]) == sorted(s["patient_id"] for s in made)
    assert bench.get("/api/v1/statements/batch/2001-01-01.csv").status_code == 404
    with bench.sessions()() as s:  # each patient's record read, in the access log
        read = s.scalars(
            select(SecurityEvent.patient_id).where(
                SecurityEvent.event == "read-patient",
                SecurityEvent.detail == f"/api/v1/statements/batch/{day}.csv",
            )
        ).all()
    assert len(read) == len(made) == len(set(read))
    bench.login("biller")
    page = bench.client.get("/statements").text
    assert f"/statements/batch/{day}.pdf" in page and f"/statements/batch/{day}.csv" in page
    printed = bench.client.get(f"/statements/batch/{day}.pdf")
    assert printed.status_code == 200 and printed.content == pdf.content


def test_a_non_covered_line_without_an_abn_is_written_off_from_the_queue(
    make_bench: MakeBench,
) -> None:
    """Medicare gives a line with no ABN on file (no GA) to the patient as not covered (PR-96):
    the patient may not be billed for it (billing-rules: the ABN route). The work queue's item
    says write it off, with the queue's Write off button; the API's write-off of the claim
    writes off that line's charge, and the patient's balance never held it."""
    bench = make_bench("pending")
    subs = bench.get("/api/v1/submissions", "manager").json()["submissions"]
    texts = [bench.get(f"/api/v1/submissions/{s['id']}/837", "manager").text for s in subs]
    claim = next(
        c
        for text in texts
        for c in sim_claims(text).values()
        if c.filing_indicator == "MB" and c.billing_npi == "1234567893" and len(c.lines) > 1
        and all("GA" not in line.modifiers for line in c.lines)
    )  # fmt: skip
    *covered, denied = claim.lines
    lines = [LineDecision(line, line.charge, line.charge, []) for line in covered]
    lines.append(LineDecision(denied, Decimal(0), Decimal(0), [("PR", "96", denied.charge)]))
    text = remit([remittance_claims(decision(claim, lines, icn="GZ1"))], number=77)
    queued = bench.post("/api/v1/remittances", role="elm-biller", files={"file": ("gz.835", text)})
    assert bench.job(queued, "elm-biller")["state"] == "done"
    number = claim.claim_id
    items = bench.get("/api/v1/worklist?kind=denial&carc=96&limit=200", "elm-biller").json()
    (item,) = [i for i in items["items"] if i["claim_id"] == number]
    assert item["action"] == "write_off" and "ABN" in item["detail"]
    with bench.signed_in("elm-biller"):
        page = bench.client.get("/worklist?kind=denial&carc=96")
        assert f'action="/claims/{number}/writeoff"' in page.text
    shown = bench.get(f"/api/v1/claims/{number}", "elm-biller").json()
    account = bench.get(f"/api/v1/patients/{shown['patient_id']}/account", "elm-biller").json()
    (visit,) = [v for v in account["visits"] if v["claim_id"] == number]
    assert Decimal(visit["not_billable"]) == denied.charge
    assert Decimal(visit["by_reason"]["non_covered"]) == 0
    done = bench.post(
        f"/api/v1/claims/{number}/writeoff", role="elm-biller", json={"reason": "no ABN on file"}
    )
    assert done.status_code == 200, done.text
    assert Decimal(done.json()["written_off"]) == denied.charge
