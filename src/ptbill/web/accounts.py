"""Users, their roles per clinic, API tokens and browser sessions: the workbench's own small
workflow.

A user has a company-wide role (`admin`: changes anything, manages users; `manager`: reads
every clinic) or none, and a role per clinic (`biller`: changes that clinic's ledger;
`viewer`: reads it). A token carries its user's access, narrowed to one clinic when made so,
and may expire. Who is asking is read from the database on every request (`Principal`), so a
grant revoked, a user disabled or a token revoked is refused at once; sessions (and tokens
narrowed to a clinic lost) are ended too.

Passwords are argon2id hashes (argon2-cffi's RFC 9106 low-memory profile). API tokens and
session ids are 256-bit random strings stored as their SHA-256; a token is shown once, when it
is made. Every function takes the caller's SQLAlchemy session and leaves committing to it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from ptbill.errors import InputError
from ptbill.ledger import models as lm
from ptbill.ledger.scope import Scope
from ptbill.web.models import NO_COMPANY_ROLE, ApiToken, Grant, User, WebSession
from ptbill.web.settings import CLINIC_ROLES, COMPANY_ROLES

TOKEN_PREFIX = "ptb_"
MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_hasher = PasswordHasher()


@functools.cache
def dummy_hash() -> str:
    """Verified against when the user does not exist, so that a login takes as long either
    way. Made once, when the server starts (`create_app`), not at import: commands that
    reach this module (`ptbill show`) would pay for an argon2 hash they never use."""
    return _hasher.hash("not a password anyone has")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a user, their company role and roles per clinic, how they proved it,
    the clinic their token is narrowed to, and (for a browser session) its CSRF token."""

    user_id: int
    name: str
    company_role: str | None  # admin, manager or None
    grants: Mapping[int, str] = field(hash=False)  # clinics.id -> biller or viewer
    via: str  # "session" or "token"
    csrf: str | None = None
    token_clinic: int | None = None  # a token narrowed to one clinic

    @property
    def role(self) -> str:
        """The role in words: the company role, else the highest role at a clinic."""
        if self.company_role:
            return self.company_role
        return "biller" if "biller" in self.grants.values() else "viewer"

    @property
    def is_admin(self) -> bool:
        return self.company_role == "admin" and self.token_clinic is None

    # Worked out once (a page asks `can_write` or `writes` for every row it shows; worked out
    # each time, a user of many clinics paid for every grant on every row).
    _scope: Scope = field(init=False, repr=False, compare=False)
    _write_scope: Scope = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_scope", self._read_scope())
        object.__setattr__(self, "_write_scope", self._writable())

    def _read_scope(self) -> Scope:
        if self.company_role:
            return Scope.of(None if self.token_clinic is None else [self.token_clinic])
        ids = set(self.grants)
        if self.token_clinic is not None:
            ids &= {self.token_clinic}
        return Scope.of(ids)

    def _writable(self) -> Scope:
        if self.company_role == "admin":
            return self._scope
        if self.company_role:
            return Scope.of(())
        return Scope.of(c for c, r in self.grants.items() if r == "biller" and self.writes(c))

    @property
    def scope(self) -> Scope:
        """The clinics this user (through this token) may read."""
        return self._scope

    def writes(self, clinic_id: int | None) -> bool:
        """May this user change the rows of clinic `clinic_id` (None: of no clinic)?"""
        if not self._scope.allows(clinic_id):
            return False
        if self.company_role == "admin":
            return True
        return clinic_id is not None and self.grants.get(clinic_id) == "biller"

    @property
    def write_scope(self) -> Scope:
        """The clinics this user may change."""
        return self._write_scope

    @property
    def can_write(self) -> bool:
        return self.company_role == "admin" or bool(self._write_scope.clinics)

    @property
    def who(self) -> str:
        """The name written in the ledger's audit log."""
        return f"web:{self.name}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _problem(field_name: str, problem: str, fix: str) -> InputError:
    return InputError(file="user", visit_id=None, field=field_name, problem=problem, fix=fix)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise _problem(
            "password", f"shorter than {MIN_PASSWORD} characters", "choose a longer password"
        )


def _check_role(role: str, clinic_ids: list[int]) -> None:
    if role not in COMPANY_ROLES + CLINIC_ROLES:
        raise _problem(
            "role", f"no role {role!r}", f"use one of {', '.join(COMPANY_ROLES + CLINIC_ROLES)}"
        )
    if role in COMPANY_ROLES and clinic_ids:
        raise _problem(
            "clinic",
            f"{role} is a company-wide role: it reaches every clinic",
            "name no clinic, or give a clinic role (biller, viewer)",
        )
    if role in CLINIC_ROLES and not clinic_ids:
        raise _problem(
            "clinic",
            f"{role} is a role at a clinic: no clinic was named",
            "name the clinic (or clinics) where the user has the role",
        )


def add_user(
    session: Session, name: str, role: str, password: str, clinic_ids: list[int] | None = None
) -> User:
    """A new user with a company role, or a clinic role at each of `clinic_ids`; an existing
    name is refused (never silently re-keyed)."""
    clinic_ids = list(clinic_ids or [])
    if not _NAME.match(name):
        raise _problem(
            "name",
            f"{name!r} is not a valid user name",
            "use 1 to 64 letters, digits, '.', '_', '@' or '-'",
        )
    _check_password(password)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise _problem("name", f"user {name!r} exists already", "pick another name")
    _check_role(role, clinic_ids)
    user = User(
        name=name,
        role=role if role in COMPANY_ROLES else NO_COMPANY_ROLE,
        password_hash=_hasher.hash(password),
        active=True,
        created_at=now(),
    )
    session.add(user)
    session.flush()
    for clinic_id in clinic_ids:
        session.add(Grant(user_id=user.id, clinic_id=clinic_id, role=role))
    session.flush()
    return user


def find_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise _problem("name", f"no user {name!r}", "check the name, or add the user first")
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Log the user out everywhere."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def _has_access(session: Session, user: User) -> bool:
    if user.role != NO_COMPANY_ROLE:
        return True
    return session.scalar(select(Grant.id).where(Grant.user_id == user.id).limit(1)) is not None


def _after_loss(session: Session, user: User, clinic_id: int | None) -> None:
    """A user lost access (all of it, or one clinic's): end their sessions, and revoke their
    tokens narrowed to the clinic lost (or every token, when nothing is left)."""
    end_sessions(session, user.id)
    tokens = update(ApiToken).where(ApiToken.user_id == user.id).values(revoked=True)
    if _has_access(session, user):
        if clinic_id is None:
            return
        tokens = tokens.where(ApiToken.clinic_id == clinic_id)
    session.execute(tokens)


def grant(session: Session, name: str, clinic_id: int, role: str) -> None:
    """Give `name` the clinic role `role` at one clinic (replacing the role it had there)."""
    _check_role(role, [clinic_id])
    user = find_user(session, name)
    row = session.scalar(
        select(Grant).where(Grant.user_id == user.id, Grant.clinic_id == clinic_id)
    )
    if row is None:
        session.add(Grant(user_id=user.id, clinic_id=clinic_id, role=role))
    else:
        lowered = row.role == "biller" and role == "viewer"
        row.role = role
        if lowered:
            end_sessions(session, user.id)
    session.flush()


def revoke(session: Session, name: str, clinic_id: int) -> bool:
    """Take away the user's role at one clinic; False when they had none there."""
    user = find_user(session, name)
    result = session.execute(
        delete(Grant).where(Grant.user_id == user.id, Grant.clinic_id == clinic_id)
    )
    assert isinstance(result, CursorResult)  # a DELETE's result counts its rows
    gone = result.rowcount
    session.flush()
    if gone:
        _after_loss(session, user, clinic_id)
    return bool(gone)


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to take the admin role (or the account) from the last active company admin:
    no one could manage users from the web or the API after it."""
    if user.role != "admin" or not user.active:
        return
    others = select(func.count()).where(User.role == "admin", User.active, User.id != user.id)
    if not session.scalar(others):
        raise _problem(
            "name",
            f"{user.name} is the last active company admin",
            "make another user a company admin first (the role `admin`), then change this one",
        )


def set_company_role(session: Session, name: str, role: str) -> None:
    """Set the user's company-wide role (admin, manager), or `none` to leave them only their
    clinics' roles."""
    if role not in (*COMPANY_ROLES, "none"):
        raise _problem(
            "role",
            f"no company-wide role {role!r}",
            f"use one of {', '.join(COMPANY_ROLES)} or none (a clinic's role, biller or "
            "viewer, is given by a grant at the clinic)",
        )
    user = find_user(session, name)
    before = user.role
    if role != "admin":
        _keep_an_admin(session, user)
    user.role = NO_COMPANY_ROLE if role == "none" else role
    session.flush()
    if before == "admin" and user.role != "admin" or user.role == NO_COMPANY_ROLE != before:
        _after_loss(session, user, None)


def set_active(session: Session, name: str, active: bool) -> None:
    """Disable a user (refused at once: sessions ended, tokens refused) or enable them."""
    user = find_user(session, name)
    if not active:
        _keep_an_admin(session, user)
    user.active = active
    if not active:
        end_sessions(session, user.id)
    session.flush()


def set_password(session: Session, name: str, password: str) -> None:
    """A new password; the user's sessions end."""
    _check_password(password)
    user = find_user(session, name)
    user.password_hash = _hasher.hash(password)
    end_sessions(session, user.id)
    session.flush()


def list_users(session: Session) -> list[dict[str, Any]]:
    keys = dict(session.execute(select(lm.Clinic.id, lm.Clinic.key)).all())
    grants: dict[int, dict[str, str]] = {}
    for g in session.scalars(select(Grant).order_by(Grant.clinic_id)):
        grants.setdefault(g.user_id, {})[keys.get(g.clinic_id, str(g.clinic_id))] = g.role
    return [
        {
            "name": u.name,
            "company_role": None if u.role == NO_COMPANY_ROLE else u.role,
            "clinics": grants.get(u.id, {}),
            "active": u.active,
            "created_at": u.created_at,
        }
        for u in session.scalars(select(User).order_by(User.name))
    ]


# --- tokens -------------------------------------------------------------------------------------


def create_token(
    session: Session,
    name: str,
    clinic_id: int | None = None,
    expires_at: dt.datetime | None = None,
) -> str:
    """A new API token for user `name` (narrowed to one clinic, expiring, when asked); the
    plain token is returned once and never stored."""
    user = find_user(session, name)
    if expires_at is not None and expires_at <= now():
        raise _problem(
            "expires",
            f"{expires_at:%Y-%m-%d} has passed: a token expiring then would never work",
            "give a day after today, or no expiry",
        )
    if clinic_id is not None and user.role == NO_COMPANY_ROLE:
        held = session.scalar(
            select(Grant.id).where(Grant.user_id == user.id, Grant.clinic_id == clinic_id)
        )
        if held is None:
            raise _problem(
                "clinic",
                f"user {name!r} has no role at that clinic",
                "grant the user a role at that clinic first",
            )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            prefix=token[:12],
            token_sha256=digest(token),
            created_at=now(),
            revoked=False,
            clinic_id=clinic_id,
            expires_at=expires_at,
        )
    )
    session.flush()
    return token


def list_tokens(session: Session, name: str | None = None) -> list[dict[str, Any]]:
    keys = dict(session.execute(select(lm.Clinic.id, lm.Clinic.key)).all())
    q = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if name is not None:
        q = q.where(ApiToken.user_id == find_user(session, name).id)  # a typo is named
    return [
        {
            "id": t.id,
            "user": user,
            "prefix": t.prefix,
            "clinic": keys.get(t.clinic_id) if t.clinic_id is not None else None,
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "revoked": t.revoked,
        }
        for t, user in session.execute(q)
    ]


def revoke_token(session: Session, token_id: int) -> str:
    """Revoke one token (refused at once); returns its user's name."""
    row = session.execute(
        select(ApiToken, User.name)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == token_id)
    ).first()
    if row is None:
        raise InputError(
            file="token",
            visit_id=None,
            field="id",
            problem=f"no token {token_id}",
            fix="check the token's id in the list of tokens",
        )
    row[0].revoked = True
    session.flush()
    return str(row[1])


# --- who is asking ------------------------------------------------------------------------------


def password_hash(session: Session, name: str) -> tuple[int, str] | None:
    """The active user's id and password hash (read without taking the write lock)."""
    row = session.execute(
        select(User.id, User.password_hash).where(User.name == name, User.active.is_(True))
    ).first()
    return None if row is None else (row[0], row[1])


def verify_password(stored: tuple[int, str] | None, password: str) -> bool:
    """Does `password` match (the same work when there is no such user)? Run outside any
    database transaction: argon2 takes tens of milliseconds."""
    try:
        _hasher.verify(stored[1] if stored else dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def rehash_if_needed(session: Session, user_id: int, password: str) -> None:
    user = session.get(User, user_id)
    if user is not None and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)


def _grants(session: Session, user_id: int) -> dict[int, str]:
    return dict(
        session.execute(select(Grant.clinic_id, Grant.role).where(Grant.user_id == user_id)).all()
    )


def _principal(session: Session, row: Any, via: str, **extra: Any) -> Principal | None:
    if row is None:
        return None
    user_id, name, role = row[0], row[1], row[2]
    company = None if role == NO_COMPANY_ROLE else role
    grants = {} if company else _grants(session, user_id)
    if not company and not grants:
        return None  # a user with no access left is not signed in
    return Principal(user_id, name, company, grants, via, **extra)


def user_principal(
    session: Session, user_id: int, via: str, token_clinic: int | None = None
) -> Principal | None:
    """An active user as they are now (a job runs as the user who started it); None when
    they are disabled or have no access left."""
    row = session.execute(
        select(User.id, User.name, User.role).where(User.id == user_id, User.active.is_(True))
    ).first()
    return _principal(session, row, via, token_clinic=token_clinic)


def token_principal(session: Session, token: str) -> Principal | None:
    row = session.execute(
        select(User.id, User.name, User.role, ApiToken.clinic_id, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_sha256 == digest(token),
            ApiToken.revoked.is_(False),
            User.active.is_(True),
        )
    ).first()
    if row is None or (row[4] is not None and row[4] <= now()):
        return None
    return _principal(session, row, "token", token_clinic=row[3])


def start_session(session: Session, user_id: int, hours: int) -> str:
    """A new browser session for the user; returns the cookie value."""
    cookie = secrets.token_urlsafe(32)
    at = now()
    session.execute(delete(WebSession).where(WebSession.expires_at < at))
    session.add(
        WebSession(
            user_id=user_id,
            token_sha256=digest(cookie),
            csrf_token=secrets.token_urlsafe(32),
            created_at=at,
            expires_at=at + dt.timedelta(hours=hours),
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
            WebSession.expires_at > now(),
            User.active.is_(True),
        )
    ).first()
    return _principal(session, row, "session", csrf=row[3] if row else None)


def end_session(session: Session, cookie: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == digest(cookie)))


def same_secret(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two secrets (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())  # type: ignore[union-attr]
