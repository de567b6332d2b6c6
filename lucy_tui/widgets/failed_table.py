"""The firm's Failed documents as a virtual table: client by client, with the selection.

A :class:`~lucy_tui.widgets.document_table.SelectableTable` (the documents' selection keys
and marks) over a :class:`~lucy_tui.failed_view.FailedView`; only the rows on screen are
drawn, so 20,000 documents scroll, filter and select as fast as twenty. What is the queue's
own: the client column, the age, the failure reason in the error colour, a row whose resend
succeeded shown as Sent (until the queue is loaded again), the grouping by reason.
"""

from __future__ import annotations

from textual.binding import Binding

from lucy_tui.api.models import DocumentStatus, FirmDocument
from lucy_tui.document_view import format_amount, format_date, type_label
from lucy_tui.failed_view import COLUMNS, FailedColumn, FailedView, reason_of
from lucy_tui.widgets.document_table import SELECTION_BINDINGS, STATUS_BADGES, SelectableTable
from lucy_tui.widgets.virtual_table import Cell, Part, component_classes, cursor_bindings


class FailedTable(SelectableTable[FirmDocument, FailedColumn]):
    """The queue: cursor, sort (``s``), grouping by reason (``r``) and multi-selection."""

    DEFAULT_CSS = """
    FailedTable {
        & > .failed-table--selected { background: $accent 18%; }
        & > .failed-table--mark { color: $accent; text-style: bold; }
        & > .failed-table--sent {
            background: $success-muted;
            color: $text-success;
            text-style: bold;
        }
        & > .failed-table--failed {
            background: $error-muted;
            color: $text-error;
            text-style: bold;
        }
        & > .failed-table--inbox {
            background: $primary-muted;
            color: $text-primary;
            text-style: bold;
        }
        & > .failed-table--reason { color: $text-error; }
        & > .failed-table--old { color: $text-warning; }
        & > .failed-table--dim { color: $text-muted; }
        & > .failed-table--untyped { color: $text-warning; text-style: italic; }
    }
    """

    COMPONENT_PREFIX = "failed-table--"
    COMPONENT_CLASSES = component_classes(
        COMPONENT_PREFIX,
        "selected",
        "mark",
        "sent",
        "failed",
        "inbox",
        "reason",
        "old",
        "dim",
        "untyped",
    )
    CACHE_SIZE = 2048
    OLD_DAYS = 7  # a document older than this stands out

    BINDINGS = [
        *cursor_bindings("failed"),
        *SELECTION_BINDINGS,
        Binding("s", "sort", "Sort", show=False, id="failed.sort"),
        Binding("r", "group", "By reason", tooltip="Group by reason", id="failed.group"),
        Binding(
            "R",
            "select_reason",
            "This reason",
            tooltip="Select this reason",
            id="failed.select_reason",
        ),
    ]

    view: FailedView

    def __init__(self, view: FailedView, *, id: str | None = None) -> None:
        super().__init__(view, COLUMNS, id=id)
        self.empty_message = "Loading the firm's Failed documents…"

    @property
    def cursor_document(self) -> FirmDocument | None:
        return self.cursor_item

    def set_empty_message(self, text: str) -> None:
        self.empty_message = text
        self.refresh()

    def action_sort(self) -> None:
        self.view.set_sort(self.current_column)
        self.view_changed()

    def action_group(self) -> None:
        self.view.toggle_grouping()
        self.view_changed()

    def action_select_reason(self) -> None:
        document = self.cursor_document
        if document is not None:
            self.view.select_reason(reason_of(document))
            self._selection_changed()

    def _empty_text(self) -> str | None:
        if self.view.total and self.view.filter.text.strip():
            return (
                f"No Failed document matches the filter among the {self.view.total:,} loaded. "
                "Press escape in the filter to clear it."
            )
        return self.empty_message

    def _row_key(self, row: FirmDocument) -> tuple[object, ...]:
        return (*super()._row_key(row), row.status)

    def _cell(self, row: FirmDocument, column: FailedColumn) -> Cell:
        if column is FailedColumn.MARK:
            return Part("✓" if row.id in self.view.selected else " ", "mark")
        if column is FailedColumn.CLIENT:
            return row.client_name
        if column is FailedColumn.DATE:
            return format_date(row)
        if column is FailedColumn.COUNTERPARTY:
            return row.counterparty
        if column is FailedColumn.TYPE:
            return Part(type_label(row), None if row.type else "untyped")
        if column is FailedColumn.AMOUNT:
            return format_amount(row.amount, row.currency)
        if column is FailedColumn.DESTINATION:
            return row.destination or Part("none linked", "dim")
        if column is FailedColumn.STATUS:
            return Part(STATUS_BADGES[row.status], row.status.value, on_cursor=True)
        if column is FailedColumn.AGE:
            age = (self.view.today - row.date).days
            return Part(f"{age}d", "old" if age > self.OLD_DAYS else None)
        # FailedColumn.REASON
        if row.status is DocumentStatus.FAILED:
            return Part(reason_of(row), "reason")
        return Part(row.failure_reason or "", "dim")
