"""Accounting documents: a client's paged list and one document with its delivery history;
the firm's lists across every visible client; send (Inbox) and resend (Failed), for one
client or across clients (the work itself is :mod:`lucy_server.sending`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from lucy_server import audit, db, sending
from lucy_server.auth import CurrentStaff, Principal
from lucy_server.catalogue import BY_ID
from lucy_server.errors import not_found
from lucy_server.paging import KeysetPaging, Order, SortKey
from lucy_server.params import PathId
from lucy_server.responses import CLIENT_POST, CLIENT_READ, LIST, POST
from lucy_server.state import get_state
from lucy_server.visibility import possible_id, visible_clause, visible_client
from lucy_tui.api.models import (
    ActionOutcome,
    AuditKind,
    Document,
    DocumentActionResponse,
    DocumentActionResult,
    DocumentDelivery,
    DocumentDetail,
    DocumentIds,
    DocumentStatus,
    FirmDocument,
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


DOCUMENT_ORDER = Order(
    "date_desc",
    (SortKey(_d.c.date, "date", descending=True), SortKey(_d.c.id, "id", descending=True)),
)
"""A client's documents: the newest first (date, then id)."""
FIRM_DOCUMENT_ORDER = Order("id", (SortKey(_d.c.id, "id"),))
"""The firm's documents: by id (the order they arrived in)."""


def _document(row: Any) -> dict[str, Any]:
    item = row._asdict()
    item["amount"] = Decimal(item.pop("amount_cents")).scaleb(-2)
    return item


@router.get("/clients/{client_id}/documents", response_model=Page[Document], responses=CLIENT_READ)
def list_documents(
    client_id: PathId,
    principal: CurrentStaff,
    paging: KeysetPaging,
    request: Request,
    status: DocumentStatus | None = None,
) -> dict[str, Any]:
    """The client's documents, the newest first (date, then id); pages by ``after=``."""
    where = [_d.c.client_id == client_id]
    if status is not None:
        where.append(_d.c.status == status.value)
    window = paging.window(DOCUMENT_ORDER, {"client_id": client_id, "status": status})
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        total = conn.scalar(select(func.count()).select_from(_d).where(*where)) or 0
        rows = conn.execute(
            select(*_DOCUMENT_COLUMNS)
            .where(*where, *window.where)
            .order_by(*DOCUMENT_ORDER.order_by())
            .limit(window.limit)
            .offset(window.offset)
        ).all()
    return window.page_of([_document(r) for r in rows], total)


# ``:int`` (ASCII digits): /documents/send and /resend are other paths, so a GET there is
# 405 naming POST, not an invalid document id
@router.get(
    "/clients/{client_id}/documents/{document_id:int}",
    response_model=DocumentDetail,
    responses=CLIENT_READ,
)
def get_document(
    client_id: PathId, document_id: PathId, principal: CurrentStaff, request: Request
) -> DocumentDetail:
    """One document with its delivery history (every attempt, the newest first)."""
    _dl, _s = db.deliveries, db.staff
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        row = (
            conn.execute(
                select(*_DOCUMENT_COLUMNS).where(
                    _d.c.client_id == client_id, _d.c.id == document_id
                )
            ).first()
            if possible_id(document_id)
            else None
        )
        if row is None:
            raise not_found("Document")
        attempts = conn.execute(
            select(
                _dl.c.performed_at,
                _dl.c.integration_id,
                _dl.c.success,
                _dl.c.message,
                _s.c.name.label("staff_name"),
            )
            .select_from(_dl.outerjoin(_s, _s.c.id == _dl.c.staff_id))
            .where(_dl.c.document_id == document_id)
            .order_by(_dl.c.performed_at.desc(), _dl.c.id.desc())
        ).all()
    deliveries = []
    for attempt in attempts:
        entry = BY_ID.get(attempt.integration_id) if attempt.integration_id else None
        deliveries.append(
            DocumentDelivery(
                performed_at=attempt.performed_at,
                destination_id=attempt.integration_id,
                destination=entry.name if entry else None,
                category=entry.category if entry else None,
                staff_name=attempt.staff_name,
                success=attempt.success,
                message=attempt.message,
            )
        )
    return DocumentDetail(**_document(row), deliveries=deliveries)


# --- the firm's documents -------------------------------------------------------------------


@router.get("/documents", response_model=Page[FirmDocument], responses=LIST)
def list_firm_documents(
    principal: CurrentStaff,
    paging: KeysetPaging,
    request: Request,
    status: DocumentStatus | None = None,
) -> dict[str, Any]:
    """The documents of every client the staff member sees, in id order (stable paging);
    each names its client. ``status=failed`` is the firm's queue of Failed documents."""
    _c = db.clients
    where = [visible_clause(principal)]
    if status is not None:
        where.append(_d.c.status == status.value)
    window = paging.window(FIRM_DOCUMENT_ORDER, {"status": status})
    joined = _d.join(_c, _c.c.id == _d.c.client_id)
    with db.read_tx(get_state(request).engine) as conn:
        total = conn.scalar(select(func.count()).select_from(joined).where(*where)) or 0
        rows = (
            conn.execute(
                select(*_DOCUMENT_COLUMNS, _c.c.name.label("client_name"))
                .select_from(joined)
                .where(*where, *window.where)
                .order_by(*FIRM_DOCUMENT_ORDER.order_by())
                .limit(window.limit)
                .offset(window.offset)
            ).all()
            if window.offset < total
            else []
        )
    return window.page_of([_document(r) for r in rows], total)


# --- send and resend ------------------------------------------------------------------------


def _act(
    body: DocumentIds,
    principal: Principal,
    request: Request,
    *,
    resend: bool,
    client_id: int | None = None,
) -> DocumentActionResponse:
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        if client_id is not None:
            visible_client(conn, principal, client_id, lock=True)
        results, counts = sending.act_on_documents(
            conn,
            principal,
            body.document_ids,
            resend=resend,
            now=state.now(),
            destination=body.destination,
            client_id=client_id,
        )
        kind = AuditKind.DOCUMENTS_RESENT if resend else AuditKind.DOCUMENTS_SENT
        audit.record_many(conn, principal, _delivered(kind, results), now=state.now())
    return DocumentActionResponse(results=results, clients=counts)


def _delivered(kind: AuditKind, results: list[DocumentActionResult]) -> list[audit.Change]:
    """A record per client of the documents delivered or tried (refused ones changed nothing)."""
    by_client: dict[int, list[DocumentActionResult]] = {}
    for result in results:
        if result.outcome is not ActionOutcome.REFUSED and result.client_id is not None:
            by_client.setdefault(result.client_id, []).append(result)
    changes = []
    for client_id, tried in sorted(by_client.items()):
        after = {
            "document_ids": [r.document_id for r in tried],
            "delivered": [r.document_id for r in tried if r.outcome is ActionOutcome.SENT],
            "failed": [r.document_id for r in tried if r.outcome is ActionOutcome.FAILED],
            "destinations": sorted({r.destination for r in tried if r.destination}),
            "status": {str(r.document_id): r.status for r in tried},
        }
        changes.append(audit.Change(kind, client_id, None, after))
    return changes


@router.post(
    "/clients/{client_id}/documents/send",
    response_model=DocumentActionResponse,
    responses=CLIENT_POST,
)
def send_documents(
    client_id: PathId, body: DocumentIds, principal: CurrentStaff, request: Request
) -> DocumentActionResponse:
    """Send Inbox documents to the linked accounting software (or another destination)."""
    return _act(body, principal, request, resend=False, client_id=client_id)


@router.post(
    "/clients/{client_id}/documents/resend",
    response_model=DocumentActionResponse,
    responses=CLIENT_POST,
)
def resend_documents(
    client_id: PathId, body: DocumentIds, principal: CurrentStaff, request: Request
) -> DocumentActionResponse:
    """Resend Failed documents ("To accountant"); Sent documents are never resent."""
    return _act(body, principal, request, resend=True, client_id=client_id)


@router.post("/documents/send", response_model=DocumentActionResponse, responses=POST)
def send_firm_documents(
    body: DocumentIds, principal: CurrentStaff, request: Request
) -> DocumentActionResponse:
    """Send Inbox documents of many clients in one go; a document of a client the caller
    cannot see is answered "not found" and never touched."""
    return _act(body, principal, request, resend=False)


@router.post("/documents/resend", response_model=DocumentActionResponse, responses=POST)
def resend_firm_documents(
    body: DocumentIds, principal: CurrentStaff, request: Request
) -> DocumentActionResponse:
    """Resend Failed documents of many clients in one go ("To accountant" across the firm)."""
    return _act(body, principal, request, resend=True)
