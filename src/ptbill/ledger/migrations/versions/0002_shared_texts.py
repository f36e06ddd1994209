"""Shared JSON texts: claim versions' findings and pricing notes and claim lines' explanations
and prices move into `texts`, each distinct text stored once (ptbill.ledger.texts).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# table -> (old text column, new text id column)
MOVED = {
    "claim_versions": (
        ("findings_json", "findings_text_id"),
        ("pricing_notes_json", "pricing_notes_text_id"),
    ),
    "claim_lines": (("explanation_json", "explanation_text_id"), ("price_json", "price_text_id")),
}
_PAGE = 5000
TEXTS = sa.table(
    "texts", sa.column("id", sa.Integer), sa.column("sha256", sa.String), sa.column("body")
)


def _pages(conn: sa.Connection, table: str, columns: str) -> Iterator[Sequence[sa.Row[Any]]]:
    """(id, columns...) of every row of the table, a page at a time, in id order."""
    last = 0
    while True:
        rows = conn.execute(
            sa.text(f"SELECT id, {columns} FROM {table} WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _PAGE},
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def upgrade() -> None:
    op.create_table(
        "texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    conn = op.get_bind()
    ids: dict[str, int] = {}

    def text_id(body: str | None) -> int | None:
        if body is None:
            return None
        if body not in ids:
            sha = hashlib.sha256(body.encode()).hexdigest()
            q = sa.insert(TEXTS).values(sha256=sha, body=body).returning(TEXTS.c.id)
            ids[body] = conn.execute(q).scalar_one()
        return ids[body]

    for table, moves in MOVED.items():
        present = {c["name"] for c in sa.inspect(conn).get_columns(table)}
        for _, new in moves:  # plain SQL: SQLite adds a column with its reference this way
            if new not in present:  # (SQLite keeps it, emptied, on downgrade)
                op.execute(f"ALTER TABLE {table} ADD COLUMN {new} INTEGER REFERENCES texts (id)")
        olds = ", ".join(old for old, _ in moves)
        sets = ", ".join(f"{new} = :{new}" for _, new in moves)
        for rows in _pages(conn, table, olds):
            conn.execute(
                sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"),
                [
                    {
                        "id": row[0],
                        **{new: text_id(v) for (_, new), v in zip(moves, row[1:], strict=True)},
                    }
                    for row in rows
                ],
            )
        for old, _ in moves:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {old}")


def downgrade() -> None:
    conn = op.get_bind()
    for table, moves in MOVED.items():
        for old, _ in moves:
            op.add_column(table, sa.Column(old, sa.Text(), nullable=True))
        news = ", ".join(new for _, new in moves)
        sets = ", ".join(f"{old} = :{old}" for old, _ in moves)
        for rows in _pages(conn, table, news):
            wanted = {v for row in rows for v in row[1:] if v is not None}
            found = conn.execute(sa.select(TEXTS.c.id, TEXTS.c.body).where(TEXTS.c.id.in_(wanted)))
            body = {id_: text for id_, text in found}
            conn.execute(
                sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"),
                [
                    {
                        "id": row[0],
                        **{old: body.get(v) for (old, _), v in zip(moves, row[1:], strict=True)},
                    }
                    for row in rows
                ],
            )
        for _, new in moves:
            if conn.dialect.name == "sqlite":
                # SQLite cannot drop a column that references a table, and copying the table
                # instead breaks the references to it: the column stays, emptied (0001's code
                # never writes it; upgrading again fills it).
                op.execute(f"UPDATE {table} SET {new} = NULL")
            else:
                op.drop_column(table, new)
    op.drop_table("texts")
