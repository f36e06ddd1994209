"""The answers kept under a request's key (ptbill.ledger.once), on SQLite and PostgreSQL: a
key is its user's own, names one request, is taken once even by two requests at the same
moment, and is kept KEEP_DAYS."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.once import KEEP_DAYS, RecordedRequest, earlier, fingerprint, keep

DAY = dt.date(2026, 3, 2)


def _clinic(ledger: Ledger) -> int:
    with ledger.transaction() as s:
        c = m.Clinic(key="elm", name="Elm PT", npi="1234567893", tax_id="123456789")
        s.add(c)
        s.flush()
        return c.id


def _keep(ledger: Ledger, who: str, key: str, asked: str, clinic: int, day: dt.date) -> None:
    with ledger.transaction() as s:
        row = keep(s, who=who, key=key, asked=asked, clinic_id=clinic, today=day)
        row.status, row.answer = 201, '{"amount":"3.00"}'


def test_a_key_names_one_request_of_one_user(ledger: Ledger) -> None:
    clinic = _clinic(ledger)
    pay = fingerprint("POST /p/1/payments", {"amount": "3.00", "method": "cash"})
    same = fingerprint("POST /p/1/payments", {"method": "cash", "amount": "3.00"})
    assert pay == same  # the order of the fields is not the request
    other = fingerprint("POST /p/1/payments", {"amount": "4.00", "method": "cash"})
    assert other != pay
    _keep(ledger, "ann", "k1", pay, clinic, DAY)
    with ledger.transaction() as s:
        found = earlier(s, "ann", "k1", same)
        assert found is not None and found.same and found.status == 201
        assert found.answer == '{"amount":"3.00"}' and found.on_date == DAY
        changed = earlier(s, "ann", "k1", other)
        assert changed is not None and not changed.same
        assert earlier(s, "bob", "k1", pay) is None  # another user's key is theirs
    _keep(ledger, "bob", "k1", pay, clinic, DAY)
    with pytest.raises(IntegrityError):
        _keep(ledger, "ann", "k1", pay, clinic, DAY)


def test_two_requests_with_one_key_at_the_same_moment_take_it_once(ledger: Ledger) -> None:
    """The second waits for the first's commit (PostgreSQL's unique index, SQLite's one
    writer) and is refused: its caller rolls back and answers with the first's answer."""
    clinic = _clinic(ledger)
    asked = fingerprint("POST /p/1/payments", {"amount": "3.00"})
    outcome: list[BaseException | None] = []
    first = ledger.sessions()
    keep(first, who="ann", key="k", asked=asked, clinic_id=clinic, today=DAY)

    def second() -> None:
        try:
            _keep(ledger, "ann", "k", asked, clinic, DAY)
            outcome.append(None)
        except BaseException as e:  # noqa: BLE001 - the test reads it
            outcome.append(e)

    t = threading.Thread(target=second)
    t.start()
    t.join(0.5)
    assert t.is_alive(), "the second waits for the first"
    first.commit()
    first.close()
    t.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], IntegrityError), outcome
    with ledger.transaction() as s:
        assert s.scalar(select(func.count()).select_from(RecordedRequest)) == 1


def test_answers_are_kept_a_week(ledger: Ledger) -> None:
    clinic = _clinic(ledger)
    asked = fingerprint("POST /p/1/payments", {"amount": "3.00"})
    _keep(ledger, "ann", "old", asked, clinic, DAY)
    _keep(ledger, "bob", "old", asked, clinic, DAY)
    _keep(ledger, "ann", "week", asked, clinic, DAY + dt.timedelta(days=1))
    _keep(ledger, "ann", "new", asked, clinic, DAY + dt.timedelta(days=KEEP_DAYS + 1))
    with ledger.transaction() as s:
        kept = {tuple(r) for r in s.execute(select(RecordedRequest.who, RecordedRequest.key))}
    # Ann's answer of 8 days before is dropped; one of 7 days, and Bob's, are kept (each
    # user's own are dropped as they record).
    assert kept == {("bob", "old"), ("ann", "week"), ("ann", "new")}
