"""Who may do what: FastAPI dependencies for the API (Bearer token or session cookie) and the
pages (session cookie, CSRF token on every form).

- No credentials: the API answers 401, a page redirects to the login form.
- Which clinics: `Access` is the caller's `Scope` (ptbill.ledger.scope), narrowed by the
  request's `clinic=KEY` (one of theirs; another answers 404). Every query of clinic-owned
  rows takes it, so a row of another clinic is not found (404, never 403).
- A viewer asking to change anything: 403 (a biller at one clinic asking to change another
  clinic's row does not get that far: the row is not found).
- `Admin`: the company-wide admin (users, tokens, the security audit).
- A write authenticated by the session cookie must carry the session's CSRF token: the
  `csrf_token` form field (pages) or the `X-CSRF-Token` header (the API from our own JS).
  A Bearer token is not sent by browsers on their own, so it needs no CSRF token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import anyio
from fastapi import Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope
from ptbill.web.accounts import Principal, same_secret, session_principal, token_principal
from ptbill.web.errors import Forbidden, NotAuthenticated, NotFound

SESSION_COOKIE = "ptbill_session"
LOGIN_CSRF_COOKIE = "ptbill_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
BULK_FORM_FIELDS = 250  # a page of work items (at most 200) and the bulk form's own fields


def db(request: Request) -> Iterator[Session]:
    """A session for a route that changes the ledger (it commits itself)."""
    with request.app.state.sessions() as session:
        yield session


async def read_db(request: Request) -> AsyncIterator[Session]:
    """A session for a route that only reads (ptbill.web.db: it never waits on a writer).
    Opening it does no I/O, so it stays on the event loop; the route's queries run in its
    thread. Closing a session that read ends its transaction (a round trip to the database):
    that goes to a thread of its own, never the event loop, and never waits for a request
    thread while it holds the connection."""
    session = request.app.state.read_sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))
        else:
            session.close()


def _credentials(request: Request) -> tuple[str, str] | None:
    """What the request proves itself with: ("token", the Bearer token) or ("session", the
    session cookie); None without either."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return "token", header[7:].strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    return ("session", cookie) if cookie else None


def _look_up(sessions: sessionmaker[Session], via: str, secret: str) -> Principal | None:
    """The user behind a token or a session cookie, as the database has them now (a revoked
    token, an ended session, a disabled user: None), in a short session of its own whose
    connection goes back to the pool before the route runs."""
    with sessions() as session:
        if via == "token":
            return token_principal(session, secret)
        return session_principal(session, secret)


async def current_user(request: Request) -> Principal | None:
    """Who is asking, looked up on every request in a request thread: never on the event
    loop, where a query waiting for the database (or for a free connection) would stall every
    other request of the process."""
    credentials = _credentials(request)
    who = None
    if credentials is not None:
        who = await anyio.to_thread.run_sync(
            _look_up, request.app.state.read_sessions, *credentials
        )
    request.state.principal = who
    return who


async def reader(who: Annotated[Principal | None, Depends(current_user)]) -> Principal:
    if who is None:
        raise NotAuthenticated()
    return who


def _check_writer(who: Principal) -> None:
    if not who.can_write:
        raise Forbidden(
            f"the {who.role} role cannot change anything; ask an admin for the biller role"
        )


def _clinic_id(session: Session, key: str) -> int | None:
    return session.scalar(select(m.Clinic.id).where(m.Clinic.key == key))


async def access(
    who: Annotated[Principal, Depends(reader)],
    session: Annotated[Session, Depends(read_db)],
    clinic: Annotated[
        str | None,
        Query(
            max_length=64,
            description="One clinic's key (default: every clinic the caller may see)",
        ),
    ] = None,
) -> Scope:
    """The clinics this request reaches: the caller's, or the one `clinic` names."""
    scope = who.scope
    if not clinic:
        return scope
    clinic_id = await anyio.to_thread.run_sync(_clinic_id, session, clinic)
    if clinic_id is None or not scope.allows(clinic_id):
        raise NotFound("clinic", clinic)
    return scope.narrow(clinic_id)


def _check_admin(who: Principal) -> Principal:
    if not who.is_admin:
        raise Forbidden("only a company admin manages users, tokens and the security audit")
    return who


async def admin(who: Annotated[Principal, Depends(reader)]) -> Principal:
    return _check_admin(who)


async def api_writer(request: Request, who: Annotated[Principal, Depends(reader)]) -> Principal:
    _check_writer(who)
    if who.via == "session" and not same_secret(request.headers.get(CSRF_HEADER), who.csrf):
        raise Forbidden(f"a change made with the session cookie needs the {CSRF_HEADER} header")
    return who


async def _check_form_csrf(request: Request, who: Principal, max_fields: int = 10) -> None:
    form = await request.form(max_files=1, max_fields=max_fields)
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not same_secret(sent, who.csrf):
        raise Forbidden(
            "the form's security token is missing or stale; reload the page and try again"
        )


async def page_poster(request: Request, who: Annotated[Principal, Depends(reader)]) -> Principal:
    """A form post by any signed-in user (logging out), with the session's CSRF token."""
    await _check_form_csrf(request, who)
    return who


async def page_writer(request: Request, who: Annotated[Principal, Depends(reader)]) -> Principal:
    """A form post that changes the ledger: a biller or admin, with the CSRF token."""
    _check_writer(who)
    await _check_form_csrf(request, who)
    return who


async def page_bulk_writer(
    request: Request, who: Annotated[Principal, Depends(reader)]
) -> Principal:
    """A page_writer whose form may name a page of work items (one field each)."""
    _check_writer(who)
    await _check_form_csrf(request, who, max_fields=BULK_FORM_FIELDS)
    return who


async def api_admin(who: Annotated[Principal, Depends(api_writer)]) -> Principal:
    """A change by the company admin through the API (CSRF header with the cookie)."""
    return _check_admin(who)


async def page_admin(who: Annotated[Principal, Depends(page_writer)]) -> Principal:
    """A form post by the company admin (with the CSRF token)."""
    return _check_admin(who)


# For route signatures: `def route(session: DB, who: Reader)`.
DB = Annotated[Session, Depends(db)]
ReadDB = Annotated[Session, Depends(read_db)]
Access = Annotated[Scope, Depends(access)]
Admin = Annotated[Principal, Depends(admin)]
MaybeUser = Annotated[Principal | None, Depends(current_user)]
Reader = Annotated[Principal, Depends(reader)]
ApiWriter = Annotated[Principal, Depends(api_writer)]
PagePoster = Annotated[Principal, Depends(page_poster)]
PageWriter = Annotated[Principal, Depends(page_writer)]
PageBulkWriter = Annotated[Principal, Depends(page_bulk_writer)]
ApiAdmin = Annotated[Principal, Depends(api_admin)]
PageAdmin = Annotated[Principal, Depends(page_admin)]
