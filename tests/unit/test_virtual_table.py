"""The virtual table base (lucy_tui.widgets.virtual_table) through a tiny table of its own.

What the client list and the documents table share: the cursor keys, paging, the cursor
kept in view, the cursor following a row id, clicks, the header, and cells drawn as text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from rich.style import Style
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from lucy_tui.columns import FLEXIBLE, ColumnSpec
from lucy_tui.safe_text import PLACEHOLDER
from lucy_tui.widgets.virtual_table import HEADER_HEIGHT, Cell, Part, VirtualTable

HEIGHT = 12  # the header and 11 rows
BODY = HEIGHT - HEADER_HEIGHT
PAGE = BODY - 1  # a page keeps one row of the last one in sight


class Col(StrEnum):
    NAME = "name"
    AMOUNT = "amount"
    FLAGS = "flags"
    NOTE = "note"


COLUMNS = (
    ColumnSpec(Col.NAME, "Name", 10),
    ColumnSpec(Col.AMOUNT, "Amount", 6, "right"),
    ColumnSpec(Col.FLAGS, "Flags", 7),
    ColumnSpec(Col.NOTE, "Note", FLEXIBLE),
)


@dataclass
class Item:
    id: int
    name: str
    amount: int = 0
    note: str = ""


@dataclass
class Items:
    """The smallest view a VirtualTable reads."""

    rows: list[Item]
    sort_column: Col = Col.NAME
    sort_reverse: bool = False
    order: list[int] = field(default_factory=list)  # ids in display order

    def __post_init__(self) -> None:
        self.order = [row.id for row in self.rows]

    def __len__(self) -> int:
        return len(self.order)

    def row_at(self, index: int) -> Item:
        return next(row for row in self.rows if row.id == self.order[index])

    def index_of(self, row_id: int) -> int | None:
        return self.order.index(row_id) if row_id in self.order else None


class ItemTable(VirtualTable[Item, Col]):
    DEFAULT_CSS = """
    ItemTable {
        overflow-x: hidden;  /* all HEIGHT lines are the table's */
        & > .item-table--dim { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES = {"item-table--dim"}
    COMPONENT_PREFIX = "item-table--"

    def __init__(self, view: Items) -> None:
        super().__init__(view, COLUMNS, id="items")
        self.moves: list[int | None] = []
        self.clicked: list[int] = []

    def _row_id(self, row: Item) -> int:
        return row.id

    def _cursor_moved(self, row: Item | None) -> None:
        self.moves.append(row.id if row else None)

    def _row_clicked(self, index: int, event: events.Click) -> None:
        self.clicked.append(index)

    def _empty_text(self) -> str | None:
        return "Nothing here."

    def _cell(self, row: Item, column: Col) -> Cell:
        if column is Col.NAME:
            return row.name
        if column is Col.AMOUNT:
            return f"{row.amount:,}"
        if column is Col.FLAGS:
            return (Part("a", "dim"), Part("b"))
        return Part(row.note or "—", None if row.note else "dim")


class HoldingTable(ItemTable):
    HOLD_CURSOR_UNTIL_MOVED = True


class TableApp(App[None]):
    def __init__(self, table: ItemTable) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table


@asynccontextmanager
async def shown(table: ItemTable, *, focus: bool = False) -> AsyncIterator[Pilot[None]]:
    """``table`` alone on a screen of HEIGHT lines, its view loaded (and focused)."""
    async with TableApp(table).run_test(size=(80, HEIGHT)) as pilot:
        table.view_changed()
        if focus:
            table.focus()
            await pilot.pause()
        yield pilot


def items(count: int) -> Items:
    return Items([Item(i, f"item {i}", amount=i * 1000) for i in range(count)])


def top(table: ItemTable) -> int:
    return round(table.scroll_offset.y)


async def test_cursor_keys_move_and_stop_at_the_ends() -> None:
    table = ItemTable(items(100))
    async with shown(table, focus=True) as pilot:
        await pilot.press("j", "j", "down")
        assert table.cursor_row == 3 and table.cursor_item == table.view.row_at(3)
        await pilot.press("k", "up")
        assert table.cursor_row == 1
        await pilot.press("k", "k", "k")
        assert table.cursor_row == 0 and top(table) == 0
        await pilot.press("G")
        assert table.cursor_row == 99
        await pilot.press("j")
        assert table.cursor_row == 99
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == 99
        await pilot.press("home")
        assert table.cursor_row == 0


async def test_the_cursor_is_scrolled_into_view() -> None:
    table = ItemTable(items(100))
    async with shown(table, focus=True) as pilot:
        await pilot.press(*["j"] * BODY)  # one past the last row on screen
        assert table.cursor_row == BODY and top(table) == 1
        await pilot.press("G")
        assert top(table) == 100 - BODY
        assert "item 99" in table.render_line(HEIGHT - 1).text
        assert table.render_line(0).text.startswith(" Name")  # the header stays
        await pilot.press(*["k"] * BODY)  # one above the first row on screen
        assert table.cursor_row == 99 - BODY and top(table) == 99 - BODY
        await pilot.press("g")
        assert top(table) == 0


async def test_page_keys_move_by_a_screen_less_one_row() -> None:
    table = ItemTable(items(100))
    async with shown(table, focus=True) as pilot:
        await pilot.press("pagedown")
        assert table.cursor_row == PAGE
        await pilot.press("pagedown", "pagedown")
        assert table.cursor_row == 3 * PAGE
        assert top(table) <= table.cursor_row < top(table) + BODY
        await pilot.press("pageup")
        assert table.cursor_row == 2 * PAGE
        await pilot.press(*["pageup"] * 5)
        assert table.cursor_row == 0 and top(table) == 0


async def test_column_keys_stay_within_the_columns() -> None:
    table = ItemTable(items(3))
    async with shown(table, focus=True) as pilot:
        assert table.current_column is Col.AMOUNT  # the column after the first
        await pilot.press("h", "h", "left")
        assert table.current_column is Col.NAME
        await pilot.press(*["l"] * 6)
        assert table.current_column is Col.NOTE
        await pilot.press("left")
        assert table.current_column is Col.FLAGS


async def test_the_cursor_follows_its_row_when_the_order_changes() -> None:
    view = items(20)
    table = ItemTable(view)
    async with shown(table, focus=True) as pilot:
        await pilot.press("j", "j")
        assert table.moves == [0, 1, 2]
        view.order.reverse()
        table.view_changed()
        assert table.cursor_item is not None and table.cursor_item.id == 2
        assert table.cursor_row == 17
        assert table.moves == [0, 1, 2]  # the same row: no message
        view.order.remove(2)  # filtered out: the cursor stays where it was
        table.view_changed()
        assert table.cursor_row == 17 and table.moves[-1] == 1
        assert table.move_to(15) and table.cursor_item == view.row_at(4)
        assert not table.move_to(2)
        view.order.clear()
        table.view_changed()
        assert table.cursor_item is None and table.moves[-1] is None


async def test_a_holding_table_keeps_the_first_row_until_the_user_moves() -> None:
    view = items(5)
    table = HoldingTable(view)
    async with shown(table) as pilot:
        view.order.insert(0, view.order.pop())  # a row streams in above the cursor
        table.view_changed()
        assert table.cursor_row == 0 and table.cursor_item == view.row_at(0)
        table.focus()
        await pilot.pause()
        await pilot.press("j")
        moved_to = table.cursor_item
        view.order.insert(0, view.order.pop())
        table.view_changed()
        assert table.cursor_item == moved_to and table.cursor_row == 2


async def test_clicks_choose_a_column_or_a_row() -> None:
    table = ItemTable(items(30))
    async with shown(table) as pilot:
        await pilot.click("#items", offset=(2, 0))  # on "Name" in the header
        assert table.current_column is Col.NAME and table.cursor_row == 0
        await pilot.click("#items", offset=(14, 0))  # on "Amount"
        assert table.current_column is Col.AMOUNT
        await pilot.click("#items", offset=(3, 4))  # the fourth row
        assert table.cursor_row == 3 and table.clicked == [3]


async def test_header_and_rows_are_drawn_from_the_columns() -> None:
    view = items(3)
    view.rows[1].name = "a very long name"
    view.rows[2].note = "paid"
    table = ItemTable(view)
    async with shown(table):
        header = table.render_line(0)
        # A fixed column is wide enough for its title and the sort marker.
        assert header.text.startswith(" Name ▲       Amount Flags   Note")
        assert header.cell_length == table.scrollable_content_region.width
        current = next(segment for segment in header if segment.text.strip() == "Amount")
        assert current.style is not None and current.style.reverse  # the current column
        row = table.render_line(2).text
        assert row.startswith(" a very lo… ") and " 1,000 ab      — " in row
        assert "item 2" in table.render_line(3).text and "paid" in table.render_line(3).text
        view.sort_reverse = True
        table.refresh()
        assert table.render_line(0).text.startswith(" Name ▼")
        table.cursor_column = 0
        header = table.render_line(0)
        name = next(segment for segment in header if segment.text.startswith("Name"))
        assert name.style is not None and name.style.reverse


async def test_cell_styles_give_way_to_the_cursor() -> None:
    table = ItemTable(items(3))
    async with shown(table):
        dim = table.get_component_rich_style("item-table--dim")

        def dash_style(y: int) -> Style | None:
            return next(s.style for s in table.render_line(y) if s.text.startswith("—"))

        assert dash_style(2) == table.rich_style + dim  # not the cursor's row
        assert dash_style(1) != table.rich_style + dim  # the cursor's row


async def test_every_cell_is_drawn_as_printable_text() -> None:
    view = Items([Item(1, "\x1b]52;c;aGk=\x07evil", note="\x1b[2Jwipe\u202e")])
    table = ItemTable(view)
    async with shown(table):
        line = table.render_line(1).text
        assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
        assert f"{PLACEHOLDER}]52;c" in line and f"{PLACEHOLDER}[2Jwipe{PLACEHOLDER}" in line


async def test_an_empty_view_says_so_under_a_blank_line() -> None:
    table = ItemTable(Items([]))
    async with shown(table):
        assert table.render_line(1).text.strip() == ""
        assert table.render_line(2).text.strip() == "Nothing here."
        assert table.cursor_item is None


async def test_drawn_rows_are_reused_until_they_change() -> None:
    view = items(3)
    table = ItemTable(view)
    async with shown(table):
        first = table.render_line(2)
        assert table.render_line(2) is first
        view.rows[1] = Item(1, "renamed")  # a new row object, the same id
        assert table.render_line(2) is not first
        assert "renamed" in table.render_line(2).text


def test_the_tables_keep_their_keys_and_binding_ids() -> None:
    from lucy_tui.widgets.client_table import ClientTable
    from lucy_tui.widgets.document_table import DocumentTable

    for table, prefix in ((ClientTable, "clients"), (DocumentTable, "documents")):
        bindings = table._merged_bindings.key_to_bindings  # type: ignore[union-attr]
        by_key = {key: [b.id for b in found] for key, found in bindings.items()}
        for keys, name in (("up k", "up"), ("down j", "down"), ("g home", "first")):
            for key in keys.split():
                assert by_key[key] == [f"{prefix}.{name}"], (table, key)
        assert by_key["G"] == by_key["end"] == [f"{prefix}.last"]
        for key in ("pageup", "pagedown", "left", "h", "right", "l"):
            assert len(by_key[key]) == 1, (table, key)


class WideCol(StrEnum):
    NAME = "name"
    A = "a"
    B = "b"
    C = "c"
    D = "d"
    E = "e"


WIDE_COLUMNS = (
    ColumnSpec(WideCol.NAME, "Name", FLEXIBLE, pinned=True),
    *(ColumnSpec(column, f"Col {column.value}", 14) for column in list(WideCol)[1:]),
)


class WideTable(VirtualTable[Item, WideCol]):
    """More columns than 80 cells hold: the name pinned, the others scrolled sideways."""

    DEFAULT_CSS = "WideTable { overflow-x: hidden; }"

    def __init__(self, view: Items) -> None:
        super().__init__(view, WIDE_COLUMNS, id="items")

    def _row_id(self, row: Item) -> int:
        return row.id

    def _cell(self, row: Item, column: WideCol) -> Cell:
        return row.name if column is WideCol.NAME else f"{column.value}{row.id}"


async def test_a_table_too_wide_scrolls_sideways_keeping_the_cursor_column_in_sight() -> None:
    """Issue 12 (9): at 80 columns every column is reachable, the current one always drawn."""
    table = WideTable(items(3))
    async with TableApp(table).run_test(size=(80, HEIGHT)) as pilot:  # type: ignore[arg-type]
        table.view_changed()
        table.focus()
        await pilot.pause()
        header = table.render_line(0).text
        assert header.startswith(" Name ") and "Col a" in header and "Col e" not in header
        assert header.rstrip().endswith("▸")  # more to the right
        assert table.current_column is WideCol.A
        for column in list(WideCol)[2:]:
            await pilot.press("l")
            assert table.current_column is column
            header = table.render_line(0).text
            assert header.startswith(" Name "), header  # the pinned column stays
            assert f"Col {column.value}" in header, header
            assert f"{column.value}1" in table.render_line(2).text
        assert "◂" in header and not header.rstrip().endswith("▸")  # scrolled to the end
        assert "Col a" not in header
        for _ in range(5):
            await pilot.press("h")
        assert table.current_column is WideCol.NAME
        await pilot.press("l")
        header = table.render_line(0).text
        assert "Col a" in header and "◂" not in header
        # A click on a drawn header cell picks that column.
        start = header.index("Col b")
        await pilot.click("#items", offset=(start + 1, 0))
        assert table.current_column is WideCol.B


async def test_a_wide_terminal_draws_every_column_without_scrolling() -> None:
    table = WideTable(items(3))
    async with TableApp(table).run_test(size=(160, HEIGHT)) as pilot:  # type: ignore[arg-type]
        table.view_changed()
        await pilot.pause()
        header = table.render_line(0).text
        assert all(f"Col {c.value}" in header for c in list(WideCol)[1:])
        assert "◂" not in header and "▸" not in header
