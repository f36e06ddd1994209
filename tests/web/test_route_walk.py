"""Walk every route of the app, GET and POST, with the demo ledger's real ids (and with
hostile ones): no route may answer 500.

The routes are read from the app itself, so a route added later is walked too; a path
parameter the walk has no value for fails the test rather than being skipped.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.ledger import models as m
from tests.web.conftest import MakeBench, Workbench


def _routes(bench: Workbench) -> Iterator[tuple[str, str, Any]]:
    """(method, path, route) of every API and page route (FastAPI includes routers lazily:
    `app.routes` holds the included routers, iter_route_contexts their routes)."""
    for route in iter_route_contexts(bench.app.routes):
        if isinstance(route.original_route, APIRoute):
            for method in sorted(route.methods or ()):
                yield method, route.path, route


def _listed(bench: Workbench, resource: str) -> list[dict[str, Any]]:
    return bench.get(f"/api/v1/{resource}").json()[resource]


def _real_ids(bench: Workbench) -> dict[str, list[str]]:
    """A value for every path parameter, taken from the ledger (an appeal is made first)."""
    denied = bench.get("/api/v1/claims?state=denied&limit=2").json()["claims"]
    blocked = bench.get("/api/v1/claims?state=blocked&limit=1").json()["claims"]
    made = bench.post(f"/api/v1/claims/{denied[1]['claim_number']}/appeal")
    assert made.status_code == 201, made.text
    asked = bench.post(f"/api/v1/eligibility/requests?date={denied[0]['date_of_service']}")
    assert asked.status_code == 201, asked.text
    visit = bench.templates.demo.visits_path.read_text().splitlines()[0]
    items = bench.get("/api/v1/worklist?kind=denial&limit=2").json()["items"]
    queued = bench.post("/api/v1/visits", files={"file": ("v.jsonl", visit, "application/json")})
    assert queued.status_code == 202, queued.text
    return {
        "claim_number": [denied[0]["claim_number"], made.json()["claim_id"]],
        "visit_id": [blocked[0]["claim_number"]],
        "patient_id": [str(denied[0]["patient_id"])],
        "submission_id": [str(_listed(bench, "submissions")[0]["id"])],
        "ack_id": [str(a["id"]) for a in _listed(bench, "acknowledgements")],
        "remittance_id": [str(_listed(bench, "remittances")[0]["id"])],
        "appeal_id": [str(made.json()["appeal_id"])],
        "fmt": ["html", "pdf"],
        "run_id": ["1"],  # the demo ledger has no exchange run: a 404
        "inquiry_id": [str(asked.json()["inquiry_id"])],
        "job_id": [str(queued.json()["id"])],
        "item_id": [str(i["id"]) for i in items],
        "statement_id": ["1"],  # no statement made yet: a 404
        "day": ["2025-04-24"],  # nor statements of a day
        "kind": ["pdf", "csv"],
        "name": ["viewer"],  # a user (the admin's routes: the walk's biller is refused)
        "action": ["unlock"],
        "token_id": ["1"],
    }


HOSTILE = [
    "0",
    "-1",
    str(2**63),
    "9" * 40,
    "1e9",
    "a/b",
    "%2F..%2F",
    "x" * 300,
    "%00",
]
HUGE = "9" * 30
QUERIES = ("limit", "offset", "page", "patient_id", "months", "as_of")


def _names(path: str) -> list[str]:
    return re.findall(r"{(\w+)(?::\w+)?}", path)


def _urls(path: str, bindings: list[dict[str, str]]) -> list[str]:
    """The path with each binding of its parameters (once each)."""
    out: list[str] = []
    for binding in bindings:
        missing = [n for n in _names(path) if n not in binding]
        assert not missing, f"the walk has no value for {missing} in {path}"
        url = re.sub(r"{(\w+)(?::\w+)?}", lambda g, b=binding: b[g.group(1)], path)
        if url not in out:
            out.append(url)
    return out


def _product(values: dict[str, list[str]]) -> list[dict[str, str]]:
    return [dict(zip(values, combo, strict=True)) for combo in itertools.product(*values.values())]


def _client(bench: Workbench) -> TestClient:
    return TestClient(bench.app, base_url="http://127.0.0.1", raise_server_exceptions=False)


def _uploads(bench: Workbench) -> dict[str, tuple[str, bytes, str]]:
    with bench.sessions()() as s:
        ack = s.scalars(select(m.Acknowledgement.content).order_by(m.Acknowledgement.id)).first()
    visit = bench.templates.demo.visits_path.read_text().splitlines()[0]
    return {
        "visits": ("walk.jsonl", visit.encode(), "application/json"),
        "acknowledgements": ("walk.999", ((ack or "") + "\n").encode(), "text/plain"),
        "remittances": ("walk.835", bench.templates.demo.remit_835.encode(), "text/plain"),
    }


def _send(
    client: TestClient,
    method: str,
    url: str,
    route: Any,
    *,
    headers: dict[str, str],
    csrf: str | None,
    uploads: dict[str, tuple[str, bytes, str]],
) -> Any:
    body: dict[str, Any] = {}
    if method in ("POST", "PUT"):
        form = {"reason": "walked", "visit_json": "{}", "as_of": ""}
        if csrf:
            form["csrf_token"] = csrf
        upload = next((v for k, v in uploads.items() if k in route.path), None)
        if route.path.startswith("/api/") and route.path != "/api/v1/visits" and not upload:
            body["json"] = {"reason": "walked"}
        else:
            body["data"] = form
            if upload and "{" not in route.path:
                body["files"] = {"file": upload}
    return client.request(method, url, headers=headers, follow_redirects=False, **body)


def _walk(
    bench: Workbench, bindings: list[dict[str, str]], role: str = "biller", queries: bool = False
) -> list[str]:
    """Every route with every value, as a signed-in browser (pages) and with a token (API);
    the answers that were 500 or more."""
    client = _client(bench)
    bench.client = client
    bench.login(role)
    csrf = bench.csrf()
    token = {"Authorization": f"Bearer {bench.tokens[role]}"}
    uploads = _uploads(bench)
    failures = []
    for method, path, route in sorted(_routes(bench), key=lambda r: (r[0] != "GET", r[1])):
        if path == "/logout":
            continue  # walked last: it ends the session
        for url in _urls(path, bindings):
            headers = token if path.startswith("/api/") else {}
            r = _send(client, method, url, route, headers=headers, csrf=csrf, uploads=uploads)
            if r.status_code >= 500:
                failures.append(f"{method} {url!r}: {r.status_code} {r.text[:200]}")
            elif queries and method == "GET":
                for name in QUERIES:
                    q = f"{url}?{name}={HUGE}"
                    r = client.get(q, headers=headers, follow_redirects=False)
                    if r.status_code >= 500:
                        failures.append(f"GET {q!r}: {r.status_code} {r.text[:200]}")
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    if r.status_code >= 500:
        failures.append(f"POST /logout: {r.status_code}")
    return failures


def test_no_route_answers_500_on_the_demo_ledger(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    failures = _walk(bench, _product(_real_ids(bench)))
    assert failures == [], "\n".join(failures)
    # The uploads the walk queued ran as jobs: none may end in an internal error either.
    assert bench.run_jobs()
    for job in bench.get("/api/v1/jobs?limit=200").json()["jobs"]:
        detail = bench.get(f"/api/v1/jobs/{job['id']}").json()
        problems = [e["problem"] for e in detail["errors"] or []]
        assert not any("internal error" in p for p in problems), detail


@pytest.mark.parametrize("role", ["viewer", "biller"])
def test_no_route_answers_500_on_hostile_ids(make_bench: MakeBench, role: str) -> None:
    bench = make_bench("posted")
    names = {n for _, path, _ in _routes(bench) for n in _names(path)}
    failures = _walk(bench, [dict.fromkeys(names, v) for v in HOSTILE], role, queries=True)
    assert failures == [], "\n".join(failures)
