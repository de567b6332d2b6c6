"""Who is calling: bearer tokens to a signed-in staff member (a :class:`Principal`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_server.errors import ApiError
from lucy_server.security import hash_password, new_token, token_digest
from lucy_server.state import ServerState, get_state
from lucy_tui.api.models import Role, Staff, Team
from lucy_tui.api.validation import email_key

PRINCIPAL_SCOPE_KEY = "lucy.principal"
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    staff_id: int
    name: str
    email: str
    role: Role
    team_ids: frozenset[int]
    token_sha256: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def authenticate(conn: Connection, token: str, now: datetime) -> Principal | None:
    """The staff member holding ``token``, when it is known, unexpired and not revoked."""
    digest = token_digest(token)
    row = conn.execute(
        select(
            db.sessions.c.expires_at,
            db.sessions.c.revoked_at,
            db.staff.c.id,
            db.staff.c.name,
            db.staff.c.email,
            db.staff.c.role,
        )
        .join(db.staff, db.staff.c.id == db.sessions.c.staff_id)
        .where(db.sessions.c.token_sha256 == digest)
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    team_ids = conn.scalars(
        select(db.staff_teams.c.team_id).where(db.staff_teams.c.staff_id == row.id)
    ).all()
    return Principal(
        staff_id=row.id,
        name=row.name,
        email=row.email,
        role=Role(row.role),
        team_ids=frozenset(team_ids),
        token_sha256=digest,
    )


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers=_CHALLENGE)


# Declares the bearer scheme in the OpenAPI; the token is read by current_principal itself,
# so that every way of getting it wrong answers the API's own 401 body.
_BEARER = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/login")


def current_principal(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> Principal:
    """The dependency of every protected endpoint."""
    cached = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if isinstance(cached, Principal):
        return cached
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise unauthorized("Sign in first: this request carries no bearer token")
    state: ServerState = get_state(request)
    with db.read_tx(state.engine) as conn:
        principal = authenticate(conn, token, state.now())
    if principal is None:
        raise unauthorized("Your session has expired or was ended; sign in again")
    request.scope[PRINCIPAL_SCOPE_KEY] = principal
    return principal


CurrentStaff = Annotated[Principal, Depends(current_principal)]


def require_admin(principal: Principal, what: str) -> None:
    if not principal.is_admin:
        raise ApiError(403, "forbidden", f"Only an admin can {what}")


def staff_models(conn: Connection, staff_ids: list[int] | None = None) -> list[Staff]:
    """Staff members with their teams, ordered by name (all of them, or those given)."""
    query = select(db.staff.c.id, db.staff.c.name, db.staff.c.email, db.staff.c.role)
    if staff_ids is not None:
        query = query.where(db.staff.c.id.in_(staff_ids))
    rows = conn.execute(query.order_by(db.staff.c.name, db.staff.c.id)).all()
    memberships = conn.execute(
        select(db.staff_teams.c.staff_id, db.teams.c.id, db.teams.c.name)
        .join(db.teams, db.teams.c.id == db.staff_teams.c.team_id)
        .order_by(db.teams.c.name)
    ).all()
    teams_of: dict[int, list[Team]] = {}
    for staff_id, team_id, team_name in memberships:
        teams_of.setdefault(staff_id, []).append(Team(id=team_id, name=team_name))
    return [
        Staff(
            id=row.id,
            name=row.name,
            email=row.email,
            role=Role(row.role),
            teams=teams_of.get(row.id, []),
        )
        for row in rows
    ]


def open_session(
    conn: Connection, staff_id: int, now: datetime, ttl: timedelta
) -> tuple[str, datetime]:
    """A new session for ``staff_id``: the token (only its digest is stored) and its expiry."""
    # Forget this account's sessions that ended long ago.
    conn.execute(
        delete(db.sessions).where(
            db.sessions.c.staff_id == staff_id, db.sessions.c.expires_at < now - ttl
        )
    )
    token = new_token()
    expires_at = now + ttl
    conn.execute(
        db.sessions.insert().values(
            token_sha256=token_digest(token),
            staff_id=staff_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def find_staff(conn: Connection, email: str) -> Any:
    """The staff member an address names, compared by :func:`email_key` (fullwidth
    ``admin@...`` is ``admin@...``). Staff are few, so every address is keyed here: rows
    stored before keys existed need no migration. Should two stored addresses share a key,
    the one spelled exactly as typed wins, else the oldest."""
    key = email_key(email)
    rows = conn.execute(
        select(db.staff.c.id, db.staff.c.email, db.staff.c.password_hash).order_by(db.staff.c.id)
    ).all()
    matches = [row for row in rows if email_key(row.email) == key]
    exact = [row for row in matches if row.email == email.strip().lower()]
    found = exact or matches
    return found[0] if found else None


def add_staff(
    conn: Connection,
    *,
    name: str,
    email: str,
    role: Role,
    password: str,
    team_ids: list[int] | None = None,
) -> int:
    """A new staff member; 409 ``duplicate_staff`` when the address is taken, in any
    spelling that :func:`email_key` folds together (case, ``ß``, fullwidth letters)."""
    if find_staff(conn, email) is not None:
        raise ApiError(
            409,
            "duplicate_staff",
            f"A staff member with the address {email} (or one that reads the same) exists",
            [{"field": "email", "message": "This address is already a staff member's"}],
        )
    staff_id = db.inserted_id(
        conn.execute(
            db.staff.insert().values(
                name=name,
                email=email.strip().lower(),
                role=role.value,
                password_hash=hash_password(password),
            )
        )
    )
    if team_ids:
        conn.execute(
            db.staff_teams.insert(), [{"staff_id": staff_id, "team_id": t} for t in team_ids]
        )
    return staff_id
