"""Users, API tokens and browser sessions: the workbench's own small workflow.

Passwords are argon2id hashes (argon2-cffi's RFC 9106 low-memory profile). API tokens and
session ids are 256-bit random strings stored as their SHA-256; a token is shown once, when it
is made. Every function takes the caller's SQLAlchemy session and leaves committing to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ptbill.errors import InputError
from ptbill.web.models import ROLES, ApiToken, User, WebSession

TOKEN_PREFIX = "ptb_"
MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so that a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a user, how they proved it, and (for a browser session) its CSRF token."""

    user_id: int
    name: str
    role: str
    via: str  # "session" or "token"
    csrf: str | None = None

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "biller")

    @property
    def who(self) -> str:
        """The name written in the ledger's audit log."""
        return f"web:{self.name}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def add_user(session: Session, name: str, role: str, password: str) -> User:
    """A new user; an existing name is refused (never silently re-keyed)."""
    if not _NAME.match(name):
        raise InputError(
            "user",
            None,
            "NAME",
            f"{name!r} is not a valid user name",
            "use 1 to 64 letters, digits, '.', '_', '@' or '-'",
        )
    if role not in ROLES:
        raise InputError(
            "user", None, "--role", f"no role {role!r}", f"use one of {', '.join(ROLES)}"
        )
    if len(password) < MIN_PASSWORD:
        raise InputError(
            "user",
            None,
            "password",
            f"shorter than {MIN_PASSWORD} characters",
            "choose a longer password",
        )
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise InputError("user", None, "NAME", f"user {name!r} exists already", "pick another name")
    user = User(
        name=name, role=role, password_hash=_hasher.hash(password), active=True, created_at=_now()
    )
    session.add(user)
    session.flush()
    return user


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise InputError(
            "user",
            None,
            "NAME",
            f"no user {name!r}",
            "add it with `ptbill user add NAME --role ROLE --password-stdin`",
        )
    return user


def create_token(session: Session, name: str) -> str:
    """A new API token for user `name`; the plain token is returned once and never stored."""
    user = _user(session, name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            prefix=token[:12],
            token_sha256=digest(token),
            created_at=_now(),
            revoked=False,
        )
    )
    session.flush()
    return token


def check_password(session: Session, name: str, password: str) -> User | None:
    """The active user with this name and password, else None (same work either way)."""
    user = session.scalar(select(User).where(User.name == name, User.active.is_(True)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is not None and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def token_principal(session: Session, token: str) -> Principal | None:
    row = session.execute(
        select(User.id, User.name, User.role)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_sha256 == digest(token),
            ApiToken.revoked.is_(False),
            User.active.is_(True),
        )
    ).first()
    return None if row is None else Principal(row[0], row[1], row[2], "token")


def start_session(session: Session, user: User, hours: int) -> str:
    """A new browser session for `user`; returns the cookie value."""
    cookie = secrets.token_urlsafe(32)
    now = _now()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(
        WebSession(
            user_id=user.id,
            token_sha256=digest(cookie),
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    session.flush()
    return cookie


def session_principal(session: Session, cookie: str) -> Principal | None:
    row = session.execute(
        select(User.id, User.name, User.role, WebSession.csrf_token)
        .join(WebSession, WebSession.user_id == User.id)
        .where(
            WebSession.token_sha256 == digest(cookie),
            WebSession.expires_at > _now(),
            User.active.is_(True),
        )
    ).first()
    return None if row is None else Principal(row[0], row[1], row[2], "session", row[3])


def end_session(session: Session, cookie: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == digest(cookie)))


def same_secret(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two secrets (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())  # type: ignore[union-attr]
