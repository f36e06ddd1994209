"""The connection budget of a server process, on SQLite and PostgreSQL: as many request
threads as `web_threads`, a pool sized to them, no database work on the event loop (where a
query waiting for the database, or for a connection, would stall every request of the
process), and a request that cannot get a connection in time answered 503 with Retry-After.
Also what the scale-out's load met: two postings of one 835 at once."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update
from sqlalchemy.exc import IntegrityError

from ptbill.demo.generator import generate
from ptbill.errors import InputError
from ptbill.ledger import importer
from ptbill.remit.post import _posted_meanwhile
from ptbill.web import WebSettings, actions, create_app
from ptbill.web.accounts import add_user, create_token, digest
from ptbill.web.db import OTHERS, over_budget
from ptbill.web.models import ApiToken, User
from tests.ledger import conftest as ledger_fixtures
from tests.web.conftest import MakeBench

PASSWORD = "budget password"


db_url = ledger_fixtures.db_url  # SQLite, and PostgreSQL when PTBILL_TEST_PG is set


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    """A workbench of 3 request threads (its lifespan run), an admin with an API token
    (the client's `token`), no job worker: a queued job stays queued."""
    app = create_app(WebSettings(db=db_url, web_threads=3, job_worker=False, pool_wait_seconds=0.3))
    with app.state.sessions.begin() as s:
        add_user(s, "boss", "admin", PASSWORD)
        token = create_token(s, "boss")
    with TestClient(app, base_url="http://127.0.0.1") as c:
        c.token = token  # type: ignore[attr-defined]
        yield c
    app.state.db.dispose()


def _bearer(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}  # type: ignore[attr-defined]


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_threads_and_pool_agree(client: TestClient) -> None:
    app: Any = client.app
    limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)  # type: ignore[union-attr]
    assert limiter.total_tokens == 3
    assert app.state.settings.pool_size == 6  # two connections a thread, no job worker
    for engine in (app.state.db.engine, app.state.db.read_engine):
        assert engine.pool.size() == 6
        assert engine.pool._max_overflow == 0


def test_no_statement_runs_on_the_event_loop(client: TestClient) -> None:
    app: Any = client.app
    on_loop: list[str] = []
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)
        if _on_event_loop():
            on_loop.append(statement.split()[0])

    engines = {app.state.db.engine, app.state.db.read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        # A token; a clinic named (looked up); a queued job waited on (looked at again).
        assert client.get("/api/v1/claims", headers=_bearer(client)).status_code == 200
        r = client.get("/api/v1/claims?clinic=no-such-clinic", headers=_bearer(client))
        assert r.status_code == 404
        visits = "\n".join(json.dumps(v) for v in generate(2, 3)) + "\n"
        r = client.post(
            "/api/v1/visits",
            headers=_bearer(client),
            files={"file": ("visits.jsonl", visits.encode())},
        )
        assert r.status_code == 202, r.text
        job = client.get(r.headers["location"] + "?wait=0.6", headers=_bearer(client))
        assert job.json()["state"] == "queued"
        # A session cookie: the login form, then a page and the API.
        form = client.get("/login").text
        csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        login = client.post(
            "/login",
            data={"username": "boss", "password": PASSWORD, "csrf_token": csrf, "next": "/"},
            follow_redirects=False,
        )
        assert login.status_code == 303, login.text
        assert client.get("/worklist").status_code == 200
        assert client.get("/api/v1/jobs").status_code == 200
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    assert len(seen) > 10
    assert on_loop == []


def test_revoked_tokens_and_disabled_users_are_refused_at_once(client: TestClient) -> None:
    app: Any = client.app
    assert client.get("/api/v1/claims", headers=_bearer(client)).status_code == 200
    token = client.token  # type: ignore[attr-defined]
    with app.state.sessions.begin() as s:
        s.execute(
            update(ApiToken).where(ApiToken.token_sha256 == digest(token)).values(revoked=True)
        )
    assert client.get("/api/v1/claims", headers=_bearer(client)).status_code == 401
    with app.state.sessions.begin() as s:
        s.execute(update(ApiToken).values(revoked=False))
        s.execute(update(User).values(active=False))
    assert client.get("/api/v1/claims", headers=_bearer(client)).status_code == 401


def test_no_free_connection_in_time_answers_503(client: TestClient) -> None:
    app: Any = client.app
    with ExitStack() as held:  # every connection of the readers' pool taken
        for _ in range(app.state.settings.pool_size):
            held.enter_context(app.state.db.read_engine.connect())
        r = client.get("/api/v1/claims", headers=_bearer(client))
    assert r.status_code == 503
    assert int(r.headers["retry-after"]) > 0
    assert "busy" in r.json()["error"]["problem"]
    assert client.get("/api/v1/claims", headers=_bearer(client)).status_code == 200


def test_the_budget_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTBILL_WEB_THREADS", "4")
    monkeypatch.setenv("PTBILL_POOL_WAIT_SECONDS", "2.5")
    settings = WebSettings.from_env()
    assert (settings.web_threads, settings.pool_size, settings.pool_wait_seconds) == (4, 11, 2.5)
    monkeypatch.setenv("PTBILL_DB_POOL", "12")
    assert WebSettings.from_env().pool_size == 12
    for name, value in WebSettings.from_env().to_env().items():
        monkeypatch.setenv(name, value)
    assert WebSettings.from_env().pool_size == 12
    monkeypatch.setenv("PTBILL_DB_POOL", "4")  # fewer connections than threads
    with pytest.raises(InputError, match="PTBILL_DB_POOL"):
        WebSettings.from_env()
    monkeypatch.setenv("PTBILL_WEB_THREADS", "many")
    with pytest.raises(InputError, match="PTBILL_WEB_THREADS"):
        WebSettings.from_env()


def test_a_posting_that_meets_another_posting_of_its_payment_runs_again(
    make_bench: MakeBench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two billers of a clinic upload its 835 at once (the scale-out's load): the second
    posting meets the first's committed row (IntegrityError, reported as AlreadyPosted). Its
    job is given back to the queue and runs again, rather than failing."""
    bench = make_bench("pending")
    real = actions.post_remittance
    calls: list[int] = []

    def first_meets_another(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            try:  # as ptbill.remit.post reports a unique key broken by the other commit
                raise IntegrityError("INSERT ...", {}, Exception("duplicate key"))
            except IntegrityError:
                raise _posted_meanwhile("payer.835") from None
        return real(*args)

    monkeypatch.setattr(actions, "post_remittance", first_meets_another)
    remit = bench.templates.demo.remit_835
    job = bench.job(bench.post("/api/v1/remittances", files={"file": ("payer.835", remit)}))
    assert (job["state"], job["attempts"], len(calls)) == ("done", 2, 2), job
    assert job["result"]["posted"] is True


def test_serve_warns_when_the_processes_could_open_more_than_the_server_accepts(
    client: TestClient,
) -> None:
    engine = client.app.state.db.engine  # type: ignore[attr-defined]
    assert over_budget(engine, 1, 16) is None
    warning = over_budget(engine, 1000, 16)
    if engine.url.get_backend_name() == "postgresql":
        assert warning is not None and "may open 16015 connections" in warning
    else:
        assert warning is None  # SQLite: no server limit
    # The defaults: 4 processes of 8 threads, two workers and a command fit PostgreSQL's
    # default max_connections (100, of which 3 are kept for superusers).
    assert 4 * WebSettings(job_worker=False).pool_size + OTHERS <= 100 - 3


def test_an_import_job_holds_no_lock_while_it_checks_its_file(
    make_bench: MakeBench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large import job checks the whole file before its first batch (minutes for 100,000
    visits): meanwhile another writer takes SQLite's write lock at once (no transaction of
    the job's is open)."""
    bench = make_bench("pending")
    real = importer.check_input
    took_lock: list[bool] = []

    def check_beside_a_writer(*args: Any, **kw: Any) -> Any:
        other = sqlite3.connect(bench.db, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            took_lock.append(True)
        except sqlite3.OperationalError:
            took_lock.append(False)
        finally:
            other.close()
        return real(*args, **kw)

    monkeypatch.setattr(importer, "check_input", check_beside_a_writer)
    visits = generate(30, 11)
    for v in visits:
        v["visit_id"] = "CHK-" + v["visit_id"]
    body = "\n".join(json.dumps(v) for v in visits) + "\n"
    r = bench.post("/api/v1/visits", role="admin", files={"file": ("v.jsonl", body.encode())})
    job = bench.job(r, role="admin")
    assert job["state"] == "done", job
    assert took_lock == [True]
