"""A database URL -> a configured SQLAlchemy engine: what the user wrote (a path, sqlite:...,
postgresql:...) normalised, SQLite set up for one writer at a time, PostgreSQL through psycopg 3.
The ledger (ptbill.ledger.db) and the migrations (ptbill.ledger.migrate) both open theirs here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ptbill.errors import InputError

DEFAULT_DB = "ptbill.db"
# A command's connections: its own, a job's heartbeat, a listener's few threads. The
# workbench sizes its pool to its request threads (ptbill.web.settings.WebSettings.db_pool).
DEFAULT_POOL = 5
# Seconds a thread waits for a free connection of the pool before TimeoutError (the
# workbench answers it 503 with Retry-After).
DEFAULT_POOL_WAIT = 30.0
FIX_URL = (
    "give --db (or PTBILL_DB) a SQLite file path, sqlite:///FILE or "
    "postgresql://USER:PASSWORD@HOST/DATABASE"
)


def normalize_url(url: str | None) -> str:
    """A SQLAlchemy URL from what the user gave (a path, sqlite:..., postgresql:...)."""
    url = url or DEFAULT_DB
    if "://" not in url:
        return f"sqlite:///{url}"
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return url


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable database URL)"


def _sqlite_setup(engine: Engine) -> None:
    """Foreign keys on; WAL for file databases; every transaction BEGIN IMMEDIATE, so that two
    writers queue on the database lock instead of failing halfway (posting the same 835 from
    two processes: the second waits, then finds the first one's remittance)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 60000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA cache_size = -16384")  # 16 MB: bulk inserts into indexes
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def pool_options(pool_size: int, pool_wait: float) -> dict[str, Any]:
    """A pool of exactly `pool_size` connections (no overflow beyond it: the budget a process
    states is the most it opens), each waited for at most `pool_wait` seconds."""
    return {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": pool_wait}


def make_engine(
    url: str, pool_size: int = DEFAULT_POOL, pool_wait: float = DEFAULT_POOL_WAIT
) -> Engine:
    """The engine of `url`, opening at most `pool_size` connections (a SQLite file's too; one
    in memory keeps SQLAlchemy's one connection a thread)."""
    pool = pool_options(pool_size, pool_wait)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError("--db", "not a database URL", FIX_URL) from None
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        if parsed.database and not in_memory:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60}, **({} if in_memory else pool))
        _sqlite_setup(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise InputError(
            "--db",
            f"{parsed.get_backend_name()!r} databases are not supported",
            FIX_URL,
        )
    try:
        return create_engine(url, pool_pre_ping=True, **pool)
    except Exception as e:  # a missing driver, a bad option
        raise InputError("--db", f"cannot use {safe_url(url)}: {e}", FIX_URL) from None


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write the SQLite file at `path`. A WAL-mode file needs its
    shared-memory file (-shm) beside it, which SQLite creates when it can; where it cannot (a
    read-only folder) the file is opened as immutable: nothing can be writing it then."""
    if not path.is_file():
        raise InputError(
            file=str(path),
            problem="no ledger at this path: the file does not exist",
            fix="check --db (or PTBILL_DB); a new ledger is made by `ptbill import`",
        )
    uri = f"file:{quote(str(path.resolve()))}"
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=60, check_same_thread=False)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        conn = sqlite3.connect(
            f"{uri}?mode=ro&immutable=1", uri=True, timeout=60, check_same_thread=False
        )
    return conn


def read_only_engine(url: str) -> Engine:
    """An engine that cannot write: a SQLite file opened read-only, PostgreSQL in read-only
    transactions."""
    path = sqlite_path(url)
    if path is None:
        if make_url(url).get_backend_name() == "sqlite":  # in memory: nothing to protect
            return make_engine(url)
        engine = make_engine(url)  # PostgreSQL: every transaction read-only
        event.listen(
            engine,
            "begin",
            lambda conn: conn.exec_driver_sql("SET TRANSACTION READ ONLY"),
        )
        return engine
    engine = create_engine("sqlite://", creator=lambda: connect_read_only(path))

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        dbapi_connection.execute("PRAGMA busy_timeout = 60000")
        dbapi_connection.execute("PRAGMA query_only = ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")  # deferred: one snapshot, beside any writer

    return engine
