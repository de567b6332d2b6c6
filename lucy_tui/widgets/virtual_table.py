"""A table that draws only the rows on screen, whatever their number.

Built like toolong's ``LogLines``: a ``ScrollView`` whose ``render_line`` draws one row of
a view (the model: any object with ``len``, ``row_at``, ``index_of`` and a sort), each
drawn row kept in an LRU cache. One header line names the columns, marks the sort and the
current column. The cursor follows a row id, so it stays on the same row when the filter
or the sort changes.

:class:`~lucy_tui.widgets.client_table.ClientTable` and
:class:`~lucy_tui.widgets.document_table.DocumentTable` subclass :class:`VirtualTable`
and say only what is theirs: what a cell shows (:meth:`VirtualTable._cell`), what else
changes how a row looks (:meth:`VirtualTable._row_key`), a row's style, their messages.
Cells are text, never segments: every cell's text goes through
:func:`~lucy_tui.safe_text.printable` in :meth:`VirtualTable._cell_segments`, the one place
where it becomes a ``Segment`` (segments go straight to the terminal, so text from the
server must lose its control characters first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Generic, Protocol, TypeAlias, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lucy_tui.columns import ColumnSpec, fit
from lucy_tui.safe_text import printable

GAP = 1  # cells between two columns
HEADER_HEIGHT = 1
MIN_FLEXIBLE_WIDTH = 16  # a flexible column is never narrower than this
SORT_MARKER_WIDTH = 2  # " ▲" after a column's title
MORE_LEFT, MORE_RIGHT = "◂", "▸"  # the header's hints that columns are scrolled out

R = TypeVar("R")  # a row of the view
R_co = TypeVar("R_co", covariant=True)
K = TypeVar("K", bound=StrEnum)  # the columns' keys


class TableView(Protocol[R_co]):
    """What a :class:`VirtualTable` reads from its model."""

    @property
    def sort_column(self) -> object: ...

    @property
    def sort_reverse(self) -> bool: ...

    def __len__(self) -> int: ...

    def row_at(self, index: int) -> R_co: ...

    def index_of(self, row_id: int, /) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Layout:
    """Which columns are drawn, in order, and how wide: all of them when the table is wide
    enough; else the pinned ones and, after them, a window of the others that holds the
    cursor's column (the table scrolls sideways by whole columns)."""

    shown: tuple[tuple[int, int], ...]  # (column index, width in cells)
    more_left: bool = False  # columns scrolled out to the left of the window
    more_right: bool = False  # ... and to its right


@dataclass(frozen=True, slots=True)
class Part:
    """Text in a cell, in one of the table's component styles."""

    text: str
    style: str | None = None  # a component class of the table, without its prefix
    on_cursor: bool = False  # keeps its style on the cursor row (else the cursor's wins)


Cell: TypeAlias = str | Part | tuple[Part, ...]
"""What a column shows in a row: a string (in the row's style) or a :class:`Part`, fitted
to the column's width and alignment; or a tuple of parts laid out left to right, each as
wide as its text, the rest of the column in the row's style."""


def cursor_bindings(prefix: str | None = None) -> list[BindingType]:
    """The keys that move the cursor; the main ones with ids ``{prefix}.up`` and so on."""

    def binding_id(name: str) -> str | None:
        return f"{prefix}.{name}" if prefix else None

    return [
        Binding("up,k", "cursor_up", "Up", show=False, id=binding_id("up")),
        Binding("down,j", "cursor_down", "Down", show=False, id=binding_id("down")),
        Binding("g,home", "first", "First", show=False, id=binding_id("first")),
        Binding("G,end", "last", "Last", show=False, id=binding_id("last")),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("left,h", "column(-1)", "Column left", show=False),
        Binding("right,l", "column(1)", "Column right", show=False),
    ]


def component_classes(prefix: str, *names: str) -> set[str]:
    """A table's ``COMPONENT_CLASSES``: each of ``names`` after the table's prefix."""
    return {prefix + name for name in names}


class VirtualTable(ScrollView, Generic[R, K], can_focus=True):
    """Rows of a view under a header line, with a row and a column cursor.

    Subclasses set ``COMPONENT_PREFIX`` (their own component classes, e.g. the styles
    their :class:`Part` cells name) and implement :meth:`_row_id` and :meth:`_cell`.
    """

    DEFAULT_CSS = """
    VirtualTable {
        height: 1fr;
        background: $surface;
        /* it moves through its columns itself (h/l): no horizontal scrollbar, which the
           vertical one's width used to bring up for nothing */
        overflow-x: hidden;
        & > .virtual-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .virtual-table--header-current { text-style: bold reverse; }
        & > .virtual-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .virtual-table--cursor-blurred { background: $block-cursor-blurred-background; }
        & > .virtual-table--empty { color: $text-muted; text-style: italic; }
    }
    """

    COMPONENT_PREFIX: ClassVar[str] = "virtual-table--"
    COMPONENT_CLASSES = component_classes(
        COMPONENT_PREFIX, "header", "header-current", "cursor", "cursor-blurred", "empty"
    )

    # A subclass gives the keys ids of its own: ``[*cursor_bindings("clients"), ...]``.
    BINDINGS = cursor_bindings()

    # Text too long for its column is cut with "…" (False: cut short, as it is).
    CUT_WITH_ELLIPSIS: ClassVar[bool] = True
    CACHE_SIZE: ClassVar[int] = 1024  # drawn rows kept
    # As rows stream in, the cursor stays on the first row until the user moves it.
    HOLD_CURSOR_UNTIL_MOVED: ClassVar[bool] = False

    cursor_row: reactive[int] = reactive(0, always_update=True)
    cursor_column: reactive[int] = reactive(1)

    def __init__(
        self,
        view: TableView[R],
        columns: Sequence[ColumnSpec[K]],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.view = view
        self.columns = tuple(columns)
        self._cursor_id: int | None = None
        self._user_moved = False
        self._styles: dict[str, Style] = {}
        self._base_style: Style | None = None  # rich_style, which walks the ancestors
        # Drawn rows, reused while the row, its state and the width are unchanged.
        self._strips: LRUCache[tuple[object, ...], tuple[R, Strip]] = LRUCache(self.CACHE_SIZE)
        self.first_rows_painted = False
        # Sideways: the first of the unpinned columns drawn when not all of them fit.
        self._first_scrolled = 0
        self._layouts: dict[tuple[int, int], Layout] = {}

    # --- what a subclass says -----------------------------------------------------------

    def _row_id(self, row: R) -> int:
        """The id the cursor follows."""
        raise NotImplementedError

    def _cell(self, row: R, column: K) -> Cell:
        """What ``column`` shows for ``row``."""
        raise NotImplementedError

    def _row_key(self, row: R) -> tuple[object, ...]:
        """Besides the cursor, the focus and the width, what changes how ``row`` looks."""
        return (self._row_id(row),)

    def _row_style(self, row: R, is_cursor: bool) -> str | None:
        """A component class (without the prefix) for the whole row; the cursor's is drawn
        over it, so the cursor shows on every row."""
        return None

    def _cursor_moved(self, row: R | None) -> None:
        """The cursor landed on another row (None: on none)."""

    def _row_clicked(self, index: int, event: events.Click) -> None:
        """A click on the row at ``index`` (the cursor is already on it)."""

    def _empty_text(self) -> str | None:
        """A line to show under the header while the view has no rows."""
        return None

    def _shows_sort_marker(self, spec: ColumnSpec[K]) -> bool:
        return spec.column is self.view.sort_column

    # --- data -----------------------------------------------------------------------------

    @property
    def cursor_item(self) -> R | None:
        """The row under the cursor, None when the view is empty."""
        if 0 <= self.cursor_row < len(self.view):
            return self.view.row_at(self.cursor_row)
        return None

    @property
    def current_column(self) -> K:
        return self.columns[self.cursor_column].column

    def view_changed(self) -> None:
        """The view's rows changed: keep the cursor on the same row when it is shown."""
        index = None
        if self._cursor_id is not None and (self._user_moved or not self.HOLD_CURSOR_UNTIL_MOVED):
            index = self.view.index_of(self._cursor_id)
        self._update_virtual_size()
        self.cursor_row = (
            index if index is not None else min(self.cursor_row, max(0, len(self.view) - 1))
        )
        self.refresh()

    def move_to(self, row_id: int) -> bool:
        """Put the cursor on the row ``row_id``; False when the view does not show it."""
        index = self.view.index_of(row_id)
        if index is None:
            return False
        self._move(index)
        return True

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.view) + HEADER_HEIGHT)

    # --- cursor -------------------------------------------------------------------------

    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, len(self.view) - 1)) if len(self.view) else 0

    def validate_cursor_column(self, value: int) -> int:
        return max(0, min(value, len(self.columns) - 1))

    def watch_cursor_row(self, value: int) -> None:
        row = self.cursor_item
        new_id = self._row_id(row) if row is not None else None
        changed = new_id != self._cursor_id
        self._cursor_id = new_id
        self._scroll_cursor_into_view()
        self.refresh()
        if changed:
            self._cursor_moved(row)

    def watch_cursor_column(self) -> None:
        self._scroll_column_into_view()
        self.refresh()
        self._column_moved()

    def _column_moved(self) -> None:
        """The column cursor moved (a subclass may tell its screen)."""

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

    def on_click(self, event: events.Click) -> None:
        if event.y < HEADER_HEIGHT:
            column = self._column_at(event.x)
            if column is not None:
                self.cursor_column = column
            return
        index = round(self.scroll_offset.y) + event.y - HEADER_HEIGHT
        if 0 <= index < len(self.view):
            self._move(index)
            self._row_clicked(index, event)

    def on_resize(self) -> None:
        self._update_virtual_size()
        self._scroll_column_into_view()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # --- drawing ------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._layouts.clear()
        self._styles.clear()
        self._strips.clear()
        self._base_style = None

    def _style(self, name: str, *, shared: bool = False) -> Style:
        """A component class's style: the table's own ``name``, or the base's (``shared``)."""
        full = ("virtual-table--" if shared else self.COMPONENT_PREFIX) + name
        style = self._styles.get(full)
        if style is None:
            style = self._styles[full] = self.get_component_rich_style(full)
        return style

    def _column_width(self, spec: ColumnSpec[K]) -> int:
        """A fixed column's width: room for its title and a sort marker, at least."""
        if spec.flexible:
            return 0
        title = cell_len(spec.title)
        return max(spec.width, title + SORT_MARKER_WIDTH) if title > 1 else spec.width

    def _layout(self) -> Layout:
        width = self.scrollable_content_region.width
        key = (width, self._first_scrolled)
        layout = self._layouts.get(key)
        if layout is None:
            if len(self._layouts) > 64:
                self._layouts.clear()
            layout = self._layouts[key] = self._make_layout(width, self._first_scrolled)
        return layout

    def _make_layout(self, width: int, first: int) -> Layout:
        widths = [self._column_width(spec) for spec in self.columns]
        fixed = sum(widths) + GAP * (len(self.columns) - 1) + 1
        needed = MIN_FLEXIBLE_WIDTH if any(spec.flexible for spec in self.columns) else 0
        if width - fixed >= needed or not self._scrolled_columns():
            flexible = max(MIN_FLEXIBLE_WIDTH, width - fixed)
            return Layout(
                tuple(
                    (index, flexible if spec.flexible else widths[index])
                    for index, spec in enumerate(self.columns)
                )
            )
        # Too narrow for every column: the pinned ones, then a window of the others.
        pinned = [i for i, spec in enumerate(self.columns) if spec.pinned]
        scrolled = self._scrolled_columns()
        left = width - 1 - sum(widths[i] + GAP for i in pinned)
        for index in pinned:  # a pinned flexible column (a name) gets a third of the width
            if self.columns[index].flexible:
                share = max(MIN_FLEXIBLE_WIDTH, width // 3)
                widths[index] = share
                left -= share
        for index in scrolled:  # an unpinned flexible one what the pinned ones leave
            if self.columns[index].flexible:
                widths[index] = max(MIN_FLEXIBLE_WIDTH, left - GAP)
        shown = [(i, widths[i]) for i in pinned]
        first = max(0, min(first, len(scrolled) - 1))
        room = left
        position = first
        while position < len(scrolled):
            index = scrolled[position]
            need = widths[index] + GAP
            if need > room:
                if position == first:  # one column wider than the room: cut it
                    shown.append((index, max(1, room - GAP)))
                    position += 1
                break
            shown.append((index, widths[index]))
            room -= need
            position += 1
        return Layout(tuple(shown), more_left=first > 0, more_right=position < len(scrolled))

    def _scrolled_columns(self) -> list[int]:
        return [i for i, spec in enumerate(self.columns) if not spec.pinned]

    def _scroll_column_into_view(self) -> None:
        """Move the sideways window so that the cursor's column is drawn whole."""
        scrolled = self._scrolled_columns()
        if self.cursor_column not in scrolled:
            return
        position = scrolled.index(self.cursor_column)
        if position < self._first_scrolled:
            self._first_scrolled = position
        while True:
            layout = self._layout()
            drawn = dict(layout.shown)
            whole = self.cursor_column in drawn and (
                drawn[self.cursor_column] >= self._column_width(self.columns[self.cursor_column])
                or self.columns[self.cursor_column].flexible
                or self._first_scrolled == position
            )
            if whole or self._first_scrolled >= position:
                break
            self._first_scrolled += 1

    def _widths(self) -> list[int]:
        """Every column's drawn width (0: not drawn now)."""
        drawn = dict(self._layout().shown)
        return [drawn.get(index, 0) for index in range(len(self.columns))]

    def _column_at(self, x: int) -> int | None:
        position = 1
        for index, width in self._layout().shown:
            if position <= x < position + width + GAP:
                return index
            position += width + GAP
        return None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._base_style
        if base is None:  # computed once per style change, not once per line drawn
            base = self._base_style = self.rich_style
        if y < HEADER_HEIGHT:
            return self._header(width, base)
        index = round(self.scroll_offset.y) + y - HEADER_HEIGHT
        if index >= len(self.view):
            # One blank line under the header, then what an empty view has to say.
            empty = self._empty_text() if index == 1 and not len(self.view) else None
            if empty is None:
                return Strip.blank(width, base)
            style = base + self._style("empty", shared=True)
            line = [Segment("  " + printable(empty), style)]
            return Strip(line).adjust_cell_length(width, base)
        self.first_rows_painted = True
        return self._row(self.view.row_at(index), index == self.cursor_row, width, base)

    def _header(self, width: int, base: Style) -> Strip:
        header = base + self._style("header", shared=True)
        current = header + self._style("header-current", shared=True)
        segments = [Segment(" ", header)]
        layout = self._layout()
        first_scrolled = next(
            (n for n, (index, _) in enumerate(layout.shown) if not self.columns[index].pinned),
            None,
        )
        for n, (index, cell_width) in enumerate(layout.shown):
            spec = self.columns[index]
            if n:
                gap = MORE_LEFT if layout.more_left and n == first_scrolled else " " * GAP
                segments.append(Segment(gap, header))
            title = spec.title
            if self._shows_sort_marker(spec):
                title += " ▼" if self.view.sort_reverse else " ▲"
            style = current if index == self.cursor_column else header
            segments += self._cell_segments(title, spec, cell_width, style, is_cursor=False)
        strip = Strip(segments).adjust_cell_length(width, header)
        if layout.more_right and width > 1:
            strip = Strip.join([strip.crop(0, width - 1), Strip([Segment(MORE_RIGHT, header)])])
        return strip

    def _row(self, row: R, is_cursor: bool, width: int, base: Style) -> Strip:
        key = (
            *self._row_key(row),
            is_cursor,
            is_cursor and self.has_focus,
            width,
            self._first_scrolled,
        )
        cached = self._strips.get(key)
        if cached is None or cached[0] is not row:
            cached = (row, self._draw_row(row, is_cursor, width, base))
            self._strips[key] = cached
        return cached[1]

    def _draw_row(self, row: R, is_cursor: bool, width: int, base: Style) -> Strip:
        # The row's own style first, the cursor's over it: the cursor shows on every row.
        row_style = self._row_style(row, is_cursor)
        if row_style:
            base = base + self._style(row_style)
        if is_cursor:
            base = base + self._style("cursor" if self.has_focus else "cursor-blurred", shared=True)
        segments = [Segment(" ", base)]
        for n, (index, cell_width) in enumerate(self._layout().shown):
            spec = self.columns[index]
            if n:
                segments.append(Segment(" " * GAP, base))
            cell = self._cell(row, spec.column)
            segments += self._cell_segments(cell, spec, cell_width, base, is_cursor)
        return Strip(segments).adjust_cell_length(width, base)

    def _cell_segments(
        self, cell: Cell, spec: ColumnSpec[K], width: int, base: Style, is_cursor: bool
    ) -> list[Segment]:
        """A cell as segments: the one place where its text becomes a ``Segment``."""
        if isinstance(cell, tuple):
            parts = [
                Segment(printable(part.text), self._part_style(part, base, is_cursor))
                for part in cell
            ]
            return Segment.adjust_line_length(parts, width, base)
        part = Part(cell) if isinstance(cell, str) else cell
        text = printable(part.text)
        if spec.align == "right":
            text = text.rjust(width)[-width:]
        elif self.CUT_WITH_ELLIPSIS:
            text = fit(text, width)
        else:
            text = set_cell_size(text, width)
        return [Segment(text, self._part_style(part, base, is_cursor))]

    def _part_style(self, part: Part, base: Style, is_cursor: bool) -> Style:
        # On the cursor row the cursor's colours win, unless the part keeps its own.
        if part.style and (part.on_cursor or not is_cursor):
            return base + self._style(part.style)
        return base
