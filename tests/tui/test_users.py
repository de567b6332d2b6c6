"""The Users tab: the client's users, add (invite by email), remove, and the last-user rule."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from lucy_server import db
from lucy_tui.api.models import ClientUserStatus
from lucy_tui.screens.client_detail import ClientDetailScreen
from lucy_tui.screens.detail.users import AddUserScreen, UsersTab
from lucy_tui.screens.prompt import ConfirmScreen

from .conftest import SIZE, open_client, settle
from .test_overview import (
    BIDI,
    CLEAR,
    CLICK,
    MARKUP,
    OSC52,
    api_as,
    assert_literal,
    count_calls,
    poison,
    record_notifications,
    toasts,
)

AALTER, AALTER_NAME = 1, "Aalter Interieur BV"
KAPSALON, KAPSALON_NAME = 15, "Kapsalon Maes"


async def open_users(pilot: Pilot[None], name: str) -> tuple[ClientDetailScreen, UsersTab]:
    screen = await open_client(pilot, name)
    await pilot.press("6")
    await settle(pilot)
    tab = screen.query_one(UsersTab)
    assert tab.loaded
    assert pilot.app.focused is tab.query_one(DataTable)
    return screen, tab


def users_shown(pilot: Pilot[None], tab: UsersTab) -> UsersTab:
    """What ``open_users`` checks, of the tab mounted alone (``tab_harness``)."""
    assert tab.loaded
    assert pilot.app.focused is tab.query_one(DataTable)
    return tab


def table_emails(tab: UsersTab) -> list[str]:
    table = tab.query_one(DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def test_users_are_listed_with_status_and_invitation_date(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(UsersTab, AALTER_NAME) as (pilot, tab):
        app = pilot.app
        users = await app.session.client.client_users(AALTER)
        assert len(users) == 3
        table = tab.query_one(DataTable)
        assert table_emails(tab) == [user.email for user in users]
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[0] == users[0].name
        assert first[2] == users[0].status.value.capitalize()
        assert users[0].invited_at is not None
        assert first[3] == users[0].invited_at.strftime("%d/%m/%Y")
        assert not tab.query_one("#remove-user", Button).disabled
        assert not tab.query_one("#users-remove-reason", Static).display


async def test_add_a_user_by_email(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(UsersTab, AALTER) as (pilot, tab):
        app = pilot.app
        users_shown(pilot, tab)
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AddUserScreen)
        await pilot.press(*"boekhouding@aalter")
        assert "Not a valid email address" in str(modal.query_one("#user-email-error").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal  # refused, nothing sent, what was typed is kept
        assert modal.query_one("#user-email", Input).value == "boekhouding@aalter"

        await pilot.press(*"-interieur.be", "tab", *"Sarah Claes", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, AddUserScreen)
        users = await app.session.client.client_users(AALTER)
        added = next(user for user in users if user.email == "boekhouding@aalter-interieur.be")
        assert added.name == "Sarah Claes" and added.status is ClientUserStatus.INVITED
        assert "boekhouding@aalter-interieur.be" in table_emails(tab)


async def test_adding_an_existing_user_is_refused_in_the_form(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(UsersTab, AALTER) as (pilot, tab):
        app = pilot.app
        users_shown(pilot, tab)
        existing = table_emails(tab)[0]
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AddUserScreen)
        await pilot.press(*existing.upper(), "ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "already a user" in str(modal.query_one("#user-email-error").render())
        assert len(await app.session.client.client_users(AALTER)) == 3


async def test_remove_the_highlighted_user_after_confirming(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(UsersTab, AALTER) as (pilot, tab):
        app = pilot.app
        users_shown(pilot, tab)
        second = table_emails(tab)[1]
        await pilot.press("down", "delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert second in str(app.screen.query_one(".dialog-body", Static).render())
        await pilot.press("n")
        await settle(pilot)
        assert len(await app.session.client.client_users(AALTER)) == 3

        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        emails = [user.email for user in await app.session.client.client_users(AALTER)]
        assert second not in emails and len(emails) == 2
        assert table_emails(tab) == emails


async def test_the_last_user_cannot_be_removed(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(UsersTab, KAPSALON) as (pilot, tab):
        app = pilot.app
        users_shown(pilot, tab)
        assert tab.query_one(DataTable).row_count == 1
        assert tab.query_one("#remove-user", Button).disabled
        reason = tab.query_one("#users-remove-reason", Static)
        assert reason.display and "A client needs at least one user" in str(reason.render())

        calls = count_calls(app.session.client, "remove_client_user")
        notices = record_notifications(app)
        await pilot.press("delete")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert calls == []
        assert any("A client needs at least one user" in notice for notice in notices)
        assert len(await app.session.client.client_users(KAPSALON)) == 1


async def test_the_servers_last_user_refusal_is_explained(tab_harness, data_dir) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(UsersTab, AALTER) as (pilot, tab), api_as(data_dir) as colleague:
        app = pilot.app
        users_shown(pilot, tab)
        users = await colleague.client_users(AALTER)
        for user in users[1:]:  # meanwhile a colleague removes every other user
            await colleague.remove_client_user(AALTER, user.id)

        notices = record_notifications(app)
        await pilot.press("delete")  # the tab still shows three users
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert any("last user" in notice for notice in notices)
        assert [user.email for user in await colleague.client_users(AALTER)] == [users[0].email]
        assert table_emails(tab) == [users[0].email]  # reloaded: the rule now shows
        assert tab.query_one("#remove-user", Button).disabled


async def test_hostile_names_and_addresses_are_shown_as_text(tab_harness, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    client_name = f"{CLICK} {CLEAR}"
    poison(data_dir, db.clients, db.clients.c.id == AALTER, name=client_name)
    users = db.client_users
    ids = [1, 2, 3]  # Aalter's users, in the table's order
    poison(data_dir, users, users.c.id == ids[0], name=MARKUP)
    poison(data_dir, users, users.c.id == ids[1], name=OSC52, email=f"{BIDI}@aalter.be")
    # a crash here is the MarkupError of issue 15
    async with tab_harness(UsersTab, AALTER) as (pilot, tab):
        app = pilot.app
        users_shown(pilot, tab)
        table = tab.query_one(DataTable)
        rows = [" | ".join(str(cell) for cell in table.get_row_at(i)) for i in range(3)]
        assert_literal(rows[0], MARKUP)
        assert_literal(rows[1], OSC52, f"{BIDI}@aalter.be")

        await pilot.press("down", "delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.query_one(".dialog-body", Static).render())
        assert_literal(body, f"{OSC52} <{BIDI}@aalter.be>", client_name)
        await pilot.press("y")
        await settle(pilot)
        assert app.is_running  # the name's [@click=app.quit] did nothing
        assert_literal(toasts(app)[-1], f"Removed {OSC52} <{BIDI}@aalter.be> from {client_name}")

        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AddUserScreen)
        title = str(app.screen.query_one(".dialog-title", Static).render())
        assert_literal(title, f"Add a user to {client_name}")


async def test_palette_lists_the_users_actions(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await open_users(pilot, KAPSALON_NAME)
        titles = [command.title for command in app.get_system_commands(screen)]
        assert "Users: add a user" in titles and "Users: remove the highlighted user" in titles


def test_users_tab_snapshot(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def shown(pilot: Pilot[None]) -> None:
        await open_users(pilot, AALTER_NAME)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=shown)
