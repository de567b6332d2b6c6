"""A virtual table of clients: it draws only the rows on screen, whatever the firm's size.

A :class:`~lucy_tui.widgets.virtual_table.VirtualTable` over the
:class:`~lucy_tui.clients.view.ClientView`: the cursor follows a client id, so it stays on
the same client when the filter or sort changes. What is the client list's own: the
favourite star, hidden clients in italics, the enterprise number shown on demand.
"""

from __future__ import annotations

from datetime import date

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive

from lucy_tui.api.enums import ClientStatus
from lucy_tui.clients.rows import COLUMNS, ClientRow, Column
from lucy_tui.clients.view import ClientView
from lucy_tui.columns import ColumnSpec
from lucy_tui.widgets.virtual_table import (
    Cell,
    Part,
    VirtualTable,
    component_classes,
    cursor_bindings,
)

STATUS_MARKERS = {
    ClientStatus.CREATED: "○",
    ClientStatus.INVITED: "◐",
    ClientStatus.ACTIVE: "●",
}


def _date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _or_dash(value: str) -> Cell:
    return value if value else Part("—", "dim")


class ClientTable(VirtualTable[ClientRow, Column]):
    """The client list. Post :class:`Opened` on ``enter``; the cursor is ``cursor_row``."""

    DEFAULT_CSS = """
    ClientTable {
        /* the last session's rows, until the live list replaces them */
        &.-last-session { color: $text-muted; }
        & > .client-table--favourite { color: $warning; text-style: bold; }
        & > .client-table--trial-soon { color: $warning; text-style: bold; }
        & > .client-table--trial-over { color: $error; text-style: bold; }
        & > .client-table--created { color: $text-muted; }
        & > .client-table--invited { color: $warning; }
        & > .client-table--active { color: $success; }
        & > .client-table--on { color: $success; }
        & > .client-table--off { color: $text-muted; }
        & > .client-table--dim { color: $text-muted; }
        & > .client-table--hidden { text-style: italic; }
        & > .client-table--failed { color: $error; text-style: bold; }
    }
    """

    COMPONENT_PREFIX = "client-table--"
    COMPONENT_CLASSES = component_classes(
        COMPONENT_PREFIX,
        "favourite",
        "trial-soon",
        "trial-over",
        "created",
        "invited",
        "active",
        "on",
        "off",
        "dim",
        "hidden",
        "failed",
    )
    CUT_WITH_ELLIPSIS = False
    CACHE_SIZE = 2048
    HOLD_CURSOR_UNTIL_MOVED = True

    BINDINGS = [
        *cursor_bindings("clients"),
        Binding("enter", "open", "Open", id="clients.open"),
    ]

    show_enterprise_number: reactive[bool] = reactive(False)

    class Opened(Message):
        """The user chose a client (``enter`` or a double click)."""

        def __init__(self, client_id: int) -> None:
            super().__init__()
            self.client_id = client_id

    class CursorMoved(Message):
        def __init__(self, client_id: int | None) -> None:
            super().__init__()
            self.client_id = client_id

    view: ClientView

    def __init__(self, view: ClientView, *, id: str | None = None) -> None:
        super().__init__(view, COLUMNS, id=id)

    @property
    def cursor_client(self) -> ClientRow | None:
        return self.cursor_item

    def watch_show_enterprise_number(self) -> None:
        self.refresh()

    def action_open(self) -> None:
        row = self.cursor_client
        if row is not None:
            self.post_message(self.Opened(row.id))

    # --- what the base asks -------------------------------------------------------------

    def _row_id(self, row: ClientRow) -> int:
        return row.id

    def _cursor_moved(self, row: ClientRow | None) -> None:
        self.post_message(self.CursorMoved(row.id if row is not None else None))

    def _column_moved(self) -> None:
        row = self.cursor_client
        self.post_message(self.CursorMoved(row.id if row is not None else None))

    def _row_clicked(self, index: int, event: events.Click) -> None:
        if event.chain == 2:
            self.action_open()

    def _shows_sort_marker(self, spec: ColumnSpec[Column]) -> bool:
        # Favourites always lead: sorting "by favourite" sorts the rest by name.
        return spec.column is not Column.FAVOURITE and super()._shows_sort_marker(spec)

    def _row_key(self, row: ClientRow) -> tuple[object, ...]:
        favourite = row.id in self.view.favourites
        return (row.id, row.version, favourite, self.show_enterprise_number)

    def _row_style(self, row: ClientRow, is_cursor: bool) -> str | None:
        return "hidden" if row.hidden else None

    def _cell(self, row: ClientRow, column: Column) -> Cell:
        if column is Column.FAVOURITE:
            return Part("★" if row.id in self.view.favourites else " ", "favourite")
        if column is Column.NAME:
            name = row.name + (" (hidden)" if row.hidden else "")
            if self.show_enterprise_number:
                name = f"{row.enterprise_number}  {name}"
            return name
        if column is Column.CONTACT:
            return _or_dash(row.contact)
        if column is Column.TEAM:
            return _or_dash(row.teams)
        if column is Column.STATUS:
            return Part(f"{STATUS_MARKERS[row.status]} {row.status.label}", row.status.value)
        if column is Column.INTEGRATIONS:
            return _or_dash(row.integrations)
        if column is Column.PEPPOL:
            return (
                self._flag(row.peppol_sending, "send"),
                Part(" "),
                self._flag(row.peppol_receiving, "recv"),
            )
        if column is Column.INBOX:
            if row.inbox_count:
                return f"{row.inbox_count:,}"
            return Part("0", "dim")
        if column is Column.FAILED:
            if row.failed_count:
                return Part(f"{row.failed_count:,}", "failed")
            return Part("0", "dim")
        if column is Column.PLAN:
            return row.plan.label
        # Column.TRIAL
        if row.trial_ends_on is None:
            return ""
        today = self.view.today
        if (row.trial_ends_on - today).days < 0:
            style: str | None = "trial-over"
        else:
            style = "trial-soon" if row.trial_ends_soon(today) else None
        return Part(_date(row.trial_ends_on), style)

    @staticmethod
    def _flag(on: bool, label: str) -> Part:
        return Part(("✓" if on else "✗") + label, "on" if on else "off")
