"""A client's accounting documents as the Documents tab shows them, without Textual.

:class:`DocumentView` is the model of :class:`~lucy_tui.widgets.document_table.DocumentTable`
(as :class:`~lucy_tui.clients.view.ClientView` is the client list's): every loaded document
by id, the selection (a set of ids), the status filter and the sort, and the ids shown in
order. The selection follows document ids, so it survives filtering, sorting and reloads.
The formatters and labels here are shared by the table, the tab and its dialogs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from lucy_tui.api.models import (
    Document,
    DocumentDirection,
    DocumentSource,
    DocumentStatus,
    DocumentType,
)
from lucy_tui.columns import FLEXIBLE, ColumnSpec
from lucy_tui.document_selection import DocumentSelection

# The status filter cycles in this order (None: every status).
FILTER_CYCLE: tuple[DocumentStatus | None, ...] = (
    None,
    DocumentStatus.INBOX,
    DocumentStatus.SENT,
    DocumentStatus.FAILED,
)

TYPE_LABELS = {
    DocumentType.INVOICE: "Invoice",
    DocumentType.CREDIT_NOTE: "Credit note",
    DocumentType.RECEIPT: "Receipt",
    DocumentType.OTHER: "Other",
}
NO_TYPE_LABEL = "no type"
DIRECTION_LABELS = {DocumentDirection.PURCHASE: "Purchase", DocumentDirection.SALE: "Sale"}
SOURCE_LABELS = {
    DocumentSource.EMAIL: "Email",
    DocumentSource.UPLOAD: "Upload",
    DocumentSource.PEPPOL: "Peppol",
    DocumentSource.MOBILE: "Mobile",
}


def format_date(document: Document) -> str:
    return document.date.strftime("%d/%m/%Y")


def format_amount(amount: Decimal, currency: str = "EUR") -> str:
    """Belgian style: ``1.234,56 €`` (other currencies by their code)."""
    text = f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{text} {'€' if currency == 'EUR' else currency}"


def type_label(document: Document) -> str:
    return TYPE_LABELS[document.type] if document.type is not None else NO_TYPE_LABEL


def status_filter_label(status: DocumentStatus | None) -> str:
    return status.label if status is not None else "All"


class DocColumn(StrEnum):
    MARK = "selected"
    DATE = "date"
    COUNTERPARTY = "counterparty"
    TYPE = "type"
    DIRECTION = "direction"
    AMOUNT = "amount"
    SOURCE = "source"
    STATUS = "status"
    REASON = "reason"


COLUMNS: tuple[ColumnSpec[DocColumn], ...] = (
    ColumnSpec(DocColumn.MARK, "✓", 1, pinned=True),
    ColumnSpec(DocColumn.DATE, "Date", 10, pinned=True),
    ColumnSpec(DocColumn.COUNTERPARTY, "Supplier / customer", 26),
    ColumnSpec(DocColumn.TYPE, "Type", 11),
    ColumnSpec(DocColumn.DIRECTION, "Direction", 9),
    ColumnSpec(DocColumn.AMOUNT, "Amount", 15, "right"),
    ColumnSpec(DocColumn.SOURCE, "Source", 6),
    ColumnSpec(DocColumn.STATUS, "Status", 8),
    ColumnSpec(DocColumn.REASON, "Failure reason", FLEXIBLE),
)


class DocumentView(DocumentSelection[Document]):
    """Which documents are loaded, selected and shown, in which order. No Textual here."""

    def __init__(self) -> None:
        self.documents: dict[int, Document] = {}  # by id, in the server's order
        self.selected: set[int] = set()
        self.status_filter: DocumentStatus | None = None
        self.sort_column: DocColumn = DocColumn.DATE
        self.sort_reverse = True  # newest first, as the server sends them
        self.order: list[int] = []  # ids of the shown documents, in display order
        self._shown: set[int] = set()
        self._index: dict[int, int] | None = None  # id -> position in ``order`` (lazy)
        self.counts: dict[DocumentStatus, int] = dict.fromkeys(DocumentStatus, 0)

    # --- data ---------------------------------------------------------------------------

    def set_documents(self, documents: Iterable[Document]) -> None:
        """Replace everything loaded; the selection keeps the ids that still exist."""
        self.documents = {document.id: document for document in documents}
        self.selected &= self.documents.keys()
        self._recount()
        self.refresh()

    def update(self, documents: Iterable[Document]) -> None:
        """Replace some documents in place (by id), keeping their place and selection."""
        for document in documents:
            self.documents[document.id] = document
        self._recount()
        self.refresh()

    def _recount(self) -> None:
        counts = dict.fromkeys(DocumentStatus, 0)
        for document in self.documents.values():
            counts[document.status] += 1
        self.counts = counts

    def get(self, document_id: int) -> Document | None:
        return self.documents.get(document_id)

    @property
    def total(self) -> int:
        return len(self.documents)

    # --- what is shown ------------------------------------------------------------------

    def refresh(self) -> None:
        """Recompute the shown ids from the filter and the sort."""
        wanted = self.status_filter
        documents = self.documents.values()
        shown = [d for d in documents if wanted is None or d.status is wanted]
        if not (self.sort_column is DocColumn.DATE and self.sort_reverse):
            # Python's sort is stable: ties keep the server's order (newest first).
            shown.sort(key=self._sort_key(self.sort_column), reverse=self.sort_reverse)
        self.order = [d.id for d in shown]
        self._shown = set(self.order)
        self._index = None

    def _sort_key(self, column: DocColumn) -> Callable[[Document], Any]:
        keys: dict[DocColumn, Callable[[Document], Any]] = {
            DocColumn.MARK: lambda d: d.id in self.selected,
            DocColumn.DATE: lambda d: (d.date, d.id),
            DocColumn.COUNTERPARTY: lambda d: d.counterparty.casefold(),
            DocColumn.TYPE: type_label,
            DocColumn.DIRECTION: lambda d: d.direction.value,
            DocColumn.AMOUNT: lambda d: d.amount,
            DocColumn.SOURCE: lambda d: d.source.value,
            DocColumn.STATUS: lambda d: d.status.label,
            DocColumn.REASON: lambda d: (d.failure_reason or "").casefold(),
        }
        return keys[column]

    def __len__(self) -> int:
        return len(self.order)

    def row_at(self, index: int) -> Document:
        return self.documents[self.order[index]]

    def index_of(self, document_id: int) -> int | None:
        """Where a document is shown (None when the filter hides it)."""
        if self._index is None:
            self._index = {document_id: i for i, document_id in enumerate(self.order)}
        return self._index.get(document_id)

    def is_shown(self, document_id: int) -> bool:
        return document_id in self._shown

    def set_filter(self, status: DocumentStatus | None) -> None:
        self.status_filter = status
        self.refresh()

    def cycle_filter(self) -> DocumentStatus | None:
        """All -> Inbox -> Sent -> Failed -> All."""
        position = FILTER_CYCLE.index(self.status_filter)
        self.set_filter(FILTER_CYCLE[(position + 1) % len(FILTER_CYCLE)])
        return self.status_filter

    def set_sort(self, column: DocColumn) -> None:
        """Sort by ``column``; the same column again reverses the order."""
        if column is self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self.refresh()

    # --- what the selection sees (DocumentSelection) ------------------------------------

    def all_documents(self) -> Iterable[Document]:
        return self.documents.values()

    def shown_ids(self) -> Iterable[int]:
        return self.order
