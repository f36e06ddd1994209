"""Logging in and out (a session cookie: HttpOnly, SameSite, Secure when configured)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ptbill.web.accounts import (
    end_session,
    password_hash,
    rehash_if_needed,
    same_secret,
    start_session,
    verify_password,
)
from ptbill.web.auth import (
    DB,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    MaybeUser,
    PagePoster,
    ReadDB,
)
from ptbill.web.rendering import page
from ptbill.web.security import clear_failures, locked_out, record, record_failure

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_form(
    request: Request,
    next_url: str,
    status: int = 200,
    problem: str | None = None,
    username: str | None = None,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        status_code=status,
        login_csrf=token,
        next=next_url,
        problem=problem,
        username=username,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/login",
        max_age=3600,
    )
    return response


@router.get("/login")
def login_form(request: Request, who: MaybeUser, next: str | None = None) -> Response:
    if who is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(request, _safe_next(next))


@router.post("/login")
def login(
    request: Request,
    reading: ReadDB,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    request.state.principal = None
    target = _safe_next(next)
    if not same_secret(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_form(request, target, 403, "The form expired; please log in again.", username)
    address = request.client.host if request.client else None
    # Throttled before the password is even checked; the password is checked on the read
    # connection, outside the write lock (argon2 takes tens of milliseconds).
    if locked_out(reading, username, address):
        with request.app.state.sessions.begin() as session:
            record(session, f"web:{username}", "login-refused", detail=f"locked; from {address}")
        return _login_form(
            request,
            target,
            429,
            "Too many failed logins: try again in 15 minutes, or ask an admin to unlock you.",
            username,
        )
    stored = password_hash(reading, username)
    reading.rollback()  # end the read transaction before the write below
    good = verify_password(stored, password)
    settings = request.app.state.settings
    with request.app.state.sessions.begin() as session:
        if not good or stored is None:
            record_failure(session, username, address)
            return _login_form(request, target, 401, "Wrong user name or password.", username)
        clear_failures(session, username)
        rehash_if_needed(session, stored[0], password)
        cookie = start_session(session, stored[0], settings.session_hours)
        record(session, f"web:{username}", "login", detail=f"from {address}")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: DB, who: PagePoster) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        end_session(session, cookie)
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
