"""Refunds the clinic sent payers for their over-payments (ptbill.ledger.payer_refunds): each
claim's refunds settle its `refund` work items and count in the report's collections; a
reference (check number, EFT trace) counts once at its clinic.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ptbill.ledger.types import Money

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payer_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=5), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("reference_key", sa.String(length=50), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"]),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "reference_key"),
    )
    op.create_index(op.f("ix_payer_refunds_claim_id"), "payer_refunds", ["claim_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payer_refunds_claim_id"), table_name="payer_refunds")
    op.drop_table("payer_refunds")
