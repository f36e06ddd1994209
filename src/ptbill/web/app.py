"""The workbench app: `create_app(settings)` builds the FastAPI app on one ledger database.

`ptbill serve` runs it under uvicorn; with several workers each process builds its own app
from the environment (`app_from_env`, a uvicorn factory).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ptbill import __version__
from ptbill.config import load_config
from ptbill.errors import InputError, InputErrors
from ptbill.reference.snapshot import take_snapshot
from ptbill.reference.store import data_folder
from ptbill.web.auth import Forbidden, NotAuthenticated
from ptbill.web.db import open_database
from ptbill.web.queries import NotFound
from ptbill.web.rendering import STATIC, error_json, render_error
from ptbill.web.settings import WebSettings


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


class UploadLimit:
    """Refuse a request body larger than the upload limit before reading it (a plain ASGI
    middleware: it only looks at the headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            limit = request.app.state.settings.max_upload_bytes
            length = request.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > limit + 64 * 1024:
                problem = (
                    f"the request is {int(length):,} bytes, over the upload limit of "
                    f"{limit:,} bytes"
                )
                fix = "split the file, or raise PTBILL_MAX_UPLOAD_MB"
                response: Response
                if _is_api(request):
                    response = JSONResponse(error_json("upload", problem, fix), status_code=413)
                else:
                    request.state.principal = None
                    response = render_error(request, 413, problem, fix)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


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


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(request: Request, _: NotAuthenticated) -> Response:
        if _is_api(request):
            return JSONResponse(
                error_json(
                    "authorization",
                    "not authenticated",
                    "send `Authorization: Bearer TOKEN` (see `ptbill token create`)",
                ),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _is_api(request):
            return JSONResponse(
                error_json("authorization", exc.why, "ask an admin"), status_code=403
            )
        return render_error(request, 403, exc.why, "ask an admin for the access you need")

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        fix = f"check the {exc.what} id"
        if _is_api(request):
            return JSONResponse(error_json(exc.what, str(exc), fix), status_code=404)
        return render_error(request, 404, str(exc), fix)

    @app.exception_handler(InputErrors)
    async def _input_errors(request: Request, exc: InputErrors) -> Response:
        if _is_api(request):
            return JSONResponse(
                {
                    "errors": [
                        error_json(e.field or e.file, e.problem, e.fix, e.visit_id)["error"]
                        for e in exc.errors[:200]
                    ]
                },
                status_code=422,
            )
        return render_error(
            request, 422, "the input has errors; nothing was changed", None, errors=exc.errors[:200]
        )

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> Response:
        if _is_api(request):
            return JSONResponse(
                error_json(exc.field or exc.file, exc.problem, exc.fix, exc.visit_id),
                status_code=422,
            )
        return render_error(request, 422, exc.render(), None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                error_json("request", str(exc.detail), "check the URL"),
                status_code=exc.status_code,
                headers=exc.headers,
            )
        return render_error(request, exc.status_code, str(exc.detail), None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"]),
                "problem": e["msg"],
                "fix": "correct the value",
            }
            for e in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse({"errors": errors}, status_code=422)
        text = "; ".join(f"{e['field']}: {e['problem']}" for e in errors)
        return render_error(request, 422, text, None)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the reference data a scrub needs (the ICD-10-CM code set takes seconds to parse)
    when a server process starts, not on its first request; then freeze it out of the
    garbage collector's sight: millions of long-lived objects that a full collection would
    otherwise rescan, stalling a request now and then for a tenth of a second."""
    from ptbill.scrub import icd10

    await anyio.to_thread.run_sync(icd10.dx, "M17.11")
    gc.collect()
    gc.freeze()
    yield


def create_app(settings: WebSettings | None = None) -> FastAPI:
    from ptbill.web.api import router as api_router
    from ptbill.web.pages import router as pages_router

    settings = settings or WebSettings.from_env()
    db = open_database(settings.db)
    app = FastAPI(
        title="ptbill workbench",
        version=__version__,
        description="The REST API over the ptbill ledger. Authenticate with "
        "`Authorization: Bearer TOKEN` (`ptbill token create NAME`).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.sessions = db.sessions
    app.state.read_sessions = db.read_sessions
    # The releases of the data folder as the app starts: every request works with them.
    reference = take_snapshot(data_folder(settings.data))
    app.state.config = load_config(settings.config).with_reference(reference)
    app.add_middleware(UploadLimit)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _handlers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api_router)
    app.include_router(pages_router)
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory for `ptbill serve` (each worker reads the same environment)."""
    return create_app(WebSettings.from_env())
