"""Every answer that is not a success: one handler that renders any WebError (the errors with
their HTTP status, ptbill.web.problems, re-exported here) as JSON (the API) or a page.

The other errors a request can raise are translated into a WebError first: the workflow's
input errors (422), FastAPI's validation errors (422), Starlette's HTTP errors (404, 405...),
and a database that is busy or unreachable (503 with Retry-After: another writer holds the
lock longer than the app waits, see WebSettings.lock_wait_seconds).

An error never echoes a long input: each text is clipped (`Problem.as_json`).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from ptbill.errors import InputError, InputErrors
from ptbill.web.problems import (
    MAX_LISTED,
    RETRY_AFTER_SECONDS,
    Busy,
    Conflict,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    Problem,
    TooLarge,
    WebError,
    clipped,
)
from ptbill.web.rendering import render_error

__all__ = [
    "RETRY_AFTER_SECONDS",
    "Busy",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotAuthenticated",
    "NotFound",
    "Problem",
    "TooLarge",
    "WebError",
    "answer",
    "install",
    "is_api",
]

log = logging.getLogger(__name__)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _from_input(errors: list[InputError], listed: bool) -> Invalid:
    problems = [Problem(e.field, e.problem, e.fix, e.visit_id, e.file) for e in errors[:MAX_LISTED]]
    if listed:
        return Invalid("the input has errors; nothing was changed", problems=problems, listed=True)
    return Invalid(errors[0].render(), problems=problems)


async def answer(request: Request, exc: WebError) -> Response:
    """The one handler: a WebError as JSON (API) or as a page."""
    if is_api(request):
        body: dict[str, Any] = (
            {"errors": [p.as_json() for p in exc.problems]}
            if exc.listed
            else {"error": exc.problems[0].as_json()}
        )
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)
    if isinstance(exc, NotAuthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    return render_error(
        request,
        exc.status,
        clipped(exc.summary, 1000) or "",
        exc.fix,
        errors=exc.problems if exc.listed else [],
        headers=exc.headers,
    )


def install(app: FastAPI) -> None:
    """Answer WebError, and everything a request may raise translated into one."""

    async def web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return await answer(request, exc)

    async def input_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, InputErrors):
            return await answer(request, _from_input(exc.errors, listed=True))
        assert isinstance(exc, InputError)
        return await answer(request, _from_input([exc], listed=False))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            Problem(".".join(str(p) for p in e["loc"]), e["msg"], "correct the value")
            for e in exc.errors()[:MAX_LISTED]
        ]
        text = "; ".join(f"{p.field}: {p.problem}" for p in problems)
        return await answer(request, Invalid(text, problems=problems, listed=True))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if isinstance(exc.__cause__, WebError):  # FastAPI's "error parsing the body"
            return await answer(request, exc.__cause__)
        error = WebError(
            str(exc.detail),
            "check the URL",
            "request",
            headers=dict(exc.headers or {}),
            status=exc.status_code,
        )
        return await answer(request, error)

    async def busy(request: Request, exc: Exception) -> Response:
        # The statement and its parameters may hold patient data: log the kind only.
        log.warning("database busy or unavailable: %s", type(getattr(exc, "orig", exc)).__name__)
        return await answer(request, Busy())

    app.add_exception_handler(WebError, web_error)
    app.add_exception_handler(InputErrors, input_error)
    app.add_exception_handler(InputError, input_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, busy)
    app.add_exception_handler(PoolTimeout, busy)
