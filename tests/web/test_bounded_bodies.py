"""Request bodies are bounded: credentials and the role are checked before any byte of a body
is read; the byte limit holds while the body streams (Content-Length or chunked) and is
answered by 413 with a JSON error; an error never echoes a long input back.

The streaming tests drive the ASGI app directly with a body that is made only as it is read,
so that they can count what the app pulled (a test client would read the whole body first).
"""

from __future__ import annotations

import asyncio
import copy
import json
import tempfile
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tests.web.conftest import MakeBench, Workbench
from tests.web.test_route_walk import _listed

CHUNK = 1024 * 1024
GIGABYTE_OF_CHUNKS = 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    pulled: int  # chunks of the body the app asked for
    peak: int = 0  # the highest memory traced while it answered

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Body:
    """A request body of `chunks` chunks, each made only when the app asks for it."""

    chunks: int
    head: bytes = b""
    pulled: int = field(default=0)

    def parts(self) -> Iterator[bytes]:
        if self.head:
            yield self.head
        for _ in range(self.chunks):
            yield b"x" * CHUNK


def call(
    app: FastAPI,
    method: str,
    path: str,
    body: Body,
    headers: dict[str, str],
    length: str | None = None,
) -> Answer:
    """One request straight into the ASGI app; the body is chunked unless `length`."""
    sent: dict[str, Any] = {"status": 0, "headers": {}, "body": b""}
    parts = body.parts()

    async def receive() -> dict[str, Any]:
        part = next(parts, None)
        if part is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        body.pulled += 1
        return {"type": "http.request", "body": part, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
            sent["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            sent["body"] += message.get("body", b"")

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if length is None:
        raw.append((b"transfer-encoding", b"chunked"))
    else:
        raw.append((b"content-length", length.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *raw],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    tracemalloc.start()
    try:
        asyncio.run(app(scope, receive, send))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return Answer(sent["status"], sent["headers"], sent["body"], body.pulled, peak)


MULTIPART = "multipart/form-data; boundary=XyZ"
HEAD = (
    b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.835"\r\n'
    b"Content-Type: text/plain\r\n\r\nISA*"
)


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder of this test's own for the files the app writes (other tests and
    processes write to the shared one meanwhile). It sees the named ones (an upload saved for
    its reader, ptbill-upload-*); Starlette spools a form's file to an unnamed one, so that
    nothing of a body reached the disk is shown by nothing of it having been read."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("path", ["/api/v1/remittances", "/api/v1/visits", "/remittances"])
def test_a_chunked_upload_without_credentials_is_refused_unread(
    shared_bench: Workbench, path: str, temp_dir: Path
) -> None:
    body = Body(GIGABYTE_OF_CHUNKS, HEAD)
    r = call(shared_bench.app, "POST", path, body, {"content-type": MULTIPART})
    assert r.status == (401 if path.startswith("/api/") else 303)
    assert r.pulled == 0, "not one byte of the body was read"
    assert r.peak < 5 * CHUNK  # memory flat: far below one gigabyte
    assert list(temp_dir.iterdir()) == [], "nothing was written to disk"


def test_a_viewers_upload_is_refused_unread(shared_bench: Workbench) -> None:
    token = shared_bench.as_role("viewer")
    r = call(
        shared_bench.app,
        "POST",
        "/api/v1/remittances",
        Body(GIGABYTE_OF_CHUNKS, HEAD),
        {"content-type": MULTIPART, **token},
    )
    assert r.status == 403 and r.pulled == 0


def test_a_chunked_upload_over_the_limit_stops_at_the_limit(
    make_bench: MakeBench, temp_dir: Path
) -> None:
    bench = make_bench("pending", max_upload_bytes=4 * CHUNK)
    r = call(
        bench.app,
        "POST",
        "/api/v1/remittances",
        Body(GIGABYTE_OF_CHUNKS, HEAD),
        {"content-type": MULTIPART, **bench.as_role("biller")},
    )
    assert r.status == 413
    error = r.json()["error"]
    assert "over the upload limit" in error["problem"] and error["fix"]
    assert r.pulled <= 4 + 2  # the limit, give or take a chunk
    assert list(temp_dir.iterdir()) == [], "the partial upload was removed"
    assert _listed(bench, "remittances") == []


@pytest.mark.parametrize("length", [None, str(GIGABYTE_OF_CHUNKS * CHUNK), "9" * 5000])
def test_an_oversized_json_body_is_refused_with_413(
    shared_bench: Workbench, length: str | None
) -> None:
    body = Body(GIGABYTE_OF_CHUNKS, b'{"visit_id": "')
    headers = {"content-type": "application/json", **shared_bench.as_role("viewer")}
    r = call(shared_bench.app, "POST", "/api/v1/scrub", body, headers, length)
    assert r.status == 413, r.body[:300]
    assert r.json()["error"]["field"] == "(body)"
    assert r.pulled <= 4  # a JSON body is small: a few megabytes at most
    assert r.peak < 16 * CHUNK


def test_an_error_never_echoes_a_long_input(shared_bench: Workbench) -> None:
    visit = copy.deepcopy(shared_bench.templates.visits[0])
    long = "Z" * 300_000
    visit["visit_id"] = long
    visit["place_of_service"] = long
    visit[long] = 1
    visit["services"][0]["code"] = long
    r = shared_bench.post("/api/v1/scrub", role="viewer", json=visit)
    assert r.status_code == 422
    assert len(r.content) < 8_000, len(r.content)
    assert "Z" * 100 not in r.text
    problems = [e["problem"] for e in r.json()["errors"]]
    assert any("300,000 characters" in p for p in problems), problems


def test_a_huge_number_in_a_json_body_is_a_422(shared_bench: Workbench) -> None:
    visit = copy.deepcopy(shared_bench.templates.visits[0])
    text = json.dumps(visit).replace(
        '"services": [', '"total_timed_minutes": 1' + "0" * 5000 + ', "services": [', 1
    )
    r = shared_bench.client.post(
        "/api/v1/scrub",
        content=text.encode(),
        headers={"content-type": "application/json", **shared_bench.as_role("viewer")},
    )
    assert r.status_code == 422, r.text[:300]
    assert len(r.content) < 4_000
