"""The audit trail, read only: a client's history and, for admins, the whole firm's log.

Both are paged newest first by a cursor: ``after=`` the ``next`` of the page before
(the id of its last record), so a record written while someone pages never shifts or
repeats the rows they are reading. Nothing here (or anywhere) edits or deletes a record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from lucy_server import audit, db
from lucy_server.auth import CurrentStaff, require_admin
from lucy_server.errors import field_error
from lucy_server.params import PathId, StrictInt
from lucy_server.responses import CLIENT_READ, LIST, errors
from lucy_server.state import get_state
from lucy_server.visibility import visible_client
from lucy_tui.api.models import (
    DEFAULT_PAGE_SIZE,
    MAX_ID,
    MAX_PAGE_SIZE,
    AuditKind,
    AuditPage,
)

router = APIRouter()

After = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="The next of the page before (the id of its last record)"),
    StrictInt,
]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE), StrictInt]
Kinds = Annotated[list[AuditKind] | None, Query(description="One or more kinds")]


def _utc(value: datetime | None, name: str) -> datetime | None:
    """A moment of the query as UTC (one without an offset is UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first representable moment
        raise field_error(name, "This moment is out of range") from None


def _page(request: Request, filters: audit.Filters, after: int | None, size: int) -> AuditPage:
    with db.read_tx(get_state(request).engine) as conn:
        total = (
            conn.scalar(select(func.count()).select_from(db.audit_log).where(*audit.where(filters)))
            or 0
        )
        items, cursor = audit.read_page(conn, filters, after=after, limit=size)
    return AuditPage(items=items, total=total, next=cursor)


@router.get(
    "/clients/{client_id}/history",
    response_model=AuditPage,
    responses=CLIENT_READ,
)
def client_history(
    client_id: PathId,
    principal: CurrentStaff,
    request: Request,
    kind: Kinds = None,
    after: After = None,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> AuditPage:
    """What was changed in this client's file, by whom and when, the newest first."""
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
    filters = audit.Filters(client_id=client_id, kinds=tuple(kind or ()))
    return _page(request, filters, after, page_size)


@router.get("/audit", response_model=AuditPage, responses={**LIST, **errors(403)})
def firm_audit(
    principal: CurrentStaff,
    request: Request,
    staff_id: Annotated[int | None, Query(ge=1, le=MAX_ID), StrictInt] = None,
    client_id: Annotated[int | None, Query(ge=1, le=MAX_ID), StrictInt] = None,
    kind: Kinds = None,
    since: Annotated[datetime | None, Query(description="At or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Before (ISO 8601)")] = None,
    after: After = None,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> AuditPage:
    """The whole firm's audit trail (admins only), the newest first, filtered by staff
    member, client, kind and time (``since`` <= at < ``until``)."""
    require_admin(principal, "read the firm's audit trail")
    filters = audit.Filters(
        staff_id=staff_id,
        client_id=client_id,
        kinds=tuple(kind or ()),
        since=_utc(since, "since"),
        until=_utc(until, "until"),
    )
    return _page(request, filters, after, page_size)
