"""Which clients a staff member may see, as SQL (applied to every query of clients).

Admins see every client. An employee sees a client when it is not hidden and, when the
client is assigned to teams, the employee belongs to one of them; a client assigned to
no team is visible to all staff. Anything invisible answers 404.

The team test reads ``clients.team_key`` ("|1|2|", kept in sync with ``client_teams`` by
:mod:`lucy_server.denorm`), so the big client list needs no subquery per row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, Table, and_, false, or_, select, true
from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_server.auth import Principal
from lucy_server.errors import not_found
from lucy_tui.api.models import MAX_ID


def visible_clause(principal: Principal, table: Table = db.clients) -> ColumnElement[bool]:
    """The rule over ``table``'s ``team_key`` and ``hidden`` (the clients, or a client's
    previous visibility kept by :func:`lucy_server.changes.record_exit`)."""
    if principal.is_admin:
        return true()
    key = table.c.team_key
    team_rule = or_(
        key == "",
        *(key.contains(f"|{team_id}|") for team_id in sorted(principal.team_ids)),
    )
    return and_(table.c.hidden == false(), team_rule)


def possible_id(value: int) -> bool:
    """Whether a row can have this id (a larger number cannot even be put in a query)."""
    return 0 < value <= MAX_ID


def visible_client(
    conn: Connection, principal: Principal, client_id: int, *, lock: bool = False
) -> Row[Any]:
    """The client's row, or 404 when it does not exist or is invisible to this staff.

    ``lock`` (in write transactions) takes the row lock on databases that have one
    (``SELECT ... FOR UPDATE``), so changes of one client file are serialised; SQLite's
    ``BEGIN IMMEDIATE`` already serialises every write.
    """
    if not possible_id(client_id):
        raise not_found("Client")
    query = select(db.clients).where(db.clients.c.id == client_id, visible_clause(principal))
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise not_found("Client")
    return row
