"""A client's Peppol registration (sending, receiving), its lookup on the Peppol network,
the firm's bulk re-check and activation, and the client's allowed senders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from lucy_server import audit, db
from lucy_server.auth import CurrentStaff, Principal
from lucy_server.errors import ApiError, conflict, not_found
from lucy_server.params import PathId
from lucy_server.peppol.service import read_lookup
from lucy_server.responses import CLIENT_POST, CLIENT_PUT, CLIENT_READ, POST, errors
from lucy_server.state import get_state
from lucy_server.versioning import check_version, required_versions, set_etag
from lucy_server.visibility import visible_clause, visible_client
from lucy_tui.api.models import (
    AllowedSenders,
    AllowedSendersUpdate,
    AuditKind,
    PeppolActivation,
    PeppolActivationOutcome,
    PeppolActivationResponse,
    PeppolActivationResult,
    PeppolLookupOutcome,
    PeppolLookupRequest,
    PeppolLookupResponse,
    PeppolLookupResult,
    PeppolRegistration,
    PeppolUpdate,
)

router = APIRouter()
_p = db.peppol_registrations


def _registration(conn: Connection, client_id: int) -> Any:
    row = conn.execute(select(_p).where(_p.c.client_id == client_id)).first()
    if row is None:
        raise not_found("Peppol registration")
    return row


def _model(conn: Connection, row: Any) -> PeppolRegistration:
    return PeppolRegistration(
        participant_id=row.participant_id,
        sending=row.sending,
        receiving=row.receiving,
        registered_elsewhere=row.registered_elsewhere,
        other_provider=row.other_provider,
        version=row.version,
        lookup=read_lookup(conn, row.client_id),
    )


def _elsewhere(name: str, provider: str | None) -> ApiError:
    shown = provider or "another provider"
    return conflict(
        "peppol_registered_elsewhere",
        f"{name} is already registered to receive Peppol invoices with {shown}; receiving "
        f"cannot be switched on here until the client unsubscribes there",
        {"provider": provider},
    )


@router.get("/clients/{client_id}/peppol", response_model=PeppolRegistration, responses=CLIENT_READ)
def get_peppol(
    client_id: PathId, principal: CurrentStaff, request: Request, response: Response
) -> PeppolRegistration:
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        registration = _model(conn, _registration(conn, client_id))
    set_etag(response, registration.version)
    return registration


@router.put(
    "/clients/{client_id}/peppol",
    response_model=PeppolRegistration,
    responses={**CLIENT_PUT, **errors(409)},
)
def put_peppol(
    client_id: PathId,
    body: PeppolUpdate,
    principal: CurrentStaff,
    request: Request,
    response: Response,
) -> PeppolRegistration:
    """Switch sending and receiving. Receiving cannot be switched on while the participant
    is registered with another provider; switching off is always allowed."""
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        client = visible_client(conn, principal, client_id, lock=True)
        row = _registration(conn, client_id)
        check_version(required_versions(request), row.version, "The Peppol registration")
        if body.receiving and not row.receiving and row.registered_elsewhere:
            raise _elsewhere(client.name, row.other_provider)
        if body.sending != row.sending or body.receiving != row.receiving:
            conn.execute(
                update(_p)
                .where(_p.c.client_id == client_id)
                .values(sending=body.sending, receiving=body.receiving, version=row.version + 1)
            )
            conn.execute(
                update(db.clients)
                .where(db.clients.c.id == client_id)
                .values(peppol_sending=body.sending, peppol_receiving=body.receiving)
            )
            before, after = audit.changes(
                {"sending": row.sending, "receiving": row.receiving},
                {"sending": body.sending, "receiving": body.receiving},
            )
            audit.record(
                conn,
                principal,
                AuditKind.PEPPOL_SWITCHED,
                client_id,
                before,
                after,
                now=state.now(),
            )
        registration = _model(conn, _registration(conn, client_id))
    set_etag(response, registration.version)
    return registration


# --- lookups on the Peppol network --------------------------------------------------------

LOOKUP_OFF = (
    "This server does not look clients up on the Peppol network (LUCY_PEPPOL_LOOKUP=off); "
    "the results shown are the stored ones"
)


@router.post(
    "/clients/{client_id}/peppol/lookup",
    response_model=PeppolRegistration,
    responses=CLIENT_POST,
)
def lookup_peppol(
    client_id: PathId, principal: CurrentStaff, request: Request, response: Response
) -> PeppolRegistration:
    """Look the client up on the Peppol network now (SML, then its SMP) and keep the result.

    A failed lookup keeps the last good result (``lookup.state`` is then ``lookup_failed``
    with the reason in ``lookup.message``). 409 ``peppol_lookup_off`` when this server does
    not look clients up."""
    state = get_state(request)
    with db.read_tx(state.engine) as conn:
        client = visible_client(conn, principal, client_id)
        _registration(conn, client_id)
    if not state.peppol.enabled:
        raise conflict("peppol_lookup_off", LOOKUP_OFF)
    state.peppol.check_now(client_id, client.enterprise_number, actor=audit.actor_of(principal))
    with db.read_tx(state.engine) as conn:
        registration = _model(conn, _registration(conn, client_id))
    set_etag(response, registration.version)
    return registration


def _visible_clients(conn: Connection, principal: Principal, ids: list[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = conn.execute(
            select(db.clients.c.id, db.clients.c.name, db.clients.c.enterprise_number).where(
                db.clients.c.id.in_(chunk), visible_clause(principal)
            )
        ).all()
        found.update((row.id, row) for row in rows)
    return found


@router.post("/peppol/lookups", response_model=PeppolLookupResponse, responses=POST)
def lookup_many(
    body: PeppolLookupRequest, principal: CurrentStaff, request: Request
) -> PeppolLookupResponse:
    """Re-check clients on the network, at most the server's concurrency at a time; a client
    checked more recently than the cache lifetime is answered from what is stored unless
    ``force``. Unknown and invisible clients answer ``not_found``."""
    state = get_state(request)
    with db.read_tx(state.engine) as conn:
        clients = _visible_clients(conn, principal, body.client_ids)
        stored = {client_id: read_lookup(conn, client_id) for client_id in clients}
    now = state.now()
    to_check = [
        (client_id, clients[client_id].enterprise_number)
        for client_id in dict.fromkeys(body.client_ids)
        if client_id in clients
        and state.peppol.enabled
        and (body.force or not state.peppol.fresh(stored[client_id], now))
    ]
    if to_check:
        state.peppol.check_many(to_check, actor=audit.actor_of(principal))
    checked = {client_id for client_id, _ in to_check}
    results: list[PeppolLookupResult] = []
    with db.read_tx(state.engine) as conn:
        registrations = {
            row.client_id: row
            for row in conn.execute(
                select(_p.c.client_id, _p.c.registered_elsewhere).where(
                    _p.c.client_id.in_(list(clients))
                )
            )
        }
        for client_id in body.client_ids:
            if client_id not in clients:
                results.append(
                    PeppolLookupResult(
                        client_id=client_id,
                        outcome=PeppolLookupOutcome.NOT_FOUND,
                        message="Client not found",
                    )
                )
                continue
            if not state.peppol.enabled:
                outcome, message = PeppolLookupOutcome.OFF, LOOKUP_OFF
            elif client_id in checked:
                outcome, message = PeppolLookupOutcome.CHECKED, ""
            else:
                outcome = PeppolLookupOutcome.CACHED
                message = "Checked recently; the stored result is kept"
            registration = registrations.get(client_id)
            results.append(
                PeppolLookupResult(
                    client_id=client_id,
                    outcome=outcome,
                    lookup=read_lookup(conn, client_id),
                    registered_elsewhere=bool(registration and registration.registered_elsewhere),
                    message=message,
                )
            )
    return PeppolLookupResponse(results=results)


# --- switching many clients on ------------------------------------------------------------


@router.post("/peppol/registrations", response_model=PeppolActivationResponse, responses=POST)
def activate_many(
    body: PeppolActivation, principal: CurrentStaff, request: Request
) -> PeppolActivationResponse:
    """Switch sending and/or receiving on for many clients in one request (idempotent with an
    ``Idempotency-Key``), a result per client. A client registered with another provider is
    skipped, with the provider named, when receiving is asked; unknown and invisible clients
    answer ``not_found``."""
    state = get_state(request)
    results: list[PeppolActivationResult] = []
    switched: list[audit.Change] = []
    with db.write_tx(state.engine) as conn:
        clients = _visible_clients(conn, principal, body.client_ids)
        rows: dict[int, Any] = {}
        wanted = list(clients)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows.update(
                (row.client_id, row)
                for row in conn.execute(select(_p).where(_p.c.client_id.in_(chunk)))
            )
        for client_id in dict.fromkeys(body.client_ids):
            row = rows.get(client_id)
            if row is None:
                results.append(
                    PeppolActivationResult(
                        client_id=client_id,
                        outcome=PeppolActivationOutcome.NOT_FOUND,
                        message="Client not found",
                    )
                )
                continue
            name = clients[client_id].name
            if body.receiving and not row.receiving and row.registered_elsewhere:
                results.append(
                    PeppolActivationResult(
                        client_id=client_id,
                        outcome=PeppolActivationOutcome.SKIPPED,
                        sending=row.sending,
                        receiving=row.receiving,
                        provider=row.other_provider,
                        message=_elsewhere(name, row.other_provider).message,
                    )
                )
                continue
            sending = row.sending or body.sending
            receiving = row.receiving or body.receiving
            changed = (sending, receiving) != (row.sending, row.receiving)
            if changed:
                conn.execute(
                    update(_p)
                    .where(_p.c.client_id == client_id)
                    .values(sending=sending, receiving=receiving, version=row.version + 1)
                )
                conn.execute(
                    update(db.clients)
                    .where(db.clients.c.id == client_id)
                    .values(peppol_sending=sending, peppol_receiving=receiving)
                )
                before, after = audit.changes(
                    {"sending": row.sending, "receiving": row.receiving},
                    {"sending": sending, "receiving": receiving},
                )
                switched.append(
                    audit.Change(AuditKind.PEPPOL_SWITCHED, client_id, before, after, name)
                )
            results.append(
                PeppolActivationResult(
                    client_id=client_id,
                    outcome=PeppolActivationOutcome.CHANGED
                    if changed
                    else PeppolActivationOutcome.UNCHANGED,
                    sending=sending,
                    receiving=receiving,
                )
            )
        audit.record_many(conn, principal, switched, now=state.now())
    return PeppolActivationResponse(results=results)


# --- allowed senders ----------------------------------------------------------------------

_s = db.allowed_senders


def _senders(conn: Connection, client_id: int, version: int) -> AllowedSenders:
    emails = conn.scalars(
        select(_s.c.email).where(_s.c.client_id == client_id).order_by(_s.c.position)
    ).all()
    return AllowedSenders(senders=list(emails), version=version)


@router.get(
    "/clients/{client_id}/allowed-senders", response_model=AllowedSenders, responses=CLIENT_READ
)
def get_allowed_senders(
    client_id: PathId, principal: CurrentStaff, request: Request, response: Response
) -> AllowedSenders:
    with db.read_tx(get_state(request).engine) as conn:
        client = visible_client(conn, principal, client_id)
        senders = _senders(conn, client_id, client.senders_version)
    set_etag(response, senders.version)
    return senders


@router.put(
    "/clients/{client_id}/allowed-senders", response_model=AllowedSenders, responses=CLIENT_PUT
)
def put_allowed_senders(
    client_id: PathId,
    body: AllowedSendersUpdate,
    principal: CurrentStaff,
    request: Request,
    response: Response,
) -> AllowedSenders:
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        client = visible_client(conn, principal, client_id, lock=True)
        check_version(required_versions(request), client.senders_version, "The allowed senders")
        current = _senders(conn, client_id, client.senders_version)
        version = client.senders_version
        if current.senders != body.senders:
            version += 1
            conn.execute(delete(_s).where(_s.c.client_id == client_id))
            if body.senders:
                conn.execute(
                    _s.insert(),
                    [
                        {"client_id": client_id, "position": i, "email": email}
                        for i, email in enumerate(body.senders)
                    ],
                )
            conn.execute(
                update(db.clients)
                .where(db.clients.c.id == client_id)
                .values(senders_version=version)
            )
            audit.record(
                conn,
                principal,
                AuditKind.SENDERS_UPDATED,
                client_id,
                {"senders": current.senders},
                {"senders": body.senders},
                now=state.now(),
            )
        senders = _senders(conn, client_id, version)
    set_etag(response, senders.version)
    return senders
