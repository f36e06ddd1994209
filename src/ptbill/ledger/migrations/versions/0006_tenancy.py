"""Tenancy: users' roles per clinic, tokens narrowed to a clinic and expiring, failed logins
for throttling, the security audit (ptbill.web.models). On the `web` branch.

A user of a clinic role before (biller, viewer: they reached every clinic) keeps reaching
every clinic the ledger has, by a grant at each; an admin stays a company-wide admin.

Revision ID: 0006
Revises: w001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "w001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["web_users.id"]),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "clinic_id"),
    )
    op.create_index("ix_web_grants_user_id", "web_grants", ["user_id"])
    op.create_index("ix_web_grants_clinic_id", "web_grants", ["clinic_id"])
    op.create_table(
        "web_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_login_failures_key_at", "web_login_failures", ["key", "failed_at"])
    op.create_table(
        "web_security_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_security_events_clinic_at", "web_security_events", ["clinic_id", "at"])
    op.create_index("ix_web_security_events_patient_id", "web_security_events", ["patient_id"])
    op.add_column("web_api_tokens", sa.Column("clinic_id", sa.Integer(), nullable=True))
    op.add_column("web_api_tokens", sa.Column("expires_at", sa.DateTime(), nullable=True))
    # Users of a clinic role reached every clinic: a grant at each keeps it so.
    op.execute(
        "INSERT INTO web_grants (user_id, clinic_id, role) "
        "SELECT u.id, c.id, u.role FROM web_users u CROSS JOIN clinics c "
        "WHERE u.role IN ('biller', 'viewer')"
    )
    op.execute("UPDATE web_users SET role = 'clinic' WHERE role IN ('biller', 'viewer')")


def downgrade() -> None:
    op.execute(
        "UPDATE web_users SET role = COALESCE((SELECT MIN(g.role) FROM web_grants g "
        "WHERE g.user_id = web_users.id), 'viewer') WHERE role = 'clinic'"
    )
    with op.batch_alter_table("web_api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("clinic_id")
    op.drop_index("ix_web_security_events_patient_id", table_name="web_security_events")
    op.drop_index("ix_web_security_events_clinic_at", table_name="web_security_events")
    op.drop_table("web_security_events")
    op.drop_index("ix_web_login_failures_key_at", table_name="web_login_failures")
    op.drop_table("web_login_failures")
    op.drop_index("ix_web_grants_clinic_id", table_name="web_grants")
    op.drop_index("ix_web_grants_user_id", table_name="web_grants")
    op.drop_table("web_grants")
