"""The workbench's settings: from `ptbill serve` options or the environment (so that every
uvicorn worker process builds the same app)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ptbill.errors import InputError

MiB = 1024 * 1024
# Company-wide roles reach every clinic: an admin changes anything and manages the users, a
# manager reads every clinic's rows and reports. A clinic role is granted per clinic: a biller
# changes that clinic's ledger, a viewer reads it.
COMPANY_ROLES = ("admin", "manager")
CLINIC_ROLES = ("biller", "viewer")
ROLES = COMPANY_ROLES + CLINIC_ROLES


@dataclass(frozen=True, slots=True)
class WebSettings:
    db: str | None = None  # a path or URL, as `ptbill --db` takes it (None: PTBILL_DB, ptbill.db)
    config: str | None = None  # clinic configuration TOML (None: PTBILL_CONFIG, the demo clinic)
    # The reference data folder (None: PTBILL_DATA, ~/.local/share/ptbill); its releases are
    # read when the app starts (restart it after `ptbill reference import`).
    data: str | None = None
    # The business date the app works on: None, today (`today()`, in `timezone`).
    as_of: dt.date | None = None
    # A frozen clock (PTBILL_TODAY, as `ptbill --today` for the command line): tests, demos.
    today: dt.date | None = None
    # Where today is: the configuration's company-wide time zone (create_app sets it; None:
    # the machine's).
    timezone: str | None = None
    secure_cookies: bool = False  # set the Secure flag: on whenever served over HTTPS
    max_upload_bytes: int = 20 * MiB
    session_hours: int = 12
    # How long a write waits for the database lock (another writer) before answering 503.
    lock_wait_seconds: float = 60.0
    # Run jobs (imports, postings) in a thread of the app's process; off when `ptbill worker`
    # processes run them.
    job_worker: bool = True
    # A running job whose worker has been silent this long is a dead worker's: run again.
    job_lease_seconds: float = 60.0
    # The connection budget of one server process. Requests run at once: the threads that run
    # the routes (and look up who is asking); past them a request waits for a thread, not for
    # the database. Each of those threads holds at most two connections at once (the request's
    # read snapshot and a write: the change, or the audit of a patient's record read), and the
    # in-process job worker three (its job, its heartbeat, its end): `pool_size` is that sum
    # unless `db_pool` says otherwise. 4 processes of 8 threads open at most 64 connections.
    web_threads: int = 8
    db_pool: int | None = None  # None: pool_size
    # Seconds a request waits for a free connection before answering 503 with Retry-After.
    pool_wait_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.web_threads < 1:
            raise InputError("PTBILL_WEB_THREADS", "must be at least 1", "give a whole number >= 1")
        if self.db_pool is not None and self.db_pool <= self.web_threads:
            raise InputError(
                "PTBILL_DB_POOL",
                f"{self.db_pool} connections cannot serve {self.web_threads} request threads "
                "(each may hold two at once: a request would wait for a connection another "
                "thread holds)",
                f"give at least {self.web_threads + 1} (the default is "
                f"{2 * self.web_threads}), or fewer threads (PTBILL_WEB_THREADS)",
            )

    @property
    def pool_size(self) -> int:
        """The most connections one server process opens (see web_threads)."""
        if self.db_pool is not None:
            return self.db_pool
        return 2 * self.web_threads + (3 if self.job_worker else 0)

    @classmethod
    def from_env(cls) -> WebSettings:
        env = os.environ
        as_of = env.get("PTBILL_AS_OF") or None
        today = env.get("PTBILL_TODAY") or None
        threads = _whole(env, "PTBILL_WEB_THREADS")
        return cls(
            db=env.get("PTBILL_DB") or None,
            config=env.get("PTBILL_CONFIG") or None,
            data=env.get("PTBILL_DATA") or None,
            as_of=parse_date(as_of, "PTBILL_AS_OF") if as_of else None,
            today=parse_date(today, "PTBILL_TODAY") if today else None,
            secure_cookies=env.get("PTBILL_SECURE_COOKIES", "0").lower() in ("1", "true", "yes"),
            max_upload_bytes=int(float(env.get("PTBILL_MAX_UPLOAD_MB", "20")) * MiB),
            session_hours=int(env.get("PTBILL_SESSION_HOURS", "12")),
            lock_wait_seconds=float(env.get("PTBILL_LOCK_WAIT_SECONDS", "60")),
            job_worker=env.get("PTBILL_JOB_WORKER", "1").lower() in ("1", "true", "yes"),
            job_lease_seconds=float(env.get("PTBILL_JOB_LEASE_SECONDS", "60")),
            web_threads=8 if threads is None else threads,
            db_pool=_whole(env, "PTBILL_DB_POOL"),
            pool_wait_seconds=float(env.get("PTBILL_POOL_WAIT_SECONDS", "10")),
        )

    def to_env(self) -> dict[str, str]:
        """The environment that makes `from_env` give these settings back."""
        out = {
            "PTBILL_SECURE_COOKIES": "1" if self.secure_cookies else "0",
            "PTBILL_MAX_UPLOAD_MB": str(self.max_upload_bytes / MiB),
            "PTBILL_SESSION_HOURS": str(self.session_hours),
            "PTBILL_LOCK_WAIT_SECONDS": str(self.lock_wait_seconds),
            "PTBILL_JOB_WORKER": "1" if self.job_worker else "0",
            "PTBILL_JOB_LEASE_SECONDS": str(self.job_lease_seconds),
            "PTBILL_WEB_THREADS": str(self.web_threads),
            "PTBILL_POOL_WAIT_SECONDS": str(self.pool_wait_seconds),
        }
        if self.db_pool is not None:
            out["PTBILL_DB_POOL"] = str(self.db_pool)
        if self.db:
            out["PTBILL_DB"] = self.db
        if self.config:
            out["PTBILL_CONFIG"] = self.config
        if self.data:
            out["PTBILL_DATA"] = self.data
        if self.as_of:
            out["PTBILL_AS_OF"] = self.as_of.isoformat()
        if self.today:
            out["PTBILL_TODAY"] = self.today.isoformat()
        return out

    def current_date(self, zone: ZoneInfo | None = None) -> dt.date:
        """Today: the frozen date, else the clock read now in `zone` (a clinic's), else in
        the company's time zone (the web's one reading of the clock; the command line's is
        ptbill.cli.clock)."""
        if self.today is not None:
            return self.today
        if zone is None and self.timezone:
            zone = ZoneInfo(self.timezone)
        return dt.datetime.now(zone).date() if zone is not None else dt.date.today()


def _whole(env: Mapping[str, str], name: str) -> int | None:
    text = env.get(name) or None
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError(
            name, f"{text!r} is not a whole number", f"give {name} as 1, 2, ..."
        ) from None


def parse_date(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(where, f"{text!r} is not a date", "write the date as YYYY-MM-DD") from None
