"""The app's database: the ledger's (ptbill.ledger.db.Ledger), which migrates the schema to
every head on first use, the web tables' `web` branch included.

Two session factories: `sessions` for requests that change the ledger, and `read_sessions`
for the many that only read. On SQLite the ledger's engine starts every transaction with
BEGIN IMMEDIATE (writers queue instead of failing halfway), which would also make every page
view queue behind every other; the reader engine begins deferred (read) transactions instead,
which SQLite's WAL mode lets run beside a writer, and is opened `query_only` so that it cannot
write.
On PostgreSQL both are the same engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ptbill.ledger.db import Ledger
from ptbill.web import models as _models  # noqa: F401  (the web tables on the ledger's Base)


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    read_engine: Engine
    read_sessions: sessionmaker[Session]

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def _sqlite_reader(url: str) -> Engine:
    # As many connections as the worker threads that may read at once (anyio's default 40).
    engine = create_engine(url, connect_args={"timeout": 60}, pool_size=40, max_overflow=10)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A deferred read transaction: one consistent snapshot for the whole request, which
        # WAL mode lets stand beside a writer (and which is faster than a snapshot a query).
        conn.exec_driver_sql("BEGIN")

    return engine


def open_database(url: str | None) -> Database:
    """The ledger at `url` (a path or URL as `--db` takes it), migrated, with its sessions."""
    ledger = Ledger(url)
    reader = ledger.engine
    if ledger.engine.url.get_backend_name() == "sqlite" and ledger.engine.url.database not in (
        None,
        "",
        ":memory:",
    ):
        reader = _sqlite_reader(ledger.url)
    return Database(
        ledger.engine, ledger.sessions, reader, sessionmaker(reader, expire_on_commit=False)
    )
