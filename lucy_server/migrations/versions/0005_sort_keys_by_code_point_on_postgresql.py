"""The client list's sort keys compared by code point on PostgreSQL (COLLATE "C")

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

``clients.sort_name`` (the folded name, ``folding.fold``) orders the client list and is
the key its cursor compares (``after=``). On SQLite text compares by code point; on
PostgreSQL it compared by the database's default collation, which is a language's rules on a
firm's server (``en_US.UTF-8``, ICU): "smit - zonen" before "smit & zonen" before
"smit zonen", unlike the app, which merges changed rows into its list by the same keys in
Python (code point order). A language's collation can also change with an upgrade of the
operating system's C library or ICU, which silently corrupts an index over it. "C" is the
same everywhere and forever. ``ix_clients_list`` is rebuilt with the column.

Nothing changes on SQLite (its default, BINARY, is code point order for UTF-8).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "clients",
            "sort_name",
            type_=sa.String(length=200, collation="C"),
            existing_type=sa.String(length=200),
            existing_nullable=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "clients",
            "sort_name",
            type_=sa.String(length=200),
            existing_type=sa.String(length=200, collation="C"),
            existing_nullable=False,
        )
