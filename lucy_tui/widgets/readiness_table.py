"""The firm's clients by Peppol state, as a virtual table with a selection kept by client id.

The model is :class:`~lucy_tui.peppol_view.ReadinessView`; this says what its cells show.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message

from lucy_tui.api.models import PeppolLookupState
from lucy_tui.peppol_view import COLUMNS, ReadinessColumn, ReadinessRow, ReadinessView
from lucy_tui.widgets.virtual_table import (
    Cell,
    Part,
    VirtualTable,
    component_classes,
    cursor_bindings,
)

STATE_STYLES = {
    PeppolLookupState.REGISTERED_ELSEWHERE: "elsewhere",
    PeppolLookupState.NOT_REGISTERED: "unregistered",
    PeppolLookupState.UNCHECKED: "unchecked",
    PeppolLookupState.LOOKUP_FAILED: "failed",
    PeppolLookupState.REGISTERED_HERE: "here",
}


class ReadinessTable(VirtualTable[ReadinessRow, ReadinessColumn]):
    DEFAULT_CSS = """
    ReadinessTable {
        & > .readiness-table--selected { background: $accent 18%; }
        & > .readiness-table--mark { color: $accent; text-style: bold; }
        & > .readiness-table--elsewhere { color: $text-warning; text-style: bold; }
        & > .readiness-table--unregistered { color: $text-primary; }
        & > .readiness-table--unchecked { color: $text-muted; text-style: italic; }
        & > .readiness-table--failed { color: $text-error; }
        & > .readiness-table--here { color: $text-success; }
    }
    """

    COMPONENT_PREFIX = "readiness-table--"
    COMPONENT_CLASSES = component_classes(
        COMPONENT_PREFIX,
        "selected",
        "mark",
        "elsewhere",
        "unregistered",
        "unchecked",
        "failed",
        "here",
    )

    BINDINGS = [
        *cursor_bindings("readiness"),
        Binding("space", "toggle_selection", "Select", id="readiness.select"),
        Binding("A", "select_shown", "All shown", id="readiness.select_shown"),
        Binding("x", "clear_selection", "Clear selection", show=False, id="readiness.clear"),
        Binding("v", "cycle_filter", "State filter", id="readiness.filter"),
    ]

    class Changed(Message):
        """The selection, the filter or the rows changed."""

    class Opened(Message):
        def __init__(self, client_id: int) -> None:
            super().__init__()
            self.client_id = client_id

    view: ReadinessView

    def __init__(self, view: ReadinessView, *, id: str | None = None) -> None:
        super().__init__(view, COLUMNS, id=id)

    def view_changed(self) -> None:
        super().view_changed()
        self.post_message(self.Changed())

    def action_toggle_selection(self) -> None:
        row = self.cursor_item
        if row is None:
            return
        self.view.toggle(row.id)
        self.refresh()
        self.post_message(self.Changed())
        self._move(self.cursor_row + 1)

    def action_select_shown(self) -> None:
        self.view.select_shown()
        self.refresh()
        self.post_message(self.Changed())

    def action_clear_selection(self) -> None:
        self.view.clear_selection()
        self.refresh()
        self.post_message(self.Changed())

    def action_cycle_filter(self) -> None:
        self.view.cycle_filter()
        self.view_changed()

    def key_enter(self) -> None:
        row = self.cursor_item
        if row is not None:
            self.post_message(self.Opened(row.id))

    # --- what the base asks -------------------------------------------------------------

    def _row_id(self, row: ReadinessRow) -> int:
        return row.id

    def _row_key(self, row: ReadinessRow) -> tuple[object, ...]:
        client = row.client
        return (
            row.id,
            row.id in self.view.selected,
            client.peppol_network,
            client.peppol_stale,
            client.peppol_sending,
            client.peppol_receiving,
        )

    def _row_style(self, row: ReadinessRow, is_cursor: bool) -> str | None:
        return "selected" if not is_cursor and row.id in self.view.selected else None

    def _row_clicked(self, index: int, event: events.Click) -> None:
        if self._column_at(event.x) == 0:
            self.view.toggle(self.view.order[index])
            self.refresh()
            self.post_message(self.Changed())

    def _empty_text(self) -> str | None:
        if self.view.rows and self.view.state_filter is not None:
            return f"No client is '{self.view.state_filter.label}'. Press v to show another state."
        return "No clients."

    def _cell(self, row: ReadinessRow, column: ReadinessColumn) -> Cell:
        client = row.client
        if column is ReadinessColumn.MARK:
            return Part("✓" if row.id in self.view.selected else " ", "mark")
        if column is ReadinessColumn.NAME:
            return client.name
        if column is ReadinessColumn.NETWORK:
            return Part(row.network_label, STATE_STYLES[row.state])
        if column is ReadinessColumn.SENDING:
            return "on" if client.peppol_sending else "off"
        return "on" if client.peppol_receiving else "off"
