"""Failed sign-ins in the database, shared by every server process (issue 13, several workers)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

``login_failures``: one row per failed sign-in (lucy_server.ratelimit). The limits were kept
in each process's memory before: nothing to carry over (a restart forgot them too).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_source", "login_failures", ["source", "at"])
    op.create_index("ix_login_failures_account", "login_failures", ["account", "source", "at"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_at", table_name="login_failures")
    op.drop_index("ix_login_failures_account", table_name="login_failures")
    op.drop_index("ix_login_failures_source", table_name="login_failures")
    op.drop_table("login_failures")
