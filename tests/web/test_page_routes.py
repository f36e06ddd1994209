"""Every page route as a browser uses it: the login form, then each page's own forms with the
CSRF token they carry, and the uploads through their multipart forms."""

from __future__ import annotations

import copy
import json

from sqlalchemy import select

from ptbill.ledger import models as m
from tests.web.conftest import MakeBench, Workbench
from tests.web.test_pages import form_csrf


def _first(bench: Workbench, state: str) -> str:
    return bench.get(f"/api/v1/claims?state={state}&limit=1").json()["claims"][0]["claim_number"]


def _signed(visit: dict) -> dict:
    fixed = copy.deepcopy(visit)
    fixed["signed"] = {
        "by_npi": visit["rendering_provider"]["npi"],
        "date": visit["date_of_service"],
    }
    return fixed


def _unsigned(bench: Workbench) -> dict:
    return next(
        v
        for v in bench.templates.visits
        if "unsigned_note" in v.get("extensions", {}).get("synthetic", {}).get("mistakes", [])
    )


def test_the_detail_pages_render(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("viewer")
    number = _first(bench, "denied")
    claim = bench.get(f"/api/v1/claims/{number}").json()
    blocked = _first(bench, "blocked")
    for url, words in (
        (f"/claims/{number}", f"Claim {number}"),
        (f"/patients/{claim['patient_id']}", "Plan of care"),
        ("/acknowledgements/1", "demo-1.999"),
        (f"/visits/{blocked}/edit", blocked),
        ("/login", "/"),  # signed in: sent on
    ):
        r = bench.client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert words in r.text, url


def test_importing_a_visit_file_through_the_work_queue_form(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("biller")
    token = form_csrf(bench, "/worklist", "/visits/import")
    new = copy.deepcopy(bench.templates.visits[0])
    new["visit_id"] = "V-PAGE-0001"
    r = bench.client.post(
        "/visits/import",
        data={"csrf_token": token},
        files={"file": ("new.jsonl", json.dumps(new).encode(), "application/json")},
    )
    assert "Waiting for a worker" in r.text  # the job's page, refreshing itself
    done = bench.job_page(r)
    assert "Import of visits: new.jsonl" in done.text and "visits read" in done.text
    assert 'http-equiv="refresh"' not in done.text
    assert bench.get("/api/v1/visits/V-PAGE-0001").status_code == 200


def test_applying_an_acknowledgement_through_the_submissions_form(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("biller")
    with bench.sessions()() as s:
        ack = s.scalars(
            select(m.Acknowledgement.content).where(m.Acknowledgement.kind == "999")
        ).first()
    token = form_csrf(bench, "/submissions", "/acknowledgements")
    r = bench.client.post(
        "/acknowledgements",
        data={"csrf_token": token},
        # The same 999 with one more line end: another file, already answered claims.
        files={"file": ("again.999", (ack + "\n").encode(), "text/plain")},
    )
    assert r.status_code == 200, r.text[:800]
    assert "Applied 999 again.999" in r.text
    listed = bench.get("/api/v1/acknowledgements?limit=10").json()["acknowledgements"]
    names = [a["file_name"] for a in listed]
    assert "again.999" in names


def test_fixing_a_visit_then_submitting_it_through_the_forms(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("biller")
    visit = _unsigned(bench)
    number = visit["visit_id"]
    token = form_csrf(bench, f"/visits/{number}/edit", f"/visits/{number}/edit")
    r = bench.client.post(
        f"/visits/{number}/edit",
        data={"csrf_token": token, "visit_json": json.dumps(_signed(visit))},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/claims/{number}?done=edited"
    assert "The visit was saved and scrubbed again." in bench.client.get(r.headers["location"]).text
    token = form_csrf(bench, "/submissions", "/submissions")
    r = bench.client.post("/submissions", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "done=submitted" in r.headers["location"]
    page = bench.client.get(r.headers["location"])
    assert page.status_code == 200 and number in page.text
    assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "submitted"


def test_a_corrected_claim_and_an_appeal_through_the_claim_page(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("biller")
    rejected = _first(bench, "rejected")
    token = form_csrf(bench, f"/claims/{rejected}", f"/claims/{rejected}/correct")
    r = bench.client.post(
        f"/claims/{rejected}/correct", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"/claims/{rejected}?done=corrected"
    assert bench.get(f"/api/v1/claims/{rejected}").json()["state"] == "corrected"

    denied = _first(bench, "denied")
    token = form_csrf(bench, f"/claims/{denied}", f"/claims/{denied}/appeal")
    r = bench.client.post(f"/claims/{denied}/appeal", data={"csrf_token": token})
    assert r.status_code == 200 and "The appeal letter was made." in r.text
    appeal = bench.get(f"/api/v1/claims/{denied}").json()["appeals"][0]["id"]
    letter = bench.client.get(f"/claims/{denied}/appeals/{appeal}.html")
    assert letter.status_code == 200 and denied in letter.text
    pdf = bench.client.get(f"/claims/{denied}/appeals/{appeal}.pdf")
    assert pdf.content.startswith(b"%PDF")


def test_a_viewer_may_log_out_but_not_import(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("viewer")
    csrf = bench.csrf()
    r = bench.client.post(
        "/visits/import",
        data={"csrf_token": csrf},
        files={"file": ("v.jsonl", b"{}", "application/json")},
    )
    assert r.status_code == 403
    r = bench.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
