"""Rows to wire models: client summaries (set-based, for the big list) and client details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_server.denorm import split_names
from lucy_server.errors import not_found
from lucy_server.paging import Order, SortKey
from lucy_tui.api.models import Address, ClientDetail, Team
from lucy_tui.api.row_columns import CLIENT_ROW_COLUMNS

LUCY_EMAIL_DOMAIN = "app.getlucy.ai"

_c = db.clients
_contact = db.staff.alias("contact")
_lookup = db.peppol_lookups

SUMMARY_COLUMNS = (
    _c.c.id,
    _c.c.name,
    _c.c.enterprise_number,
    _c.c.vat_number,
    _c.c.contact_id,
    _contact.c.name.label("contact_name"),
    _c.c.status,
    _c.c.peppol_sending,
    _c.c.peppol_receiving,
    _c.c.inbox_count,
    func.coalesce(_c.c.failed_count, 0).label("failed_count"),
    _c.c.plan,
    _c.c.trial_ends_on,
    _c.c.hidden,
    _c.c.version,
    _c.c.team_names,
    _c.c.integration_names,
    _lookup.c.state.label("peppol_state"),
    _lookup.c.failed_at.label("peppol_failed_at"),
)

_SUMMARY_NAMES = frozenset(column.name for column in SUMMARY_COLUMNS)

SUMMARY_FROM = _c.outerjoin(_contact, _contact.c.id == _c.c.contact_id).outerjoin(
    _lookup, _lookup.c.client_id == _c.c.id
)


def peppol_network(state: str | None, failed_at: object) -> dict[str, Any]:
    """A client's Peppol network fields of the list: the last good lookup's state (else the
    failure, else unchecked), and whether a later lookup failed (that result is stale)."""
    if state is not None:
        return {"peppol_network": state, "peppol_stale": failed_at is not None}
    failed = failed_at is not None
    return {"peppol_network": "lookup_failed" if failed else "unchecked", "peppol_stale": False}


def lucy_email(vat_number: str) -> str:
    return f"{vat_number.lower()}@{LUCY_EMAIL_DOMAIN}"


def summary_dicts(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Client-list rows as ClientSummary dicts (the names are denormalised on the row)."""
    if not rows:
        return []
    keys = list(rows[0]._fields)
    items = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["team_names"] = split_names(item["team_names"])
        item["integrations"] = split_names(item.pop("integration_names"))
        item.update(peppol_network(item.pop("peppol_state"), item.pop("peppol_failed_at")))
        items.append(item)
    return items


NAME_ORDER = Order("name", (SortKey(_c.c.sort_name, "sort_name"), SortKey(_c.c.id, "id")))
"""The client list's order: the folded name (accents and case left out), then the id."""


def client_summaries(
    conn: Connection,
    where: Sequence[ColumnElement[bool]],
    *,
    limit: int,
    offset: int = 0,
    order: Order = NAME_ORDER,
) -> list[dict[str, Any]]:
    """One page of the client list in ``order`` (each row also has the order's keys, such
    as ``sort_name``: the key of the list's cursor).

    The page's ids are picked from the order's index first (``ix_clients_list`` for the
    name): after a cursor (a ``where``) the scan starts at the cursor's row, and the rows
    skipped by an offset are never read from the table.
    """
    return summary_dicts(_summary_rows(conn, where, limit=limit, offset=offset, order=order))


def _summary_rows(
    conn: Connection,
    where: Sequence[ColumnElement[bool]],
    *,
    limit: int,
    offset: int = 0,
    order: Order = NAME_ORDER,
) -> Sequence[Any]:
    page_ids = (
        select(_c.c.id)
        .where(*where)
        .order_by(*order.order_by())
        .limit(limit)
        .offset(offset)
        .subquery("page_ids")
    )
    keys = [k.column for k in order.keys if k.name not in _SUMMARY_NAMES]
    rows = conn.execute(
        select(*SUMMARY_COLUMNS, *keys)
        .select_from(
            page_ids.join(_c, _c.c.id == page_ids.c.id)
            .outerjoin(_contact, _contact.c.id == _c.c.contact_id)
            .outerjoin(_lookup, _lookup.c.client_id == _c.c.id)
        )
        .order_by(*order.order_by())
    ).all()
    return rows


ROW_COLUMNS = CLIENT_ROW_COLUMNS  # the columns of GET /client-rows (shared with the app)


def client_row_arrays(
    conn: Connection, where: Sequence[ColumnElement[bool]], *, limit: int
) -> tuple[list[list[Any]], list[Any] | None]:
    """Rows of the client list (by name), as :func:`client_summaries` reads them, each an
    array of :data:`ROW_COLUMNS` (JSON's types: a date as ISO text); and the last row's
    sort key (for ``NAME_ORDER.after``), None when there is no row. No dict per row: the
    whole list is 50,000 of them."""
    rows = _summary_rows(conn, where, limit=limit)
    arrays = []
    # by position (a Row's attributes cost a lookup each): SUMMARY_COLUMNS' order
    for (
        client_id,
        name,
        enterprise_number,
        vat_number,
        _contact_id,
        contact_name,
        status,
        peppol_sending,
        peppol_receiving,
        inbox_count,
        failed_count,
        plan,
        trial_ends_on,
        hidden,
        version,
        team_names,
        integration_names,
        state,
        failed_at,
        *_sort_key,
    ) in rows:
        arrays.append(
            [
                client_id,
                name,
                enterprise_number,
                vat_number,
                contact_name,
                split_names(team_names),
                status,
                split_names(integration_names),
                peppol_sending,
                peppol_receiving,
                state
                if state is not None
                else ("lookup_failed" if failed_at is not None else "unchecked"),
                state is not None and failed_at is not None,
                inbox_count,
                failed_count,
                plan,
                trial_ends_on.isoformat() if trial_ends_on is not None else None,
                hidden,
                version,
            ]
        )
    last = NAME_ORDER.key_of(rows[-1]._mapping) if rows else None
    return arrays, last


def client_detail(conn: Connection, client_id: int) -> ClientDetail:
    row = conn.execute(
        select(
            *SUMMARY_COLUMNS,
            _c.c.street,
            _c.c.postal_code,
            _c.c.city,
            _c.c.country,
            _c.c.created_at,
            _c.c.invited_at,
            _c.c.invitation_expires_at,
            _c.c.activated_at,
        )
        .select_from(SUMMARY_FROM)
        .where(_c.c.id == client_id)
    ).first()
    if row is None:
        raise not_found("Client")
    team_rows = conn.execute(
        select(db.teams.c.id, db.teams.c.name)
        .join(db.client_teams, db.client_teams.c.team_id == db.teams.c.id)
        .where(db.client_teams.c.client_id == client_id)
        .order_by(db.teams.c.name)
    ).all()
    return ClientDetail(
        id=row.id,
        name=row.name,
        enterprise_number=row.enterprise_number,
        vat_number=row.vat_number,
        contact_id=row.contact_id,
        contact_name=row.contact_name,
        team_names=[t.name for t in team_rows],
        status=row.status,
        integrations=split_names(row.integration_names),
        peppol_sending=row.peppol_sending,
        peppol_receiving=row.peppol_receiving,
        inbox_count=row.inbox_count,
        failed_count=row.failed_count,
        plan=row.plan,
        trial_ends_on=row.trial_ends_on,
        hidden=row.hidden,
        version=row.version,
        **peppol_network(row.peppol_state, row.peppol_failed_at),
        address=Address(
            street=row.street, postal_code=row.postal_code, city=row.city, country=row.country
        ),
        lucy_email=lucy_email(row.vat_number),
        teams=[Team(id=t.id, name=t.name) for t in team_rows],
        created_at=row.created_at,
        invited_at=row.invited_at,
        invitation_expires_at=row.invitation_expires_at,
        activated_at=row.activated_at,
    )
