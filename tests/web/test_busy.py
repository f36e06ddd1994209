"""A busy database (SQLite's write lock held by another connection) answers 503 with
Retry-After, in JSON for the API and as a page for a form; reads go on beside the writer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.web.conftest import MakeBench, Workbench
from tests.web.test_pages import form_csrf


@contextmanager
def write_lock(db: Path) -> Iterator[None]:
    """Another process's writer: a second connection holding the database's write lock."""
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def _denied(bench: Workbench) -> str:
    return bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"][0]["claim_number"]


def test_a_write_while_another_connection_holds_the_lock_answers_503(
    make_bench: MakeBench,
) -> None:
    bench = make_bench("posted", lock_wait_seconds=0.2)
    number = _denied(bench)
    with write_lock(bench.db):
        r = bench.post(f"/api/v1/claims/{number}/writeoff", json={"reason": "small balance"})
        assert r.status_code == 503, r.text
        assert int(r.headers["retry-after"]) > 0
        error = r.json()["error"]
        assert "busy" in error["problem"] and error["fix"]
        # Reading goes on beside the writer.
        assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "denied"
    done = bench.post(f"/api/v1/claims/{number}/writeoff", json={"reason": "small balance"})
    assert done.status_code == 200, done.text


def test_a_form_posted_while_the_database_is_locked_shows_a_503_page(
    make_bench: MakeBench,
) -> None:
    bench = make_bench("posted", lock_wait_seconds=0.2)
    bench.login("biller")
    number = _denied(bench)
    token = form_csrf(bench, f"/claims/{number}", f"/claims/{number}/writeoff")
    with write_lock(bench.db):
        r = bench.client.post(
            f"/claims/{number}/writeoff", data={"reason": "small balance", "csrf_token": token}
        )
    assert r.status_code == 503
    assert "retry-after" in r.headers
    assert "busy" in r.text and "<html" in r.text
    assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "denied"
