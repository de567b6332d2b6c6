"""Sign in and out, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import update

from lucy_server import audit, db
from lucy_server.auth import CurrentStaff, find_staff, open_session, staff_models
from lucy_server.errors import ApiError
from lucy_server.ratelimit import Refusal
from lucy_server.responses import errors
from lucy_server.security import burn_verification_time, verify_password
from lucy_server.state import get_state
from lucy_tui.api.models import AuditKind, LoginRequest, LoginResponse, Staff
from lucy_tui.api.validation import email_key

router = APIRouter()

_BAD_LOGIN = "Wrong email address or password"


def source_address(request: Request) -> str:
    """Where the request came from, as the ASGI server tells it (see lucy_server.ratelimit)."""
    return request.client.host if request.client is not None else "unknown"


@router.post("/auth/login", response_model=LoginResponse, responses=errors(400, 401, 413, 422, 429))
def login(body: LoginRequest, request: Request) -> LoginResponse:
    state = get_state(request)
    now = state.now()
    account = email_key(body.email)
    source = source_address(request)
    refusal = state.limiter.check(account, source, now)
    if refusal is not None:
        raise _too_many(refusal)
    with db.read_tx(state.engine) as conn:
        row = find_staff(conn, body.email)
    if row is None:
        burn_verification_time(body.password)
        ok = False
    else:
        ok = verify_password(body.password, row.password_hash)
    with db.write_tx(state.engine) as conn:
        # checked again with the outcome counted, in one transaction: of tries that raced,
        # the one past the limit learns nothing of its password (see lucy_server.ratelimit)
        refusal = state.limiter.settle(conn, account, source, now, ok=ok)
        if refusal is None and ok and row is not None:
            token, expires_at = open_session(conn, row.id, now, state.token_ttl)
            staff = staff_models(conn, [row.id])[0]
            audit.record(
                conn,
                audit.Actor(staff.id, staff.name),
                AuditKind.SIGNED_IN,
                None,
                None,
                {"expires_at": expires_at},
                now=now,
            )
            return LoginResponse(access_token=token, expires_at=expires_at, staff=staff)
    if refusal is not None:
        raise _too_many(refusal)
    raise ApiError(401, "unauthorized", _BAD_LOGIN, headers={"WWW-Authenticate": "Bearer"})


def _too_many(refusal: Refusal) -> ApiError:
    wait = refusal.retry_after
    what = "from your network address" if refusal.per_source else "for this account"
    return ApiError(
        429,
        "too_many_attempts",
        f"Too many failed sign-ins {what}; try again in {wait} s",
        {"retry_after": wait},
        headers={"Retry-After": str(wait)},
    )


@router.post(
    "/auth/logout",
    status_code=204,
    response_class=Response,
    responses=errors(400, 401, 409, 413, 422),
)
def logout(principal: CurrentStaff, request: Request) -> Response:
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        conn.execute(
            update(db.sessions)
            .where(db.sessions.c.token_sha256 == principal.token_sha256)
            .values(revoked_at=state.now())
        )
        audit.record(conn, principal, AuditKind.SIGNED_OUT, None, None, None, now=state.now())
    return Response(status_code=204)


@router.get("/me", response_model=Staff, responses=errors(401))
def me(principal: CurrentStaff, request: Request) -> Staff:
    with db.read_tx(get_state(request).engine) as conn:
        found = staff_models(conn, [principal.staff_id])
    if not found:
        raise ApiError(401, "unauthorized", "Your account no longer exists")
    return found[0]
