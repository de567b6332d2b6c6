"""The client row's copies of its teams and integrations, kept in sync with their tables.

``clients.team_key`` ("|1|2|") lets visibility be checked without a subquery;
``team_names`` and ``integration_names`` ("\\x1f"-joined) fill the list's columns without
joins. Every endpoint that changes a client's teams or integrations calls :func:`refresh`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from lucy_server import db

SEPARATOR = "\x1f"


def team_key(team_ids: Iterable[int]) -> str:
    ids = sorted(set(team_ids))
    return "|" + "|".join(str(i) for i in ids) + "|" if ids else ""


def join_names(names: Iterable[str]) -> str:
    return SEPARATOR.join(names)


def split_names(text: str | None) -> list[str]:
    return text.split(SEPARATOR) if text else []


def refresh(conn: Connection, client_id: int) -> None:
    """Recompute the client's denormalised team and integration columns."""
    team_rows = conn.execute(
        select(db.teams.c.id, db.teams.c.name)
        .join(db.client_teams, db.client_teams.c.team_id == db.teams.c.id)
        .where(db.client_teams.c.client_id == client_id)
        .order_by(db.teams.c.name)
    ).all()
    i = db.integrations
    package = conn.scalar(
        select(i.c.short_name)
        .join(db.client_integrations, db.client_integrations.c.accounting_package == i.c.id)
        .where(db.client_integrations.c.client_id == client_id)
    )
    destinations = conn.scalars(
        select(i.c.short_name)
        .join(db.client_destinations, db.client_destinations.c.integration_id == i.c.id)
        .where(db.client_destinations.c.client_id == client_id)
        .order_by(i.c.position)
    ).all()
    names = ([package] if package else []) + list(destinations)
    conn.execute(
        update(db.clients)
        .where(db.clients.c.id == client_id)
        .values(
            team_key=team_key(r.id for r in team_rows),
            team_names=join_names(r.name for r in team_rows),
            integration_names=join_names(names),
        )
    )
