"""A next-payer claim's version keeps the earlier payers' loops 2320/2330A/2330B and 2430 as
the 837P writes them, made with the claim from the decision it was built from, so that
`ptbill submit` writes them without reading and balancing the decisions again. Existing
versions keep NULL: submit builds their loops from the decisions, as before.

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
    with op.batch_alter_table("claim_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cob_loops", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("claim_versions", schema=None) as batch_op:
        batch_op.drop_column("cob_loops")
