"""A virtual table of clients: it draws only the rows on screen, whatever the firm's size.

Built like toolong's ``LogLines``: a ``ScrollView`` whose ``render_line`` draws one row
of the :class:`~lucy_tui.client_view.ClientView`. The cursor follows a client id, so it
stays on the same client when the filter or sort changes.
"""

from __future__ import annotations

from datetime import date

from rich.cells import set_cell_size
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

from lucy_tui.api.models import ClientStatus
from lucy_tui.client_rows import COLUMNS, ClientRow, Column, ColumnSpec
from lucy_tui.client_view import ClientView
from lucy_tui.safe_text import printable

GAP = 1
HEADER_HEIGHT = 1


def _date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


class ClientTable(ScrollView, can_focus=True):
    """The client list. Post :class:`Opened` on ``enter``; the cursor is ``cursor_row``."""

    DEFAULT_CSS = """
    ClientTable {
        height: 1fr;
        background: $surface;
        & > .client-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .client-table--header-current { text-style: bold reverse; }
        & > .client-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .client-table--cursor-blurred { background: $block-cursor-blurred-background; }
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
    }
    """

    COMPONENT_CLASSES = {
        "client-table--header",
        "client-table--header-current",
        "client-table--cursor",
        "client-table--cursor-blurred",
        "client-table--favourite",
        "client-table--trial-soon",
        "client-table--trial-over",
        "client-table--created",
        "client-table--invited",
        "client-table--active",
        "client-table--on",
        "client-table--off",
        "client-table--dim",
        "client-table--hidden",
    }

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="clients.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="clients.down"),
        Binding("g,home", "first", "First", show=False, id="clients.first"),
        Binding("G,end", "last", "Last", show=False, id="clients.last"),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("left,h", "column(-1)", "Column left", show=False),
        Binding("right,l", "column(1)", "Column right", show=False),
        Binding("enter", "open", "Open", id="clients.open"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)
    cursor_column: reactive[int] = reactive(1)
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

    def __init__(self, view: ClientView, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = view
        self._cursor_client: int | None = None
        # Until the user moves it, the cursor stays on the first row as rows stream in.
        self._user_moved = False
        self._styles: dict[str, Style] = {}
        # Drawn rows, reused while the row, its state and the width are unchanged.
        self._strips: LRUCache[tuple[object, ...], tuple[ClientRow, Strip]] = LRUCache(2048)
        self.first_rows_painted = False

    # --- data -----------------------------------------------------------------------------

    @property
    def cursor_client(self) -> ClientRow | None:
        if 0 <= self.cursor_row < len(self.view):
            return self.view.row_at(self.cursor_row)
        return None

    def view_changed(self) -> None:
        """The view's rows changed: keep the cursor on the same client when it is shown."""
        index = None
        if self._cursor_client is not None and self._user_moved:
            index = self.view.index_of(self._cursor_client)
        self.virtual_size = Size(self.size.width, len(self.view) + HEADER_HEIGHT)
        self.cursor_row = (
            index if index is not None else min(self.cursor_row, max(0, len(self.view) - 1))
        )
        self.refresh()

    def move_to(self, client_id: int) -> bool:
        index = self.view.index_of(client_id)
        if index is None:
            return False
        self._move(index)
        return True

    @property
    def current_column(self) -> Column:
        return COLUMNS[self.cursor_column].column

    # --- cursor -------------------------------------------------------------------------

    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, len(self.view) - 1)) if len(self.view) else 0

    def validate_cursor_column(self, value: int) -> int:
        return max(0, min(value, len(COLUMNS) - 1))

    def watch_cursor_row(self, value: int) -> None:
        row = self.cursor_client
        new_id = row.id if row else None
        changed = new_id != self._cursor_client
        self._cursor_client = new_id
        self._scroll_cursor_into_view()
        self.refresh()
        if changed:
            self.post_message(self.CursorMoved(new_id))

    def watch_cursor_column(self) -> None:
        self.refresh()

    def watch_show_enterprise_number(self) -> None:
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
        self._user_moved = True
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

    def action_open(self) -> None:
        row = self.cursor_client
        if row is not None:
            self.post_message(self.Opened(row.id))

    def on_click(self, event: events.Click) -> None:
        if event.y < HEADER_HEIGHT:
            column = self._column_at(event.x)
            if column is not None:
                self.cursor_column = column
            return
        index = round(self.scroll_offset.y) + event.y - HEADER_HEIGHT
        if 0 <= index < len(self.view):
            self._move(index)
            if event.chain == 2:
                self.action_open()

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
            style = self._styles[name] = self.get_component_rich_style(f"client-table--{name}")
        return style

    def _widths(self) -> list[int]:
        width = self.scrollable_content_region.width
        fixed = sum(spec.width for spec in COLUMNS) + GAP * (len(COLUMNS) - 1) + 1
        flexible = max(16, width - fixed)
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
        if index >= len(self.view):
            return Strip.blank(width, base)
        self.first_rows_painted = True
        return self._row(self.view.row_at(index), index == self.cursor_row, width, base)

    def _header(self, width: int, base: Style) -> Strip:
        header = base + self._style("header")
        segments = [Segment(" ", header)]
        for index, (spec, cell_width) in enumerate(zip(COLUMNS, self._widths(), strict=True)):
            if index:
                segments.append(Segment(" " * GAP, header))
            title = spec.title
            if spec.column is self.view.sort_column and spec.column is not Column.FAVOURITE:
                title += " ▼" if self.view.sort_reverse else " ▲"
            style = (
                header + self._style("header-current") if index == self.cursor_column else header
            )
            text = (
                set_cell_size(title, cell_width)
                if spec.align == "left"
                else title.rjust(cell_width)[-cell_width:]
            )
            segments.append(Segment(text, style))
        return Strip(segments).adjust_cell_length(width, header)

    def _row(self, row: ClientRow, is_cursor: bool, width: int, base: Style) -> Strip:
        favourite = row.id in self.view.favourites
        key = (
            row.id,
            row.version,
            is_cursor,
            is_cursor and self.has_focus,
            favourite,
            self.show_enterprise_number,
            width,
        )
        strip = self._strips.get(key)
        if strip is None or strip[0] is not row:
            strip = (row, self._draw_row(row, is_cursor, width, base, favourite))
            self._strips[key] = strip
        return strip[1]

    def _draw_row(
        self, row: ClientRow, is_cursor: bool, width: int, base: Style, favourite: bool
    ) -> Strip:
        today = self.view.today
        if is_cursor:
            base = base + self._style("cursor" if self.has_focus else "cursor-blurred")
        if row.hidden:
            base = base + self._style("hidden")
        segments = [Segment(" ", base)]
        for index, (spec, cell_width) in enumerate(zip(COLUMNS, self._widths(), strict=True)):
            if index:
                segments.append(Segment(" " * GAP, base))
            segments += self._cell(row, spec, cell_width, base, favourite, today, is_cursor)
        return Strip(segments).adjust_cell_length(width, base)

    def _cell(
        self,
        row: ClientRow,
        spec: ColumnSpec,
        width: int,
        base: Style,
        favourite: bool,
        today: date,
        is_cursor: bool,
    ) -> list[Segment]:
        def text(value: str, style: Style | None = None, right: bool = False) -> list[Segment]:
            # Segments go straight to the terminal: server text loses its control characters.
            value = printable(value)
            fitted = value.rjust(width)[-width:] if right else set_cell_size(value, width)
            return [Segment(fitted, base + style if style and not is_cursor else base)]

        column = spec.column
        if column is Column.FAVOURITE:
            return text("★" if favourite else " ", self._style("favourite"))
        if column is Column.NAME:
            name = row.name + (" (hidden)" if row.hidden else "")
            if self.show_enterprise_number:
                name = f"{row.enterprise_number}  {name}"
            return text(name)
        if column is Column.CONTACT:
            return text(row.contact or "—", None if row.contact else self._style("dim"))
        if column is Column.TEAM:
            return text(row.teams or "—", None if row.teams else self._style("dim"))
        if column is Column.STATUS:
            marker = {
                ClientStatus.CREATED: "○",
                ClientStatus.INVITED: "◐",
                ClientStatus.ACTIVE: "●",
            }
            return text(f"{marker[row.status]} {row.status.label}", self._style(row.status.value))
        if column is Column.INTEGRATIONS:
            return text(row.integrations or "—", None if row.integrations else self._style("dim"))
        if column is Column.PEPPOL:
            segments = [
                self._flag(row.peppol_sending, "send", base, is_cursor),
                Segment(" ", base),
                self._flag(row.peppol_receiving, "recv", base, is_cursor),
            ]
            return [*segments, Segment(" " * max(0, width - 11), base)]
        if column is Column.INBOX:
            return text(
                f"{row.inbox_count:,}" if row.inbox_count else "0",
                None if row.inbox_count else self._style("dim"),
                right=True,
            )
        if column is Column.PLAN:
            return text(row.plan.label)
        # Column.TRIAL
        if row.trial_ends_on is None:
            return text("")
        days = (row.trial_ends_on - today).days
        style = (
            self._style("trial-over")
            if days < 0
            else (self._style("trial-soon") if row.trial_ends_soon(today) else None)
        )
        return text(_date(row.trial_ends_on), style)

    def _flag(self, on: bool, label: str, base: Style, is_cursor: bool) -> Segment:
        style = base if is_cursor else base + self._style("on" if on else "off")
        return Segment(("✓" if on else "✗") + label, style)
