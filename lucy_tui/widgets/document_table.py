"""A client's accounting documents as a virtual table with a multi-selection kept by id.

:class:`DocumentView` is the model (no Textual): every loaded document by id, the
selection (a set of ids), the status filter and the sort, and the ids shown in order.
:class:`DocumentTable` draws it like the client list does (a ``ScrollView`` whose
``render_line`` draws only the rows on screen), so a client with thousands of documents
scrolls, filters and selects as fast as one with ten. The selection and the cursor follow
document ids, so both survive filtering, sorting and reloads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lucy_tui.api.models import (
    Document,
    DocumentDirection,
    DocumentSource,
    DocumentStatus,
    DocumentType,
)
from lucy_tui.safe_text import printable

GAP = 1
HEADER_HEIGHT = 1

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
STATUS_BADGES = {
    DocumentStatus.INBOX: " Inbox ",
    DocumentStatus.SENT: " Sent ",
    DocumentStatus.FAILED: " Failed ",
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


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells, cut with an ellipsis when too long."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


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


@dataclass(frozen=True, slots=True)
class DocColumnSpec:
    column: DocColumn
    title: str
    width: int  # 0: shares the remaining width
    align: str = "left"


COLUMNS: tuple[DocColumnSpec, ...] = (
    DocColumnSpec(DocColumn.MARK, "✓", 1),
    DocColumnSpec(DocColumn.DATE, "Date", 10),
    DocColumnSpec(DocColumn.COUNTERPARTY, "Supplier / customer", 26),
    DocColumnSpec(DocColumn.TYPE, "Type", 11),
    DocColumnSpec(DocColumn.DIRECTION, "Direction", 9),
    DocColumnSpec(DocColumn.AMOUNT, "Amount", 15, "right"),
    DocColumnSpec(DocColumn.SOURCE, "Source", 6),
    DocColumnSpec(DocColumn.STATUS, "Status", 8),
    DocColumnSpec(DocColumn.REASON, "Failure reason", 0),
)
MIN_REASON_WIDTH = 16


class DocumentView:
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

    # --- selection ----------------------------------------------------------------------

    def toggle(self, document_id: int) -> bool:
        """Select or unselect one document; True when it is now selected."""
        if document_id in self.selected:
            self.selected.discard(document_id)
            return False
        if document_id in self.documents:
            self.selected.add(document_id)
            return True
        return False

    def select_shown(self) -> int:
        """Select every shown document; the number newly selected."""
        before = len(self.selected)
        self.selected.update(self.order)
        return len(self.selected) - before

    def select_status(self, status: DocumentStatus) -> int:
        """Select every document of ``status``, shown or not; how many that is."""
        ids = [d.id for d in self.documents.values() if d.status is status]
        self.selected.update(ids)
        return len(ids)

    def deselect(self, document_ids: Iterable[int]) -> None:
        self.selected.difference_update(document_ids)

    def clear_selection(self) -> None:
        self.selected.clear()

    @property
    def hidden_selected(self) -> int:
        """Selected documents that the filter hides."""
        return sum(1 for document_id in self.selected if document_id not in self._shown)

    def selected_documents(self) -> list[Document]:
        """The selected documents, in the server's order (newest first)."""
        return [d for d in self.documents.values() if d.id in self.selected]


def selection_line(view: DocumentView) -> str:
    """ "N selected (M hidden by the filter)", the bracket only when M > 0."""
    count = len(view.selected)
    hidden = view.hidden_selected
    line = f"{count:,} selected"
    return f"{line} ({hidden:,} hidden by the filter)" if hidden else line


class DocumentTable(ScrollView, can_focus=True):
    """The documents of one client: cursor, status filter, sort and multi-selection.

    Posts :class:`Changed` when the selection, the filter, the sort or the data change,
    and :class:`CursorMoved` when the cursor lands on another document.
    """

    DEFAULT_CSS = """
    DocumentTable {
        height: 1fr;
        background: $surface;
        & > .document-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .document-table--header-current { text-style: bold reverse; }
        & > .document-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .document-table--cursor-blurred { background: $block-cursor-blurred-background; }
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
        & > .document-table--dim { color: $text-muted; }
        & > .document-table--empty { color: $text-muted; text-style: italic; }
    }
    """

    COMPONENT_CLASSES = {
        "document-table--header",
        "document-table--header-current",
        "document-table--cursor",
        "document-table--cursor-blurred",
        "document-table--selected",
        "document-table--mark",
        "document-table--inbox",
        "document-table--sent",
        "document-table--failed",
        "document-table--reason",
        "document-table--untyped",
        "document-table--dim",
        "document-table--empty",
    }

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="documents.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="documents.down"),
        Binding("g,home", "first", "First", show=False, id="documents.first"),
        Binding("G,end", "last", "Last", show=False, id="documents.last"),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("left,h", "column(-1)", "Column left", show=False),
        Binding("right,l", "column(1)", "Column right", show=False),
        Binding("space", "toggle_selection", "Select", id="documents.select"),
        Binding("A", "select_shown", "All shown", id="documents.select_shown"),
        Binding("F", "select_failed", "All failed", id="documents.select_failed"),
        Binding("x", "clear_selection", "Clear selection", show=False, id="documents.clear"),
        Binding("v", "cycle_filter", "Status filter", id="documents.filter"),
        Binding("s", "sort", "Sort", show=False, id="documents.sort"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)
    cursor_column: reactive[int] = reactive(1)

    class Changed(Message):
        """The selection, the filter, the sort or the documents changed."""

    class CursorMoved(Message):
        def __init__(self, document: Document | None) -> None:
            super().__init__()
            self.document = document

    def __init__(
        self,
        view: DocumentView | None = None,
        *,
        empty_message: str = "No documents.",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.view = view if view is not None else DocumentView()
        self.empty_message = empty_message
        self._cursor_document: int | None = None
        self._styles: dict[str, Style] = {}
        # Drawn rows, reused while the document, its state and the width are unchanged.
        self._strips: LRUCache[tuple[object, ...], tuple[Document, Strip]] = LRUCache(1024)

    # --- data -----------------------------------------------------------------------------

    @property
    def cursor_document(self) -> Document | None:
        if 0 <= self.cursor_row < len(self.view):
            return self.view.row_at(self.cursor_row)
        return None

    def set_documents(self, documents: Iterable[Document]) -> None:
        """Show a fresh load; the selection and the cursor stay on the same documents."""
        self.view.set_documents(documents)
        self.view_changed()

    def update_documents(self, documents: Iterable[Document]) -> None:
        """Some documents changed (a send or a resend): redraw them where they are."""
        self.view.update(documents)
        self.view_changed()

    def view_changed(self) -> None:
        """The view's rows changed: keep the cursor on the same document when it is shown."""
        index = None
        if self._cursor_document is not None:
            index = self.view.index_of(self._cursor_document)
        self.virtual_size = Size(self.size.width, len(self.view) + HEADER_HEIGHT)
        self.cursor_row = (
            index if index is not None else min(self.cursor_row, max(0, len(self.view) - 1))
        )
        self.refresh()
        self.post_message(self.Changed())

    def move_to(self, document_id: int) -> bool:
        index = self.view.index_of(document_id)
        if index is None:
            return False
        self.cursor_row = index
        return True

    def set_empty_message(self, text: str) -> None:
        self.empty_message = text
        self.refresh()

    # --- selection and filter -------------------------------------------------------------

    def action_toggle_selection(self) -> None:
        document = self.cursor_document
        if document is None:
            return
        self.view.toggle(document.id)
        self._selection_changed()
        self._move(self.cursor_row + 1)  # as k9s and file managers do: mark and move on

    def action_select_shown(self) -> None:
        self.view.select_shown()
        self._selection_changed()

    def action_select_failed(self) -> None:
        self.view.select_status(DocumentStatus.FAILED)
        self._selection_changed()

    def action_clear_selection(self) -> None:
        self.view.clear_selection()
        self._selection_changed()

    def deselect(self, document_ids: Iterable[int]) -> None:
        self.view.deselect(document_ids)
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.refresh()
        self.post_message(self.Changed())

    def action_cycle_filter(self) -> None:
        self.view.cycle_filter()
        self.view_changed()

    def set_filter(self, status: DocumentStatus | None) -> None:
        self.view.set_filter(status)
        self.view_changed()

    def action_sort(self) -> None:
        self.view.set_sort(COLUMNS[self.cursor_column].column)
        self.view_changed()

    # --- cursor -------------------------------------------------------------------------

    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, len(self.view) - 1)) if len(self.view) else 0

    def validate_cursor_column(self, value: int) -> int:
        return max(0, min(value, len(COLUMNS) - 1))

    def watch_cursor_row(self, value: int) -> None:
        document = self.cursor_document
        new_id = document.id if document else None
        changed = new_id != self._cursor_document
        self._cursor_document = new_id
        self._scroll_cursor_into_view()
        self.refresh()
        if changed:
            self.post_message(self.CursorMoved(document))

    def watch_cursor_column(self) -> None:
        self.refresh()

    def _scroll_cursor_into_view(self) -> None:
        body_height = max(1, self.scrollable_content_region.height - HEADER_HEIGHT)
        top = round(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + body_height:
            self.scroll_to(y=self.cursor_row - body_height + 1, animate=False, immediate=True)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER_HEIGHT - 1)

    def _move(self, row: int) -> None:
        self.cursor_row = row

    def action_cursor_up(self) -> None:
        self._move(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._move(self.cursor_row + 1)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self.view) - 1)

    def action_page_up(self) -> None:
        self._move(self.cursor_row - self._page())

    def action_page_down(self) -> None:
        self._move(self.cursor_row + self._page())

    def action_column(self, delta: int) -> None:
        self.cursor_column += delta

    def on_click(self, event: events.Click) -> None:
        if event.y < HEADER_HEIGHT:
            column = self._column_at(event.x)
            if column is not None:
                self.cursor_column = column
            return
        index = round(self.scroll_offset.y) + event.y - HEADER_HEIGHT
        if 0 <= index < len(self.view):
            self._move(index)
            if self._column_at(event.x) == 0:  # a click on the mark toggles it
                self.view.toggle(self.view.order[index])
                self._selection_changed()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.view) + HEADER_HEIGHT)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # --- drawing ------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"document-table--{name}")
        return style

    def _widths(self) -> list[int]:
        width = self.scrollable_content_region.width
        fixed = sum(spec.width for spec in COLUMNS) + GAP * (len(COLUMNS) - 1) + 1
        flexible = max(MIN_REASON_WIDTH, width - fixed)
        return [spec.width or flexible for spec in COLUMNS]

    def _column_at(self, x: int) -> int | None:
        position = 1
        for index, width in enumerate(self._widths()):
            if position <= x < position + width + GAP:
                return index
            position += width + GAP
        return None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y < HEADER_HEIGHT:
            return self._header(width, base)
        index = round(self.scroll_offset.y) + y - HEADER_HEIGHT
        if not len(self.view):
            if index == 1:  # one blank line under the header, then the explanation
                return self._empty_line(width, base)
            return Strip.blank(width, base)
        if index >= len(self.view):
            return Strip.blank(width, base)
        return self._row(self.view.row_at(index), index == self.cursor_row, width, base)

    def _empty_line(self, width: int, base: Style) -> Strip:
        view = self.view
        if view.total and view.status_filter is not None:
            text = (
                f"No {view.status_filter.label} documents among the {view.total:,} of this "
                "client. Press v to show another status."
            )
        else:
            text = self.empty_message
        style = base + self._style("empty")
        return Strip([Segment("  " + printable(text), style)]).adjust_cell_length(width, base)

    def _header(self, width: int, base: Style) -> Strip:
        header = base + self._style("header")
        segments = [Segment(" ", header)]
        view = self.view
        for index, (spec, cell_width) in enumerate(zip(COLUMNS, self._widths(), strict=True)):
            if index:
                segments.append(Segment(" " * GAP, header))
            title = spec.title
            if spec.column is view.sort_column:
                title += " ▼" if view.sort_reverse else " ▲"
            style = (
                header + self._style("header-current") if index == self.cursor_column else header
            )
            text = (
                fit(title, cell_width)
                if spec.align == "left"
                else title.rjust(cell_width)[-cell_width:]
            )
            segments.append(Segment(text, style))
        return Strip(segments).adjust_cell_length(width, header)

    def _row(self, document: Document, is_cursor: bool, width: int, base: Style) -> Strip:
        selected = document.id in self.view.selected
        key = (document.id, is_cursor, is_cursor and self.has_focus, selected, width)
        cached = self._strips.get(key)
        if cached is None or cached[0] is not document:
            cached = (document, self._draw_row(document, is_cursor, selected, width, base))
            self._strips[key] = cached
        return cached[1]

    def _draw_row(
        self, document: Document, is_cursor: bool, selected: bool, width: int, base: Style
    ) -> Strip:
        if is_cursor:
            base = base + self._style("cursor" if self.has_focus else "cursor-blurred")
        elif selected:
            base = base + self._style("selected")
        segments = [Segment(" ", base)]
        for index, (spec, cell_width) in enumerate(zip(COLUMNS, self._widths(), strict=True)):
            if index:
                segments.append(Segment(" " * GAP, base))
            segments += self._cell(document, spec, cell_width, base, selected, is_cursor)
        return Strip(segments).adjust_cell_length(width, base)

    def _cell(
        self,
        document: Document,
        spec: DocColumnSpec,
        width: int,
        base: Style,
        selected: bool,
        is_cursor: bool,
    ) -> list[Segment]:
        def text(value: str, style: str | None = None, right: bool = False) -> list[Segment]:
            # Segments go straight to the terminal: server text loses its control characters.
            value = printable(value)
            fitted = value.rjust(width)[-width:] if right else fit(value, width)
            # On the cursor row the cursor's colours win (the status badge keeps its own).
            if style and not is_cursor:
                return [Segment(fitted, base + self._style(style))]
            return [Segment(fitted, base)]

        column = spec.column
        if column is DocColumn.MARK:
            return text("✓" if selected else " ", "mark")
        if column is DocColumn.DATE:
            return text(format_date(document))
        if column is DocColumn.COUNTERPARTY:
            return text(document.counterparty)
        if column is DocColumn.TYPE:
            return text(type_label(document), None if document.type else "untyped")
        if column is DocColumn.DIRECTION:
            return text(DIRECTION_LABELS[document.direction])
        if column is DocColumn.AMOUNT:
            return text(format_amount(document.amount, document.currency), right=True)
        if column is DocColumn.SOURCE:
            return text(SOURCE_LABELS[document.source])
        if column is DocColumn.STATUS:
            # The badge is coloured only as wide as its word; the rest of the cell is plain.
            badge = fit(STATUS_BADGES[document.status], width)
            padding = Segment(" " * (width - cell_len(badge)), base)
            return [Segment(badge, base + self._style(document.status.value)), padding]
        # DocColumn.REASON
        if document.status is DocumentStatus.FAILED and document.failure_reason:
            return text(document.failure_reason, "reason")
        return text("")
