"""Change numbers for GET /clients?changed_since= (issue 13, lucy_server.changes)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

``change_seq`` on the clients and on the rows their list row shows (Peppol lookups, staff as
contacts, teams), the one-row ``change_counter`` with this database's random id, and
``client_exits`` (clients that may have left someone's view). Rows that existed before get
0: older than every token, and a token cannot be older than this migration.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TRACKED = ("clients", "peppol_lookups", "staff", "teams")
INDEXED = {"clients": "ix_clients_change_seq", "peppol_lookups": "ix_peppol_lookups_change_seq"}


def upgrade() -> None:
    # What is there already is kept: a database adopted by 0001 may have been made by a
    # version that had these (then nothing of it is older than its tokens).
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    for table in TRACKED:
        if "change_seq" not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column("change_seq", sa.BigInteger(), nullable=True))
            op.execute(f"UPDATE {table} SET change_seq = 0")
    for table, index in INDEXED.items():
        if index not in {i["name"] for i in inspector.get_indexes(table)}:
            op.create_index(index, table, ["change_seq"])
    if "change_counter" not in tables:
        counter = op.create_table(
            "change_counter",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("value", sa.BigInteger(), nullable=False),
            sa.Column("floor", sa.BigInteger(), nullable=False),
            sa.Column("database_id", sa.String(length=32), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        row = {"id": 1, "value": 0, "floor": 0, "database_id": secrets.token_hex(8)}
        op.bulk_insert(counter, [row])
    if "client_exits" not in tables:
        op.create_table(
            "client_exits",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("client_id", sa.Integer(), nullable=False),
            sa.Column("team_key", sa.String(length=200), nullable=False),
            sa.Column("hidden", sa.Boolean(), nullable=False),
            sa.Column("seq", sa.BigInteger(), nullable=True),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_client_exits_seq", "client_exits", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_client_exits_seq", table_name="client_exits")
    op.drop_table("client_exits")
    op.drop_table("change_counter")
    for table, index in INDEXED.items():
        op.drop_index(index, table_name=table)
    for table in TRACKED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("change_seq")
