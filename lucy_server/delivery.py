"""Delivery of documents to a client's accounting package or another of its destinations.

A :class:`DeliveryAdapter` hands documents to one kind of integration (API, FTP or email).
The reference adapters below do not talk to the outside world: they apply the rules a real
destination would (a document needs a type; a destination may reject a document, which the
demo data marks with ``reject_reason``) and record every delivery attempt in the
``deliveries`` table, so tests and benchmarks can count them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_server.catalogue import CatalogueEntry
from lucy_tui.api.models import IntegrationCategory, IntegrationKind

NO_PACKAGE_REASON = (
    "No accounting software is linked to this client: link one under Integrations, "
    "then resend the document"
)
NO_TYPE_REASON = (
    "The document has no type (invoice, credit note, receipt): the accounting software "
    "cannot book it; the client must classify it in Lucy first"
)


@dataclass(frozen=True)
class Parcel:
    """What a delivery needs to know of a document."""

    document_id: int
    client_id: int
    type: str | None
    counterparty: str
    reject_reason: str | None


@dataclass(frozen=True)
class DeliveryResult:
    document_id: int
    success: bool
    message: str  # on success what was done, on failure the reason


class DeliveryAdapter(Protocol):
    """Delivers documents to one destination and records each attempt."""

    def deliver(
        self,
        conn: Connection,
        destination: CatalogueEntry | None,
        parcels: Sequence[Parcel],
        *,
        staff_id: int | None,
        now: datetime,
    ) -> list[DeliveryResult]: ...


def _record(
    conn: Connection,
    destination: CatalogueEntry | None,
    results: Sequence[DeliveryResult],
    parcels: Sequence[Parcel],
    staff_id: int | None,
    now: datetime,
) -> None:
    if not results:
        return
    conn.execute(
        db.deliveries.insert(),
        [
            {
                "document_id": result.document_id,
                "client_id": parcel.client_id,
                "integration_id": destination.id if destination else None,
                "kind": destination.kind.value if destination else None,
                "staff_id": staff_id,
                "performed_at": now,
                "success": result.success,
                "message": result.message,
            }
            for result, parcel in zip(results, parcels, strict=True)
        ],
    )


class ReferenceAdapter:
    """The rules every reference destination applies; subclasses say how they transmit."""

    kind: IntegrationKind | None = None

    def transmitted(self, destination: CatalogueEntry) -> str:
        return f"Delivered to {destination.name}"

    def check(self, destination: CatalogueEntry | None, parcel: Parcel) -> str | None:
        if destination is None:
            return NO_PACKAGE_REASON
        if destination.category is IntegrationCategory.DESTINATION:
            return None  # an archive or an expense tool takes a copy of any document
        if parcel.type is None:
            return NO_TYPE_REASON
        if parcel.reject_reason:
            return f"{destination.name} rejected the document: {parcel.reject_reason}"
        return None

    def deliver(
        self,
        conn: Connection,
        destination: CatalogueEntry | None,
        parcels: Sequence[Parcel],
        *,
        staff_id: int | None,
        now: datetime,
    ) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        for parcel in parcels:
            reason = self.check(destination, parcel)
            if reason is None:
                assert destination is not None
                results.append(
                    DeliveryResult(parcel.document_id, True, self.transmitted(destination))
                )
            else:
                results.append(DeliveryResult(parcel.document_id, False, reason))
        _record(conn, destination, results, parcels, staff_id, now)
        return results


class ApiAdapter(ReferenceAdapter):
    kind = IntegrationKind.API

    def transmitted(self, destination: CatalogueEntry) -> str:
        return f"Sent to {destination.name} by API"


class FtpAdapter(ReferenceAdapter):
    kind = IntegrationKind.FTP

    def transmitted(self, destination: CatalogueEntry) -> str:
        return f"Uploaded to {destination.name} by FTP"


class EmailAdapter(ReferenceAdapter):
    kind = IntegrationKind.EMAIL

    def transmitted(self, destination: CatalogueEntry) -> str:
        return f"Emailed to {destination.name}"


class UnlinkedAdapter(ReferenceAdapter):
    """Used when the client has no accounting package: every attempt fails, and says why."""


ADAPTERS: dict[IntegrationKind, DeliveryAdapter] = {
    IntegrationKind.API: ApiAdapter(),
    IntegrationKind.FTP: FtpAdapter(),
    IntegrationKind.EMAIL: EmailAdapter(),
}
UNLINKED: DeliveryAdapter = UnlinkedAdapter()


def adapter_for(destination: CatalogueEntry | None) -> DeliveryAdapter:
    if destination is None:
        return UNLINKED
    return ADAPTERS[destination.kind]


def deliver(
    conn: Connection,
    destination: CatalogueEntry | None,
    parcels: Sequence[Parcel],
    *,
    staff_id: int | None,
    now: datetime,
) -> list[DeliveryResult]:
    """Deliver ``parcels`` to ``destination`` (None: no package linked) in one go."""
    if not parcels:
        return []
    return adapter_for(destination).deliver(conn, destination, parcels, staff_id=staff_id, now=now)
