"""The client detail screen: tabs by number, favourite, back to the list."""

from __future__ import annotations

from textual.widgets import Static, TabbedContent

from lucy_tui.screens.client_detail import TABS
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.widgets.client_table import ClientTable

from .conftest import SIZE, open_client, settle


async def test_tabs_switch_with_numbers_and_escape_returns(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, "Aalter Interieur BV")
        title = str(screen.query_one("#detail-title", Static).render())
        assert "Aalter Interieur BV" in title and "Lucy Business Pro" in title
        tabs = screen.query_one(TabbedContent)
        assert tabs.active == "overview"
        for number, (tab_id, _, _) in enumerate(TABS, start=1):
            await pilot.press(str(number))
            await settle(pilot)
            assert tabs.active == tab_id
            assert screen.current_tab.loaded or screen.current_tab.has_class("-failed")
        await pilot.press("escape")
        await pilot.pause()
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        assert dashboard.query_one(ClientTable).cursor_client.name == "Aalter Interieur BV"  # type: ignore[union-attr]


async def test_favourite_from_the_detail_shows_on_the_list(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, "Kapsalon Maes")
        await pilot.press("f")
        await settle(pilot)
        assert str(screen.query_one("#detail-title", Static).render()).startswith("★ Kapsalon Maes")
        await pilot.press("escape")
        await pilot.pause()
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        assert dashboard.view.row_at(0).name == "Kapsalon Maes"
        assert len(dashboard.view.favourites) == 1


async def test_palette_lists_the_tab_switches(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, "Kapsalon Maes")
        titles = [c.title for c in app.get_system_commands(screen)]
        assert "Client: show Vault" in titles and "Client: toggle favourite" in titles


async def test_a_shown_tab_takes_the_focus_so_its_keys_work(make_app) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.screens.detail.invoice_settings import InvoiceSettingsTab
    from lucy_tui.widgets.document_table import DocumentTable

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, "Aalter Interieur BV")
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.focused, DocumentTable)
        await pilot.press("space")  # the table's key works without tabbing into it
        assert len(app.focused.view.selected) == 1
        await pilot.press("7")
        await settle(pilot)
        assert isinstance(app.focused, InvoiceSettingsTab)
        await pilot.press("1")  # a tab number still switches tabs from the form
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "overview"


async def test_a_tab_is_built_when_first_shown_and_shows_the_client(make_app) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.messages import OpenClient
    from lucy_tui.screens.detail.base import DetailTab
    from lucy_tui.screens.detail.documents import DocumentsTab
    from lucy_tui.screens.detail.overview import OverviewTab

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, "Aalter Interieur BV")
        assert [type(tab) for tab in screen.tabs] == [OverviewTab]  # not all seven
        await pilot.press("2")
        await settle(pilot)
        documents = screen.query_one(DocumentsTab)
        assert screen.current_tab is documents and documents.loaded
        assert documents.client is not None and documents.client.name == "Aalter Interieur BV"
        await pilot.press("1", "2")  # built once, kept
        await settle(pilot)
        assert len(screen.query(DocumentsTab)) == 1 and len(screen.tabs) == 2
        await pilot.press("escape")
        await settle(pilot)

        # Opened on another tab (as the firm's failed queue does): the Overview, built later,
        # still shows the client the screen loaded before it existed.
        app.post_message(OpenClient(screen.client_id, "Aalter Interieur BV", tab="documents"))
        await settle(pilot)
        screen = app.screen
        assert [type(tab) for tab in screen.query(DetailTab)] == [DocumentsTab]
        await pilot.press("1")
        await settle(pilot)
        overview = screen.query_one(OverviewTab)
        contact = screen.client.contact_name
        assert contact and str(overview.query_one("#client-contact", Static).render()) == contact
