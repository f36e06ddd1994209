"""Alembic environment: runs on the connection ptbill.ledger.migrate hands it."""

from __future__ import annotations

from alembic import context

from ptbill.ledger.models import Base

# Any number; it only has to be the same for every ptbill process.
_MIGRATION_LOCK = 0x707462696C6C

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
)

with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two processes opening a new database at once: the second waits here, then finds
        # the schema at head and does nothing.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    context.run_migrations()
