"""A client's Peppol registration (sending, receiving) and its allowed senders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_server.auth import CurrentStaff
from lucy_server.errors import conflict, not_found
from lucy_server.params import PathId
from lucy_server.responses import CLIENT_PUT, CLIENT_READ, errors
from lucy_server.state import get_state
from lucy_server.versioning import check_version, required_versions, set_etag
from lucy_server.visibility import visible_client
from lucy_tui.api.models import (
    AllowedSenders,
    AllowedSendersUpdate,
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


def _model(row: Any) -> PeppolRegistration:
    return PeppolRegistration(
        participant_id=row.participant_id,
        sending=row.sending,
        receiving=row.receiving,
        registered_elsewhere=row.registered_elsewhere,
        other_provider=row.other_provider,
        version=row.version,
    )


@router.get("/clients/{client_id}/peppol", response_model=PeppolRegistration, responses=CLIENT_READ)
def get_peppol(
    client_id: PathId, principal: CurrentStaff, request: Request, response: Response
) -> PeppolRegistration:
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        registration = _model(_registration(conn, client_id))
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
            provider = row.other_provider or "another provider"
            raise conflict(
                "peppol_registered_elsewhere",
                f"{client.name} is already registered to receive Peppol invoices with "
                f"{provider}; receiving cannot be switched on here until the client "
                f"unsubscribes there",
                {"provider": row.other_provider},
            )
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
        registration = _model(_registration(conn, client_id))
    set_etag(response, registration.version)
    return registration


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
        senders = _senders(conn, client_id, version)
    set_etag(response, senders.version)
    return senders
