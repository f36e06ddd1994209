"""One exchange run of a clearinghouse at a time: a lease row in the ledger (`exchange_leases`).

A run takes its clearinghouse's row before it does anything and deletes it when it ends, however
it ends; a second run while the row is held is refused (`RunGoing`: who holds it, since when).
A process that dies holding it (kill -9, a power cut) cannot delete it, so a row is taken over
when its holder is known to be gone: a process on this machine that no longer exists, or a
lease not renewed before it expires (the run renews it as it works: each file, and as bytes
move). The row is an ordinary row, so the same works on SQLite and PostgreSQL, and between a
cron job, a systemd timer and the workbench's button. Times are UTC, by the clock of the
machine that runs ptbill (the machines sharing a ledger keep their clocks set: NTP).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy import Update, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ptbill.ledger import payer_models as pm

# How long a run may go without a sign of life before another run takes its clearinghouse
# over (a run on this machine whose process is gone is taken over at once).
LEASE = dt.timedelta(minutes=15)
_RENEW_EVERY = dt.timedelta(minutes=1)


class Transactions(Protocol):
    def transaction(self) -> AbstractContextManager[Session]: ...


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class RunGoing(Exception):
    """A run of this clearinghouse is going: this one was not started (nothing was done)."""

    def __init__(self, key: str, held: pm.ExchangeLease) -> None:
        self.key, self.run_id, self.who = key, held.run_id, held.who
        self.host, self.pid, self.since = held.host, held.pid, held.started_at
        run = f"run #{self.run_id}" if self.run_id else "a run"
        super().__init__(
            f"{run} of the clearinghouse {key} is going since {local_time(self.since)} by "
            f"{self.who} ({self.host}, process {self.pid}): this run was not started and did "
            "nothing; that run sends and takes in what is waiting"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "status": "refused",
            "clearinghouse": self.key,
            "detail": str(self),
            "running": {
                "run_id": self.run_id,
                "who": self.who,
                "host": self.host,
                "pid": self.pid,
                "since": self.since.replace(tzinfo=dt.UTC).isoformat(),
            },
        }


class LeaseLost(Exception):
    """Another run took this run's clearinghouse over (it had shown no sign of life for longer
    than the lease): this run stops where it is."""


def local_time(at: dt.datetime) -> str:
    """A UTC time as this machine's clock shows it: HH:MM, with the day when not today."""
    local = at.replace(tzinfo=dt.UTC).astimezone()
    today = dt.datetime.now().astimezone().date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def stale(held: pm.ExchangeLease, now: dt.datetime) -> str | None:
    """Why a lease's holder is known to be gone, or None while it may still be working."""
    if held.host == socket.gethostname() and not _alive(held.pid):
        return f"its process {held.pid} on {held.host} no longer exists"
    if held.expires_at < now:
        return f"it showed no sign of life since {local_time(held.expires_at - LEASE)}"
    return None


class Lease:
    """The clearinghouse's lease, held by this process until `release()`."""

    def __init__(
        self, ledger: Transactions, key: str, who: str, clock: Callable[[], dt.datetime]
    ) -> None:
        self.ledger, self.key, self.clock = ledger, key, clock
        self.token = uuid.uuid4().hex
        self.taken_over: str | None = None  # why the lease of a dead run was taken over
        now = clock()
        self._renewed = now
        mine = {
            "token": self.token,
            "run_id": None,
            "who": who[:64],
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": now,
            "expires_at": now + LEASE,
        }
        held = None
        for _ in range(3):  # a lease released or taken over meanwhile: look again
            try:
                with ledger.transaction() as s:
                    s.add(pm.ExchangeLease(clearinghouse=key, **mine))
                return
            except IntegrityError:
                pass
            with ledger.transaction() as s:
                held = s.get(pm.ExchangeLease, key)
                if held is None:
                    continue
                why = stale(held, now)
                if why is None:
                    raise RunGoing(key, held)
                swapped = s.execute(
                    update(pm.ExchangeLease)
                    .where(pm.ExchangeLease.clearinghouse == key)
                    .where(pm.ExchangeLease.token == held.token)
                    .values(**mine)
                    .execution_options(synchronize_session=False)
                )
                if swapped.rowcount == 1:  # type: ignore[attr-defined]
                    dead = f"run #{held.run_id}" if held.run_id else "a run"
                    self.taken_over = f"{dead} by {held.who} held the clearinghouse, but {why}"
                    return
        assert held is not None  # (three times released just before it was read: not seen)
        raise RunGoing(key, held)

    def started(self, run_id: int) -> None:
        """The run's id, for a run refused meanwhile to name."""
        with self.ledger.transaction() as s:
            s.execute(self._mine().values(run_id=run_id))

    def _mine(self) -> Update:
        return (
            update(pm.ExchangeLease)
            .where(pm.ExchangeLease.clearinghouse == self.key)
            .where(pm.ExchangeLease.token == self.token)
            .execution_options(synchronize_session=False)
        )

    def renew(self, force: bool = False) -> None:
        """A sign of life (at most once a minute unless forced); LeaseLost when another run
        took the clearinghouse over."""
        now = self.clock()
        if not force and now - self._renewed < _RENEW_EVERY:
            return
        with self.ledger.transaction() as s:
            kept = s.execute(self._mine().values(expires_at=now + LEASE))
        if kept.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(
                f"another run took the clearinghouse {self.key} over (this run had shown no "
                f"sign of life for {LEASE.seconds // 60} minutes): this run stops here"
            )
        self._renewed = now

    def release(self) -> None:
        with self.ledger.transaction() as s:
            s.execute(
                delete(pm.ExchangeLease)
                .where(pm.ExchangeLease.clearinghouse == self.key)
                .where(pm.ExchangeLease.token == self.token)
            )
