"""The clearinghouse exchange runs one at a time and sends each file once: `exchange_leases`
holds the run of a clearinghouse going now (a second is refused; a dead one's is taken over),
and an upload's row is written before the file goes (`state` sending, placed, sent) so that a
run killed between the server's rename and its record is reconciled, not sent twice.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_leases",
        sa.Column("clearinghouse", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("clearinghouse"),
    )
    with op.batch_alter_table("exchange_uploads") as batch:
        batch.add_column(
            sa.Column("state", sa.String(length=8), server_default="sent", nullable=False)
        )
        batch.add_column(sa.Column("clearinghouse", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange_uploads") as batch:
        batch.drop_column("clearinghouse")
        batch.drop_column("state")
    op.drop_table("exchange_leases")
