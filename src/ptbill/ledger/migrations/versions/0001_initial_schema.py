"""The initial ledger schema (models.py as of issue #5).

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ptbill.ledger.types import Money

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "clinics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("tax_id", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "payers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("medicare", sa.Boolean(), nullable=False),
        sa.Column("kx_threshold", sa.Boolean(), nullable=False),
        sa.Column("timely_filing_days", sa.Integer(), nullable=False),
        sa.Column("appeal_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=True),
        sa.Column("last_name", sa.String(length=60), nullable=True),
        sa.Column("credential", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("npi"),
    )
    op.create_table(
        "remittances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("payment_count", sa.Integer(), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("total_paid", Money(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interchange_control_number", sa.Integer(), nullable=False),
        sa.Column("group_control_number", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("total_charge", Money(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_control_number"),
        sa.UniqueConstraint("interchange_control_number"),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=False),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "external_id"),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remittance_id", sa.Integer(), nullable=False),
        sa.Column("control_number", sa.String(length=9), nullable=False),
        sa.Column("trace_number", sa.String(length=50), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("determined_on", sa.Date(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("method", sa.String(length=3), nullable=False),
        sa.Column("payer_name", sa.String(length=60), nullable=False),
        sa.Column("payer_identifier", sa.String(length=80), nullable=False),
        sa.Column("payee_npi", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["remittances.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_remittance_id"), ["remittance_id"], unique=False
        )

    op.create_table(
        "authorizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("auth_key", sa.String(length=80), nullable=False),
        sa.Column("number", sa.String(length=50), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("visits_authorized", sa.Integer(), nullable=True),
        sa.Column("units_authorized", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["payers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "payer_id", "auth_key"),
    )
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authorizations_payer_id"), ["payer_id"], unique=False)

    op.create_table(
        "coverages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(length=80), nullable=False),
        sa.Column("relationship", sa.String(length=10), nullable=False),
        sa.Column("group_number", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["payers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "payer_id", "member_id"),
    )
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverages_payer_id"), ["payer_id"], unique=False)

    op.create_table(
        "plans_of_care",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("certified_date", sa.Date(), nullable=True),
        sa.Column("certifying_npi", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "start_date"),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.String(length=38), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("coverage_id", sa.Integer(), nullable=False),
        sa.Column("plan_of_care_id", sa.Integer(), nullable=True),
        sa.Column("authorization_id", sa.Integer(), nullable=True),
        sa.Column("rendering_npi", sa.String(length=10), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("visit_number", sa.Integer(), nullable=True),
        sa.Column("progress_report", sa.Boolean(), nullable=False),
        sa.Column("units_billed", sa.Integer(), nullable=False),
        sa.Column("auth_visits_used", sa.Integer(), nullable=True),
        sa.Column("auth_units_used", sa.Integer(), nullable=True),
        sa.Column("therapy_amount_ytd", Money(), nullable=True),
        sa.Column("source_json", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("effective_json", sa.Text(), nullable=True),
        sa.Column("derived", sa.String(length=200), nullable=True),
        sa.Column("source_file", sa.String(length=300), nullable=False),
        sa.Column("imported_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.ForeignKeyConstraint(
            ["coverage_id"],
            ["coverages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["payers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_of_care_id"],
            ["plans_of_care.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("visit_id"),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visits_patient_dos", ["patient_id", "date_of_service"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_visits_payer_id"), ["payer_id"], unique=False)

    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_number", sa.String(length=38), nullable=False),
        sa.Column("visit_pk", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("charge", Money(), nullable=False),
        sa.Column("expected_allowed", Money(), nullable=True),
        sa.Column("expected_payment", Money(), nullable=True),
        sa.Column("paid", Money(), nullable=False),
        sa.Column("patient_responsibility", Money(), nullable=False),
        sa.Column("contractual", Money(), nullable=False),
        sa.Column("denied", Money(), nullable=False),
        sa.Column("written_off", Money(), nullable=False),
        sa.Column("payer_control_number", sa.String(length=50), nullable=True),
        sa.Column("first_submitted_on", sa.Date(), nullable=True),
        sa.Column("last_submitted_on", sa.Date(), nullable=True),
        sa.Column("first_response", sa.String(length=10), nullable=True),
        sa.Column("first_determined_on", sa.Date(), nullable=True),
        sa.Column("determined_on", sa.Date(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["payers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_pk"],
            ["visits.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_number"),
        sa.UniqueConstraint("visit_pk"),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_payer_id"), ["payer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_state"), ["state"], unique=False)

    op.create_table(
        "ack_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ack_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ack_id"],
            ["acknowledgements.id"],
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ack_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ack_results_ack_id"), ["ack_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ack_results_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=80), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("clp01", sa.String(length=38), nullable=False),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.Column("charge", Money(), nullable=False),
        sa.Column("paid", Money(), nullable=False),
        sa.Column("patient_responsibility", Money(), nullable=False),
        sa.Column("payer_control_number", sa.String(length=50), nullable=False),
        sa.Column("reversal", sa.Boolean(), nullable=False),
        sa.Column("determined_on", sa.Date(), nullable=False),
        sa.Column("state_after", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("payment_id", "seq"),
    )
    with op.batch_alter_table("claim_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_payments_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("frequency_code", sa.String(length=1), nullable=False),
        sa.Column("original_claim_id", sa.String(length=50), nullable=True),
        sa.Column("scrub_status", sa.String(length=10), nullable=False),
        sa.Column("findings_json", sa.Text(), nullable=False),
        sa.Column("pricing_notes_json", sa.Text(), nullable=True),
        sa.Column("charge", Money(), nullable=False),
        sa.Column("expected_payment", Money(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id", "version"),
    )
    op.create_table(
        "provider_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=4), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("fiscal_period_end", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("provider_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_adjustments_claim_id"), ["claim_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_provider_adjustments_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "work_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("visit_id", sa.String(length=38), nullable=True),
        sa.Column("kind", sa.String(length=15), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("carc", sa.String(length=5), nullable=True),
        sa.Column("rarc", sa.String(length=10), nullable=True),
        sa.Column("amount", Money(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_items_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index("ix_work_items_status_due", ["status", "due_date"], unique=False)

    op.create_table(
        "claim_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("modifiers", sa.String(length=20), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("charge", Money(), nullable=True),
        sa.Column("pointers", sa.String(length=20), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("assistant_minutes", sa.Integer(), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("control_number", sa.String(length=50), nullable=False),
        sa.Column("explanation_json", sa.Text(), nullable=False),
        sa.Column("price_status", sa.String(length=10), nullable=False),
        sa.Column("expected_allowed", Money(), nullable=True),
        sa.Column("expected_payment", Money(), nullable=True),
        sa.Column("expected_patient", Money(), nullable=True),
        sa.Column("price_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["claim_versions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("control_number"),
    )
    with op.batch_alter_table("claim_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_lines_version_id"), ["version_id"], unique=False)

    op.create_table(
        "submission_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("transaction_set", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["claim_versions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id", "claim_id"),
    )
    with op.batch_alter_table("submission_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submission_claims_claim_id"), ["claim_id"], unique=False
        )

    op.create_table(
        "line_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_payment_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("claim_line_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("modifiers", sa.String(length=20), nullable=False),
        sa.Column("charge", Money(), nullable=False),
        sa.Column("paid", Money(), nullable=False),
        sa.Column("allowed", Money(), nullable=False),
        sa.Column("units", sa.String(length=12), nullable=False),
        sa.Column("control_number", sa.String(length=50), nullable=True),
        sa.Column("remarks", sa.String(length=200), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_line_id"],
            ["claim_lines.id"],
        ),
        sa.ForeignKeyConstraint(
            ["claim_payment_id"],
            ["claim_payments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_payment_id", "seq"),
    )
    with op.batch_alter_table("line_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_line_payments_claim_line_id"), ["claim_line_id"], unique=False
        )

    op.create_table(
        "adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_payment_id", sa.Integer(), nullable=False),
        sa.Column("line_payment_id", sa.Integer(), nullable=True),
        sa.Column("group_code", sa.String(length=2), nullable=False),
        sa.Column("carc", sa.String(length=5), nullable=False),
        sa.Column("rarc", sa.String(length=10), nullable=True),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_payment_id"],
            ["claim_payments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["line_payment_id"],
            ["line_payments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_adjustments_claim_payment_id"), ["claim_payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_adjustments_line_payment_id"), ["line_payment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adjustments_line_payment_id"))
        batch_op.drop_index(batch_op.f("ix_adjustments_claim_payment_id"))

    op.drop_table("adjustments")
    with op.batch_alter_table("line_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_payments_claim_line_id"))

    op.drop_table("line_payments")
    with op.batch_alter_table("submission_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_claims_claim_id"))

    op.drop_table("submission_claims")
    with op.batch_alter_table("claim_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_lines_version_id"))

    op.drop_table("claim_lines")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_index("ix_work_items_status_due")
        batch_op.drop_index(batch_op.f("ix_work_items_claim_id"))

    op.drop_table("work_items")
    with op.batch_alter_table("provider_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_adjustments_payment_id"))
        batch_op.drop_index(batch_op.f("ix_provider_adjustments_claim_id"))

    op.drop_table("provider_adjustments")
    op.drop_table("claim_versions")
    with op.batch_alter_table("claim_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_payments_claim_id"))

    op.drop_table("claim_payments")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_claim_id"))

    op.drop_table("audit_log")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_claim_id"))

    op.drop_table("appeals")
    with op.batch_alter_table("ack_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ack_results_claim_id"))
        batch_op.drop_index(batch_op.f("ix_ack_results_ack_id"))

    op.drop_table("ack_results")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_state"))
        batch_op.drop_index(batch_op.f("ix_claims_payer_id"))
        batch_op.drop_index(batch_op.f("ix_claims_patient_id"))

    op.drop_table("claims")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_payer_id"))
        batch_op.drop_index("ix_visits_patient_dos")

    op.drop_table("visits")
    op.drop_table("plans_of_care")
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverages_payer_id"))

    op.drop_table("coverages")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorizations_payer_id"))

    op.drop_table("authorizations")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_remittance_id"))

    op.drop_table("payments")
    op.drop_table("patients")
    op.drop_table("submissions")
    op.drop_table("remittances")
    op.drop_table("providers")
    op.drop_table("payers")
    op.drop_table("counters")
    op.drop_table("clinics")
    op.drop_table("acknowledgements")
