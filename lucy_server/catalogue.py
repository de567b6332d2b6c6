"""The integrations catalogue: Lucy's accounting packages and other destinations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_tui.api.models import IntegrationCategory, IntegrationKind


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    name: str
    short_name: str
    kind: IntegrationKind
    category: IntegrationCategory
    description: str


_A = IntegrationCategory.ACCOUNTING
_D = IntegrationCategory.DESTINATION
_API, _FTP, _EMAIL = IntegrationKind.API, IntegrationKind.FTP, IntegrationKind.EMAIL

CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("yuki", "Yuki", "Yuki", _API, _A, "Documents are pushed to Yuki by API."),
    CatalogueEntry(
        "exact-online", "Exact Online", "Exact", _API, _A, "Documents are pushed by API."
    ),
    CatalogueEntry(
        "wolters-kluwer", "Wolters Kluwer", "WK", _API, _A, "Documents are pushed by API."
    ),
    CatalogueEntry(
        "syneton-dms", "Syneton DMS", "Syneton", _API, _A, "Documents are pushed by API."
    ),
    CatalogueEntry("expert-m", "Expert/M", "Expert/M", _FTP, _A, "Documents are put on FTP."),
    CatalogueEntry("vero-online", "Vero Online", "Vero", _FTP, _A, "Documents are put on FTP."),
    CatalogueEntry("sage-bob", "Sage BOB", "BOB", _FTP, _A, "Documents are put on FTP."),
    CatalogueEntry("account-2000", "Account 2000", "A2000", _FTP, _A, "Documents are put on FTP."),
    CatalogueEntry("adsolut", "Adsolut", "Adsolut", _FTP, _A, "Documents are put on FTP."),
    CatalogueEntry(
        "clearfacts", "Clearfacts", "Clearfacts", _EMAIL, _A, "Documents are sent by email."
    ),
    CatalogueEntry("octopus", "Octopus", "Octopus", _EMAIL, _A, "Documents are sent by email."),
    CatalogueEntry("winbooks", "WinBooks", "WinBooks", _EMAIL, _A, "Documents are sent by email."),
    CatalogueEntry(
        "zenvoices", "Zenvoices", "Zenvoices", _EMAIL, _A, "Documents are sent by email."
    ),
    CatalogueEntry("lyanthe", "Lyanthe", "Lyanthe", _EMAIL, _A, "Documents are sent by email."),
    CatalogueEntry(
        "dropbox-archive",
        "Dropbox archive",
        "Dropbox",
        _API,
        _D,
        "A copy of every document is archived in the client's Dropbox.",
    ),
    CatalogueEntry(
        "expense-tool-email",
        "Expense tool by email",
        "Expenses",
        _EMAIL,
        _D,
        "Receipts are forwarded to the client's expense tool by email.",
    ),
    CatalogueEntry(
        "google-drive-archive",
        "Google Drive archive",
        "Drive",
        _API,
        _D,
        "A copy of every document is archived in the client's Google Drive.",
    ),
)

BY_ID = {entry.id: entry for entry in CATALOGUE}
ACCOUNTING_IDS = tuple(e.id for e in CATALOGUE if e.category is IntegrationCategory.ACCOUNTING)
DESTINATION_IDS = tuple(e.id for e in CATALOGUE if e.category is IntegrationCategory.DESTINATION)


def install_catalogue(conn: Connection) -> None:
    """Insert the catalogue entries the database lacks (idempotent)."""
    present = set(conn.scalars(select(db.integrations.c.id)).all())
    rows = [
        {
            "id": e.id,
            "name": e.name,
            "short_name": e.short_name,
            "kind": e.kind.value,
            "category": e.category.value,
            "description": e.description,
            "position": position,
        }
        for position, e in enumerate(CATALOGUE)
        if e.id not in present
    ]
    if rows:
        conn.execute(db.integrations.insert(), rows)
