"""Work items of a patient: the refund and collections items (no claim) name the patient row
they are about, so that they belong to its clinic (ptbill.ledger.scope) and two clinics'
patients of one external id no longer share one item.

Existing items are linked by their reference (`patient:ID`) when exactly one patient has that
id; an item whose id several clinics' patients share stays unlinked (seen only by a
company-wide user, who closes it by hand; the next change of each patient's credit opens its
own item).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The reference the items were written with: "patient:" and the external id, cut to 50.
_MATCH = "substr('patient:' || p.external_id, 1, 50) = work_items.reference"


def upgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patient_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_work_items_patient_id"), ["patient_id"], unique=False)
        batch_op.create_foreign_key("fk_work_items_patient_id", "patients", ["patient_id"], ["id"])
    op.execute(
        f"UPDATE work_items SET patient_id = (SELECT p.id FROM patients p WHERE {_MATCH}) "
        "WHERE claim_id IS NULL AND kind IN ('refund', 'collections') "
        "AND reference LIKE 'patient:%' "
        f"AND (SELECT COUNT(*) FROM patients p WHERE {_MATCH}) = 1"
    )


def downgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_constraint("fk_work_items_patient_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_work_items_patient_id"))
        batch_op.drop_column("patient_id")
