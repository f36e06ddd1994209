"""Login throttling and the security audit.

Throttling: failed logins are counted per user name and per client address over a window
(LOGIN_WINDOW); past USER_LIMIT failures of one name, or ADDRESS_LIMIT from one address, the
login is refused (without checking the password) until the window has passed or an admin
unlocks the user (`ptbill user unlock NAME`). Each failure and each lockout is audited.

The security audit (`web_security_events`) is the HIPAA access log: who read which patient's
record or exported what, with the clinic; logins refused and locked out; every change of
users, grants and tokens. `ptbill audit access` and the admin page list it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ptbill.ledger import models as lm
from ptbill.web.accounts import now
from ptbill.web.models import LoginFailure, SecurityEvent

LOGIN_WINDOW = dt.timedelta(minutes=15)
USER_LIMIT = 5  # failed logins of one user name in the window, then locked
ADDRESS_LIMIT = 20  # failed logins from one address in the window, then locked
READ_PATIENT = "read-patient"  # a read of a patient's record: its page, account, statements


def _keys(name: str, address: str | None) -> list[tuple[str, int]]:
    keys = [(f"user:{name[:64]}", USER_LIMIT)]
    if address:
        keys.append((f"addr:{address[:64]}", ADDRESS_LIMIT))
    return keys


def locked_out(session: Session, name: str, address: str | None) -> bool:
    """Has this user name, or this address, failed too often within the window?"""
    since = now() - LOGIN_WINDOW
    for key, limit in _keys(name, address):
        failures = session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.failed_at > since)
        )
        if (failures or 0) >= limit:
            return True
    return False


def record_failure(session: Session, name: str, address: str | None) -> None:
    """Count a failed login (and forget those older than the window)."""
    at = now()
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= at - LOGIN_WINDOW))
    for key, _ in _keys(name, address):
        session.add(LoginFailure(key=key, failed_at=at))
    session.flush()
    locked = locked_out(session, name, address)
    record(
        session,
        f"web:{name[:60]}",
        "login-locked" if locked else "login-failed",
        detail=f"from {address or 'unknown address'}",
    )


def clear_failures(session: Session, name: str) -> None:
    """A good login, or an admin's unlock: the user name's failures are forgotten."""
    session.execute(delete(LoginFailure).where(LoginFailure.key == f"user:{name[:64]}"))


def record(
    session: Session,
    who: str,
    event: str,
    *,
    clinic_id: int | None = None,
    patient_id: int | None = None,
    detail: str = "",
) -> None:
    """One line of the security audit (no patient data in `detail`: ids only)."""
    session.add(
        SecurityEvent(
            at=now(),
            who=who[:64],
            event=event[:30],
            clinic_id=clinic_id,
            patient_id=patient_id,
            detail=detail[:300],
        )
    )


def events(
    session: Session,
    *,
    clinic_ids: list[int] | None = None,
    patient_id: int | None = None,
    event: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The security audit, newest first: of some clinics, of one patient, of one kind, from
    `since` to `until` (dates, inclusive)."""
    q = (
        select(SecurityEvent, lm.Clinic.key)
        .outerjoin(lm.Clinic, lm.Clinic.id == SecurityEvent.clinic_id)
        .order_by(SecurityEvent.id.desc())
    )
    if clinic_ids is not None:
        q = q.where(SecurityEvent.clinic_id.in_(clinic_ids))
    if patient_id is not None:
        q = q.where(SecurityEvent.patient_id == patient_id)
    if event:
        q = q.where(SecurityEvent.event == event)
    if since:
        q = q.where(SecurityEvent.at >= dt.datetime.combine(since, dt.time()))
    if until:
        q = q.where(SecurityEvent.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    return [
        {
            "at": e.at,
            "who": e.who,
            "event": e.event,
            "clinic": clinic,
            "patient_id": e.patient_id,
            "detail": e.detail,
        }
        for e, clinic in session.execute(q.limit(limit).offset(offset))
    ]


def audit_read(
    request: Any, who: Any, event: str, clinic_id: int | None, patient_id: int | None
) -> None:
    """Record that `who` read a patient's record: in a write transaction of its own, since
    the read itself runs on a read-only connection."""
    audit_reads(request, who, event, [clinic_id], patient_id, request.url.path)


def audit_reads(
    request: Any,
    who: Any,
    event: str,
    clinic_ids: list[int | None],
    patient_id: int | None,
    detail: str,
) -> None:
    """`audit_read` of a read that spans clinics (an export): one entry per clinic."""
    with request.app.state.sessions.begin() as session:
        for clinic_id in clinic_ids:
            record(
                session, who.who, event, clinic_id=clinic_id, patient_id=patient_id, detail=detail
            )
