"""After the primary pays: secondary and tertiary claims (a visit may now have several claims,
linked to the primary), the 835's claim-level remarks and crossover carrier, a patient's
coverages with their dates, patient payments, refunds and write-offs, and statements.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ptbill.ledger.types import Money

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Names for the unique constraints 0001 left unnamed, so that SQLite's batch copy can drop one.
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for unique in sa.inspect(op.get_bind()).get_unique_constraints("claims"):
            if unique["column_names"] == ["visit_pk"]:  # 0001 left it unnamed
                op.drop_constraint(unique["name"], "claims", type_="unique")
    with op.batch_alter_table("claims", naming_convention=_NAMES) as batch_op:
        if op.get_bind().dialect.name == "sqlite":
            batch_op.drop_constraint("uq_claims_visit_pk", type_="unique")
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("primary_claim_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("crossover", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_claims_visit_pk"), ["visit_pk"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_claims_primary_claim_id"), ["primary_claim_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_claims_primary_claim_id", "claims", ["primary_claim_id"], ["id"]
        )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column("sequence", server_default=None)
        batch_op.alter_column("crossover", server_default=None)
    with op.batch_alter_table("claim_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remarks", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("crossover_to", sa.String(length=80), nullable=True))
    with op.batch_alter_table("claim_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis_payment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_claim_versions_basis_payment_id",
            "claim_payments",
            ["basis_payment_id"],
            ["id"],
        )

    op.create_table(
        "patient_coverages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("coverage_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("subscriber_json", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["coverage_id"], ["coverages.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "coverage_id", "rank", "start_date"),
    )
    with op.batch_alter_table("patient_coverages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_coverages_patient_id"), ["patient_id"], unique=False
        )
    op.create_table(
        "patient_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_transactions_patient_id"), ["patient_id"], unique=False
        )
    op.create_table(
        "patient_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"]),
        sa.ForeignKeyConstraint(["transaction_id"], ["patient_transactions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_applications_claim_id"), ["claim_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_patient_applications_transaction_id"), ["transaction_id"], unique=False
        )
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("statement_date", sa.Date(), nullable=False),
        sa.Column("step", sa.String(length=12), nullable=False),
        sa.Column("balance", Money(), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statements_patient_id"), ["patient_id"], unique=False)


def downgrade() -> None:
    for table in ("statements", "patient_applications", "patient_transactions"):
        op.drop_table(table)
    op.drop_table("patient_coverages")
    with op.batch_alter_table("claim_versions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_claim_versions_basis_payment_id", type_="foreignkey")
        batch_op.drop_column("basis_payment_id")
    with op.batch_alter_table("claim_payments", schema=None) as batch_op:
        batch_op.drop_column("crossover_to")
        batch_op.drop_column("remarks")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_constraint("fk_claims_primary_claim_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_claims_primary_claim_id"))
        batch_op.drop_index(batch_op.f("ix_claims_visit_pk"))
        batch_op.drop_column("crossover")
        batch_op.drop_column("primary_claim_id")
        batch_op.drop_column("sequence")
        batch_op.create_unique_constraint("uq_claims_visit_pk", ["visit_pk"])
