"""The audit trail (issue 13): who changed what, when (lucy_server.audit)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

``audit_log``: one row per change, written in the change's own transaction, append-only.
No foreign keys: a record outlives the staff member and the client it names, and keeps
their names as they were. Changes made before this migration were not recorded: the trail
starts empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("client_name", sa.String(length=200), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_client", "audit_log", ["client_id", "id"])
    op.create_index("ix_audit_log_staff", "audit_log", ["staff_id", "id"])
    op.create_index("ix_audit_log_kind", "audit_log", ["kind", "id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_audit_log_kind", table_name="audit_log")
    op.drop_index("ix_audit_log_staff", table_name="audit_log")
    op.drop_index("ix_audit_log_client", table_name="audit_log")
    op.drop_table("audit_log")
