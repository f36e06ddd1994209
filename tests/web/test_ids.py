"""Ids at the edge: a visit id with a `/` is refused at intake (it names the claim in web
addresses); a claim that already has one in a ledger still opens; an id no ledger could
hold is a 422 naming the parameter, before any database sees it."""

from __future__ import annotations

import copy
import json

import pytest
from pydantic import ValidationError
from sqlalchemy import update

from ptbill.domain.visit import Visit
from ptbill.ledger import models as m
from tests.web.conftest import MakeBench, Workbench
from tests.web.test_pages import form_csrf

SLASHED = "V-OLD/0001"


@pytest.mark.parametrize("bad", ["V/1", "V\\1", "V\n1", "V\x001"])
def test_a_visit_id_that_cannot_travel_is_refused_at_intake(
    shared_bench: Workbench, bad: str
) -> None:
    visit = copy.deepcopy(shared_bench.templates.visits[0])
    visit["visit_id"] = bad
    with pytest.raises(ValidationError) as caught:
        Visit.model_validate(visit)
    [error] = caught.value.errors()
    assert error["loc"] == ("visit_id",)
    r = shared_bench.post(
        "/api/v1/scrub", role="viewer", json=visit
    )  # the same check on every way in
    assert r.status_code == 422
    [problem] = [e for e in r.json()["errors"] if e["field"] == "visit_id"]
    assert "may not contain" in problem["problem"] and problem["fix"]


def test_importing_a_visit_with_a_slash_imports_nothing(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    visit = copy.deepcopy(bench.templates.visits[0])
    visit["visit_id"] = "V-NEW/1"
    r = bench.post(
        "/api/v1/visits",
        files={"file": ("v.jsonl", json.dumps(visit).encode(), "application/json")},
    )
    job = bench.job(r)
    assert job["state"] == "failed"
    assert job["errors"][0]["field"] == "visit_id"
    assert bench.get("/api/v1/visits/V-NEW%2F1").status_code == 404


@pytest.fixture
def slashed(make_bench: MakeBench) -> Workbench:
    """A ledger holding a denied claim whose visit id has a `/` (imported before intake
    refused it)."""
    bench = make_bench("posted")
    number = bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"][0]["claim_number"]
    with bench.sessions().begin() as s:
        s.execute(
            update(m.Claim).where(m.Claim.claim_number == number).values(claim_number=SLASHED)
        )
        s.execute(update(m.Visit).where(m.Visit.visit_id == number).values(visit_id=SLASHED))
        s.execute(
            update(m.WorkItem).where(m.WorkItem.reference == number).values(reference=SLASHED)
        )
    return bench


def test_a_claim_whose_id_has_a_slash_still_opens(slashed: Workbench) -> None:
    bench = slashed
    claim = bench.get(f"/api/v1/claims/{SLASHED}")
    assert claim.status_code == 200 and claim.json()["claim_number"] == SLASHED
    assert bench.get(f"/api/v1/claims/{SLASHED}/segments").status_code == 200
    assert bench.get(f"/api/v1/visits/{SLASHED}").json()["visit_id"] == SLASHED
    bench.login("biller")
    page = bench.client.get(f"/claims/{SLASHED}")
    assert page.status_code == 200 and f"Claim {SLASHED}" in page.text
    # The links to it, on the denials page, lead to it.
    denials = bench.client.get("/denials?kind=denial").text
    assert f'href="/claims/{SLASHED}"' in denials
    token = form_csrf(bench, f"/claims/{SLASHED}", f"/claims/{SLASHED}/appeal")
    r = bench.client.post(f"/claims/{SLASHED}/appeal", data={"csrf_token": token})
    assert r.status_code == 200 and "The appeal letter was made." in r.text
    appeal = bench.get(f"/api/v1/claims/{SLASHED}").json()["appeals"][0]["id"]
    assert bench.client.get(f"/claims/{SLASHED}/appeals/{appeal}.pdf").status_code == 200
    assert bench.client.get(f"/visits/{SLASHED}/edit").status_code == 200


def test_a_claim_id_with_characters_a_url_carries_encoded(slashed: Workbench) -> None:
    """Links encode what a URL would misread (`?`, `#`, `%`, a space)."""
    bench = slashed
    odd = "V ?#%1"
    with bench.sessions().begin() as s:
        s.execute(update(m.Claim).where(m.Claim.claim_number == SLASHED).values(claim_number=odd))
    bench.login("viewer")
    html = bench.client.get("/claims?state=denied").text
    assert 'href="/claims/V%20%3F%23%251"' in html
    assert bench.client.get("/claims/V%20%3F%23%251").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/claims/" + "x" * 39,
        "/api/v1/claims/V%00",
        "/api/v1/visits/V%011",
        "/api/v1/claims/" + "x" * 39 + "/segments",
    ],
)
def test_an_id_no_ledger_could_hold_is_named(shared_bench: Workbench, url: str) -> None:
    r = shared_bench.get(url)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"].startswith("path.")
