"""Alembic: the schema is created on first use, brought up to date on upgrade, and matches the
models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from ptbill.ledger.db import Ledger
from ptbill.ledger.migrate import alembic_config, upgrade
from ptbill.ledger.models import Base

LEDGER_TABLES = {t.name for t in Base.metadata.sorted_tables if not t.name.startswith("web_")}


def _heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_first_use_creates_the_schema_at_the_latest_migration(db_url: str) -> None:
    with Ledger(db_url) as ledger, ledger.engine.connect() as conn:
        assert set(MigrationContext.configure(conn).get_current_heads()) == _heads()
        assert set(inspect(conn).get_table_names()) >= LEDGER_TABLES


def test_the_models_and_the_migrations_agree(db_url: str) -> None:
    with Ledger(db_url) as ledger, ledger.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, kind, *_: (
                    (kind != "table" or name in LEDGER_TABLES)
                    and not (
                        kind in ("index", "column", "unique_constraint", "foreign_key_constraint")
                        and getattr(getattr(obj, "table", None), "name", "").startswith("web_")
                    )
                ),
            },
        )
        diffs = [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (
                isinstance(d, tuple) and d[0] == "remove_table" and d[1].name not in LEDGER_TABLES
            )
        ]
        assert diffs == []


def test_an_older_schema_is_upgraded_on_open(db_url: str) -> None:
    from sqlalchemy import create_engine

    from ptbill.ledger.db import make_engine

    engine = make_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    upgrade(engine, "0001")  # the ledger as first released
    with engine.connect() as conn:
        assert set(MigrationContext.configure(conn).get_current_heads()) == {"0001"}
    engine.dispose()
    with Ledger(db_url) as ledger, ledger.engine.connect() as conn:
        assert set(MigrationContext.configure(conn).get_current_heads()) == _heads()


def test_opening_again_changes_nothing(db_url: str) -> None:
    Ledger(db_url).close()
    with Ledger(db_url) as ledger, ledger.engine.connect() as conn:
        assert set(MigrationContext.configure(conn).get_current_heads()) == _heads()
