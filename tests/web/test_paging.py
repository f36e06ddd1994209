"""Every list pages: the API's lists take `limit` (at most 200) and `offset`, say where the
next page starts, and walking the pages gives every row once; the pages (HTML) page too, so
that no answer grows with the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select

from ptbill.ledger import models as m
from ptbill.web.params import MAX_SEARCH
from tests.web.conftest import MakeBench, Workbench

MAX = 200
# Every list of the API (and the detail answers that hold a file's rows), with the key of
# its rows.
LISTS = {  # url: (its template in the OpenAPI document, the key of its rows)
    "/api/v1/claims": (None, "claims"),
    "/api/v1/visits": (None, "visits"),
    "/api/v1/findings": (None, "findings"),
    "/api/v1/submissions": (None, "submissions"),
    "/api/v1/submissions/1": ("/api/v1/submissions/{submission_id}", "claims"),
    "/api/v1/acknowledgements": (None, "acknowledgements"),
    "/api/v1/acknowledgements/2": ("/api/v1/acknowledgements/{ack_id}", "results"),
    "/api/v1/remittances": (None, "remittances"),
    "/api/v1/remittances/1": ("/api/v1/remittances/{remittance_id}", "claims"),
    "/api/v1/worklist": (None, "items"),
    "/api/v1/patients": (None, "patients"),
    "/api/v1/eligibility": (None, "checks"),
    "/api/v1/patients/1/eligibility": ("/api/v1/patients/{patient_id}/eligibility", "checks"),
    "/api/v1/exchange/runs": (None, "runs"),
    "/api/v1/inquiries": (None, "inquiries"),
    "/api/v1/jobs": (None, "jobs"),
    "/api/v1/balances": (None, "patients"),
    "/api/v1/statements": (None, "statements"),
    "/api/v1/admin/access-log": (None, "events"),
}
# Who reads a list (the viewer unless named): the security audit is the admin's.
READER = {"/api/v1/admin/access-log": "admin"}


def test_the_openapi_document_says_how_every_list_pages(shared_bench: Workbench) -> None:
    spec = shared_bench.client.get("/api/v1/openapi.json").json()
    assert "next_offset" in spec["info"]["description"]
    for path, (template, _) in LISTS.items():
        params = {p["name"]: p for p in spec["paths"][template or path]["get"]["parameters"]}
        assert params["limit"]["schema"]["maximum"] == MAX, path
        assert "next_offset" in params["offset"]["description"], path


def test_every_list_endpoint_is_walked_here(shared_bench: Workbench) -> None:
    """A GET of the API that takes `limit` is a list: each is in LISTS."""
    spec = shared_bench.client.get("/api/v1/openapi.json").json()
    paging = {
        path
        for path, methods in spec["paths"].items()
        if any(p["name"] == "limit" for p in methods.get("get", {}).get("parameters", []))
    }
    assert paging == {template or path for path, (template, _) in LISTS.items()}


@pytest.mark.parametrize("path", list(LISTS))
def test_every_list_refuses_a_page_over_the_maximum(shared_bench: Workbench, path: str) -> None:
    role = READER.get(path, "viewer")
    r = shared_bench.get(f"{path}?limit={MAX + 1}", role=role)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.limit"
    r = shared_bench.get(f"{path}?offset={10**12}", role=role)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.offset"
    body = shared_bench.get(f"{path}?limit={MAX}", role=role).json()
    assert len(body[LISTS[path][1]]) <= MAX
    assert body["limit"] == MAX and body["offset"] == 0 and "next_offset" in body


@pytest.mark.parametrize("path", list(LISTS))
def test_walking_the_pages_gives_every_row_once(shared_bench: Workbench, path: str) -> None:
    key, role = LISTS[path][1], READER.get(path, "viewer")
    whole = shared_bench.get(f"{path}?limit={MAX}", role=role).json()
    if whole["next_offset"] is not None:
        pytest.skip(f"{path} holds more than one page of {MAX} in the demo ledger")
    rows: list[Any] = []
    offset: int | None = 0
    while offset is not None:
        page = shared_bench.get(f"{path}?limit=7&offset={offset}", role=role).json()
        assert len(page[key]) <= 7
        rows += page[key]
        offset = page["next_offset"]
    assert rows == whole[key]
    if whole["total"] is not None:
        assert whole["total"] == len(rows)


def _flood(bench: Workbench, n: int) -> None:
    """`n` open work items on one blocked claim and `n` unmatched payments' items: what a
    bad import or a stranger's 835 leaves."""
    with bench.sessions().begin() as s:
        claim = s.scalars(select(m.Claim).where(m.Claim.state == "blocked")).first()
        assert claim is not None
        row = {
            "visit_id": None,
            "carc": None,
            "rarc": None,
            "amount": Decimal("10.00"),
            "detail": "flood",
            "due_date": dt.date(2026, 3, 1),
            "status": "open",
            "created_on": dt.date(2026, 3, 1),
            "source": "test",
        }
        s.execute(
            insert(m.WorkItem),
            [
                {
                    **row,
                    "claim_id": claim.id,
                    "reference": claim.claim_number,
                    "kind": "blocked",
                    "category": "documentation",
                    "action": "fix_and_reimport",
                }
                for _ in range(n)
            ]
            + [
                {
                    **row,
                    "claim_id": None,
                    "reference": f"X-{i}",
                    "kind": "unmatched",
                    "category": "unmatched",
                    "action": "review",
                }
                for i in range(n)
            ],
        )


def test_a_flooded_worklist_still_answers_one_page(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    _flood(bench, 3000)
    api = bench.get("/api/v1/worklist", role="manager")  # the flood's items are of no clinic
    assert api.status_code == 200
    body = api.json()
    assert len(body["items"]) == 50 and body["total"] > 6000 and body["next_offset"] == 50
    assert len(api.content) < 60_000
    bench.login("admin")
    queue = bench.client.get("/worklist")
    assert queue.status_code == 200 and queue.text.count('<tr id="item-') == 100
    groups = bench.client.get("/worklist?view=groups&by=kind")
    assert groups.status_code == 200 and groups.text.count('<tr id="group-') <= 8
    assert ">3000<" in groups.text  # the unmatched items, counted by the database
    denials = bench.client.get("/denials?kind=unmatched")
    assert denials.status_code == 200
    assert denials.text.count("<tr>") <= 100 + 1  # a page of rows and the header
    assert "3000 item(s)" in denials.text  # the totals count every item
    last = bench.client.get("/denials?kind=unmatched&page=30")  # the same deadline: by id
    assert last.status_code == 200
    assert ">X-2999<" in last.text and ">X-2899<" not in last.text


@pytest.mark.parametrize(
    "url",
    [
        "/claims?page=0",
        f"/claims?page={10**30}",
        f"/patients?page={10**7}",
        "/worklist?page=-1",
        f"/remittances/1?page={10**12}",
        f"/claims?patient_id={2**63}",
    ],
)
def test_a_page_number_out_of_range_is_named(shared_bench: Workbench, url: str) -> None:
    with shared_bench.signed_in("viewer"):
        r = shared_bench.client.get(url)
    assert r.status_code == 422, r.text[:300]
    assert url.split("?")[1].split("=")[0] in r.text


@pytest.mark.parametrize(
    "url", ["/claims?state=&payer=&q=&patient_id=&page=1", "/api/v1/claims?patient_id="]
)
def test_a_blank_patient_filter_is_no_filter(shared_bench: Workbench, url: str) -> None:
    """The claims page's pager links carry every filter, blank ones too (a viewer of every
    clinic met a 422 on the second page)."""
    with shared_bench.signed_in("viewer"):
        r = shared_bench.client.get(url)
    assert r.status_code == 200, r.text[:300]


@pytest.mark.parametrize("path", ["/api/v1/claims", "/api/v1/patients", "/claims", "/patients"])
def test_a_search_longer_than_any_name_or_id_is_named(shared_bench: Workbench, path: str) -> None:
    """A search (`q`) is bounded at the edge: 60,000 characters made SQLite's LIKE fail ("pattern
    too complex"), answered 503 "the ledger is busy", which it was not. A search of the
    longest that is allowed still answers."""
    with shared_bench.signed_in("viewer"):
        long = shared_bench.client.get(path, params={"q": "x" * 60_000})
        most = shared_bench.client.get(path, params={"q": "x" * MAX_SEARCH})
        over = shared_bench.client.get(path, params={"q": "x" * (MAX_SEARCH + 1)})
    assert long.status_code == over.status_code == 422, long.text[:300]
    assert "query.q" in long.text and f"{MAX_SEARCH}" in long.text
    assert "x" * 100 not in long.text  # the value is not echoed whole
    assert most.status_code == 200, most.text[:300]
