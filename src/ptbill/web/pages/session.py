"""Logging in and out (a session cookie: HttpOnly, SameSite, Secure when configured)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ptbill.web.accounts import check_password, end_session, same_secret, start_session
from ptbill.web.auth import DB, LOGIN_CSRF_COOKIE, SESSION_COOKIE, MaybeUser, PagePoster
from ptbill.web.rendering import page

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
    session: DB,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    request.state.principal = None
    target = _safe_next(next)
    if not same_secret(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_form(request, target, 403, "The form expired; please log in again.", username)
    user = check_password(session, username, password)
    if user is None:
        session.commit()
        return _login_form(request, target, 401, "Wrong user name or password.", username)
    settings = request.app.state.settings
    cookie = start_session(session, user, settings.session_hours)
    session.commit()
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
