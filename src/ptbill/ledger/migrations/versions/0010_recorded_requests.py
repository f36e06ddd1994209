"""The answers to requests that recorded money, under their sender's key (ptbill.ledger.once:
a form submitted twice, an API client's retry with its Idempotency-Key, records once).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recorded_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("who", "key"),
    )
    op.create_index(
        op.f("ix_recorded_requests_clinic_id"), "recorded_requests", ["clinic_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_recorded_requests_clinic_id"), table_name="recorded_requests")
    op.drop_table("recorded_requests")
