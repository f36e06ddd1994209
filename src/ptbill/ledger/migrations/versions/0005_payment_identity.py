"""A payment and a claim payment are known by what the payer said, not by the file's bytes:
payments.identity (unique) and claim_payments.identity with its occurrence (unique with
reversal), computed here for the rows already posted (ptbill.ledger.identity).

A ledger that already holds a payment posted twice (an 835 re-saved with other bytes, before
this migration) keeps both: the first keeps the identity, the repeat has none. Claim payments
posted twice are numbered 1, 2... in the order they were posted.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from ptbill.ledger.identity import claim_payment_identity, payer_of, payment_identity
from ptbill.ledger.types import Money

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CHUNK = 5000

_payments = sa.table(
    "payments",
    sa.column("id", sa.Integer),
    sa.column("trace_number", sa.String),
    sa.column("payment_date", sa.Date),
    sa.column("amount", Money()),
    sa.column("payer_name", sa.String),
    sa.column("payer_identifier", sa.String),
    sa.column("identity", sa.String),
)
_claim_payments = sa.table(
    "claim_payments",
    sa.column("id", sa.Integer),
    sa.column("payment_id", sa.Integer),
    sa.column("clp01", sa.String),
    sa.column("charge", Money()),
    sa.column("paid", Money()),
    sa.column("payer_control_number", sa.String),
    sa.column("reversal", sa.Boolean),
    sa.column("identity", sa.String),
    sa.column("occurrence", sa.Integer),
)


def _pages(conn: sa.Connection, query: sa.Select[Any], key: Any) -> Iterator[list[Any]]:
    """The rows of `query` in pages by their id (memory bounded by a page)."""
    last = 0
    while rows := conn.execute(query.where(key > last).order_by(key).limit(_CHUNK)).all():
        yield rows
        last = rows[-1].id


def _set(conn: sa.Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """UPDATE table SET (each row's other keys) WHERE id = its "pk"."""
    if rows:
        names = [k for k in rows[0] if k != "pk"]
        conn.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("pk"))
            .values({n: sa.bindparam(f"new_{n}") for n in names}),
            [{"pk": r["pk"], **{f"new_{n}": r[n] for n in names}} for r in rows],
        )


def _backfill_payments(conn: sa.Connection) -> None:
    p = _payments.c
    seen: set[str] = set()
    query = sa.select(
        p.id, p.payer_identifier, p.payer_name, p.trace_number, p.amount, p.payment_date
    )
    for rows in _pages(conn, query, p.id):
        updates = []
        for r in rows:
            identity = payment_identity(
                payer_of(r.payer_identifier, r.payer_name),
                r.trace_number,
                r.amount,
                r.payment_date,
            )
            if identity is not None and identity not in seen:
                seen.add(identity)
                updates.append({"pk": r.id, "identity": identity})
        _set(conn, _payments, updates)


def _backfill_claim_payments(conn: sa.Connection) -> None:
    c, p = _claim_payments.c, _payments.c
    occurrences: Counter[tuple[str, bool]] = Counter()
    query = sa.select(
        c.id,
        c.clp01,
        c.charge,
        c.paid,
        c.payer_control_number,
        c.reversal,
        p.payer_identifier,
        p.payer_name,
    ).join_from(_claim_payments, _payments, p.id == c.payment_id)
    for rows in _pages(conn, query, c.id):
        updates = []
        for r in rows:
            identity = claim_payment_identity(
                payer_of(r.payer_identifier, r.payer_name),
                r.clp01,
                r.payer_control_number,
                r.charge,
                r.paid,
            )
            if identity is None:
                continue
            occurrences[identity, bool(r.reversal)] += 1
            n = occurrences[identity, bool(r.reversal)]
            updates.append({"pk": r.id, "identity": identity, "occurrence": n})
        _set(conn, _claim_payments, updates)


def upgrade() -> None:
    op.add_column("payments", sa.Column("identity", sa.String(length=64), nullable=True))
    op.add_column("claim_payments", sa.Column("identity", sa.String(length=64), nullable=True))
    op.add_column("claim_payments", sa.Column("occurrence", sa.Integer(), nullable=True))
    conn = op.get_bind()
    _backfill_payments(conn)
    _backfill_claim_payments(conn)
    op.create_index("ux_payments_identity", "payments", ["identity"], unique=True)
    op.create_index(
        "ux_claim_payments_identity",
        "claim_payments",
        ["identity", "reversal", "occurrence"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_claim_payments_identity", table_name="claim_payments")
    op.drop_index("ux_payments_identity", table_name="payments")
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+): these columns reference nothing.
    op.drop_column("claim_payments", "occurrence")
    op.drop_column("claim_payments", "identity")
    op.drop_column("payments", "identity")
