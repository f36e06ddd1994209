"""Every answer that is not a success: one error base with its HTTP status (`WebError`), and
one handler that renders any of them as JSON (the API) or a page.

The other errors a request can raise are translated into a WebError first: the workflow's
input errors (422), FastAPI's validation errors (422), Starlette's HTTP errors (404, 405...),
and a database that is busy or unreachable (503 with Retry-After: another writer holds the
lock longer than the app waits, see WebSettings.lock_wait_seconds).

An error never echoes a long input: each text is clipped (`Problem.as_json`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from ptbill.errors import InputError, InputErrors, clip
from ptbill.web.rendering import render_error

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MAX_LISTED = 200  # errors of one answer


def _short(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


@dataclass(slots=True)
class Problem:
    """One problem of an error answer, each text clipped: what the user sent is never echoed
    back at length (the messages clip the values they quote; this is the last guard)."""

    field: str | None
    problem: str
    fix: str | None
    visit_id: str | None = None
    file: str | None = None  # where, on the error page

    def __post_init__(self) -> None:
        self.field = _short(self.field, 80)
        self.problem = _short(self.problem, 1000) or ""
        self.fix = _short(self.fix, 300)
        self.visit_id = _short(self.visit_id, 40)
        self.file = _short(self.file, 200)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field or self.file,
            "problem": self.problem,
            "fix": self.fix,
        }
        if self.file and self.field:  # the file too: a segment's name alone is not enough
            out["file"] = self.file
        if self.visit_id:
            out["visit_id"] = self.visit_id
        return out


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


class WebError(Exception):
    """An answer with `status`: one problem (`{"error": ...}`), or several (`listed`:
    `{"errors": [...]}`); `summary` heads the error page."""

    status = 500

    def __init__(
        self,
        problem: str,
        fix: str | None = None,
        field: str | None = None,
        *,
        problems: list[Problem] | None = None,
        listed: bool = False,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(problem)
        self.status = status or self.status
        self.summary, self.fix = problem, fix
        self.problems = problems or [Problem(field, problem, fix)]
        self.listed = listed
        self.headers = headers or {}


class NotAuthenticated(WebError):
    """No valid credentials: the API answers 401, a page sends the browser to the login."""

    status = 401

    def __init__(self) -> None:
        super().__init__(
            "not authenticated",
            "send `Authorization: Bearer TOKEN` (see `ptbill token create`)",
            "authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )


class Forbidden(WebError):
    status = 403

    def __init__(self, why: str) -> None:
        super().__init__(why, "ask an admin for the access you need", "authorization")


class NotFound(WebError):
    status = 404

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"no {what} {clip(key)}", f"check the {what} id", what)
        self.what, self.key = what, key


class Conflict(WebError):
    """The ledger changed since the caller looked (a group acted on as it was shown)."""

    status = 409


class TooLarge(WebError):
    status = 413

    def __init__(self, limit: int, fix: str, upload: bool = False) -> None:
        what = "upload limit" if upload else "limit for a JSON body or a form"
        super().__init__(f"the request body is over the {what} of {limit:,} bytes", fix, "(body)")
        self.limit = limit


class Busy(WebError):
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "the ledger is busy with another change (or cannot be reached); nothing was changed",
            f"try again in a few seconds (Retry-After: {RETRY_AFTER_SECONDS})",
            "database",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class Invalid(WebError):
    status = 422


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
        _short(exc.summary, 1000) or "",
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
