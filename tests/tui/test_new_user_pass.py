"""Issue 12: what a new user ran into, each driven as that user did, at 160x50 and 80x24."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from lucy_tui.clients.rows import COLUMNS, Column
from lucy_tui.widgets.client_table import ClientTable

from .conftest import SIZE, open_client, settle, wait_loaded

SMALL = (80, 24)
SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["160x50", "80x24"])


def status_line(screen) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one("#status-line", Static).render())


@SIZES
async def test_the_cursor_shows_on_a_hidden_clients_row(make_app, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        hidden = next(row for row in screen.view.shown() if row.hidden)
        plain = next(row for row in screen.view.shown() if not row.hidden)
        cursor = table.get_component_rich_style("virtual-table--cursor")
        for row in (hidden, plain):
            table.move_to(row.id)
            await pilot.pause()
            y = table.cursor_row - round(table.scroll_offset.y) + 1
            name = next(s for s in table.render_line(y) if row.name[:10] in s.text)
            assert name.style is not None and name.style.bgcolor == cursor.bgcolor, row.name
            if row.hidden:
                assert name.style.italic  # still told apart from the others


@SIZES
async def test_the_status_line_names_the_column_the_header_marks(make_app, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        moves = (("right", Column.CONTACT), ("right", Column.TEAM), ("left", Column.CONTACT))
        for key, column in moves:
            await pilot.press(key)
            assert table.current_column is column
            title = next(spec.title for spec in COLUMNS if spec.column is column)
            assert f"column: {title}" in status_line(screen)


@SIZES
async def test_every_client_column_is_reachable_and_shown_under_the_cursor(make_app, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        await pilot.press("home")
        for spec in COLUMNS[2:]:
            await pilot.press("l")
            assert table.current_column is spec.column
            header = table.render_line(0).text
            assert header.startswith(" ★ Client"), header  # the name stays
            assert spec.title in header, (spec.title, header)
            await pilot.press("s")  # the sorted column's marker is on screen, not clipped
            assert f"{spec.title} ▲" in table.render_line(0).text
            await pilot.press("s")
            assert f"{spec.title} ▼" in table.render_line(0).text


@SIZES
async def test_invoice_settings_refuse_an_empty_legal_name(make_app, size) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input

    from lucy_tui.screens.detail.invoice_settings import InvoiceSettingsTab

    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_client(pilot, "Brasserie Het Anker BV")
        await pilot.press("7")
        await settle(pilot)
        tab = screen.current_tab
        assert isinstance(tab, InvoiceSettingsTab) and tab.loaded
        version = tab.version
        name = tab.query_one("#inv-legal_name", Input)
        name.focus()
        await pilot.press("end", "ctrl+u")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert tab.version == version  # nothing saved
        error = str(tab.query_one("#inv-legal_name-error", Static).render())
        assert "required" in error
        stored = await app.session.client.invoice_settings(tab.client_id)
        assert stored.legal_name == "Brasserie Het Anker BV" and stored.version == version
