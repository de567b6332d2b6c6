"""A client's accounting documents as a virtual table with a multi-selection kept by id.

:class:`~lucy_tui.document_view.DocumentView` is the model (no Textual).
:class:`DocumentTable` draws it as the client list is drawn (a
:class:`~lucy_tui.widgets.virtual_table.VirtualTable`: only the rows on screen), so a
client with thousands of documents scrolls, filters and selects as fast as one with ten.
The selection and the cursor follow document ids, so both survive filtering, sorting and
reloads. What is the documents' own: the selection marks, the status badges, a message
when nothing is shown, the status filter.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message

from lucy_tui.api.models import Document, DocumentStatus
from lucy_tui.document_selection import DocumentSelection
from lucy_tui.document_view import (
    COLUMNS,
    DIRECTION_LABELS,
    SOURCE_LABELS,
    DocColumn,
    DocumentView,
    format_amount,
    format_date,
    type_label,
)
from lucy_tui.widgets.virtual_table import (
    Cell,
    Part,
    VirtualTable,
    component_classes,
    cursor_bindings,
)

STATUS_BADGES = {
    DocumentStatus.INBOX: " Inbox ",
    DocumentStatus.SENT: " Sent ",
    DocumentStatus.FAILED: " Failed ",
}

# The documents' selection keys, the same wherever documents are listed (DESIGN §5).
SELECTION_BINDINGS: list[BindingType] = [
    Binding("space", "toggle_selection", "Select", id="documents.select"),
    Binding("A", "select_shown", "All shown", id="documents.select_shown"),
    Binding("F", "select_failed", "All failed", id="documents.select_failed"),
    Binding("x", "clear_selection", "Clear", tooltip="Clear selection", id="documents.clear"),
]


R = TypeVar("R", bound=Document)
K = TypeVar("K", bound=StrEnum)


class SelectableTable(VirtualTable[R, K]):
    """A table of documents with the multi-selection keys (``space``, ``A``, ``F``, ``x``)
    and a mark column (its first) that a click toggles. Posts :class:`Changed`."""

    class Changed(Message):
        """The selection, the filter, the sort or the documents changed."""

    class CursorMoved(Message):
        def __init__(self, document: Any) -> None:
            super().__init__()
            self.document = document

    @property
    def selection(self) -> DocumentSelection[R]:
        view: Any = self.view
        return view

    def view_changed(self) -> None:
        """The view's rows changed: keep the cursor on the same document when it is shown."""
        super().view_changed()
        self.post_message(self.Changed())

    def action_toggle_selection(self) -> None:
        document = self.cursor_item
        if document is None:
            return
        self.selection.toggle(document.id)
        self._selection_changed()
        self._move(self.cursor_row + 1)  # as k9s and file managers do: mark and move on

    def action_select_shown(self) -> None:
        self.selection.select_shown()
        self._selection_changed()

    def action_select_failed(self) -> None:
        self.selection.select_status(DocumentStatus.FAILED)
        self._selection_changed()

    def action_clear_selection(self) -> None:
        self.selection.clear_selection()
        self._selection_changed()

    def deselect(self, document_ids: Iterable[int]) -> None:
        self.selection.deselect(document_ids)
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.refresh()
        self.post_message(self.Changed())

    def _row_id(self, row: R) -> int:
        return row.id

    def _cursor_moved(self, row: R | None) -> None:
        self.post_message(self.CursorMoved(row))

    def _row_clicked(self, index: int, event: events.Click) -> None:
        if self._column_at(event.x) == 0:  # a click on the mark toggles it
            self.selection.toggle(self.view.row_at(index).id)
            self._selection_changed()

    def _row_key(self, row: R) -> tuple[object, ...]:
        return (row.id, row.id in self.selection.selected)

    def _row_style(self, row: R, is_cursor: bool) -> str | None:
        return "selected" if not is_cursor and row.id in self.selection.selected else None


class DocumentTable(SelectableTable[Document, DocColumn]):
    """The documents of one client: cursor, status filter, sort and multi-selection.

    Posts :class:`Changed` when the selection, the filter, the sort or the data change,
    and :class:`CursorMoved` when the cursor lands on another document.
    """

    DEFAULT_CSS = """
    DocumentTable {
        & > .document-table--selected { background: $accent 18%; }
        & > .document-table--mark { color: $accent; text-style: bold; }
        & > .document-table--inbox {
            background: $primary-muted;
            color: $text-primary;
            text-style: bold;
        }
        & > .document-table--sent {
            background: $success-muted;
            color: $text-success;
            text-style: bold;
        }
        & > .document-table--failed {
            background: $error-muted;
            color: $text-error;
            text-style: bold;
        }
        & > .document-table--reason { color: $text-error; }
        & > .document-table--untyped { color: $text-warning; text-style: italic; }
    }
    """

    COMPONENT_PREFIX = "document-table--"
    COMPONENT_CLASSES = component_classes(
        COMPONENT_PREFIX, "selected", "mark", "inbox", "sent", "failed", "reason", "untyped"
    )

    BINDINGS = [
        *cursor_bindings("documents"),
        *SELECTION_BINDINGS,
        Binding("v", "cycle_filter", "Status filter", id="documents.filter"),
        Binding("s", "sort", "Sort", show=False, id="documents.sort"),
    ]

    view: DocumentView

    def __init__(
        self,
        view: DocumentView | None = None,
        *,
        empty_message: str = "No documents.",
        id: str | None = None,
    ) -> None:
        super().__init__(view if view is not None else DocumentView(), COLUMNS, id=id)
        self.empty_message = empty_message

    # --- data -----------------------------------------------------------------------------

    @property
    def cursor_document(self) -> Document | None:
        return self.cursor_item

    def set_documents(self, documents: Iterable[Document]) -> None:
        """Show a fresh load; the selection and the cursor stay on the same documents."""
        self.view.set_documents(documents)
        self.view_changed()

    def update_documents(self, documents: Iterable[Document]) -> None:
        """Some documents changed (a send or a resend): redraw them where they are."""
        self.view.update(documents)
        self.view_changed()

    def set_empty_message(self, text: str) -> None:
        self.empty_message = text
        self.refresh()

    # --- filter and sort ------------------------------------------------------------------

    def action_cycle_filter(self) -> None:
        self.view.cycle_filter()
        self.view_changed()

    def set_filter(self, status: DocumentStatus | None) -> None:
        self.view.set_filter(status)
        self.view_changed()

    def action_sort(self) -> None:
        self.view.set_sort(self.current_column)
        self.view_changed()

    # --- what the base asks -------------------------------------------------------------

    def _empty_text(self) -> str | None:
        view = self.view
        if view.total and view.status_filter is not None:
            return (
                f"No {view.status_filter.label} documents among the {view.total:,} of this "
                "client. Press v to show another status."
            )
        return self.empty_message

    def _cell(self, row: Document, column: DocColumn) -> Cell:
        if column is DocColumn.MARK:
            return Part("✓" if row.id in self.view.selected else " ", "mark")
        if column is DocColumn.DATE:
            return format_date(row)
        if column is DocColumn.COUNTERPARTY:
            return row.counterparty
        if column is DocColumn.TYPE:
            return Part(type_label(row), None if row.type else "untyped")
        if column is DocColumn.DIRECTION:
            return DIRECTION_LABELS[row.direction]
        if column is DocColumn.AMOUNT:
            return format_amount(row.amount, row.currency)
        if column is DocColumn.SOURCE:
            return SOURCE_LABELS[row.source]
        if column is DocColumn.STATUS:
            # The badge fills the column in its colours, on the cursor row too.
            return Part(STATUS_BADGES[row.status], row.status.value, on_cursor=True)
        # DocColumn.REASON
        if row.status is DocumentStatus.FAILED and row.failure_reason:
            return Part(row.failure_reason, "reason")
        return ""
