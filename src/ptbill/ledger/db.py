"""Opening the ledger: a database URL -> an engine whose schema is migrated to the latest
version (Alembic, on first use and after an upgrade of ptbill), and sessions on it.

`ptbill --db URL` (or PTBILL_DB, which the edges read) names the database; the default is the
SQLite file `ptbill.db` in the current directory. A plain path means a SQLite file; `postgresql://...`
means PostgreSQL through psycopg 3.

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
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
            visit_id=None,
            field=None,
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


def _read_only_engine(url: str) -> Engine:
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


def check_schema(engine: Engine, url: str) -> None:
    """Refuse a schema other than this ptbill's (read-only: no migration is attempted)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from ptbill.ledger.migrate import alembic_config

    with engine.connect() as conn:
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
        conn.rollback()
    wanted = _heads()
    if current == wanted:
        return
    where = safe_url(url)
    if not current:
        problem = "the database holds no ledger (no schema)"
        fix = "check --db (or PTBILL_DB); a new ledger is made by `ptbill import`"
    else:
        known = {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if current <= known:
            problem = (
                f"the ledger's schema is at migration {', '.join(sorted(current))}, behind this "
                f"ptbill's {', '.join(sorted(wanted))}, and a read-only command does not migrate"
            )
            fix = "upgrade it once with `ptbill migrate` (which needs write access), then retry"
        else:
            problem = (
                f"the ledger's schema ({', '.join(sorted(current))}) is newer than this ptbill"
            )
            fix = "use the ptbill version that wrote it, or a newer one"
    raise InputError(file=where, visit_id=None, field="--db", problem=problem, fix=fix)


def _cannot_open(url: str, error: BaseException) -> InputError:
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return InputError(
        file="--db",
        visit_id=None,
        field=None,
        problem=f"cannot open {safe_url(url)}: {first}",
        fix=_FIX_URL,
    )


class Ledger:
    """The database a command works on. `transaction()` commits at the end or, on any error,
    rolls everything back: a command changes the whole of what it means to, or nothing.
    read_only: the database is opened so that nothing can be written, and not migrated."""

    def __init__(self, url: str | None = None, *, read_only: bool = False) -> None:
        self.url = normalize_url(url)
        self.read_only = read_only
        try:
            self.engine = _read_only_engine(self.url) if read_only else make_engine(self.url)
        except sqlite3.Error as e:
            raise _cannot_open(self.url, e) from None
        try:
            if read_only:
                check_schema(self.engine, self.url)
            else:
                ensure_schema(self.engine)
        except OperationalError as e:
            self.engine.dispose()
            raise _cannot_open(self.url, e.orig) from None
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
