"""What Lucy needs to create invoices for a client (DESIGN §6)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from lucy_server import audit, db
from lucy_server.auth import CurrentStaff
from lucy_server.errors import conflict, not_found
from lucy_server.params import PathId
from lucy_server.responses import CLIENT_PUT, CLIENT_READ, errors
from lucy_server.state import get_state
from lucy_server.versioning import check_version, required_versions, set_etag
from lucy_server.visibility import visible_client
from lucy_tui.api.models import Address, AuditKind, InvoiceSettings, InvoiceSettingsUpdate

router = APIRouter()
_s = db.invoice_settings


def _row(conn: Connection, client_id: int) -> Any:
    row = conn.execute(select(_s).where(_s.c.client_id == client_id)).first()
    if row is None:
        raise not_found("Invoice settings")
    return row


def _model(row: Any) -> InvoiceSettings:
    return InvoiceSettings(
        legal_name=row.legal_name,
        address=Address(
            street=row.street, postal_code=row.postal_code, city=row.city, country=row.country
        ),
        vat_number=row.vat_number,
        enterprise_number=row.enterprise_number,
        iban=row.iban,
        bic=row.bic,
        email=row.email,
        phone=row.phone,
        next_number=row.next_number,
        number_format=row.number_format,
        payment_term_days=row.payment_term_days,
        default_vat_rate=row.default_vat_rate,
        language=row.language,
        footer=row.footer,
        numbering_locked=row.numbering_locked,
        version=row.version,
    )


@router.get(
    "/clients/{client_id}/invoice-settings", response_model=InvoiceSettings, responses=CLIENT_READ
)
def get_invoice_settings(
    client_id: PathId, principal: CurrentStaff, request: Request, response: Response
) -> InvoiceSettings:
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        settings = _model(_row(conn, client_id))
    set_etag(response, settings.version)
    return settings


@router.put(
    "/clients/{client_id}/invoice-settings",
    response_model=InvoiceSettings,
    responses={**CLIENT_PUT, **errors(409)},
)
def put_invoice_settings(
    client_id: PathId,
    body: InvoiceSettingsUpdate,
    principal: CurrentStaff,
    request: Request,
    response: Response,
) -> InvoiceSettings:
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        visible_client(conn, principal, client_id, lock=True)
        row = _row(conn, client_id)
        check_version(required_versions(request), row.version, "The invoice settings")
        if row.numbering_locked:
            changed = [
                name
                for name, old, new in (
                    ("next_number", row.next_number, body.next_number),
                    ("number_format", row.number_format, body.number_format),
                )
                if old != new
            ]
            if changed:
                raise conflict(
                    "numbering_locked",
                    "The invoice numbering is locked: the client has already made an invoice, "
                    "so the next number and the number format can no longer change",
                    [
                        {"field": name, "message": "Locked after the first invoice"}
                        for name in changed
                    ],
                )
        # Every field was checked by InvoiceSettingsUpdate (the address line by line by
        # InvoiceAddress); what is left here needs the database: the version, the lock.
        values = {
            "legal_name": body.legal_name,
            **body.address.model_dump(),
            "vat_number": body.vat_number,
            "enterprise_number": body.enterprise_number,
            "iban": body.iban,
            "bic": body.bic,
            "email": body.email,
            "phone": body.phone,
            "next_number": body.next_number,
            "number_format": body.number_format,
            "payment_term_days": body.payment_term_days,
            "default_vat_rate": int(body.default_vat_rate),
            "language": body.language.value,
            "footer": body.footer,
        }
        if any(getattr(row, key) != value for key, value in values.items()):
            before, after = audit.changes({key: getattr(row, key) for key in values}, values)
            values["version"] = row.version + 1
            conn.execute(update(_s).where(_s.c.client_id == client_id).values(values))
            audit.record(
                conn,
                principal,
                AuditKind.INVOICE_SETTINGS_UPDATED,
                client_id,
                before,
                after,
                now=state.now(),
            )
        settings = _model(_row(conn, client_id))
    set_etag(response, settings.version)
    return settings
