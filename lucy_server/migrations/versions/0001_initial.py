"""The schema as it stood when the migrations began (issue 13); adopts older databases.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

An empty database gets every table. A database made before the migrations existed (its
tables, no ``alembic_version``) is adopted instead: the tables and indexes that a later
version added are created, the columns of :data:`ADDED_COLUMNS` added and filled in, and
the data brought to today's rules (:func:`upgrade_data`); it is then at 0001 like any
other. This replaces what ``db.create_schema`` did at every start before.

The tables are written out here, not taken from ``lucy_server.db.metadata``: a later change
of the metadata comes with a migration of its own and never changes this one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from lucy_tui.api.folding import fold

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Columns that versions before the migrations added to a table that already existed (their
# ADDED_COLUMNS), each with the SQL that fills it in for the rows that were there before.
ADDED_COLUMNS: dict[tuple[str, str], str | None] = {
    ("idempotency_records", "fingerprint"): None,
    ("idempotency_records", "instance_id"): None,
    ("clients", "failed_count"): (
        "UPDATE clients SET failed_count = (SELECT count(*) FROM documents "
        "WHERE documents.client_id = clients.id AND documents.status = 'failed')"
    ),
}


class _Schema:
    """Creates what the database lacks: everything in an empty one; in one made before the
    migrations, the tables, indexes and :data:`ADDED_COLUMNS` it does not have yet."""

    def __init__(self) -> None:
        self.inspector = sa.inspect(op.get_bind())
        self.tables = set(self.inspector.get_table_names()) - {"alembic_version"}

    @property
    def adopting(self) -> bool:
        return bool(self.tables)

    def create_table(self, name: str, *elements: Any) -> None:
        if name not in self.tables:
            op.create_table(name, *elements)
            return
        present = {column["name"] for column in self.inspector.get_columns(name)}
        for column in elements:
            if not isinstance(column, sa.Column) or column.name in present:
                continue
            if (name, column.name) not in ADDED_COLUMNS:
                raise RuntimeError(
                    f"{name}.{column.name} is missing, and no earlier version of Lucy left it "
                    "out: this database cannot be adopted"
                )
            op.add_column(name, column)
            backfill = ADDED_COLUMNS[name, column.name]
            if backfill:
                op.execute(backfill)

    def create_index(self, name: str, table: str, columns: list[str]) -> None:
        if table in self.tables and name in {i["name"] for i in self.inspector.get_indexes(table)}:
            return
        op.create_index(name, table, columns)


def upgrade() -> None:
    schema = _Schema()
    schema.create_table(
        "integrations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("short_name", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    schema.create_table(
        "server_instances",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=300), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("process_started", sa.String(length=40), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    schema.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    schema.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    schema.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sort_name", sa.String(length=200), nullable=False),
        sa.Column("enterprise_number", sa.String(length=12), nullable=False),
        sa.Column("vat_number", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("plan", sa.String(length=20), nullable=False),
        sa.Column("trial_ends_on", sa.Date(), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("client_contact_id", sa.Integer(), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=True),
        sa.Column("invitation_expires_at", sa.DateTime(), nullable=True),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.Column("inbox_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=True),
        sa.Column("peppol_sending", sa.Boolean(), nullable=False),
        sa.Column("peppol_receiving", sa.Boolean(), nullable=False),
        sa.Column("team_key", sa.String(length=200), nullable=False),
        sa.Column("team_names", sa.Text(), nullable=False),
        sa.Column("integration_names", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("senders_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_contact_id"], ["staff.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["contact_id"], ["staff.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_number"),
    )
    schema.create_index("ix_clients_list", "clients", ["sort_name", "id", "hidden", "team_key"])
    schema.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("instance_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("staff_id", "key", name="uq_idempotency_staff_key"),
    )
    schema.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    schema.create_table(
        "staff_teams",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("staff_id", "team_id"),
    )
    schema.create_table(
        "allowed_senders",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "position"),
    )
    schema.create_table(
        "bank_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("bank", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("account_type", sa.String(length=20), nullable=False),
        sa.Column("mandate_status", sa.String(length=20), nullable=False),
        sa.Column("mandate_date", sa.Date(), nullable=True),
        sa.Column("last_statement_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    schema.create_index("ix_bank_accounts_client", "bank_accounts", ["client_id"])
    schema.create_table(
        "bank_connections",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("connected_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    schema.create_table(
        "client_destinations",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
        ),
        sa.PrimaryKeyConstraint("client_id", "integration_id"),
    )
    schema.create_table(
        "client_integrations",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("accounting_package", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["accounting_package"],
            ["integrations.id"],
        ),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    schema.create_table(
        "client_teams",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "team_id"),
    )
    schema.create_index("ix_client_teams_team", "client_teams", ["team_id", "client_id"])
    schema.create_table(
        "client_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "email_key", name="uq_client_users_email"),
    )
    schema.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("counterparty", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=True),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("destination", sa.String(length=100), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    schema.create_index("ix_documents_client_date", "documents", ["client_id", "date", "id"])
    schema.create_index("ix_documents_client_status", "documents", ["client_id", "status"])
    schema.create_index("ix_documents_status_id", "documents", ["status", "id"])
    schema.create_table(
        "invoice_settings",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("vat_number", sa.String(length=14), nullable=False),
        sa.Column("enterprise_number", sa.String(length=12), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.Column("number_format", sa.String(length=40), nullable=False),
        sa.Column("payment_term_days", sa.Integer(), nullable=False),
        sa.Column("default_vat_rate", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("footer", sa.Text(), nullable=False),
        sa.Column("numbering_locked", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    schema.create_table(
        "peppol_lookups",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=True),
        sa.Column("participant_id", sa.String(length=40), nullable=True),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("seat_id", sa.String(length=200), nullable=True),
        sa.Column("smp_host", sa.String(length=300), nullable=True),
        sa.Column("access_point_url", sa.String(length=500), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("failure", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    schema.create_table(
        "peppol_registrations",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=40), nullable=False),
        sa.Column("sending", sa.Boolean(), nullable=False),
        sa.Column("receiving", sa.Boolean(), nullable=False),
        sa.Column("registered_elsewhere", sa.Boolean(), nullable=False),
        sa.Column("other_provider", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    schema.create_table(
        "vault_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    schema.create_index("ix_vault_files_client", "vault_files", ["client_id", "id"])
    schema.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("performed_at", sa.DateTime(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    schema.create_index("ix_deliveries_document", "deliveries", ["document_id"])

    if schema.adopting:
        upgrade_data(op.get_bind())


def upgrade_data(bind: sa.Connection) -> None:
    """Bring the data of a database made before the migrations to today's rules.

    - One contact person (issue 11): the client-facing contact, where one was set, becomes
      the client's contact (``contact_id``, the list's column); ``client_contact_id`` is no
      longer written and is emptied here.
    - Names sort without accents or case (``folding.fold``): ``sort_name`` made again
      where an older version casefolded only.
    """
    bind.exec_driver_sql(
        "UPDATE clients SET contact_id = client_contact_id, client_contact_id = NULL, "
        "version = version + 1 WHERE client_contact_id IS NOT NULL"
    )
    # Only a name with a character outside printable ASCII can have a stale key (for ASCII,
    # casefold is fold): SQLite finds those itself, so a firm's names are not all folded.
    query = "SELECT id, name, sort_name FROM clients"
    if bind.dialect.name == "sqlite":
        query += " WHERE name GLOB '*[^ -~]*'"
    stale = [
        {"row_id": row_id, "key": key}
        for row_id, name, sort_name in bind.exec_driver_sql(query)
        if sort_name != (key := fold(name))
    ]
    if stale:
        bind.execute(sa.text("UPDATE clients SET sort_name = :key WHERE id = :row_id"), stale)


def downgrade() -> None:
    op.drop_index("ix_deliveries_document", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_vault_files_client", table_name="vault_files")
    op.drop_table("vault_files")
    op.drop_table("peppol_registrations")
    op.drop_table("peppol_lookups")
    op.drop_table("invoice_settings")
    op.drop_index("ix_documents_status_id", table_name="documents")
    op.drop_index("ix_documents_client_status", table_name="documents")
    op.drop_index("ix_documents_client_date", table_name="documents")
    op.drop_table("documents")
    op.drop_table("client_users")
    op.drop_index("ix_client_teams_team", table_name="client_teams")
    op.drop_table("client_teams")
    op.drop_table("client_integrations")
    op.drop_table("client_destinations")
    op.drop_table("bank_connections")
    op.drop_index("ix_bank_accounts_client", table_name="bank_accounts")
    op.drop_table("bank_accounts")
    op.drop_table("allowed_senders")
    op.drop_table("staff_teams")
    op.drop_table("sessions")
    op.drop_table("idempotency_records")
    op.drop_index("ix_clients_list", table_name="clients")
    op.drop_table("clients")
    op.drop_table("teams")
    op.drop_table("staff")
    op.drop_table("server_instances")
    op.drop_table("integrations")
