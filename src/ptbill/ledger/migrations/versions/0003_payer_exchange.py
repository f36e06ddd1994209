"""Talking to payers: the 270s and 276s written, the 271 and 277 answers, and the clearinghouse
exchange (runs, uploads, inbound files and the exchange's audit trail).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ptbill.ledger.types import Money

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clearinghouse", sa.String(length=64), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("uploaded", sa.Integer(), nullable=False),
        sa.Column("downloaded", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("set_aside", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column(
            "started_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "outbound_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("interchange_control_number", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("interchange_control_number"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "exchange_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("file", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["exchange_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("exchange_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_events_run_id"), ["run_id"], unique=False)

    op.create_table(
        "exchange_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("remote_name", sa.String(length=300), nullable=False),
        sa.Column("uploaded_on", sa.Date(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["exchange_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "inbound_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["exchange_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    with op.batch_alter_table("inbound_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_files_run_id"), ["run_id"], unique=False)

    op.create_table(
        "eligibility_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=False),
        sa.Column("trace", sa.String(length=50), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("payer_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.String(length=80), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("plan_begin", sa.Date(), nullable=True),
        sa.Column("plan_end", sa.Date(), nullable=True),
        sa.Column("deductible_remaining", Money(), nullable=True),
        sa.Column(
            "out_of_pocket_remaining",
            Money(),
            nullable=True,
        ),
        sa.Column("coinsurance_percent", Money(), nullable=True),
        sa.Column("copay", Money(), nullable=True),
        sa.Column("visit_limit", sa.Integer(), nullable=True),
        sa.Column("visits_used", sa.Integer(), nullable=True),
        sa.Column("visits_remaining", sa.Integer(), nullable=True),
        sa.Column("prior_authorization_required", sa.Boolean(), nullable=True),
        sa.Column("medicare", sa.Boolean(), nullable=False),
        sa.Column(
            "therapy_amount_applied",
            Money(),
            nullable=True,
        ),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_files.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["payers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("eligibility_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eligibility_checks_inbound_id"), ["inbound_id"], unique=False
        )
        batch_op.create_index(
            "ix_eligibility_checks_patient", ["patient_id", "checked_on"], unique=False
        )

    op.create_table(
        "claim_status_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("trace", sa.String(length=50), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=4), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("payer_claim_control_number", sa.String(length=50), nullable=True),
        sa.Column("paid", Money(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_files.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("claim_status_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_status_checks_claim_id"), ["claim_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_claim_status_checks_inbound_id"), ["inbound_id"], unique=False
        )

    op.create_table(
        "outbound_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbound_id", sa.Integer(), nullable=False),
        sa.Column("trace", sa.String(length=50), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("payer_id", sa.Integer(), nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.String(length=38), nullable=True),
        sa.Column("payer_key", sa.String(length=64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.ForeignKeyConstraint(
            ["outbound_id"],
            ["outbound_files.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["payers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trace"),
    )
    with op.batch_alter_table("outbound_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbound_items_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbound_items_outbound_id"), ["outbound_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbound_items_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_items_patient_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_items_outbound_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_items_claim_id"))

    op.drop_table("outbound_items")
    with op.batch_alter_table("claim_status_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_status_checks_inbound_id"))
        batch_op.drop_index(batch_op.f("ix_claim_status_checks_claim_id"))

    op.drop_table("claim_status_checks")
    with op.batch_alter_table("eligibility_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_eligibility_checks_patient")
        batch_op.drop_index(batch_op.f("ix_eligibility_checks_inbound_id"))

    op.drop_table("eligibility_checks")
    with op.batch_alter_table("inbound_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_files_run_id"))

    op.drop_table("inbound_files")
    op.drop_table("exchange_uploads")
    with op.batch_alter_table("exchange_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_events_run_id"))

    op.drop_table("exchange_events")
    op.drop_table("outbound_files")
    op.drop_table("exchange_runs")
