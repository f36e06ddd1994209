"""The workbench's own tables: users, their roles per clinic, their API tokens and browser
sessions, failed logins (throttling) and the security audit (logins, user administration,
reads of patients' records and exports).

They live on the ledger's declarative Base (one metadata for the whole database); their
migration is the `web` branch of the ledger's Alembic history (w001_web_auth.py). Secrets are
never stored: a password as its argon2 hash, a token or a session id as its SHA-256 (both are
256-bit random strings, so a fast hash is enough to make a stolen table useless).

The timestamps are the clock's (session expiry is security, not a billing decision).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ptbill.ledger.models import Base
from ptbill.web.settings import ROLES

__all__ = [
    "NO_COMPANY_ROLE",
    "ROLES",
    "ApiToken",
    "Base",
    "Grant",
    "LoginFailure",
    "SecurityEvent",
    "User",
    "WebSession",
]

# `web_users.role` holds the company-wide role (admin, manager), or this: the user reaches
# only the clinics of their grants.
NO_COMPANY_ROLE = "clinic"


class User(Base):
    __tablename__ = "web_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(10))  # admin, manager or NO_COMPANY_ROLE
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ApiToken(Base):
    __tablename__ = "web_api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    # The first characters of the token, to tell tokens apart in a listing.
    prefix: Mapped[str] = mapped_column(String(12))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Narrowed to one clinic (its clinics.id; None: all of its user's); optional expiry.
    clinic_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class WebSession(Base):
    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Grant(Base):
    """A user's role at one clinic (biller or viewer)."""

    __tablename__ = "web_grants"
    __table_args__ = (UniqueConstraint("user_id", "clinic_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))


class LoginFailure(Base):
    """One failed login, kept for throttling: by user name (`user:NAME`) and by address
    (`addr:IP`); rows older than the window are deleted as new ones come."""

    __tablename__ = "web_login_failures"
    __table_args__ = (Index("ix_web_login_failures_key_at", "key", "failed_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    failed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class SecurityEvent(Base):
    """The security audit (HIPAA access log): who read which patient's record or exported
    what, logins refused and locked out, and every change of users, grants and tokens; with
    the clinic concerned where there is one."""

    __tablename__ = "web_security_events"
    __table_args__ = (Index("ix_web_security_events_clinic_at", "clinic_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    who: Mapped[str] = mapped_column(String(64))  # web:NAME, or the command line's user
    event: Mapped[str] = mapped_column(String(30))  # read-patient, export, login-failed...
    clinic_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    patient_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    detail: Mapped[str] = mapped_column(String(300))
