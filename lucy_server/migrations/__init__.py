"""The server's schema migrations (Alembic), and the cheap check that a database is current.

Every change of :data:`lucy_server.db.metadata` comes with a migration in ``versions/``;
README.md beside this file says how to add one (``python -m lucy_server.migrations
revision -m "what it does" --autogenerate``, which also moves :data:`HEAD`).

- :func:`migrate` brings a database to the newest revision (``lucy-server migrate``, the
  seed, the embedded default): an empty one gets the whole schema, one made before the
  migrations existed (tables, no ``alembic_version``) is adopted by revision 0001. It runs
  under a lock (SQLite's write lock, a PostgreSQL advisory lock), so two servers starting
  at once do not both migrate: the second waits, then finds nothing to do.
- :func:`check_current` is what ``create_app`` asks at every start: one read of the
  ``alembic_version`` row compared with :data:`HEAD`, without importing Alembic (which
  costs more than the rest of the start of the embedded default).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision: the last migration of versions/ (a test checks that they agree).
HEAD = "0005"

VERSION_TABLE = "alembic_version"
VERSIONS = Path(__file__).with_name("versions")
# The key of the PostgreSQL advisory lock that migrations run under ("lucymigr").
PG_LOCK_KEY = 0x6C7563796D696772


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema is: its revision, or none (``empty`` tells which kind)."""

    revision: str | None  # the alembic_version row; None: no such table, or no row
    empty: bool = False  # no revision and no table at all

    @property
    def current(self) -> bool:
        return self.revision == HEAD

    def describe(self) -> str:
        if self.revision is not None:
            return self.revision
        return "empty" if self.empty else "made before migrations"


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this server needs; the message says what to do."""

    def __init__(self, status: SchemaStatus, where: str) -> None:
        self.status = status
        self.where = where
        migrate = f"lucy-server migrate --db {where}"
        if status.empty:
            message = f"The database {where} has no schema yet: run `{migrate}` first"
        elif status.revision is not None and status.revision not in known_revisions():
            message = (
                f"The database {where} is at schema {status.revision}, which this version of "
                f"Lucy does not know (a newer version migrated it); this one needs {HEAD}"
            )
        else:
            message = (
                f"The database {where} is at schema {status.describe()}, this server needs "
                f"{HEAD}: back it up, then run `{migrate}`"
            )
        super().__init__(message)


def known_revisions() -> set[str]:
    """The revisions of versions/, by their files' names (``NNNN_slug.py``), without Alembic."""
    return {
        name.partition("_")[0]
        for name in os.listdir(VERSIONS)
        if name.endswith(".py") and name[:1].isdigit()
    }


def where(engine: Engine) -> str:
    """The database as a person names it: the file of a SQLite one, else the URL (no password)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return str(url.database)
    return url.render_as_string(hide_password=True)


def schema_status(engine: Engine) -> SchemaStatus:
    """The database's revision: one query when there is one (no Alembic import)."""
    with engine.connect() as conn:
        try:
            revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        except DBAPIError:  # no version table
            conn.rollback()
            revision = None
        if revision is not None:
            return SchemaStatus(str(revision))
        return _status(conn)


def _status(conn: Connection) -> SchemaStatus:
    """The status read inside a transaction without failing a statement (PostgreSQL would
    abort the transaction, and with it the lock)."""
    tables = set(inspect(conn).get_table_names())
    if VERSION_TABLE in tables:
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        if revision is not None:
            return SchemaStatus(str(revision))
    return SchemaStatus(None, empty=not (tables - {VERSION_TABLE}))


def check_current(engine: Engine, name: str | None = None) -> None:
    """Raise :class:`SchemaNotCurrent` unless the database is at :data:`HEAD`; ``name``: how
    the message names the database (default: its file or URL)."""
    status = schema_status(engine)
    if not status.current:
        raise SchemaNotCurrent(status, name or where(engine))


@dataclass(frozen=True)
class Migrated:
    """What :func:`migrate` did: the schema before, and the revision after."""

    before: SchemaStatus
    after: str

    @property
    def changed(self) -> bool:
        return self.before.revision != self.after


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, made here (no alembic.ini): the scripts are this package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "lucy_server:migrations")
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> Migrated:
    """Upgrade the database to ``revision`` (default: the newest), all in one transaction.

    SQLite: under the write lock (BEGIN IMMEDIATE), with foreign keys off while the tables
    change (a table that Alembic copies and drops would otherwise cascade its deletes into
    the rows that reference it) and checked before the commit. PostgreSQL: under an advisory
    lock. A second migrate waits for the first, then finds the database at its revision.
    Raises :class:`SchemaNotCurrent` for a revision this version does not know (a newer
    version migrated the database): nothing is changed.
    """
    from alembic import command

    with _locked(engine) as conn:
        before = _status(conn)
        if before.revision is not None and before.revision not in known_revisions():
            raise SchemaNotCurrent(before, where(engine))
        command.upgrade(alembic_config(conn), revision)
        after = _status(conn).revision
    if after is None:  # pragma: no cover - an upgrade always leaves a revision
        raise RuntimeError("the migration left no revision")
    return Migrated(before, after)


def ensure_current(engine: Engine) -> Migrated | None:
    """Migrate the database to :data:`HEAD` unless it is there (then: None, and no Alembic
    import): the seed's and the embedded default's step."""
    if schema_status(engine).current:
        return None
    return migrate(engine)


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        # a write transaction (db.write_tx): SQLite's BEGIN IMMEDIATE, PostgreSQL's write lock
        conn.execution_options(lucy_write=True)
        if engine.dialect.name != "sqlite":
            with conn.begin():
                if engine.dialect.name == "postgresql":  # also for an engine not of make_engine
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
                yield conn
            return
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, or it is ignored
        try:
            with conn.begin():
                yield conn
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
