"""The Integrations tab: link, replace, unlink the accounting package; the client's destinations."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from lucy_server import db
from lucy_tui.api.models import ClientIntegrationsUpdate
from lucy_tui.app import LucyApp
from lucy_tui.screens.detail.integrations import IntegrationsTab
from lucy_tui.screens.prompt import ConfirmScreen

from .conftest import SIZE, open_client, settle
from .harness import TabHarness
from .test_overview import BIDI, CLEAR, CLICK, MARKUP, OSC52, assert_literal, poison, toasts

AALTER_ID = 1  # Yuki + Dropbox archive
DUBOIS_ID = 17  # no accounting package


async def open_integrations(pilot: Pilot[None], name: str) -> IntegrationsTab:
    screen = await open_client(pilot, name)
    await pilot.press("5")
    await settle(pilot)
    tab = screen.query_one(IntegrationsTab)
    assert tab.loaded
    return tab


async def move_to(pilot: Pilot[None], tab: IntegrationsTab, integration_id: str) -> None:
    """Press down until ``integration_id`` is highlighted, as a user would."""
    options = tab.query_one(OptionList)
    assert pilot.app.focused is options
    for _ in range(options.option_count):
        highlighted = options.highlighted
        if highlighted is not None and options.get_option_at_index(highlighted).id == (
            integration_id
        ):
            return
        await pilot.press("down")
    raise AssertionError(f"{integration_id} is not in the list")


def option_text(tab: IntegrationsTab, integration_id: str) -> str:
    return str(tab.query_one(OptionList).get_option(integration_id).prompt)


def notifications(app: LucyApp | TabHarness) -> list[str]:
    return [notification.message for notification in app._notifications]


async def test_the_catalogue_is_grouped_with_the_linked_package_marked(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(IntegrationsTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        options = tab.query_one(OptionList).options
        headings = [str(option.prompt) for option in options if option.disabled]
        assert headings == [
            "Accounting packages by API",
            "Accounting packages by FTP",
            "Accounting packages by email",
            "Other destinations, set by the client in Lucy (Settings > Integrations)",
        ]
        catalogue = await app.session.client.integrations()
        assert {option.id for option in options if not option.disabled} == {
            integration.id for integration in catalogue
        }
        assert "●" in option_text(tab, "yuki") and "linked" in option_text(tab, "yuki")
        assert "○" in option_text(tab, "exact-online")
        assert "[x]" in option_text(tab, "dropbox-archive")
        assert "[ ]" in option_text(tab, "google-drive-archive")
        summary = str(tab.query_one("#integrations-summary", Static).render())
        assert "Accounting package: Yuki (by API)" in summary
        assert "Other destinations: Dropbox archive" in summary
        assert "Only the client can set these up, in Lucy under Settings > Integrations" in summary
        titles = [title for title, _, _ in tab.palette_commands()]
        assert "Integrations: unlink the accounting package" in titles


async def test_linking_a_package_on_a_client_without_one(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(role="employee")
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_integrations(pilot, "Loodgieterij Dubois")
        assert (await app.session.client.client_integrations(DUBOIS_ID)).accounting_package is None
        await move_to(pilot, tab, "exact-online")
        await pilot.press("enter")  # no package yet: nothing to confirm
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        saved = await app.session.client.client_integrations(DUBOIS_ID)
        assert saved.accounting_package == "exact-online"
        assert "linked" in option_text(tab, "exact-online")
        # the header and the dashboard's row learn the new integration
        assert tab.client is not None
        assert tab.client.integrations == ["Exact"]
        row = app.dashboard.view.get(DUBOIS_ID)
        assert row is not None and row.integrations == "Exact"


async def test_replacing_yuki_asks_first_and_cancel_changes_nothing(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(IntegrationsTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        before = await app.session.client.client_integrations(AALTER_ID)
        await move_to(pilot, tab, "exact-online")
        await pilot.press("enter")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.title_text == "Replace Yuki with Exact Online?"
        assert "linked to one accounting package at a time" in confirm.body
        await pilot.press("n")
        await settle(pilot)
        assert await app.session.client.client_integrations(AALTER_ID) == before
        assert "linked" in option_text(tab, "yuki")

        await pilot.press("l")  # l links too
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        after = await app.session.client.client_integrations(AALTER_ID)
        assert after.accounting_package == "exact-online"
        assert after.destinations == ["dropbox-archive"]  # destinations are kept
        assert "linked" in option_text(tab, "exact-online")
        assert "linked" not in option_text(tab, "yuki")
        assert any("Exact Online replaces Yuki" in message for message in notifications(app))


async def test_unlinking_is_confirmed(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(IntegrationsTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        await pilot.press("u")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and confirm.title_text == "Unlink Yuki?"
        await pilot.press("n")
        await settle(pilot)
        current = await app.session.client.client_integrations(AALTER_ID)
        assert current.accounting_package == "yuki"

        await pilot.press("u")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        after = await app.session.client.client_integrations(AALTER_ID)
        assert after.accounting_package is None
        assert after.destinations == ["dropbox-archive"]
        summary = str(tab.query_one("#integrations-summary", Static).render())
        assert "Accounting package: none linked" in summary

        await pilot.press("u")  # nothing left to unlink: says so, asks nothing
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("nothing to unlink" in message for message in notifications(app))


async def test_destinations_are_shown_and_set_by_the_client_not_switched(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(IntegrationsTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        before = await app.session.client.client_integrations(AALTER_ID)
        await move_to(pilot, tab, "google-drive-archive")
        for key in ("space", "enter", "l"):
            await pilot.press(key)
            await settle(pilot)
        assert await app.session.client.client_integrations(AALTER_ID) == before
        assert "[ ]" in option_text(tab, "google-drive-archive")
        said = notifications(app)
        assert any("Only the client can set these up, in Lucy under Settings" in m for m in said)
        assert not any("switch" in key.lower() for _, key, _ in tab.palette_commands())


async def test_a_change_made_meanwhile_is_reloaded_not_overwritten(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(IntegrationsTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        # a colleague links Clearfacts while this screen shows Yuki
        seen = await app.session.client.client_integrations(AALTER_ID)
        await app.session.client.set_client_integrations(
            AALTER_ID,
            ClientIntegrationsUpdate(accounting_package="clearfacts"),
            seen.version,
        )
        await move_to(pilot, tab, "octopus")
        await pilot.press("enter")
        await settle(pilot)
        if isinstance(app.screen, ConfirmScreen):  # replacing Yuki (as this screen saw it)
            await pilot.press("y")
            await settle(pilot)
        current = await app.session.client.client_integrations(AALTER_ID)
        assert current.accounting_package == "clearfacts"  # theirs, not overwritten
        assert any("Someone else changed" in message for message in notifications(app))
        assert "linked" in option_text(tab, "clearfacts")  # reloaded


def test_snapshot_integrations(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def integrations(pilot: Pilot[None]) -> None:
        await open_integrations(pilot, "Aalter Interieur BV")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=integrations)


async def test_hostile_integration_names_are_shown_as_text(tab_harness, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    table = db.integrations
    poison(data_dir, table, table.c.id == "yuki", name=CLICK, description=BIDI)
    poison(data_dir, table, table.c.id == "exact-online", name=MARKUP, description=OSC52)
    poison(data_dir, table, table.c.id == "dropbox-archive", name=CLEAR)
    # a crash here is the MarkupError of issue 15
    async with tab_harness(IntegrationsTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        assert_literal(option_text(tab, "yuki"), CLICK, BIDI)
        assert_literal(option_text(tab, "exact-online"), MARKUP, OSC52)
        assert_literal(option_text(tab, "dropbox-archive"), CLEAR)
        summary = str(tab.query_one("#integrations-summary", Static).render())
        assert_literal(summary, f"Accounting package: {CLICK} (by API)", CLEAR)

        await move_to(pilot, tab, "exact-online")
        await pilot.press("enter")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert_literal(str(confirm.query_one(".dialog-title", Static).render()), MARKUP, CLICK)
        assert_literal(str(confirm.query_one(".dialog-body", Static).render()), MARKUP, CLICK)
        await pilot.press("n")
        await settle(pilot)

        await move_to(pilot, tab, "dropbox-archive")
        await pilot.press("enter")  # a destination: the toast says the client sets it
        await settle(pilot)
        assert_literal(toasts(app)[-1], f"{CLEAR} is a destination")
        assert app.is_running
