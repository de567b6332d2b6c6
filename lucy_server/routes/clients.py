"""The client list, client files (create, read, patch) and invitations."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import ColumnElement, delete, exists, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from lucy_server import audit, db, denorm
from lucy_server import changes as change_numbers
from lucy_server.auth import CurrentStaff, Principal
from lucy_server.errors import ApiError, conflict, field_error, forbidden
from lucy_server.paging import KeysetPaging, Order, SortKey
from lucy_server.params import PathId, StrictInt
from lucy_server.responses import CLIENT_POST, CLIENT_PUT, CLIENT_READ, LIST, POST, errors
from lucy_server.state import get_state
from lucy_server.versioning import check_version, required_versions, set_etag
from lucy_server.views import (
    NAME_ORDER,
    ROW_COLUMNS,
    client_detail,
    client_row_arrays,
    client_summaries,
)
from lucy_server.visibility import visible_clause, visible_client
from lucy_tui.api import validation
from lucy_tui.api.folding import fold
from lucy_tui.api.models import (
    INVITATION_DAYS,
    MAX_ID,
    TRIAL_DAYS,
    AuditKind,
    ClientCreate,
    ClientDetail,
    ClientPage,
    ClientStatus,
    ClientUpdate,
    ClientUserStatus,
    Plan,
)

router = APIRouter()
_c = db.clients


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_filters(
    principal: Principal,
    q: str | None,
    status: ClientStatus | None,
    plan: Plan | None,
    team_id: int | None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [visible_clause(principal)]
    if q and validation.has_control_characters(q):
        # refused rather than cut: SQLite's LIKE stops at a NUL, so "ab\0cd" searched "ab"
        raise field_error("q", "The search text contains control characters")
    if q and q.strip():
        needle = q.strip()
        pattern = f"%{_escape_like(fold(needle))}%"
        alternatives = [_c.c.sort_name.like(pattern, escape="\\")]
        compact = re.sub(r"[\s./-]", "", needle).lower().removeprefix("be")
        if compact.isdigit():
            # an enterprise or VAT number, typed with or without dots and BE
            alternatives.append(_c.c.vat_number.like(f"%{compact}%"))
        where.append(or_(*alternatives))
    if status is not None:
        where.append(_c.c.status == status.value)
    if plan is not None:
        where.append(_c.c.plan == plan.value)
    if team_id is not None:
        where.append(
            exists().where(
                db.client_teams.c.client_id == _c.c.id, db.client_teams.c.team_id == team_id
            )
        )
    return where


CLIENT_ORDER = NAME_ORDER
CHANGES_ORDER = Order("changes", (SortKey(_c.c.change_seq, "change_seq"), SortKey(_c.c.id, "id")))
"""``changed_since``'s order: by change number (one range of ``ix_clients_change_seq``,
whatever the firm's size; the app places each row by its id)."""

CHANGED_SINCE = (
    "The `changes` token of an earlier answer: only the clients changed since then (and, on "
    "the first page, `removed`: the ids that left your view). `reset: true` when the server "
    "cannot tell (token too old, of another database, or your teams changed): load the whole "
    "list again. Not with q, status, plan or team_id."
)


@router.get("/clients", response_model=ClientPage, responses=LIST)
def list_clients(
    principal: CurrentStaff,
    paging: KeysetPaging,
    request: Request,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: ClientStatus | None = None,
    plan: Plan | None = None,
    team_id: Annotated[int | None, Query(ge=1, le=MAX_ID), StrictInt] = None,
    changed_since: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=change_numbers.MAX_TOKEN_LENGTH,
            description=CHANGED_SINCE,
        ),
    ] = None,
) -> dict[str, Any]:
    """The clients this staff member sees, by name; every answer carries ``changes``, the
    token for ``changed_since=`` next time (see docs/api.md, "Changes since")."""
    where = list_filters(principal, q, status, plan, team_id)
    filters: dict[str, Any] = {"q": q, "status": status, "plan": plan, "team_id": team_id}
    if changed_since is not None and any(v is not None for v in filters.values()):
        raise field_error(
            "changed_since", "changed_since cannot be combined with q, status, plan or team_id"
        )
    with db.read_tx(get_state(request).engine) as conn:
        # the counter first: every change it counts is in the rows read after it
        counter = change_numbers.read_counter(conn)
        removed: list[int] = []
        if changed_since is not None:
            since = change_numbers.read_token(changed_since, counter, principal)
            if since is None:
                return {
                    "items": [],
                    "total": 0,
                    "page": 1,
                    "page_size": paging.page_size,
                    "reset": True,
                }
            where.append(change_numbers.changed_clause(since))
            filters["changed_since"] = since
        order = CLIENT_ORDER if changed_since is None else CHANGES_ORDER
        window = paging.window(order, filters)
        seq = window.state.get("s") if window.state else counter.value
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= counter.value:
            seq = counter.value  # a cursor of another database (its list_fingerprint agreed)
        if changed_since is not None and window.first:
            removed = change_numbers.removed_since(conn, principal, filters["changed_since"])
        total = conn.scalar(select(func.count()).select_from(_c).where(*where)) or 0
        rows = (
            client_summaries(
                conn,
                [*where, *window.where],
                limit=window.limit,
                offset=window.offset,
                order=order,
            )
            if window.offset < total
            else []
        )
    answer = window.page_of(rows, total, {"s": seq}, drop=("sort_name", "change_seq"))
    answer["changes"] = change_numbers.make_token(counter, seq, principal)
    answer["removed"] = removed
    return answer


# --- the whole list, compact (issue 14) ----------------------------------------------------

NDJSON = "application/x-ndjson"
FIRST_ROWS = 500  # the first batch: the list's first screen, as soon as it is read
ROWS_BATCH = 5000  # the later ones (one keyset range of the name index each)
_GZIP_LEVEL = 1  # over a LAN: level 6 compresses ~10% better for ~3x the CPU
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _compact_rows(engine: Any, principal: Principal) -> Iterator[str]:
    """The header line, then the rows, a batch (an array of row arrays) per line, all of
    one read transaction."""
    where = [visible_clause(principal)]
    with db.read_tx(engine) as conn:
        counter = change_numbers.read_counter(conn)
        total = conn.scalar(select(func.count()).select_from(_c).where(*where)) or 0
        header = {
            "columns": ROW_COLUMNS,
            "total": total,
            "changes": change_numbers.make_token(counter, counter.value, principal),
        }
        yield _encode(header) + "\n"
        after: list[ColumnElement[bool]] = []
        limit = FIRST_ROWS
        while True:
            rows, last = client_row_arrays(conn, [*where, *after], limit=limit)
            if rows:
                yield _encode(rows) + "\n"  # one C call per batch, not one per row
            if len(rows) < limit or last is None:
                return
            after = [CLIENT_ORDER.after(last)]
            limit = ROWS_BATCH


def _gzipped(lines: Iterator[str]) -> Iterator[bytes]:
    """Each batch compressed and flushed at once (Z_SYNC_FLUSH): the first rows arrive
    before the last are read."""
    compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for text in lines:
        yield compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
    yield compressor.flush()


def accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


@router.get(
    "/client-rows",
    response_class=StreamingResponse,
    responses={
        **LIST,
        200: {
            "description": (
                "Newline-delimited JSON (application/x-ndjson), streamed: first a header "
                'object `{"columns": [...], "total": N, "changes": "..."}`, then lines '
                "of rows, each line a batch: a JSON array of rows, each row a JSON array "
                "of its values in the order of `columns`; in the list's order (by name). "
                "gzip-compressed when the request accepts it."
            ),
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        },
    },
)
def client_rows(principal: CurrentStaff, request: Request) -> StreamingResponse:
    """The whole client list this staff member sees, compact: what ``GET /clients`` gives
    page by page (the same rows, order and visibility), in one streamed answer of arrays
    with the same ``changes`` token and ``total``. No filters (the app filters locally)."""
    lines = _compact_rows(get_state(request).engine, principal)
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding"}
    if accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return StreamingResponse(_gzipped(lines), media_type=NDJSON, headers=headers)
    return StreamingResponse((text.encode() for text in lines), media_type=NDJSON, headers=headers)


# --- create -------------------------------------------------------------------------------


def check_team_ids(conn: Connection, team_ids: list[int], field: str = "team_ids") -> list[int]:
    wanted = sorted(set(team_ids))
    if not wanted:
        return []
    found = set(conn.scalars(select(db.teams.c.id).where(db.teams.c.id.in_(wanted))).all())
    missing = [t for t in wanted if t not in found]
    if missing:
        raise field_error(field, f"Unknown team {missing[0]}")
    return wanted


def check_staff_id(conn: Connection, staff_id: int | None, field: str) -> None:
    if staff_id is None:
        return
    if conn.scalar(select(db.staff.c.id).where(db.staff.c.id == staff_id)) is None:
        raise field_error(field, f"Unknown staff member {staff_id}")


def name_from_email(email: str) -> str:
    """A first name for a user invited by email: ``jan.peeters+test@`` is "Jan Peeters"
    (the ``+tag`` of a sub-address is not part of anyone's name)."""
    local = email.split("@", 1)[0].split("+", 1)[0]
    words = [w for w in local.replace("_", ".").replace("-", ".").split(".") if w]
    return " ".join(w.capitalize() for w in words) or email


def _duplicate_enterprise(enterprise: str) -> ApiError:
    """The number is unique in the whole firm, so this answer tells anyone creating a client
    that one with this number exists, even one they may not see (hidden, or of another team).
    That much is inherent; it tells nothing more: no name, team, contact or id."""
    message = (
        f"A client with enterprise number {enterprise} already exists in the firm. If you "
        f"cannot find it in your list, it is not visible to you: ask an admin."
    )
    return conflict(
        "duplicate_enterprise_number",
        message,
        [{"field": "enterprise_number", "message": message}],
    )


def insert_client(
    conn: Connection,
    body: ClientCreate,
    *,
    now: datetime,
) -> int:
    """Create a client file with its first user, Peppol registration and settings."""
    team_ids = check_team_ids(conn, body.team_ids)
    check_staff_id(conn, body.contact_id, "contact_id")
    enterprise = body.enterprise_number
    if conn.scalar(select(_c.c.id).where(_c.c.enterprise_number == enterprise)) is not None:
        raise _duplicate_enterprise(enterprise)
    vat = validation.vat_from_enterprise(enterprise)
    try:
        client_id = db.inserted_id(
            conn.execute(
                _c.insert().values(
                    name=body.name,
                    sort_name=fold(body.name),
                    enterprise_number=enterprise,
                    vat_number=vat,
                    status=ClientStatus.CREATED.value,
                    plan=body.plan.value,
                    trial_ends_on=None,
                    hidden=False,
                    contact_id=body.contact_id,
                    created_at=now,
                    inbox_count=0,
                    failed_count=0,
                    peppol_sending=False,
                    peppol_receiving=False,
                    version=1,
                    senders_version=1,
                )
            )
        )
    except IntegrityError:
        raise _duplicate_enterprise(enterprise) from None
    if team_ids:
        conn.execute(
            db.client_teams.insert(), [{"client_id": client_id, "team_id": t} for t in team_ids]
        )
        denorm.refresh(conn, int(client_id))
    conn.execute(
        db.client_users.insert().values(
            client_id=client_id,
            name=name_from_email(body.email),
            email=body.email,
            email_key=validation.email_key(body.email),
            status=ClientUserStatus.INVITED.value,
            invited_at=now,
        )
    )
    conn.execute(
        db.peppol_registrations.insert().values(
            client_id=client_id,
            participant_id=validation.peppol_participant_id(enterprise),
            sending=False,
            receiving=False,
            registered_elsewhere=False,
            other_provider=None,
            version=1,
        )
    )
    conn.execute(
        db.invoice_settings.insert().values(
            client_id=client_id,
            legal_name=body.name,
            vat_number=vat,
            enterprise_number=enterprise,
            email=body.email,
            number_format=validation.DEFAULT_NUMBER_FORMAT,
            version=1,
        )
    )
    conn.execute(db.client_integrations.insert().values(client_id=client_id, version=1))
    return int(client_id)


@router.post("/clients", status_code=201, response_model=ClientDetail, responses=POST)
def create_client(
    body: ClientCreate, principal: CurrentStaff, request: Request, response: Response
) -> ClientDetail:
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        client_id = insert_client(conn, body, now=state.now())
        detail = client_detail(conn, client_id)
        created = body.model_dump(mode="json", include={"name", "plan", "contact_id", "email"})
        created.update(enterprise_number=detail.enterprise_number, team_ids=sorted(body.team_ids))
        audit.record(
            conn, principal, AuditKind.CLIENT_CREATED, client_id, None, created, now=state.now()
        )
    # Who the new client is registered with on Peppol: asked in the background, so the
    # answer never waits for the network.
    state.peppol.check_in_background(
        client_id, detail.enterprise_number, actor=audit.actor_of(principal)
    )
    set_etag(response, detail.version)
    response.headers["Location"] = f"/api/v1/clients/{client_id}"
    return detail


# --- read, patch --------------------------------------------------------------------------


@router.get("/clients/{client_id}", response_model=ClientDetail, responses=CLIENT_READ)
def get_client(
    client_id: PathId, principal: CurrentStaff, request: Request, response: Response
) -> ClientDetail:
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        detail = client_detail(conn, client_id)
    set_etag(response, detail.version)
    return detail


def trial_end(plan: str, status: str, activated_at: datetime | None, today: date) -> date | None:
    """A trial runs 30 days from activation; no trial, no end date."""
    if plan != Plan.TRIAL.value or status != ClientStatus.ACTIVE.value:
        return None
    start = activated_at.date() if activated_at is not None else today
    return start + timedelta(days=TRIAL_DAYS)


@router.patch(
    "/clients/{client_id}", response_model=ClientDetail, responses={**CLIENT_PUT, **errors(403)}
)
def patch_client(
    client_id: PathId,
    body: ClientUpdate,
    principal: CurrentStaff,
    request: Request,
    response: Response,
) -> ClientDetail:
    state = get_state(request)
    present = body.model_fields_set
    with db.write_tx(state.engine) as conn:
        row = visible_client(conn, principal, client_id, lock=True)
        if not principal.is_admin:
            if "hidden" in present:
                raise forbidden("Only an admin can hide a client from employees or show it again")
            if "contact_id" in present:
                raise forbidden("Only an admin can change the Client-Facing Contact Person")
        expected = required_versions(request)
        check_version(expected, row.version, "This client")
        values: dict[str, Any] = {}
        if "name" in present and body.name is not None and body.name != row.name:
            values["name"] = body.name
            values["sort_name"] = fold(body.name)
        if "plan" in present and body.plan is not None and body.plan.value != row.plan:
            values["plan"] = body.plan.value
            if body.plan is Plan.TRIAL and row.status == ClientStatus.ACTIVE.value:
                values["trial_ends_on"] = state.today() + timedelta(days=TRIAL_DAYS)
            elif body.plan is not Plan.TRIAL:
                values["trial_ends_on"] = None
        if "contact_id" in present and body.contact_id != row.contact_id:
            check_staff_id(conn, body.contact_id, "contact_id")
            values["contact_id"] = body.contact_id
        if "hidden" in present and body.hidden is not None and body.hidden != row.hidden:
            values["hidden"] = body.hidden
        teams_changed: tuple[list[int], list[int]] | None = None
        if "team_ids" in present and body.team_ids is not None:
            wanted = check_team_ids(conn, body.team_ids)
            current = sorted(
                conn.scalars(
                    select(db.client_teams.c.team_id).where(
                        db.client_teams.c.client_id == client_id
                    )
                ).all()
            )
            if wanted != current:
                teams_changed = (current, wanted)
                conn.execute(
                    delete(db.client_teams).where(db.client_teams.c.client_id == client_id)
                )
                if wanted:
                    conn.execute(
                        db.client_teams.insert(),
                        [{"client_id": client_id, "team_id": t} for t in wanted],
                    )
                denorm.refresh(conn, client_id)
        if values or teams_changed:
            if "hidden" in values or teams_changed:
                # it may leave some staff's view: GET /clients?changed_since= tells them
                change_numbers.record_exit(
                    conn, client_id, team_key=row.team_key, hidden=row.hidden
                )
            values["version"] = row.version + 1
            result = conn.execute(
                update(_c).where(_c.c.id == client_id, _c.c.version == row.version).values(values)
            )
            if result.rowcount != 1:  # pragma: no cover - the write lock prevents it
                check_version({row.version}, row.version + 1, "This client")
            changes = audit.client_patch_changes(conn, row, values, teams_changed)
            audit.record_many(conn, principal, changes, now=state.now())
        detail = client_detail(conn, client_id)
    set_etag(response, detail.version)
    return detail


# --- invitations --------------------------------------------------------------------------


@router.post("/clients/{client_id}/invite", response_model=ClientDetail, responses=CLIENT_POST)
def invite_client(
    client_id: PathId, principal: CurrentStaff, request: Request, response: Response
) -> ClientDetail:
    """Created -> Invited, or send the invitation again (new dates); Active -> 409."""
    state = get_state(request)
    now = state.now()
    with db.write_tx(state.engine) as conn:
        row = visible_client(conn, principal, client_id, lock=True)
        if row.status == ClientStatus.ACTIVE.value:
            raise conflict(
                "already_active",
                f"{row.name} is already active: the client has accepted the invitation",
            )
        conn.execute(
            update(_c)
            .where(_c.c.id == client_id)
            .values(
                status=ClientStatus.INVITED.value,
                invited_at=now,
                invitation_expires_at=now + timedelta(days=INVITATION_DAYS),
                version=row.version + 1,
            )
        )
        conn.execute(
            update(db.client_users)
            .where(
                db.client_users.c.client_id == client_id,
                db.client_users.c.status == ClientUserStatus.INVITED.value,
            )
            .values(invited_at=now)
        )
        audit.record(
            conn,
            principal,
            AuditKind.CLIENT_INVITED,
            client_id,
            {"status": row.status, "invitation_expires_at": row.invitation_expires_at},
            {
                "status": ClientStatus.INVITED.value,
                "invitation_expires_at": now + timedelta(days=INVITATION_DAYS),
            },
            now=now,
        )
        detail = client_detail(conn, client_id)
    set_etag(response, detail.version)
    return detail
