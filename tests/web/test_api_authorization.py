"""The authorization matrix: every API endpoint without credentials (401), with a viewer's
token (reads 200, writes 403) and, for writes, a biller's and an admin's token."""

from __future__ import annotations

import pytest

from tests.web.conftest import MakeBench, Workbench

# A claim the demo ledger has in every template (the first generated visit).
READS = [
    "/api/v1/claims",
    "/api/v1/claims/{claim}",
    "/api/v1/claims/{claim}/segments",
    "/api/v1/visits",
    "/api/v1/visits/{claim}",
    "/api/v1/findings",
    "/api/v1/submissions",
    "/api/v1/submissions/1",
    "/api/v1/submissions/1/837",
    "/api/v1/acknowledgements",
    "/api/v1/acknowledgements/1",
    "/api/v1/remittances",
    "/api/v1/remittances/1",
    "/api/v1/worklist",
    "/api/v1/reports",
    "/api/v1/reports/collections",
    "/api/v1/patients",
    "/api/v1/patients/1",
]

# (method, url, what a viewer must not do); bodies are irrelevant: the role is checked first.
WRITES = [
    ("post", "/api/v1/visits"),
    ("put", "/api/v1/visits/{claim}"),
    ("post", "/api/v1/submissions"),
    ("post", "/api/v1/acknowledgements"),
    ("post", "/api/v1/remittances"),
    ("post", "/api/v1/claims/{claim}/correct"),
    ("post", "/api/v1/claims/{claim}/appeal"),
    ("post", "/api/v1/claims/{claim}/writeoff"),
]


def _url(bench: Workbench, template: str) -> str:
    return template.format(claim=bench.templates.visits[0]["visit_id"])


@pytest.mark.parametrize("url", READS)
def test_reads_need_credentials_and_any_role_may_read(shared_bench: Workbench, url: str) -> None:
    url = _url(shared_bench, url)
    anonymous = shared_bench.get(url, role=None)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["error"]["problem"] == "not authenticated"
    for role in ("viewer", "biller", "admin"):
        assert shared_bench.get(url, role=role).status_code == 200, (url, role)


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_writes_need_credentials_and_a_writing_role(
    shared_bench: Workbench, method: str, url: str
) -> None:
    url = _url(shared_bench, url)
    call = getattr(shared_bench.client, method)
    assert call(url).status_code == 401
    denied = call(url, headers=shared_bench.as_role("viewer"))
    assert denied.status_code == 403
    assert "viewer role cannot change anything" in denied.json()["error"]["problem"]


def test_a_wrong_or_revoked_token_is_not_accepted(shared_bench: Workbench) -> None:
    bad = shared_bench.client.get(
        "/api/v1/claims", headers={"Authorization": "Bearer ptb_not-a-token"}
    )
    assert bad.status_code == 401
    from sqlalchemy import update

    from ptbill.web.accounts import digest
    from ptbill.web.models import ApiToken

    token = shared_bench.tokens["viewer"]
    with shared_bench.sessions().begin() as s:
        s.execute(
            update(ApiToken).where(ApiToken.token_sha256 == digest(token)).values(revoked=True)
        )
    try:
        assert shared_bench.get("/api/v1/claims", role="viewer").status_code == 401
    finally:
        with shared_bench.sessions().begin() as s:
            s.execute(
                update(ApiToken).where(ApiToken.token_sha256 == digest(token)).values(revoked=False)
            )


def test_tokens_are_stored_hashed(shared_bench: Workbench) -> None:
    from sqlalchemy import select

    from ptbill.web.models import ApiToken

    with shared_bench.sessions()() as s:
        stored = s.scalars(select(ApiToken.token_sha256)).all()
    for token in shared_bench.tokens.values():
        assert token not in stored
        assert token.startswith("ptb_") and len(token) > 40


@pytest.mark.parametrize("role", ["biller", "admin"])
def test_billers_and_admins_may_write(make_bench: MakeBench, role: str) -> None:
    bench = make_bench("posted")
    denied = [c for c in bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"]]
    assert denied, "the demo ledger has denied claims"
    number = denied[0]["claim_number"]
    done = bench.post(
        f"/api/v1/claims/{number}/writeoff", role=role, json={"reason": "small balance"}
    )
    assert done.status_code == 200, done.text
    claim = bench.get(f"/api/v1/claims/{number}").json()
    assert claim["state"] == "closed"
    # Every write is in the ledger's audit log with the user who made it.
    moves = [(a["to_state"], a["who"]) for a in claim["audit"]]
    assert ("written_off", f"web:{role}") in moves
    assert ("closed", f"web:{role}") in moves


def test_a_cookie_session_writing_to_the_api_needs_the_csrf_header(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    assert bench.login("biller").status_code == 303
    number = bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"][0]["claim_number"]
    url = f"/api/v1/claims/{number}/writeoff"
    refused = bench.client.post(url, json={"reason": "x"})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["error"]["problem"]
    ok = bench.client.post(url, json={"reason": "x"}, headers={"X-CSRF-Token": bench.csrf()})
    assert ok.status_code == 200, ok.text


def test_the_health_check_needs_no_login(shared_bench: Workbench) -> None:
    r = shared_bench.client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
