"""Opening the ledger: a database URL -> an engine whose schema is migrated to the latest
version (Alembic, on first use and after an upgrade of ptbill), and sessions on it.

`ptbill --db URL` (or PTBILL_DB, which the edges read) names the database; the default is the
SQLite file `ptbill.db` in the current directory. A plain path means a SQLite file; `postgresql://...`
means PostgreSQL through psycopg 3 (the URL and its engine: ptbill.ledger.engine; the schema's
migrations: ptbill.ledger.migrate).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ptbill.errors import InputError
from ptbill.ledger.engine import FIX_URL, make_engine, normalize_url, safe_url


class Ledger:
    """The database a command works on. `transaction()` commits at the end or, on any error,
    rolls everything back: a command changes the whole of what it means to, or nothing."""

    def __init__(self, url: str | None = None) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        from ptbill.ledger.migrate import ensure_schema  # alembic: loaded when a ledger opens

        try:
            ensure_schema(self.engine)
        except OperationalError as e:
            self.engine.dispose()
            raise InputError(
                "--db",
                f"cannot open {safe_url(self.url)}: {str(e.orig).strip().splitlines()[0]}",
                FIX_URL,
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
