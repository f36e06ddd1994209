"""The workbench app: `create_app(settings)` builds the FastAPI app on one ledger database.

`ptbill serve` runs it under uvicorn; with several workers each process builds its own app
from the environment (`app_from_env`, a uvicorn factory).
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ptbill import __version__
from ptbill.config import load_config
from ptbill.reference.snapshot import take_snapshot
from ptbill.reference.store import data_folder
from ptbill.web import errors
from ptbill.web.accounts import dummy_hash
from ptbill.web.bodies import BodyLimit
from ptbill.web.db import open_database
from ptbill.web.jobs import InProcessWorker, JobContext
from ptbill.web.rendering import STATIC
from ptbill.web.settings import WebSettings

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    # Our own scripts and styles only; style attributes for the bar widths.
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; "
        b"style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
        b"form-action 'self'; base-uri 'none'",
    ),
]


class SecurityHeaders:
    """Headers every answer carries; pages and API answers (which hold patient data) are
    never cached, the static assets may be."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the reference data a scrub needs (the ICD-10-CM code set takes seconds to parse)
    when a server process starts, not on its first request; then freeze it out of the
    garbage collector's sight: millions of long-lived objects that a full collection would
    otherwise rescan, stalling a request now and then for a tenth of a second. Then start
    the in-process job worker, unless `ptbill worker` processes run the jobs.

    The request threads (anyio's default limiter, which runs FastAPI's sync routes and
    dependencies) are set to `web_threads`, the number the connection pool is sized for: a
    request beyond them waits for a thread, holding no connection."""
    from ptbill.scrub import icd10

    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.settings.web_threads
    await anyio.to_thread.run_sync(icd10.dx, "M17.11")
    gc.collect()
    gc.freeze()
    if not app.state.settings.job_worker:
        yield
        return
    with InProcessWorker(app.state.sessions, JobContext(app.state.config, app.state.settings)):
        yield


def create_app(settings: WebSettings | None = None) -> FastAPI:
    from ptbill.web.api import router as api_router
    from ptbill.web.pages import router as pages_router

    settings = settings or WebSettings.from_env()
    dummy_hash()  # before the first login: an unknown user's takes as long as a known one's
    db = open_database(
        settings.db, settings.lock_wait_seconds, settings.pool_size, settings.pool_wait_seconds
    )
    app = FastAPI(
        title="ptbill workbench",
        version=__version__,
        description="The REST API over the ptbill ledger. Authenticate with "
        "`Authorization: Bearer TOKEN` (`ptbill token create NAME`). Every list pages by "
        "offset: `limit` (1 to 200, default 50) and `offset`; an answer carries `total` "
        "(null where counting would read every row), `limit`, `offset` and `next_offset` "
        "(null on the last page). A JSON body is at most 2 MiB, an upload at most the "
        "upload limit (PTBILL_MAX_UPLOAD_MB, default 20): past it, 413. A busy ledger "
        "answers 503 with Retry-After.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=_lifespan,
    )
    config = load_config(settings.config)
    if settings.timezone is None:  # where the app's "today" is
        settings = dataclasses.replace(settings, timezone=config.timezone)
    app.state.settings = settings
    app.state.db = db
    app.state.sessions = db.sessions
    app.state.read_sessions = db.read_sessions
    # The releases of the data folder as the app starts: every request works with them.
    reference = take_snapshot(data_folder(settings.data))
    app.state.config = config.with_reference(reference)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    errors.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api_router)
    app.include_router(pages_router)
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory for `ptbill serve` (each worker reads the same environment)."""
    return create_app(WebSettings.from_env())
