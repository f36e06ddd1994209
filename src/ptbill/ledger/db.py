"""Opening the ledger: a database URL -> an engine whose schema is migrated to the latest
version (Alembic, on first use and after an upgrade of ptbill), and sessions on it.

`ptbill --db URL` (or PTBILL_DB, which the edges read) names the database; the default is the
SQLite file `ptbill.db` in the current directory. A plain path means a SQLite file; `postgresql://...`
means PostgreSQL through psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ptbill.errors import InputError

DEFAULT_DB = "ptbill.db"
MIGRATIONS = Path(__file__).with_name("migrations")
_FIX_URL = (
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


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError("--db", None, None, "not a database URL", _FIX_URL) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
        _sqlite_setup(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise InputError(
            "--db",
            None,
            None,
            f"{parsed.get_backend_name()!r} databases are not supported",
            _FIX_URL,
        )
    try:
        return create_engine(url, pool_pre_ping=True)
    except Exception as e:  # a missing driver, a bad option
        raise InputError("--db", None, None, f"cannot use {safe_url(url)}: {e}", _FIX_URL) from None


@cache
def _heads() -> frozenset[str]:
    """The latest revision of every migration branch shipped (the ledger's and, for example,
    the web workbench's branch on top of it)."""
    from alembic.script import ScriptDirectory

    from ptbill.ledger.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to the latest migrations (nothing to do when it is there already)."""
    from alembic.migration import MigrationContext

    from ptbill.ledger.migrate import upgrade

    with engine.connect() as conn:
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
        conn.rollback()
    if current != _heads():
        upgrade(engine)


class Ledger:
    """The database a command works on. `transaction()` commits at the end or, on any error,
    rolls everything back: a command changes the whole of what it means to, or nothing."""

    def __init__(self, url: str | None = None) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        try:
            ensure_schema(self.engine)
        except OperationalError as e:
            self.engine.dispose()
            raise InputError(
                "--db",
                None,
                None,
                f"cannot open {safe_url(self.url)}: {str(e.orig).strip().splitlines()[0]}",
                _FIX_URL,
            ) from None
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
