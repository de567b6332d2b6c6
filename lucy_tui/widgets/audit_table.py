"""The audit trail as a virtual table: when, who, what, (the client), the change.

The model is :class:`~lucy_tui.audit_view.AuditView`; this says what its cells show.
Every text in it (names, the change) came from the server: the base class makes each cell
printable before it is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.binding import Binding
from textual.message import Message

from lucy_tui.api.models import AuditEntry, AuditKind
from lucy_tui.audit_view import AuditColumn, AuditView, kind_label, when_text
from lucy_tui.columns import ColumnSpec
from lucy_tui.widgets.virtual_table import (
    Cell,
    Part,
    VirtualTable,
    component_classes,
    cursor_bindings,
)

# What stands out: a client hidden, something removed.
_STYLES = {
    AuditKind.CLIENT_HIDDEN: "warning",
    AuditKind.USER_REMOVED: "warning",
    AuditKind.VAULT_DELETED: "warning",
}


class AuditTable(VirtualTable[AuditEntry, AuditColumn]):
    DEFAULT_CSS = """
    AuditTable {
        & > .audit-table--warning { color: $text-warning; }
        & > .audit-table--muted { color: $text-muted; }
    }
    """

    COMPONENT_PREFIX = "audit-table--"
    COMPONENT_CLASSES = component_classes(COMPONENT_PREFIX, "warning", "muted")

    BINDINGS = [
        *cursor_bindings("audit"),
        Binding("enter", "open", "Details", id="audit.open"),
    ]

    class Opened(Message):
        """Enter on a record: show it whole."""

        def __init__(self, entry: AuditEntry) -> None:
            super().__init__()
            self.entry = entry

    view: AuditView

    def __init__(
        self,
        view: AuditView,
        columns: Sequence[ColumnSpec[AuditColumn]],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(view, columns, id=id)

    def action_open(self) -> None:
        entry = self.cursor_item
        if entry is not None:
            self.post_message(self.Opened(entry))

    # --- what the base asks -------------------------------------------------------------

    def _row_id(self, row: AuditEntry) -> int:
        return row.id

    def _empty_text(self) -> str | None:
        if self.view.entries:
            return "No record matches the filter. Press / to change it, escape to clear it."
        return "Nothing recorded yet."

    def _cell(self, row: AuditEntry, column: AuditColumn) -> Cell:
        if column is AuditColumn.WHEN:
            return when_text(row)
        if column is AuditColumn.WHO:
            return row.staff_name if row.staff_id is not None else Part(row.staff_name, "muted")
        if column is AuditColumn.WHAT:
            style = _STYLES.get(row.kind)
            return Part(kind_label(row.kind), style) if style else kind_label(row.kind)
        if column is AuditColumn.CLIENT:
            return row.client_name or ""
        return self.view.changes.get(row.id, "")
