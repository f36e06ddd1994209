"""The app's database: the ledger's (ptbill.ledger.db.Ledger), which migrates the schema to
every head on first use, the web tables' `web` branch included.

Two session factories: `sessions` for requests that change the ledger, and `read_sessions`
for the many that only read. On SQLite the ledger's engine starts every transaction with
BEGIN IMMEDIATE (writers queue instead of failing halfway), which would also make every page
view queue behind every other; the reader engine begins deferred (read) transactions instead,
which SQLite's WAL mode lets run beside a writer, and is opened `query_only` so that it cannot
write.
On PostgreSQL both are the same engine.

`pool_size` connections at most, each engine (the request threads' budget:
ptbill.web.settings.WebSettings.web_threads), each waited for at most `pool_wait` seconds
(past it SQLAlchemy's TimeoutError, answered 503 with Retry-After as well).

`lock_wait` bounds how long a statement waits for a lock another writer holds (SQLite's
busy_timeout, PostgreSQL's lock_timeout); past it the database raises OperationalError, which
the app answers with 503 and Retry-After (ptbill.web.errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ptbill.ledger.db import Ledger
from ptbill.ledger.engine import DEFAULT_POOL, DEFAULT_POOL_WAIT, pool_options
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


def _lock_wait(engine: Engine, seconds: float) -> None:
    """Every new connection of `engine` waits at most `seconds` for a lock (after the
    ledger's own connect hook, which sets its longer default)."""
    ms = max(int(seconds * 1000), 1)
    sqlite = engine.url.get_backend_name() == "sqlite"
    statement = f"PRAGMA busy_timeout = {ms}" if sqlite else f"SET lock_timeout = {ms}"

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if not sqlite:
            dbapi_connection.commit()  # psycopg opened a transaction for the SET


def _sqlite_reader(url: str, pool_size: int, pool_wait: float) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60}, **pool_options(pool_size, pool_wait))

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


def open_database(
    url: str | None,
    lock_wait: float | None = None,
    pool_size: int = DEFAULT_POOL,
    pool_wait: float = DEFAULT_POOL_WAIT,
) -> Database:
    """The ledger at `url` (a path or URL as `--db` takes it), migrated, with its sessions;
    `lock_wait`: seconds a statement waits for another writer's lock (None: the ledger's);
    `pool_size`, `pool_wait`: the most connections it opens, and the wait for one."""
    ledger = Ledger(url, pool_size=pool_size, pool_wait=pool_wait)
    reader = ledger.engine
    if ledger.engine.url.get_backend_name() == "sqlite" and ledger.engine.url.database not in (
        None,
        "",
        ":memory:",
    ):
        reader = _sqlite_reader(ledger.url, pool_size, pool_wait)
    if lock_wait is not None:
        for engine in {ledger.engine, reader}:
            _lock_wait(engine, lock_wait)
            if engine.url.database not in (None, "", ":memory:"):
                engine.dispose()  # the migration's connections had the ledger's wait
    return Database(
        ledger.engine, ledger.sessions, reader, sessionmaker(reader, expire_on_commit=False)
    )


# Connections a deployment needs besides the server's: a `ptbill worker` or command opens at
# most DEFAULT_POOL each; room for two workers and a command.
OTHERS = 3 * DEFAULT_POOL


def over_budget(engine: Engine, processes: int, pool_size: int) -> str | None:
    """What is wrong (None: nothing) when `processes` server processes of `pool_size`
    connections each, with two workers and a command beside them, could open more connections
    than the PostgreSQL server at `engine` accepts (SQLite has no such limit)."""
    if engine.url.get_backend_name() != "postgresql":
        return None
    with engine.connect() as conn:
        accepted = int(conn.exec_driver_sql("SHOW max_connections").scalar_one()) - int(
            conn.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one()
        )
    needed = processes * pool_size + OTHERS
    if needed <= accepted:
        return None
    return (
        f"warning: {processes} server processes of {pool_size} connections each, with two "
        f"workers and a command ({OTHERS}), may open {needed} connections; the database "
        f"accepts {accepted} (max_connections less those reserved). Give fewer --workers or "
        "PTBILL_WEB_THREADS, or raise max_connections"
    )
