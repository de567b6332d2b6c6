"""Alembic's environment: run the migrations over the connection that
:func:`lucy_server.migrations.migrate` opened, locked and began (one transaction for all)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from lucy_server import db


def _render_item(kind: str, item: Any, _context: Any) -> str | Literal[False]:
    """Autogenerate writes a timestamp as the type it is stored as (a migration does not
    depend on lucy_server.db's own types)."""
    if kind == "type" and isinstance(item, db.UTCDateTime):
        return "sa.DateTime()"
    return False


connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only lucy_server.migrations runs this
    raise RuntimeError("run the migrations through lucy_server.migrations.migrate")
context.configure(
    connection=connection,
    # what autogenerate (`python -m lucy_server.migrations revision --autogenerate`) and the
    # schema test compare the database with
    target_metadata=db.metadata,
    # SQLite alters a table by copying it: autogenerate writes batch_alter_table blocks
    render_as_batch=True,
    render_item=_render_item,
)
with context.begin_transaction():  # the caller's transaction: nothing of its own
    context.run_migrations()
