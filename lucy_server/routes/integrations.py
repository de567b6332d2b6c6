"""A client's integrations: one accounting package at a time, plus other destinations."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from lucy_server import audit, db, denorm
from lucy_server.auth import CurrentStaff
from lucy_server.catalogue import BY_ID
from lucy_server.errors import field_error
from lucy_server.params import PathId
from lucy_server.responses import CLIENT_PUT, CLIENT_READ
from lucy_server.state import get_state
from lucy_server.versioning import check_version, required_versions, set_etag
from lucy_server.visibility import visible_client
from lucy_tui.api.models import (
    AuditKind,
    ClientIntegrations,
    ClientIntegrationsUpdate,
    IntegrationCategory,
)

router = APIRouter()
_ci, _cd = db.client_integrations, db.client_destinations


def _current(conn: Connection, client_id: int, *, create: bool = False) -> ClientIntegrations:
    row = conn.execute(select(_ci).where(_ci.c.client_id == client_id)).first()
    if row is None:  # a client made outside the API: it has linked nothing yet
        if create:
            conn.execute(_ci.insert().values(client_id=client_id, version=1))
        package, version = None, 1
    else:
        package, version = row.accounting_package, row.version
    destinations = conn.scalars(
        select(_cd.c.integration_id)
        .join(db.integrations, db.integrations.c.id == _cd.c.integration_id)
        .where(_cd.c.client_id == client_id)
        .order_by(db.integrations.c.position)
    ).all()
    return ClientIntegrations(
        accounting_package=package, destinations=list(destinations), version=version
    )


@router.get(
    "/clients/{client_id}/integrations", response_model=ClientIntegrations, responses=CLIENT_READ
)
def get_client_integrations(
    client_id: PathId, principal: CurrentStaff, request: Request, response: Response
) -> ClientIntegrations:
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        current = _current(conn, client_id)
    set_etag(response, current.version)
    return current


def _validate(body: ClientIntegrationsUpdate) -> str | None:
    package = body.accounting_package
    if package is not None:
        entry = BY_ID.get(package)
        if entry is None:
            raise field_error("accounting_package", f"Unknown integration {package!r}")
        if entry.category is not IntegrationCategory.ACCOUNTING:
            raise field_error("accounting_package", f"{entry.name} is not an accounting package")
    return package


@router.put(
    "/clients/{client_id}/integrations", response_model=ClientIntegrations, responses=CLIENT_PUT
)
def put_client_integrations(
    client_id: PathId,
    body: ClientIntegrationsUpdate,
    principal: CurrentStaff,
    request: Request,
    response: Response,
) -> ClientIntegrations:
    """Link one accounting package (linking another replaces it), or unlink it.

    The other destinations are the client's own choice, made in Lucy: shown, never set here.
    """
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        visible_client(conn, principal, client_id, lock=True)
        current = _current(conn, client_id, create=True)
        check_version(required_versions(request), current.version, "The integrations")
        package = _validate(body)
        if package != current.accounting_package:
            conn.execute(
                update(_ci)
                .where(_ci.c.client_id == client_id)
                .values(accounting_package=package, version=current.version + 1)
            )
            denorm.refresh(conn, client_id)
            audit.record(
                conn,
                principal,
                AuditKind.INTEGRATIONS_UPDATED,
                client_id,
                {"accounting_package": current.accounting_package},
                {"accounting_package": package},
                now=state.now(),
            )
            current = _current(conn, client_id)
    set_etag(response, current.version)
    return current
