"""The storage of the reference backend: SQLAlchemy 2 Core tables and the engine factory.

SQLite is the default (a plain file path); any SQLAlchemy URL works, and PostgreSQL
(``postgresql+psycopg://...``, psycopg 3) serves a whole firm. Reads run in deferred
transactions, writes in ``BEGIN IMMEDIATE`` ones on SQLite so that concurrent writers queue on
the busy timeout instead of failing when a read transaction upgrades; on PostgreSQL writes
take one advisory lock to the same effect (:func:`_configure_postgresql`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine, make_url
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import DateTime, TypeDecorator

from lucy_server import tracking


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()


def change_seq_column() -> Column[Any]:
    """The number of the last write transaction that changed the row (lucy_server.tracking;
    its default and ``onupdate`` write the transaction's marker)."""
    return Column(
        "change_seq",
        BigInteger,
        default=tracking.column_default,
        onupdate=tracking.column_default,
    )


# --- staff, teams, sessions ---------------------------------------------------------------

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    change_seq_column(),  # a renamed team changes the list rows of its clients
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    # stored lowercased; compared by validation.email_key (auth.find_staff)
    Column("email", String(254), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(300), nullable=False),
    change_seq_column(),  # a renamed contact changes the list rows of the clients
)

staff_teams = Table(
    "staff_teams",
    metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

# --- clients ------------------------------------------------------------------------------

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    # the folded name (folding.fold), the list's order; compared by code point ("C") on
    # PostgreSQL too, whose default collation orders by a language's rules (migration 0005)
    Column(
        "sort_name",
        String(200).with_variant(String(200, collation="C"), "postgresql"),
        nullable=False,
    ),
    Column("enterprise_number", String(12), nullable=False, unique=True),  # 0123.456.749
    Column("vat_number", String(12), nullable=False),  # BE0123456749
    Column("status", String(20), nullable=False),
    Column("plan", String(20), nullable=False),
    Column("trial_ends_on", Date),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("contact_id", ForeignKey("staff.id", ondelete="SET NULL")),
    # no longer written: merged into contact_id (migration 0001's upgrade_data); kept because
    # SQLite cannot drop a column that references another table
    Column("client_contact_id", ForeignKey("staff.id", ondelete="SET NULL")),
    Column("street", String(200), nullable=False, default=""),
    Column("postal_code", String(20), nullable=False, default=""),
    Column("city", String(100), nullable=False, default=""),
    Column("country", String(2), nullable=False, default="BE"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("invited_at", UTCDateTime),
    Column("invitation_expires_at", UTCDateTime),
    Column("activated_at", UTCDateTime),
    # summary columns kept in sync by the endpoints that change their source
    Column("inbox_count", Integer, nullable=False, default=0),
    # added after the first release (migration 0001 fills it in): the Failed documents
    Column("failed_count", Integer, default=0),
    Column("peppol_sending", Boolean, nullable=False, default=False),
    Column("peppol_receiving", Boolean, nullable=False, default=False),
    # denormalised from client_teams and the client's integrations, so that a page of the
    # client list is one query: "|1|2|" (the team ids, for visibility), the team names and
    # the integrations' short names joined by "\x1f" (see lucy_server.denorm)
    Column("team_key", String(200), nullable=False, default=""),
    Column("team_names", Text, nullable=False, default=""),
    Column("integration_names", Text, nullable=False, default=""),
    Column("version", Integer, nullable=False, default=1),
    Column("senders_version", Integer, nullable=False, default=1),
    change_seq_column(),  # GET /clients?changed_since= (lucy_server.changes)
    # covers the list's order and the visibility test, so paging skips rows in the index
    Index("ix_clients_list", "sort_name", "id", "hidden", "team_key"),
    Index("ix_clients_change_seq", "change_seq"),
)

# The change numbers' counter (one row, lucy_server.changes): ``database_id`` tells this
# database's tokens from another's; tokens below ``floor`` name forgotten exits (reset).
change_counter = Table(
    "change_counter",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("floor", BigInteger, nullable=False),
    Column("database_id", String(32), nullable=False),
)

# A client that may have left someone's view (hidden, other teams, deleted), with the
# visibility it had until then: GET /clients?changed_since= names it as removed to those
# who could see it. No foreign key: it outlives a deleted client.
client_exits = Table(
    "client_exits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", Integer, nullable=False),
    Column("team_key", String(200), nullable=False),
    Column("hidden", Boolean, nullable=False),
    Column("seq", BigInteger),
    Column("at", UTCDateTime, nullable=False, default=lambda: datetime.now(UTC)),
    Index("ix_client_exits_seq", "seq"),
)

client_teams = Table(
    "client_teams",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_client_teams_team", "team_id", "client_id"),
)

client_users = Table(
    "client_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("email", String(254), nullable=False),
    # validation.email_key (NFKC, casefolded), for uniqueness; rows of older versions hold
    # the address lowercased, so the check also compares the addresses themselves
    Column("email_key", String(254), nullable=False),
    Column("status", String(20), nullable=False),
    Column("invited_at", UTCDateTime),
    UniqueConstraint("client_id", "email_key", name="uq_client_users_email"),
)

peppol_registrations = Table(
    "peppol_registrations",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("participant_id", String(40), nullable=False),
    Column("sending", Boolean, nullable=False, default=False),
    Column("receiving", Boolean, nullable=False, default=False),
    Column("registered_elsewhere", Boolean, nullable=False, default=False),
    Column("other_provider", String(100)),
    Column("version", Integer, nullable=False, default=1),
)

# What the Peppol network said about a client (lucy_server.peppol): the last good result
# (state, provider... and checked_at) and, apart from it, the latest failure: a failed lookup
# never changes the last good result, it only makes it stale. No row: never checked.
peppol_lookups = Table(
    "peppol_lookups",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("state", String(30)),  # the last good state; NULL while none was found
    Column("participant_id", String(40)),
    Column("provider", String(200)),
    Column("seat_id", String(200)),
    Column("smp_host", String(300)),
    Column("access_point_url", String(500)),
    Column("note", String(300)),  # what could not be read in the last good result
    Column("checked_at", UTCDateTime),
    Column("failed_at", UTCDateTime),  # the latest lookup failed at (NULL: it did not)
    Column("failure", String(300)),
    change_seq_column(),  # the list shows the lookup's state
    Index("ix_peppol_lookups_change_seq", "change_seq"),
)

allowed_senders = Table(
    "allowed_senders",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("email", String(254), nullable=False),
)

# --- documents and deliveries -------------------------------------------------------------

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("date", Date, nullable=False),
    Column("counterparty", String(200), nullable=False),
    Column("type", String(20)),
    Column("direction", String(20), nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("currency", String(3), nullable=False, default="EUR"),
    Column("source", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("failure_reason", Text),
    Column("sent_at", UTCDateTime),
    Column("destination", String(100)),
    # set by demo data: the destination rejects this document whatever is tried
    Column("reject_reason", Text),
    Index("ix_documents_client_date", "client_id", "date", "id"),
    Index("ix_documents_client_status", "client_id", "status"),
    # the firm-wide lists (GET /documents?status=...), paged in id order
    Index("ix_documents_status_id", "status", "id"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", Integer, nullable=False),
    Column("integration_id", String(40)),
    Column("kind", String(10)),
    Column("staff_id", Integer),
    Column("performed_at", UTCDateTime, nullable=False),
    Column("success", Boolean, nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_deliveries_document", "document_id"),
)

# --- integrations -------------------------------------------------------------------------

integrations = Table(
    "integrations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("short_name", String(20), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("category", String(20), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("position", Integer, nullable=False),
)

client_integrations = Table(
    "client_integrations",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("accounting_package", ForeignKey("integrations.id")),
    Column("version", Integer, nullable=False, default=1),
)

client_destinations = Table(
    "client_destinations",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("integration_id", ForeignKey("integrations.id"), primary_key=True),
)

# --- vault, banking, invoice settings -----------------------------------------------------

vault_files = Table(
    "vault_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("category", String(20), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("uploaded_by", String(200), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Index("ix_vault_files_client", "client_id", "id"),
)

bank_connections = Table(
    "bank_connections",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("provider", String(40), nullable=False, default="Codabox"),
    Column("connected_at", UTCDateTime, nullable=False),
)

bank_accounts = Table(
    "bank_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("iban", String(34), nullable=False),
    Column("bic", String(11)),
    Column("bank", String(100), nullable=False),
    Column("holder", String(200), nullable=False),
    Column("account_type", String(20), nullable=False),
    Column("mandate_status", String(20), nullable=False),
    Column("mandate_date", Date),
    Column("last_statement_date", Date),
    Index("ix_bank_accounts_client", "client_id"),
)

invoice_settings = Table(
    "invoice_settings",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("legal_name", String(200), nullable=False, default=""),
    Column("street", String(200), nullable=False, default=""),
    Column("postal_code", String(20), nullable=False, default=""),
    Column("city", String(100), nullable=False, default=""),
    Column("country", String(2), nullable=False, default="BE"),
    Column("vat_number", String(14), nullable=False, default=""),
    Column("enterprise_number", String(12), nullable=False, default=""),
    Column("iban", String(34), nullable=False, default=""),
    Column("bic", String(11), nullable=False, default=""),
    Column("email", String(254), nullable=False, default=""),
    Column("phone", String(40), nullable=False, default=""),
    Column("next_number", Integer, nullable=False, default=1),
    Column("number_format", String(40), nullable=False),
    Column("payment_term_days", Integer, nullable=False, default=30),
    Column("default_vat_rate", Integer, nullable=False, default=21),
    Column("language", String(2), nullable=False, default="nl"),
    Column("footer", Text, nullable=False, default=""),
    Column("numbering_locked", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=1),
)

# --- idempotency --------------------------------------------------------------------------

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status_code", Integer),  # NULL while the first request is in progress
    Column("content_type", String(100)),
    Column("headers", Text),  # JSON object of replayed headers (ETag, Location)
    Column("body", LargeBinary),
    # added after the first release (see migration 0001): the request's sha256 fingerprint
    # (method, path, staff, body) and the server instance that claimed the key
    Column("fingerprint", String(64)),
    Column("instance_id", String(32)),
    UniqueConstraint("staff_id", "key", name="uq_idempotency_staff_key"),
)

# One row per server process that ran against this database (lucy_server.instances): an
# in-progress idempotency claim of an instance known to be gone can be taken over at once.
server_instances = Table(
    "server_instances",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("host", String(300), nullable=False),  # hostname, boot id, pid namespace
    Column("pid", Integer, nullable=False),
    Column("process_started", String(40)),  # the process's start as the OS tells it
    Column("started_at", UTCDateTime, nullable=False),
)

# Failed sign-ins (lucy_server.ratelimit), shared by every server process: one row per try
# that reached the password check and did not succeed (yet). Rows older than the longest
# window are deleted as new ones come, and the table is bounded (ratelimit.MAX_ROWS).
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    # the normalised address tried; NULL once a right password from this source reset the
    # account's count there (the row still counts against the source)
    Column("account", String(320)),
    Column("source", String(100), nullable=False),  # the client's network address
    Column("at", UTCDateTime, nullable=False),
    Index("ix_login_failures_source", "source", "at"),
    Index("ix_login_failures_account", "account", "source", "at"),
    Index("ix_login_failures_at", "at"),
)

# --- audit trail --------------------------------------------------------------------------

# Who changed what (lucy_server.audit): one row per change, written in the change's own
# transaction; append-only (nothing in the server updates or deletes a row). No foreign
# keys: a record outlives what it names, and keeps the names it had at the time.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("staff_id", Integer),  # NULL: the server itself
    Column("staff_name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("client_id", Integer),  # NULL: a change of no one client's
    Column("client_name", String(200)),
    Column("before", Text),  # JSON object of the changed fields as they were (or NULL)
    Column("after", Text),  # ... and as they became
    Index("ix_audit_log_client", "client_id", "id"),
    Index("ix_audit_log_staff", "staff_id", "id"),
    Index("ix_audit_log_kind", "kind", "id"),
    Index("ix_audit_log_at", "at", "id"),
)

# --- engine -------------------------------------------------------------------------------


def _is_url(value: str) -> bool:
    return "://" in value or value.startswith("sqlite:")


def make_engine(url_or_path: str | os.PathLike[str]) -> Engine:
    """An engine over a SQLAlchemy URL or a plain SQLite file path.

    SQLite runs with WAL, foreign keys, a 30 s busy timeout and connections usable from
    any thread (FastAPI runs sync endpoints in a thread pool).
    """
    text = os.fspath(url_or_path)
    if _is_url(text):
        url = text
    else:
        path = Path(text).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite+pysqlite:///{path.resolve()}"
    if url.startswith("sqlite"):
        if make_url(url).database in (None, "", ":memory:"):
            # one in-memory database: a single connection, handed to one thread at a time
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False},
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=0,
                pool_recycle=-1,
            )
        else:
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=8,
                max_overflow=24,
            )
        _configure_sqlite(engine)
        return engine
    if make_url(url).get_backend_name() == "postgresql":
        # at most 15 connections a process: `serve --workers 4` stays well under
        # PostgreSQL's default max_connections (100); writes queue on one lock anyway
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        _configure_postgresql(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


# pg_advisory_xact_lock's key of the firm's write lock ("lucy" in ASCII)
WRITE_LOCK_KEY = 0x6C756379


class _UncastInteger(Integer):
    render_bind_cast = False


class _UncastBigInteger(BigInteger):
    render_bind_cast = False


class _UncastSmallInteger(SmallInteger):
    render_bind_cast = False


def _configure_postgresql(engine: Engine) -> None:
    """The transactions of :func:`read_tx` and :func:`write_tx` on PostgreSQL.

    A write transaction takes the firm's write lock first (a transaction-level advisory lock,
    freed at commit or rollback), then reads and writes in READ COMMITTED: so writers run one
    at a time and each sees everything committed before it, as under SQLite's
    ``BEGIN IMMEDIATE``. Every read-modify-write of the server (a version check and its
    update, an idempotency claim, a send and its delivery rows) relies on that, and stays
    correct with several server processes on one database. A wait for the lock (or any
    lock) ends after 30 s with an error, like SQLite's busy timeout.

    A read transaction is REPEATABLE READ: one snapshot for all its statements (a page and
    its total agree), never blocked by writers.

    Integers are sent without the ``::INTEGER`` cast SQLAlchemy's psycopg dialect puts on
    them, psycopg typing each by its size: ``id = 9007199254740991`` (an id the API takes,
    past an INTEGER column's range) then finds no row, as on SQLite, instead of failing with
    "integer out of range" (a 500) before the query runs.
    """
    engine.dialect.colspecs = {
        **engine.dialect.colspecs,
        Integer: _UncastInteger,
        BigInteger: _UncastBigInteger,
        SmallInteger: _UncastSmallInteger,
    }

    @event.listens_for(engine, "do_connect")
    def _on_connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        if "options" not in cparams:
            cparams["options"] = "-c lock_timeout=30000 -c TimeZone=UTC"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("lucy_write"):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
        else:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (deferred or immediate).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("lucy_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A read transaction (a consistent snapshot)."""
    with engine.connect() as conn, conn.begin():
        yield conn


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction; it takes the write lock at once (SQLite: BEGIN IMMEDIATE,
    PostgreSQL: the firm's advisory lock, see :func:`_configure_postgresql`), so writers
    queue and a read-modify-write inside it sees no concurrent change."""
    with engine.connect() as conn:
        conn.execution_options(lucy_write=True)
        tracking.begin(conn)
        try:
            with conn.begin():
                yield conn
                tracking.stamp(conn)  # numbers what changed, just before the commit
        finally:
            tracking.end(conn)


def sync_sequences(conn: Connection) -> None:
    """After rows were inserted with explicit ids (the demo seed): move each id sequence past
    the highest id, so that the next insert without an id does not take a used one.

    Only PostgreSQL needs it (a SERIAL column's sequence does not see explicit ids); SQLite
    gives a new row the highest id plus one anyway."""
    if conn.dialect.name != "postgresql":
        return
    present = set(inspect(conn).get_table_names())
    for table in metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if table.name not in present or len(key) != 1 or not isinstance(key[0].type, Integer):
            continue
        column = key[0].name
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column}'), "
            f'COALESCE((SELECT max("{column}") FROM {table.name}), 0) + 1, false)'
        )


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT made."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every insert here has an integer key
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])
