"""The REST API over the demo ledger: what each endpoint answers and what each write does."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from tests.web.conftest import MakeBench, Workbench


def _claims(bench: Workbench, **filters: Any) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    out: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:  # every page
        page = bench.get(f"/api/v1/claims?limit=200&offset={offset}&{query}").json()
        out += page["claims"]
        offset = page["next_offset"]
    return out


def _mistake(visits: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(
        v
        for v in visits
        if kind in v.get("extensions", {}).get("synthetic", {}).get("mistakes", [])
    )


# --- remittances --------------------------------------------------------------------------------


def test_posting_an_835_posts_every_claim_payment_once(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    remit = bench.templates.demo.remit_835
    clp = [s.split("*")[1] for s in remit.split("~") if s.strip().startswith("CLP*")]
    files = {"file": ("payer.835", remit.encode(), "text/plain")}
    r = bench.post("/api/v1/remittances", files=files)
    job = bench.job(r)
    assert job["state"] == "done" and job["kind"] == "post", job
    body = job["result"]
    assert body["claims"] == len(clp)
    assert body["matched"] == len(clp)  # every CLP01 is one of our claim numbers
    assert body["unmatched"] == []
    # Money is an exact decimal string, never a float.
    assert isinstance(body["paid_total"], str)
    assert Decimal(body["paid_total"]) > 0
    listed = bench.get("/api/v1/remittances").json()["remittances"]
    assert [x["file_name"] for x in listed] == ["payer.835"]
    # The same file again, or re-saved with CRLF line ends, posts nothing and says when it
    # was posted (#14).
    crlf = remit.replace("~", "~\r\n").encode()
    paid_before = bench.get("/api/v1/reports").json()["paid_total"]
    for data in (remit.encode(), crlf):
        again = bench.job(
            bench.post("/api/v1/remittances", files={"file": ("again.835", data, "text/plain")})
        )
        assert again["state"] == "done", again
        body = again["result"]
        assert (body["posted"], body["payments"], body["paid_total"]) == (False, 0, "0.00")
        assert body["already_posted"] and all(
            e["remittance_id"] == listed[0]["id"] and e["message"].startswith("payment of ")
            for e in body["already_posted"]
        )
        assert "already posted on" in body["already_posted"][0]["message"]
    assert bench.get("/api/v1/reports").json()["paid_total"] == paid_before
    assert bench.get("/api/v1/remittances").json()["total"] == 1


def test_the_claim_shows_the_835_and_837_segments_that_concern_it(bench: Workbench) -> None:
    paid = _claims(bench, state="paid")[0]["claim_number"]
    seg = bench.get(f"/api/v1/claims/{paid}/segments").json()
    sent = seg["837"][0]["segments"]
    assert sent[0].startswith(f"CLM*{paid}*")
    assert any(s.startswith("SV1*") for s in sent)
    assert not any(s.startswith("CLM*") for s in sent[1:])  # only this claim's loop
    answered = seg["835"][0]["segments"]
    assert answered[0].startswith(f"CLP*{paid}*")
    assert any(s.startswith("SVC*") for s in answered)


def test_a_bad_835_is_refused_with_the_problem_and_nothing_is_posted(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    remit = bench.templates.demo.remit_835
    cases = {
        "not X12": ("junk.835", b"hello, this is not a remittance", "does not start with an ISA"),
        "empty": ("empty.835", b"   ", "empty"),
        "binary": ("bin.835", b"ISA\x00\x01\x02", "binary"),
        "wrong type": ("remit.pdf", remit.encode(), "not an X12 file"),
        "cut short": ("cut.835", remit[: len(remit) // 2].rsplit("~", 1)[0].encode() + b"~", None),
        "not UTF-8": ("latin.835", b"ISA*\xff\xfe", "not UTF-8"),
    }
    for label, (name, data, words) in cases.items():
        r = bench.post("/api/v1/remittances", files={"file": (name, data, "text/plain")})
        if label == "cut short":  # a file that passes the upload's checks: its job fails
            job = bench.job(r)
            assert job["state"] == "failed", (label, job)
            error = job["errors"][0]
        else:  # refused before any job
            assert r.status_code == 422, (label, r.text)
            error = r.json()["error"]
        assert error["problem"] and error["fix"], label
        if words:
            assert words in error["problem"], (label, error)
    assert bench.get("/api/v1/remittances").json()["total"] == 0
    assert _claims(bench, state="paid") == []


def test_an_upload_over_the_size_limit_is_refused(make_bench: MakeBench) -> None:
    bench = make_bench("pending", max_upload_bytes=2048)
    remit = bench.templates.demo.remit_835.encode()
    big = remit + b"\n" * (100 * 1024)  # past the limit and the multipart slack
    r = bench.post("/api/v1/remittances", files={"file": ("big.835", big, "text/plain")})
    assert r.status_code == 413
    assert "over the upload limit" in r.json()["error"]["problem"]
    small = remit[:3000]
    r = bench.post("/api/v1/remittances", files={"file": ("big.835", small, "text/plain")})
    assert r.status_code == 422
    assert "larger than the upload limit of 2,048 bytes" in r.json()["error"]["problem"]
    assert bench.get("/api/v1/remittances").json()["total"] == 0


# --- scrub ----------------------------------------------------------------------------------------


def test_scrub_answers_findings_for_one_visit(shared_bench: Workbench) -> None:
    visits = shared_bench.templates.visits
    unsigned = copy.deepcopy(_mistake(visits, "unsigned_note"))
    r = shared_bench.post("/api/v1/scrub", role="viewer", json=unsigned)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["visit_id"] == unsigned["visit_id"]
    assert body["status"] == "blocked"
    errors = [f for f in body["findings"] if f["severity"] == "error"]
    assert errors and all(f["fix"] for f in errors)
    assert any(f["category"] == "documentation" for f in errors)
    # The same visit signed by its therapist on the day passes.
    unsigned["signed"] = {
        "by_npi": unsigned["rendering_provider"]["npi"],
        "date": unsigned["date_of_service"],
    }
    fixed = shared_bench.post("/api/v1/scrub", role="viewer", json=unsigned).json()
    assert fixed["status"] == "ready", fixed["findings"]
    assert fixed["as_of"] == shared_bench.templates.demo.as_of.isoformat()  # today (frozen)


def test_scrub_refuses_bad_input_with_the_field(shared_bench: Workbench) -> None:
    visit = copy.deepcopy(shared_bench.templates.visits[0])
    visit["minutez"] = 3
    r = shared_bench.post("/api/v1/scrub", role="viewer", json=visit)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors[0]["field"] == "minutez" and "unknown key" in errors[0]["problem"]
    r = shared_bench.client.post(
        "/api/v1/scrub",
        content=b"{not json",
        headers={**shared_bench.as_role("viewer"), "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert "not valid JSON" in r.json()["error"]["problem"]


# --- visits: import and edit ------------------------------------------------------------------


def test_editing_a_blocked_visit_scrubs_it_again(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    visit = copy.deepcopy(_mistake(bench.templates.visits, "unsigned_note"))
    number = visit["visit_id"]
    assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "blocked"
    blocked_items = [
        i
        for i in bench.get("/api/v1/worklist?kind=blocked&limit=200").json()["items"]
        if i["claim_id"] == number
    ]
    assert blocked_items
    visit["signed"] = {
        "by_npi": visit["rendering_provider"]["npi"],
        "date": visit["date_of_service"],
    }
    r = bench.client.put(f"/api/v1/visits/{number}", json=visit, headers=bench.as_role("biller"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["updated"] == 1
    assert body["claim"]["state"] == "ready"
    assert body["claim"]["audit"][-1]["who"] == "web:biller"
    assert body["claim"]["audit"][-1]["to_state"] == "ready"
    still = [
        i
        for i in bench.get("/api/v1/worklist?kind=blocked&limit=200").json()["items"]
        if i["claim_id"] == number
    ]
    assert still == []


def test_an_edit_must_keep_its_visit_id(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    visit = copy.deepcopy(bench.templates.visits[0])
    r = bench.client.put("/api/v1/visits/V-OTHER", json=visit, headers=bench.as_role("biller"))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "visit_id"


def test_importing_a_visit_file(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    new = copy.deepcopy(bench.templates.visits[0])
    new["visit_id"] = "V-WEB-0001"
    lines = json.dumps(new) + "\n"
    r = bench.post(
        "/api/v1/visits", files={"file": ("more.jsonl", lines.encode(), "application/json")}
    )
    job = bench.job(r)
    assert job["state"] == "done" and job["result"]["new"] == 1, job
    stored = bench.get("/api/v1/visits/V-WEB-0001").json()
    assert stored["visit"]["visit_id"] == "V-WEB-0001"
    assert stored["source_file"].endswith("more.jsonl")


def test_a_bad_visit_file_imports_nothing_and_names_every_problem(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    before = bench.get("/api/v1/visits").json()["total"]
    good = copy.deepcopy(bench.templates.visits[0])
    good["visit_id"] = "V-WEB-GOOD"
    bad = copy.deepcopy(bench.templates.visits[1])
    bad["visit_id"] = "V-WEB-BAD"
    bad["date_of_service"] = "03/02/2026"
    text = json.dumps(good) + "\n" + json.dumps(bad) + "\n"
    r = bench.post(
        "/api/v1/visits", files={"file": ("mixed.jsonl", text.encode(), "application/json")}
    )
    job = bench.job(r)
    assert job["state"] == "failed"
    errors = job["errors"]
    assert [e["visit_id"] for e in errors] == ["V-WEB-BAD"]
    assert errors[0]["field"] == "date_of_service"
    assert bench.get("/api/v1/visits").json()["total"] == before
    assert bench.get("/api/v1/visits/V-WEB-GOOD").status_code == 404
    wrong = bench.post("/api/v1/visits", files={"file": ("visits.pdf", b"a,b\n", "text/csv")})
    assert wrong.status_code == 422
    assert "not a visit file" in wrong.json()["error"]["problem"]
    # A CSV is a charge export now (docs/intake.md): one without the visit columns says so.
    csv = bench.job(
        bench.post("/api/v1/visits", files={"file": ("visits.csv", b"a,b\n", "text/csv")})
    )
    assert csv["state"] == "failed"  # read by the job
    assert "no column visit_id or code" in csv["errors"][0]["problem"]


# --- submissions and acknowledgements ----------------------------------------------------------


def test_submitting_sends_every_ready_claim(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    visit = copy.deepcopy(_mistake(bench.templates.visits, "unsigned_note"))
    visit["signed"] = {
        "by_npi": visit["rendering_provider"]["npi"],
        "date": visit["date_of_service"],
    }
    bench.client.put(
        f"/api/v1/visits/{visit['visit_id']}", json=visit, headers=bench.as_role("biller")
    )
    ready = [c["claim_number"] for c in _claims(bench, state="ready")]
    assert ready == [visit["visit_id"]]
    r = bench.post("/api/v1/submissions")
    assert r.status_code == 201, r.text
    assert r.json()["claims"] == ready
    (sent,) = r.json()["interchanges"]  # one clinic's claim: one interchange, its account's
    assert (sent["claims"], sent["sender"], sent["receiver"]) == (1, "ELMST001", "DEMOCH01")
    assert _claims(bench, state="ready") == []
    subs = bench.get("/api/v1/submissions").json()["submissions"]
    assert len(subs) == len(bench.templates.demo.remits) + 1 and subs[0]["claim_count"] == 1
    text = bench.get(f"/api/v1/submissions/{subs[0]['id']}/837").text
    assert text.startswith("ISA*") and f"CLM*{ready[0]}*" in text
    nothing = bench.post("/api/v1/submissions").json()
    assert nothing["claims"] == [] and nothing["interchange_control_number"] is None


def test_acknowledgements_list_their_results(shared_bench: Workbench) -> None:
    acks = shared_bench.get("/api/v1/acknowledgements").json()["acknowledgements"]
    clinics = len(shared_bench.templates.demo.remits)  # a 999 and a 277CA for each clinic's file
    assert sorted(a["kind"] for a in acks) == ["277CA"] * clinics + ["999"] * clinics
    ca = next(a for a in acks if a["kind"] == "277CA")
    detail = shared_bench.get(f"/api/v1/acknowledgements/{ca['id']}?limit=200").json()
    assert detail["total"] == ca["results"] <= 200
    rejected = [r["claim_number"] for r in detail["results"] if r["status"] == "rejected"]
    assert len(rejected) == ca["rejected"]
    for number in rejected:
        assert shared_bench.get(f"/api/v1/claims/{number}").json()["state"] == "rejected"


# --- work: worklist, appeal, correction, write-off -------------------------------------------


def test_worklist_items_carry_their_deadline_and_action(shared_bench: Workbench) -> None:
    body = shared_bench.get("/api/v1/worklist?limit=200").json()
    assert body["as_of"] == shared_bench.templates.demo.as_of.isoformat()
    items = body["items"]
    kinds = {i["kind"] for i in items}
    assert {"blocked", "denial", "rejection"} <= kinds
    dues = [i["due_date"] for i in items]
    assert dues == sorted(dues)  # the earliest deadline first
    denials = shared_bench.get("/api/v1/worklist?kind=denial").json()["items"]
    assert denials and all(i["kind"] == "denial" and i["carc"] for i in denials)


def test_an_appeal_letter_for_a_denied_claim(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    number = _claims(bench, state="denied")[0]["claim_number"]
    r = bench.post(f"/api/v1/claims/{number}/appeal")
    assert r.status_code == 201, r.text
    body = r.json()
    html = bench.get(body["html"])
    assert html.status_code == 200 and number in html.text
    pdf = bench.get(body["pdf"])
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    claim = bench.get(f"/api/v1/claims/{number}").json()
    assert claim["state"] == "appealed"
    assert claim["audit"][-1]["who"] == "web:biller"
    assert [a["id"] for a in claim["appeals"]] == [body["appeal_id"]]


def test_a_corrected_claim_for_a_rejected_one(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    rejected = _claims(bench, state="rejected")
    assert rejected
    number = rejected[0]["claim_number"]
    r = bench.post(f"/api/v1/claims/{number}/correct")
    assert r.status_code == 200, r.text
    # The payer never processed a front-end rejection: the correction is a new original.
    assert r.json()["frequency_code"] == "1"
    claim = bench.get(f"/api/v1/claims/{number}").json()
    assert claim["state"] == "corrected" and claim["version"] == 2
    assert claim["audit"][-1] == {
        **claim["audit"][-1],
        "from_state": "rejected",
        "to_state": "corrected",
        "who": "web:biller",
    }
    # It goes out with the next submission.
    assert number in bench.post("/api/v1/submissions").json()["claims"]


def test_a_write_off_needs_a_reason(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    number = _claims(bench, state="denied")[0]["claim_number"]
    r = bench.post(f"/api/v1/claims/{number}/writeoff", json={"reason": ""})
    assert r.status_code == 422
    assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "denied"


def test_an_illegal_move_is_refused_and_named(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    number = _claims(bench, state="paid")[0]["claim_number"]
    r = bench.post(f"/api/v1/claims/{number}/appeal")
    assert r.status_code in (201, 422)
    blocked = _claims(bench, state="blocked")[0]["claim_number"]
    r = bench.post(f"/api/v1/claims/{blocked}/appeal")
    assert r.status_code == 422
    assert "blocked" in r.json()["error"]["problem"]


# --- reports and patients -------------------------------------------------------------------------


def test_the_report_is_the_ledger_report_as_of_today(shared_bench: Workbench) -> None:
    from ptbill.ledger.jsontext import to_json
    from ptbill.reports.report import build_report

    body = shared_bench.get("/api/v1/reports").json()
    as_of = shared_bench.templates.demo.as_of
    assert body["as_of"] == as_of.isoformat()  # today: the clock is frozen on the 835's day
    with shared_bench.sessions()() as s:
        assert body == json.loads(to_json(build_report(s, as_of)))
    earlier = shared_bench.get("/api/v1/reports?as_of=2026-02-03").json()
    assert earlier["claims_submitted"] == 0


def test_collections_by_month_add_up_to_what_was_paid(shared_bench: Workbench) -> None:
    months = shared_bench.get("/api/v1/reports/collections").json()["months"]
    assert len(months) == 6
    paid = sum(Decimal(c["paid"]) for c in _claims(shared_bench))
    assert sum(Decimal(m["paid"]) for m in months) == paid


def test_patient_status_authorization_left(shared_bench: Workbench) -> None:
    visits = shared_bench.templates.visits
    with_auth = [
        v
        for v in visits
        if v["episode"].get("authorization")
        and not v.get("extensions", {}).get("synthetic", {}).get("mistakes")
    ]
    patient = with_auth[-1]["patient"]["id"]
    auth = with_auth[-1]["episode"]["authorization"]
    used = sum(
        1
        for v in visits
        if v["patient"]["id"] == patient
        and (v["episode"].get("authorization") or {}).get("number") == auth["number"]
    )
    found = shared_bench.get(f"/api/v1/patients?q={patient}").json()["patients"]
    assert len(found) == 1
    status = shared_bench.get(f"/api/v1/patients/{found[0]['id']}").json()["status"]
    [a] = [a for a in status["authorizations"] if a["number"] == auth["number"]]
    assert a["visits_authorized"] == auth["visits_authorized"]
    assert a["visits_used"] == used
    assert a["visits_left"] == auth["visits_authorized"] - used


def test_patient_status_kx_tracker_and_progress_report(make_bench: MakeBench) -> None:
    bench = make_bench("pending")  # no 835: every amount is the priced estimate
    visits = bench.templates.visits
    medicare = [v for v in visits if v["payer"] == "medicare"]
    patient = max(
        {v["patient"]["id"] for v in medicare},
        key=lambda p: sum(v["patient"]["id"] == p for v in medicare),
    )
    pid = bench.get(f"/api/v1/patients?q={patient}").json()["patients"][0]["id"]
    view = bench.get(f"/api/v1/patients/{pid}").json()
    kx = view["status"]["kx"]
    assert Decimal(kx["threshold"]) == Decimal("2480")  # CY2026 (billing-rules M-3, CMS)
    expected = Decimal(0)
    for c in view["claims"]:
        lines = bench.get(f"/api/v1/claims/{c['claim_number']}").json()["lines"]
        expected += sum(
            (
                Decimal(x["expected_allowed"])
                for x in lines
                if "GP" in x["modifiers"] and x["expected_allowed"]
            ),
            Decimal(0),
        )
    assert Decimal(kx["amount_ytd"]) == expected
    # Progress report: every 10 treatment days from the last report (billing-rules D-8).
    mine = sorted(
        (v for v in medicare if v["patient"]["id"] == patient), key=lambda v: v["date_of_service"]
    )
    last = mine[-1]["episode"]
    report = (
        last["visit_number"]
        if last.get("progress_report_this_visit")
        else last.get("last_progress_report_visit")
    )
    start = 1 if report in (None, 1) else report + 1
    progress = view["status"]["progress_report"]
    assert progress["due_by_visit"] == start + 9
    assert progress["last_visit_number"] == last["visit_number"]


def test_unknown_ids_answer_404(shared_bench: Workbench) -> None:
    for url in (
        "/api/v1/claims/NOPE",
        "/api/v1/patients/999999",
        "/api/v1/remittances/999",
        "/api/v1/submissions/999",
        "/api/v1/visits/NOPE",
    ):
        r = shared_bench.get(url)
        assert r.status_code == 404, url
        assert r.json()["error"]["problem"].startswith("no ")


def test_the_openapi_document_lists_every_resource(shared_bench: Workbench) -> None:
    spec = shared_bench.client.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    for resource in (
        "claims",
        "visits",
        "findings",
        "submissions",
        "remittances",
        "worklist",
        "reports",
        "patients",
        "scrub",
        "acknowledgements",
    ):
        assert f"/api/v1/{resource}" in paths, resource
    assert (
        "multipart/form-data"
        in spec["paths"]["/api/v1/remittances"]["post"]["requestBody"]["content"]
    )
    docs = shared_bench.client.get("/api/docs")
    assert docs.status_code == 200 and "/api/v1/remittances" in docs.text
    assert "cdn" not in docs.text.lower()
