"""Opening the ledger: a database URL -> an engine whose schema is migrated to the latest
version (Alembic, on first use and after an upgrade of ptbill), and sessions on it.

`ptbill --db URL` (or PTBILL_DB, which the edges read) names the database; the default is the
SQLite file `ptbill.db` in the current directory. A plain path means a SQLite file; `postgresql://...`
means PostgreSQL through psycopg 3 (the URL and its engine: ptbill.ledger.engine; the schema's
migrations: ptbill.ledger.migrate).

The commands that only read (worklist, report, export, the lists) open it read-only
(`Ledger(url, read_only=True)`): a SQLite file with SQLite's own read-only mode, so that a
file the user may not write (a copy on read-only media, a backup, another user's ledger)
serves them, and PostgreSQL in read-only transactions. No migration is attempted: a schema
behind this ptbill's is a clear error that says how to upgrade it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ptbill.errors import InputError
from ptbill.ledger.engine import (
    DEFAULT_POOL,
    DEFAULT_POOL_WAIT,
    FIX_URL,
    make_engine,
    normalize_url,
    read_only_engine,
    safe_url,
)


def _cannot_open(url: str, error: BaseException) -> InputError:
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    fix = FIX_URL
    if first == "disk I/O error" and url.startswith("sqlite"):
        # The usual cause: the file was deleted (or replaced) while a process, such as a
        # workbench, still had it open; its write-ahead log beside the new file is not the
        # new file's.
        fix = (
            "if the database file was deleted or replaced while a workbench or another ptbill "
            "still had it open, stop that process (it holds the old file's -wal and -shm "
            "beside the new one); else check the disk"
        )
    return InputError("--db", f"cannot open {safe_url(url)}: {first}", fix)


class Ledger:
    """The database a command works on. `transaction()` commits at the end or, on any error,
    rolls everything back: a command changes the whole of what it means to, or nothing.
    read_only: the database is opened so that nothing can be written, and not migrated.
    pool_size, pool_wait: the most connections it opens, and how long a thread waits for one
    (ptbill.ledger.engine.make_engine)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        read_only: bool = False,
        pool_size: int = DEFAULT_POOL,
        pool_wait: float = DEFAULT_POOL_WAIT,
    ) -> None:
        # alembic: loaded when a ledger opens
        from ptbill.ledger.migrate import check_schema, ensure_schema

        self.url = normalize_url(url)
        self.read_only = read_only
        try:
            self.engine = (
                read_only_engine(self.url)
                if read_only
                else make_engine(self.url, pool_size, pool_wait)
            )
        except sqlite3.Error as e:
            raise _cannot_open(self.url, e) from None
        try:
            if read_only:
                check_schema(self.engine, self.url)
            else:
                ensure_schema(self.engine)
        except OperationalError as e:
            self.engine.dispose()
            raise _cannot_open(self.url, e.orig or e) from None
        except InputError:
            self.engine.dispose()
            raise
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
