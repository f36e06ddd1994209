"""Money recorded once when a request is repeated: the answer to a request that recorded money
(a patient payment, refund or write-off, a claim's write-off), kept under the key its sender
gave it (an API client's `Idempotency-Key`, a workbench form's one-time token), so that the
same request sent again (a double click, a browser's retry, a client retrying after a timeout)
gets the first answer instead of recording the money a second time (migration 0010).

A key is its user's own (`who`): another user's same key is another request. A key names one
request: sent again with other content it is refused (`Earlier.same` is False), never
replayed. Only what was recorded is kept (a refused request recorded nothing: sent again, it
is tried again), and for KEEP_DAYS: a retry comes within minutes, and the table stays small.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ptbill.ledger.base import Base, _fk
from ptbill.ledger.jsontext import to_json

KEEP_DAYS = 7
MAX_KEY = 100  # characters of a key


class RecordedRequest(Base):
    """The answer given to a request that recorded money, under its sender's key."""

    __tablename__ = "recorded_requests"
    __table_args__ = (UniqueConstraint("who", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    who: Mapped[str] = mapped_column(String(64))  # the user who sent it
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    # SHA-256 of what was asked (route and content): the same key with other content is
    # another request, refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    clinic_id: Mapped[int] = _fk("clinics.id")  # whose money: a replay needs access to it
    status: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(Text)  # JSON, or a page's redirect
    on_date: Mapped[dt.date] = mapped_column(Date)  # the day it was recorded (the clock's)


@dataclass(frozen=True)
class Earlier:
    """The first answer to a key: `same` when the request sent again is the same request."""

    same: bool
    clinic_id: int
    status: int
    answer: str
    on_date: dt.date


def fingerprint(route: str, content: Mapping[str, Any]) -> str:
    """What a request asked, whatever the order of its fields or its JSON's spacing."""
    text = route + "\n" + to_json({k: content[k] for k in sorted(content)})
    return hashlib.sha256(text.encode()).hexdigest()


def earlier(session: Session, who: str, key: str, asked: str) -> Earlier | None:
    """The first answer given to `who`'s `key`, compared with what is asked now."""
    r = RecordedRequest
    row = session.scalar(select(r).where(r.who == who[:64], r.key == key))
    if row is None:
        return None
    return Earlier(row.fingerprint == asked, row.clinic_id, row.status, row.answer, row.on_date)


def keep(
    session: Session, *, who: str, key: str, asked: str, clinic_id: int, today: dt.date
) -> RecordedRequest:
    """Take the key before the money is recorded (the caller fills in the answer in the same
    transaction), and drop this user's answers older than KEEP_DAYS. The same key taken
    meanwhile by the same request sent at the same moment raises IntegrityError here
    (PostgreSQL waits for the other's commit; SQLite's writers never overlap): the caller
    rolls back and answers with the other's answer, so nothing is recorded twice."""
    r = RecordedRequest
    cutoff = today - dt.timedelta(days=KEEP_DAYS)
    session.execute(delete(r).where(r.who == who[:64], r.on_date < cutoff))
    row = r(
        who=who[:64],
        key=key,
        fingerprint=asked,
        clinic_id=clinic_id,
        status=0,
        answer="",
        on_date=today,
    )
    session.add(row)
    session.flush()
    return row
