"""The write side of the change numbers (:mod:`lucy_server.changes` is the read side).

Every write transaction of :func:`lucy_server.db.write_tx` is tracked on its connection
(:func:`begin`, :func:`end`). A row of a tracked table written in it gets the transaction's
*marker* in ``change_seq`` (a negative number of its own: the column's default and
``onupdate`` are :func:`column_default`). Just before the commit, :func:`stamp` takes the
next number from the counter row (``change_counter``, locked until the commit, so numbers
follow commit order) and puts it in place of the marker: in the clients written, and in the
clients that show a written row of :data:`DEPENDENT_TABLES` (their Peppol lookup, their
contact, one of their teams).

This module imports nothing of the server's (its tables come from the written columns'
own metadata), so that :mod:`lucy_server.db` can use it: the read side, which needs the
tables and the staff's visibility, imports :mod:`lucy_server.db` and this.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, MetaData, Table, insert, or_, select, update
from sqlalchemy.engine import Connection

UNTRACKED = 2**62  # the number of a write made past the tracking: newer than every token
COUNTER_ID = 1
_INFO_KEY = "lucy_changes"
# the tables whose rows a client's list row shows besides its own (and change_seq's table)
DEPENDENT_TABLES = ("peppol_lookups", "staff", "teams")


@dataclass
class ChangeSet:
    """The open write transaction's marker and the tracked tables it was written to."""

    marker: int | None = None
    tables: set[str] = field(default_factory=set)
    metadata: MetaData | None = None


def begin(conn: Connection) -> None:
    """Track the changes of the write transaction that starts on ``conn``."""
    conn.info[_INFO_KEY] = ChangeSet()


def end(conn: Connection) -> None:
    conn.info.pop(_INFO_KEY, None)


def marker(conn: Connection, table: Table) -> int:
    """The marker this transaction writes into ``table``'s change number (:data:`UNTRACKED`
    outside :func:`lucy_server.db.write_tx`)."""
    changes: ChangeSet | None = conn.info.get(_INFO_KEY)
    if changes is None:
        return UNTRACKED
    if changes.marker is None:
        changes.marker = -1 - secrets.randbits(52)
    changes.tables.add(table.name)
    changes.metadata = table.metadata
    return changes.marker


def column_default(context: Any) -> int:
    """``change_seq``'s default and ``onupdate``: the transaction's marker."""
    return marker(context.root_connection, context.current_column.table)


def _shown_by_clients(metadata: MetaData, name: str, mark: int) -> ColumnElement[bool]:
    """The clients whose list row shows a row of ``name`` written with ``mark``."""
    t = metadata.tables
    clients = t["clients"]
    if name == "peppol_lookups":
        lookups = t[name]
        return clients.c.id.in_(select(lookups.c.client_id).where(lookups.c.change_seq == mark))
    if name == "staff":
        staff = t[name]
        return clients.c.contact_id.in_(select(staff.c.id).where(staff.c.change_seq == mark))
    teams, client_teams = t["teams"], t["client_teams"]
    return clients.c.id.in_(
        select(client_teams.c.client_id)
        .join(teams, teams.c.id == client_teams.c.team_id)
        .where(teams.c.change_seq == mark)
    )


def _seq_column(table: Table) -> Any:
    return table.c.seq if table.name == "client_exits" else table.c.change_seq


def stamp(conn: Connection) -> None:
    """Just before the commit: number this transaction's changes."""
    changes: ChangeSet | None = conn.info.get(_INFO_KEY)
    if changes is None or changes.marker is None or changes.metadata is None:
        return
    mark, metadata = changes.marker, changes.metadata
    seq = next_number(conn, metadata)
    clients = metadata.tables["clients"]
    shown = [
        _shown_by_clients(metadata, name, mark)
        for name in DEPENDENT_TABLES
        if name in changes.tables
    ]
    conn.execute(
        update(clients).where(or_(clients.c.change_seq == mark, *shown)).values(change_seq=seq)
    )
    for name in sorted(changes.tables - {"clients"}):
        column = _seq_column(metadata.tables[name])
        conn.execute(update(column.table).where(column == mark).values({column.name: seq}))
    changes.marker = None
    changes.tables.clear()


def next_number(conn: Connection, metadata: MetaData) -> int:
    """The next change number; the counter row stays locked until the commit."""
    k = metadata.tables["change_counter"]
    bumped = conn.execute(
        update(k).where(k.c.id == COUNTER_ID).values(value=k.c.value + 1)
    ).rowcount
    if not bumped:
        ensure_counter(conn, metadata)
        conn.execute(update(k).where(k.c.id == COUNTER_ID).values(value=k.c.value + 1))
    return int(conn.scalar(select(k.c.value).where(k.c.id == COUNTER_ID)) or 0)


def ensure_counter(conn: Connection, metadata: MetaData) -> None:
    """The counter row, made once per database with the database's random id."""
    k = metadata.tables["change_counter"]
    if conn.scalar(select(k.c.id).where(k.c.id == COUNTER_ID)) is None:
        conn.execute(
            insert(k).values(id=COUNTER_ID, value=0, floor=0, database_id=secrets.token_hex(8))
        )
