"""Databases as earlier versions left them, for the tests of the migrations (and of what
migration 0001 does to a database made before the migrations: test_one_contact,
test_firm_documents).

A database "made before the migrations" is one at revision 0001's schema without its
``alembic_version`` (and without what those versions added last): it is made by migrating a
new database to 0001, filling it, then taking those away, never by dropping
``alembic_version`` from a database at the head (which has later tables no such database
had).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.engine import Engine

from lucy_server import db, migrations

FIRST = "0001"


def reflected(engine: Engine) -> MetaData:
    """The database's tables as they are (not as db.metadata says), alembic_version aside."""
    found = MetaData()
    found.reflect(engine)
    if migrations.VERSION_TABLE in found.tables:
        found.remove(found.tables[migrations.VERSION_TABLE])
    return found


def made_up(table: Table, number: int, conn: Any) -> dict[str, Any]:
    """A row of made-up values for a table the seed leaves empty (sessions, deliveries...):
    a foreign key takes a row that exists, an integer key is left to the database."""
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key and not column.foreign_keys and column.type.python_type is int:
            continue  # the database's own key
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column
            row[column.name] = conn.scalar(select(target).order_by(target).limit(1))
            continue
        kind = column.type.python_type
        if kind is str:
            length = getattr(column.type, "length", None) or 40
            row[column.name] = f"{number}{column.name}"[:length]
        elif kind is bool:
            row[column.name] = number % 2 == 0
        elif kind is int:
            row[column.name] = number + 1
        elif kind is datetime:
            row[column.name] = datetime(2026, 11, 27, 9) + timedelta(hours=number)
        elif kind is date:
            row[column.name] = date(2026, 11, 27) + timedelta(days=number)
        elif kind is bytes:
            row[column.name] = bytes([number]) * 8
        else:  # pragma: no cover - a type this filler does not know yet
            raise AssertionError(f"no made-up value for {table.name}.{column.name}: {kind}")
    return row


def fill(engine: Engine, template: Path) -> None:
    """Every table of the database (at whatever revision) filled: the small demo firm's rows
    where its template has the table, made-up rows where it has none."""
    source = db.make_engine(template)
    firm = reflected(source)
    with db.write_tx(engine) as conn, source.connect() as read:
        for table in reflected(engine).sorted_tables:
            origin = firm.tables.get(table.name)
            rows: list[dict[str, Any]] = []
            if origin is not None:
                names = [c.name for c in table.columns if c.name in origin.c]
                rows = [
                    dict(r._mapping) for r in read.execute(select(*(origin.c[n] for n in names)))
                ]
            if not rows:
                rows = [made_up(table, number, conn) for number in range(3)]
            conn.execute(table.insert(), rows)
    source.dispose()


def make_it_premigration(engine: Engine) -> None:
    """What an earlier version (before the migrations) left: no alembic_version, no
    failed_count column, no ix_documents_status_id index, no server_instances table."""
    with db.write_tx(engine) as conn:
        conn.execute(text(f"DROP TABLE {migrations.VERSION_TABLE}"))
        conn.execute(text("DROP INDEX ix_documents_status_id"))
        conn.execute(text("ALTER TABLE clients DROP COLUMN failed_count"))
        conn.execute(text("DROP TABLE server_instances"))


def premigration_firm(database: str | os.PathLike[str], template: Path) -> None:
    """Make ``database`` (a new file or an empty database's URL) hold the demo firm of
    ``template`` as a version of Lucy from before the migrations left it."""
    engine = db.make_engine(database)
    try:
        migrations.migrate(engine, FIRST)
        fill(engine, template)
        make_it_premigration(engine)
    finally:
        engine.dispose()
