"""A client's users: list, add (invite by email), remove (never the last one)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from lucy_server import audit, db
from lucy_server.auth import CurrentStaff
from lucy_server.errors import conflict, not_found
from lucy_server.paging import Paging, paged_list
from lucy_server.params import PathId
from lucy_server.responses import CLIENT_DELETE, CLIENT_POST, CLIENT_READ, errors
from lucy_server.routes.clients import name_from_email
from lucy_server.state import get_state
from lucy_server.visibility import possible_id, visible_client
from lucy_tui.api.models import AuditKind, ClientUser, ClientUserCreate, ClientUserStatus, Page
from lucy_tui.api.validation import email_key

router = APIRouter()
_u = db.client_users
_USER_COLUMNS = (_u.c.id, _u.c.name, _u.c.email, _u.c.status, _u.c.invited_at)


@router.get("/clients/{client_id}/users", response_model=Page[ClientUser], responses=CLIENT_READ)
def list_users(
    client_id: PathId, principal: CurrentStaff, paging: Paging, request: Request
) -> dict[str, Any]:
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        rows = conn.execute(
            select(*_USER_COLUMNS).where(_u.c.client_id == client_id).order_by(_u.c.id)
        ).all()
    return paged_list(paging, [row._asdict() for row in rows])


def _duplicate(email: str) -> Any:
    message = f"{email} is already a user of this client (perhaps spelled otherwise)"
    return conflict("duplicate_user", message, [{"field": "email", "message": message}])


@router.post(
    "/clients/{client_id}/users",
    status_code=201,
    response_model=ClientUser,
    responses=CLIENT_POST,
)
def add_user(
    client_id: PathId, body: ClientUserCreate, principal: CurrentStaff, request: Request
) -> dict[str, Any]:
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        visible_client(conn, principal, client_id, lock=True)
        key = email_key(body.email)
        # compared in Python over the client's few users, by their address itself: rows
        # stored before email_key was NFKC-casefolded (it was lower()) are compared alike
        taken = conn.scalars(select(_u.c.email).where(_u.c.client_id == client_id)).all()
        if any(email_key(address) == key for address in taken):
            raise _duplicate(body.email)
        try:
            user_id = db.inserted_id(
                conn.execute(
                    _u.insert().values(
                        client_id=client_id,
                        name=body.name.strip() or name_from_email(body.email),
                        email=body.email,
                        email_key=key,
                        status=ClientUserStatus.INVITED.value,
                        invited_at=state.now(),
                    )
                )
            )
        except IntegrityError:
            raise _duplicate(body.email) from None
        row = conn.execute(select(*_USER_COLUMNS).where(_u.c.id == user_id)).one()
        added = {"user_id": user_id, "email": row.email, "name": row.name}
        audit.record(conn, principal, AuditKind.USER_ADDED, client_id, None, added, now=state.now())
    return row._asdict()


@router.delete(
    "/clients/{client_id}/users/{user_id}",
    status_code=204,
    response_class=Response,
    responses={**CLIENT_DELETE, **errors(409)},
)
def remove_user(
    client_id: PathId, user_id: PathId, principal: CurrentStaff, request: Request
) -> Response:
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        visible_client(conn, principal, client_id, lock=True)
        if not possible_id(user_id):
            raise not_found("User")
        user = conn.execute(
            select(_u.c.id, _u.c.email, _u.c.name).where(
                _u.c.id == user_id, _u.c.client_id == client_id
            )
        ).first()
        if user is None:
            raise not_found("User")
        count = conn.scalar(select(func.count()).select_from(_u).where(_u.c.client_id == client_id))
        if (count or 0) <= 1:
            raise conflict(
                "last_user",
                f"{user.email} is the client's last user and cannot be removed; "
                f"add another user first",
            )
        conn.execute(delete(_u).where(_u.c.id == user_id))
        removed = {"user_id": user.id, "email": user.email, "name": user.name}
        audit.record(
            conn, principal, AuditKind.USER_REMOVED, client_id, removed, None, now=state.now()
        )
    return Response(status_code=204)
