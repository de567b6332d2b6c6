"""A client's accounting documents: the paged list, send (Inbox) and resend (Failed)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_server.auth import CurrentStaff, Principal
from lucy_server.catalogue import BY_ID, CatalogueEntry
from lucy_server.delivery import Parcel, deliver
from lucy_server.paging import Paging
from lucy_server.params import PathId
from lucy_server.responses import CLIENT_POST, CLIENT_READ
from lucy_server.state import get_state
from lucy_server.visibility import visible_client
from lucy_tui.api.models import (
    ActionOutcome,
    Document,
    DocumentActionResponse,
    DocumentActionResult,
    DocumentIds,
    DocumentStatus,
    Page,
)

router = APIRouter()
_d = db.documents

_DOCUMENT_COLUMNS = (
    _d.c.id,
    _d.c.client_id,
    _d.c.date,
    _d.c.counterparty,
    _d.c.type,
    _d.c.direction,
    _d.c.amount_cents,
    _d.c.currency,
    _d.c.source,
    _d.c.status,
    _d.c.failure_reason,
    _d.c.sent_at,
    _d.c.destination,
)


def _document(row: Any) -> dict[str, Any]:
    item = row._asdict()
    item["amount"] = Decimal(item.pop("amount_cents")).scaleb(-2)
    return item


@router.get("/clients/{client_id}/documents", response_model=Page[Document], responses=CLIENT_READ)
def list_documents(
    client_id: PathId,
    principal: CurrentStaff,
    paging: Paging,
    request: Request,
    status: DocumentStatus | None = None,
) -> dict[str, Any]:
    where = [_d.c.client_id == client_id]
    if status is not None:
        where.append(_d.c.status == status.value)
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        total = conn.scalar(select(func.count()).select_from(_d).where(*where)) or 0
        rows = conn.execute(
            select(*_DOCUMENT_COLUMNS)
            .where(*where)
            .order_by(_d.c.date.desc(), _d.c.id.desc())
            .limit(paging.page_size)
            .offset(paging.offset)
        ).all()
    return paging.page_of([_document(r) for r in rows], total)


# --- send and resend ----------------------------------------------------------------------


def sent_message(destination: str | None, sent_at: datetime | None, package: str | None) -> str:
    where = f" to {destination}" if destination else ""
    when = f" on {sent_at:%d/%m/%Y}" if sent_at else ""
    software = package or "the accounting software"
    return (
        f"Already sent{where}{when}: Lucy never sends a document twice. To deliver it "
        f"again, contact Lucy Support, or ask the client to set {software}'s email address "
        f"as a Multisender destination under Settings > Integrations (only the client can "
        f"do that)."
    )


def _accounting_package(conn: Connection, client_id: int) -> CatalogueEntry | None:
    package_id = conn.scalar(
        select(db.client_integrations.c.accounting_package).where(
            db.client_integrations.c.client_id == client_id
        )
    )
    return BY_ID.get(package_id) if package_id else None


def refresh_inbox_count(conn: Connection, client_id: int) -> None:
    count = (
        select(func.count())
        .select_from(_d)
        .where(_d.c.client_id == client_id, _d.c.status == DocumentStatus.INBOX.value)
        .scalar_subquery()
    )
    conn.execute(update(db.clients).where(db.clients.c.id == client_id).values(inbox_count=count))


def act_on_documents(
    conn: Connection,
    principal: Principal,
    client_id: int,
    document_ids: list[int],
    *,
    resend: bool,
    now: datetime,
) -> list[DocumentActionResult]:
    """Send (Inbox) or resend (Failed) documents in one transaction, set-based."""
    wanted = sorted(set(document_ids))
    rows = {
        row.id: row
        for row in conn.execute(
            select(
                _d.c.id,
                _d.c.type,
                _d.c.counterparty,
                _d.c.status,
                _d.c.sent_at,
                _d.c.destination,
                _d.c.reject_reason,
            ).where(_d.c.client_id == client_id, _d.c.id.in_(wanted))
        ).all()
    }
    package = _accounting_package(conn, client_id)
    accepted = DocumentStatus.FAILED if resend else DocumentStatus.INBOX
    results: list[DocumentActionResult | None] = []
    parcels: list[Parcel] = []
    position_of: dict[int, int] = {}
    for position, document_id in enumerate(document_ids):
        row = rows.get(document_id)
        if row is None:
            results.append(
                DocumentActionResult(
                    document_id=document_id,
                    outcome=ActionOutcome.REFUSED,
                    message=f"Document {document_id} not found for this client",
                )
            )
            continue
        if document_id in position_of:
            results.append(None)  # a repeat: filled in with the document's final status
            continue
        status = DocumentStatus(row.status)
        if status is accepted:
            position_of[document_id] = position
            results.append(None)
            parcels.append(
                Parcel(
                    document_id=row.id,
                    client_id=client_id,
                    type=row.type,
                    counterparty=row.counterparty,
                    reject_reason=row.reject_reason,
                )
            )
            continue
        if status is DocumentStatus.SENT:
            message = sent_message(row.destination, row.sent_at, package.name if package else None)
        elif status is DocumentStatus.FAILED:
            message = 'This document failed earlier: resend it with "To accountant"'
        else:
            message = "This document has not been sent yet: send it instead of resending"
        position_of[document_id] = position
        results.append(
            DocumentActionResult(
                document_id=document_id,
                outcome=ActionOutcome.REFUSED,
                status=status,
                message=message,
            )
        )

    delivered = deliver(conn, package, parcels, staff_id=principal.staff_id, now=now)
    changes = []
    for outcome in delivered:
        if outcome.success:
            assert package is not None
            changes.append(
                {
                    "b_id": outcome.document_id,
                    "b_status": DocumentStatus.SENT.value,
                    "b_sent_at": now,
                    "b_destination": package.name,
                    "b_reason": None,
                }
            )
            result = DocumentActionResult(
                document_id=outcome.document_id,
                outcome=ActionOutcome.SENT,
                status=DocumentStatus.SENT,
                message=outcome.message,
            )
        else:
            changes.append(
                {
                    "b_id": outcome.document_id,
                    "b_status": DocumentStatus.FAILED.value,
                    "b_sent_at": None,
                    "b_destination": package.name if package else None,
                    "b_reason": outcome.message,
                }
            )
            result = DocumentActionResult(
                document_id=outcome.document_id,
                outcome=ActionOutcome.FAILED,
                status=DocumentStatus.FAILED,
                message=outcome.message,
            )
        results[position_of[outcome.document_id]] = result
    if changes:
        conn.execute(
            update(_d)
            .where(_d.c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                sent_at=bindparam("b_sent_at"),
                destination=bindparam("b_destination"),
                failure_reason=bindparam("b_reason"),
            ),
            changes,
        )
        if not resend:
            refresh_inbox_count(conn, client_id)

    final: list[DocumentActionResult] = []
    for position, document_id in enumerate(document_ids):
        answer = results[position]
        if answer is None:  # the same id listed again
            first = results[position_of[document_id]]
            assert first is not None
            answer = DocumentActionResult(
                document_id=document_id,
                outcome=ActionOutcome.REFUSED,
                status=first.status,
                message="Listed more than once in this request: handled once",
            )
        final.append(answer)
    return final


def _act(
    client_id: int, body: DocumentIds, principal: Principal, request: Request, *, resend: bool
) -> DocumentActionResponse:
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        visible_client(conn, principal, client_id, lock=True)
        results = act_on_documents(
            conn, principal, client_id, body.document_ids, resend=resend, now=state.now()
        )
    return DocumentActionResponse(results=results)


@router.post(
    "/clients/{client_id}/documents/send",
    response_model=DocumentActionResponse,
    responses=CLIENT_POST,
)
def send_documents(
    client_id: PathId, body: DocumentIds, principal: CurrentStaff, request: Request
) -> DocumentActionResponse:
    """Send Inbox documents to the linked accounting software."""
    return _act(client_id, body, principal, request, resend=False)


@router.post(
    "/clients/{client_id}/documents/resend",
    response_model=DocumentActionResponse,
    responses=CLIENT_POST,
)
def resend_documents(
    client_id: PathId, body: DocumentIds, principal: CurrentStaff, request: Request
) -> DocumentActionResponse:
    """Resend Failed documents ("To accountant"); Sent documents are never resent."""
    return _act(client_id, body, principal, request, resend=True)
