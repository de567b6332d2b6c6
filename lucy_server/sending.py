"""Send (Inbox) and resend (Failed) documents, of one client or of many, set-based.

One implementation serves the per-client endpoints (``/clients/{id}/documents/send``) and
the firm-wide ones (``/documents/send``): the documents are read in one query (with their
client's accounting package), each is judged (found and visible, in the right status, its
destination allowed), the accepted ones are handed to the delivery adapters grouped by
destination, the documents change in one batch, and the clients' counts are recomputed in
one statement.

Where a document goes: ``destination`` None (or the client's own package id) is the linked
accounting package, and the document's status follows the outcome (Sent or Failed). Another
destination (an archive, an expense tool) must be enabled for the document's client; it gets
a copy, recorded in the delivery history, and the status (which is about the accounting
package) stays as it was. A send to such a destination takes Inbox and Sent documents, a
resend Failed ones; a document already delivered there is refused: Lucy never delivers a
document twice to the same place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, select, update
from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_server.auth import Principal
from lucy_server.catalogue import BY_ID, CatalogueEntry
from lucy_server.delivery import Parcel, deliver
from lucy_server.errors import field_error
from lucy_server.visibility import visible_clause
from lucy_tui.api.models import (
    ActionOutcome,
    ClientDocumentCounts,
    DocumentActionResult,
    DocumentStatus,
    IntegrationCategory,
)

_d, _c = db.documents, db.clients
_ci, _cd, _dl = db.client_integrations, db.client_destinations, db.deliveries


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


def not_enabled_message(entry: CatalogueEntry) -> str:
    return (
        f"{entry.name} is not enabled for this client: only the client can switch it on, in "
        "Lucy under Settings > Integrations"
    )


def requested_destination(destination: str | None) -> CatalogueEntry | None:
    """The catalogue entry a request names (None: the package); 422 when unknown."""
    if destination is None:
        return None
    entry = BY_ID.get(destination)
    if entry is None:
        raise field_error("destination", f"Unknown destination {destination!r}")
    return entry


def refresh_counts(conn: Connection, client_ids: Iterable[int]) -> list[ClientDocumentCounts]:
    """Recompute the clients' Inbox and Failed counts from their documents; return them."""
    ids = sorted(set(client_ids))
    if not ids:
        return []

    def count(status: DocumentStatus) -> Any:
        return (
            select(func.count())
            .select_from(_d)
            .where(_d.c.client_id == _c.c.id, _d.c.status == status.value)
            .scalar_subquery()
        )

    conn.execute(
        update(_c)
        .where(_c.c.id.in_(ids))
        .values(inbox_count=count(DocumentStatus.INBOX), failed_count=count(DocumentStatus.FAILED))
    )
    rows = conn.execute(
        select(_c.c.id, _c.c.inbox_count, _c.c.failed_count).where(_c.c.id.in_(ids))
    ).all()
    return [
        ClientDocumentCounts(client_id=r.id, inbox_count=r.inbox_count, failed_count=r.failed_count)
        for r in rows
    ]


@dataclass
class _Target:
    """Where one accepted document goes."""

    entry: CatalogueEntry | None  # None: no package linked (the delivery fails, says why)
    package: bool  # the accounting package (the status follows) or another destination


def act_on_documents(
    conn: Connection,
    principal: Principal,
    document_ids: Sequence[int],
    *,
    resend: bool,
    now: datetime,
    destination: str | None = None,
    client_id: int | None = None,
) -> tuple[list[DocumentActionResult], list[ClientDocumentCounts]]:
    """Send or resend ``document_ids`` (of ``client_id``, or of any client the principal
    sees) in this transaction; a result per id, in order, and the changed clients' counts."""
    requested = requested_destination(destination)
    wanted = sorted(set(document_ids))
    where: list[ColumnElement[bool]] = [_d.c.id.in_(wanted)]
    if client_id is not None:
        where.append(_d.c.client_id == client_id)
    else:
        where.append(visible_clause(principal))
    rows = {
        row.id: row
        for row in conn.execute(
            select(
                _d.c.id,
                _d.c.client_id,
                _d.c.type,
                _d.c.counterparty,
                _d.c.status,
                _d.c.sent_at,
                _d.c.destination,
                _d.c.reject_reason,
                _ci.c.accounting_package,
            )
            .select_from(
                _d.join(_c, _c.c.id == _d.c.client_id).outerjoin(
                    _ci, _ci.c.client_id == _d.c.client_id
                )
            )
            .where(*where)
        ).all()
    }
    client_ids = {row.client_id for row in rows.values()}
    enabled: set[tuple[int, str]] = set()
    delivered_at: dict[int, datetime] = {}
    if requested is not None and requested.category is IntegrationCategory.DESTINATION:
        enabled = {
            (r.client_id, r.integration_id)
            for r in conn.execute(
                select(_cd.c.client_id, _cd.c.integration_id).where(
                    _cd.c.client_id.in_(sorted(client_ids)), _cd.c.integration_id == requested.id
                )
            ).all()
        }
        delivered_at = {
            r.document_id: r.performed_at
            for r in conn.execute(
                select(_dl.c.document_id, func.max(_dl.c.performed_at).label("performed_at"))
                .where(
                    and_(
                        _dl.c.document_id.in_(list(rows)),
                        _dl.c.integration_id == requested.id,
                        _dl.c.success.is_(True),
                    )
                )
                .group_by(_dl.c.document_id)
            ).all()
        }

    not_found = "Document {} not found" + (" for this client" if client_id is not None else "")
    results: list[DocumentActionResult | None] = []
    position_of: dict[int, int] = {}
    targets: dict[int, _Target] = {}
    parcels: dict[str | None, list[Parcel]] = {}  # by destination id (None: no package)
    for position, document_id in enumerate(document_ids):
        row = rows.get(document_id)
        if row is None:
            results.append(
                DocumentActionResult(
                    document_id=document_id,
                    outcome=ActionOutcome.REFUSED,
                    message=not_found.format(document_id),
                )
            )
            continue
        if document_id in position_of:
            results.append(None)  # a repeat: filled in with the document's final status
            continue
        position_of[document_id] = position
        status = DocumentStatus(row.status)
        package = BY_ID.get(row.accounting_package) if row.accounting_package else None
        target, refusal = _judge(row, status, resend, requested, package, enabled, delivered_at)
        if target is None:
            results.append(
                DocumentActionResult(
                    document_id=document_id,
                    outcome=ActionOutcome.REFUSED,
                    status=status,
                    message=refusal,
                    client_id=row.client_id,
                    destination=named.name if (named := requested or package) else None,
                )
            )
            continue
        results.append(None)
        targets[document_id] = target
        parcels.setdefault(target.entry.id if target.entry else None, []).append(
            Parcel(
                document_id=row.id,
                client_id=row.client_id,
                type=row.type,
                counterparty=row.counterparty,
                reject_reason=row.reject_reason,
            )
        )

    changes: list[dict[str, Any]] = []
    for entry_id, group in parcels.items():
        entry = BY_ID.get(entry_id) if entry_id else None
        for outcome in deliver(conn, entry, group, staff_id=principal.staff_id, now=now):
            target = targets[outcome.document_id]
            row = rows[outcome.document_id]
            name = entry.name if entry else None
            if target.package:
                status = DocumentStatus.SENT if outcome.success else DocumentStatus.FAILED
                changes.append(
                    {
                        "b_id": outcome.document_id,
                        "b_status": status.value,
                        "b_sent_at": now if outcome.success else None,
                        "b_destination": name,
                        "b_reason": None if outcome.success else outcome.message,
                    }
                )
            else:
                status = DocumentStatus(row.status)  # a copy elsewhere: the status stays
            results[position_of[outcome.document_id]] = DocumentActionResult(
                document_id=outcome.document_id,
                outcome=ActionOutcome.SENT if outcome.success else ActionOutcome.FAILED,
                status=status,
                message=outcome.message,
                client_id=row.client_id,
                destination=name,
            )
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
    changed_clients = {rows[change["b_id"]].client_id for change in changes}
    counts = refresh_counts(conn, changed_clients)

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
                client_id=first.client_id,
                destination=first.destination,
            )
        final.append(answer)
    return final, counts


def _judge(
    row: Any,
    status: DocumentStatus,
    resend: bool,
    requested: CatalogueEntry | None,
    package: CatalogueEntry | None,
    enabled: set[tuple[int, str]],
    delivered_at: dict[int, datetime],
) -> tuple[_Target | None, str]:
    """Where an accepted document goes, or why it is refused."""
    if requested is not None and requested.category is IntegrationCategory.ACCOUNTING:
        if package is None or package.id != requested.id:
            linked = f"it is linked to {package.name}" if package else "none is linked"
            return None, f"{requested.name} is not this client's accounting software ({linked})"
        requested = None  # the client's own package: the usual send
    if requested is None:
        accepted = DocumentStatus.FAILED if resend else DocumentStatus.INBOX
        if status is accepted:
            return _Target(package, package=True), ""
        if status is DocumentStatus.SENT:
            return None, sent_message(
                row.destination, row.sent_at, package.name if package else None
            )
        if status is DocumentStatus.FAILED:
            return None, 'This document failed earlier: resend it with "To accountant"'
        return None, "This document has not been sent yet: send it instead of resending"
    # another destination: a copy, when the client has enabled it
    if (row.client_id, requested.id) not in enabled:
        return None, not_enabled_message(requested)
    when = delivered_at.get(row.id)
    if when is not None:
        return None, (
            f"Already delivered to {requested.name} on {when:%d/%m/%Y}: Lucy never delivers "
            "a document twice to the same place"
        )
    if resend and status is not DocumentStatus.FAILED:
        return None, "Only Failed documents are resent: send this one instead"
    if not resend and status is DocumentStatus.FAILED:
        return None, 'This document failed earlier: resend it with "To accountant"'
    return _Target(requested, package=False), ""
