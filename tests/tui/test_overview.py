"""The Overview tab: Peppol switches, hiding, the client-facing contact, the inbox address
and the allowed-senders modal, driven by keys against the embedded demo firm."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import ColumnElement, Table
from textual.color import Color
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Static, Switch

from lucy_server import db
from lucy_server.embedded import open_demo
from lucy_server.seed import ADMIN_EMAIL, EMPLOYEE_EMAIL
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import (
    ForbiddenError,
    NotFoundError,
    UnreachableError,
    ValidationError,
)
from lucy_tui.app import LucyApp
from lucy_tui.safe_text import printable
from lucy_tui.screens.allowed_senders import AllowedSendersScreen
from lucy_tui.screens.client_detail import ClientDetailScreen
from lucy_tui.screens.detail.overview import OverviewTab
from lucy_tui.screens.prompt import ConfirmScreen
from lucy_tui.screens.staff_picker import StaffPickerScreen

from .conftest import SIZE, open_client, settle

AALTER, AALTER_NAME = 1, "Aalter Interieur BV"
KROON, KROON_NAME = 4, "Café De Kroon VOF"
AALTER_SENDERS = ["invoices@delijn.be", "invoices1@engie.be", "invoices2@proximus.be"]


@contextlib.asynccontextmanager
async def api_as(data_dir: Path, email: str = ADMIN_EMAIL) -> AsyncIterator[LucyClient]:
    """A second caller of the same demo firm (another staff member at another desk)."""
    server, token, _ = open_demo(data_dir / "demo.db", email)
    transport = httpx.ASGITransport(app=server)
    async with LucyClient("http://other.desk", token=token, transport=transport, retries=0) as api:
        yield api


def record_notifications(app: LucyApp) -> list[str]:
    messages: list[str] = []
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        messages.append(str(message))
        original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return messages


def count_calls(target: object, name: str) -> list[tuple[Any, ...]]:
    """Record each call of an API method (still calling it)."""
    calls: list[tuple[Any, ...]] = []
    original: Callable[..., Awaitable[Any]] = getattr(target, name)

    async def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return await original(*args, **kwargs)

    setattr(target, name, spy)
    return calls


# --- text from a hostile server (issue 15): shown as text, never markup or terminal codes ---

MARKUP = "Mark [/] Up"  # a closing tag with nothing open: MarkupError if parsed
CLICK = "[@click=app.quit]Acme[/]"  # an action link if parsed
OSC52 = "X\x1b]52;c;aGk=\x07Y"  # writes the terminal's clipboard if it reaches it
CLEAR = "\x1b[2J"  # clears the screen
BIDI = "\u202eevil"  # right-to-left override: shows text reversed


def poison(data_dir: Path, table: Table, where: ColumnElement[bool], **values: object) -> None:
    """Write ``values`` straight into the server's database, past its own input checks:
    the app must not trust any server."""
    engine = db.make_engine(data_dir / "demo.db")
    try:
        with engine.begin() as conn:
            assert conn.execute(table.update().where(where).values(**values)).rowcount
    finally:
        engine.dispose()


def assert_literal(shown: str, *values: str) -> None:
    """Each outside ``value`` appears in ``shown`` as itself, its control characters
    replaced by the placeholder, and nothing that could drive the terminal is left."""
    for value in values:
        assert printable(value) in shown, (value, shown)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown, shown


def toasts(app: LucyApp) -> list[str]:
    """The notifications as a Toast draws them (markup parsed only when it says so)."""
    return [
        (Content.from_markup(note.message) if note.markup else Content(note.message)).plain
        + f" | {note.title}"
        for note in app._notifications
    ]


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_overview(pilot: Pilot[None], name: str) -> tuple[ClientDetailScreen, OverviewTab]:
    screen = await open_client(pilot, name)
    await settle(pilot)
    tab = screen.query_one(OverviewTab)
    assert tab.loaded and tab.peppol is not None and tab.client is not None
    assert pilot.app.focused is not None and tab in pilot.app.focused.ancestors_with_self
    return screen, tab


def overview_shown(pilot: Pilot[None], tab: OverviewTab) -> OverviewTab:
    """What ``open_overview`` checks, of the tab mounted alone (``tab_harness``)."""
    assert tab.loaded and tab.peppol is not None and tab.client is not None
    assert pilot.app.focused is not None and tab in pilot.app.focused.ancestors_with_self
    return tab


# --- Peppol -------------------------------------------------------------------------------


async def test_peppol_switched_off_only_after_confirming_and_on_again(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, tab = await open_overview(pilot, AALTER_NAME)
        api = app.session.client
        assert tab.query_one("#peppol-sending", Switch).value is True
        assert text_of(tab, "#peppol-participant").startswith("0208:")

        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.query_one(".dialog-body", Static).render())
        assert "Unsubscribe Aalter Interieur BV from the Peppol network for sending?" in body
        await pilot.press("n")
        await settle(pilot)
        assert (await api.peppol(AALTER)).sending is True

        await pilot.press("s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert (await api.peppol(AALTER)).sending is False
        assert tab.query_one("#peppol-sending", Switch).value is False
        assert screen.client is not None and screen.client.peppol_sending is False
        row = next(row for row in app.dashboard.view.rows if row.id == AALTER)
        assert row.peppol_sending is False

        await pilot.press("s")  # on again: no confirmation needed
        await settle(pilot)
        assert app.screen is screen
        assert (await api.peppol(AALTER)).sending is True
        assert tab.query_one("#peppol-sending", Switch).value is True

        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.query_one(".dialog-body", Static).render())
        assert "for receiving?" in body
        await pilot.press("y")
        await settle(pilot)
        assert (await api.peppol(AALTER)).receiving is False
        assert str(tab.query_one("#peppol-receiving-label").render()) == "Receiving (r): off"


async def test_pressing_space_on_the_switch_asks_too(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_NAME) as (pilot, tab):
        app = pilot.app
        overview_shown(pilot, tab)
        tab.query_one("#peppol-sending", Switch).focus()
        await pilot.press("space")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert tab.query_one("#peppol-sending", Switch).value is True  # shows the server's state
        assert (await app.session.client.peppol(AALTER)).sending is True


async def test_registered_elsewhere_names_the_provider_and_receiving_stays_off(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, KROON_NAME) as (pilot, tab):
        app = pilot.app
        overview_shown(pilot, tab)
        warning = tab.query_one("#peppol-elsewhere", Static)
        assert warning.display and "Hermes" in str(warning.render())
        assert warning.styles.color == Color.parse(app.theme_variables["warning"])
        receiving = tab.query_one("#peppol-receiving", Switch)
        assert receiving.disabled and receiving.value is False
        assert "Hermes" in text_of(tab, "#peppol-receiving-reason")

        notices = record_notifications(app)
        calls = count_calls(app.session.client, "set_peppol")
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert calls == []
        assert any("Hermes" in notice for notice in notices)
        assert (await app.session.client.peppol(KROON)).receiving is False


async def test_hostile_server_text_is_shown_as_text(make_app, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    name = f"{MARKUP} {BIDI}"
    poison(
        data_dir,
        db.clients,
        db.clients.c.id == KROON,
        name=name,
        street=OSC52,
        postal_code="9000",
        city=CLICK,
        vat_number=f"BE{CLEAR}",  # the Lucy inbox address is made from it
        enterprise_number=CLICK,
    )
    registrations = db.peppol_registrations
    poison(
        data_dir,
        registrations,
        registrations.c.client_id == KROON,
        participant_id=OSC52,
        other_provider=CLICK,
    )
    senders = db.allowed_senders
    engine = db.make_engine(data_dir / "demo.db")
    with engine.begin() as conn:
        conn.execute(senders.insert().values(client_id=KROON, position=0, email=MARKUP))
    engine.dispose()

    inbox = f"be{CLEAR}@".lower()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        _, tab = await open_overview(pilot, name)
        assert_literal(text_of(tab, "#peppol-participant"), OSC52)
        assert_literal(text_of(tab, "#peppol-elsewhere"), CLICK)
        assert_literal(text_of(tab, "#peppol-receiving-reason"), CLICK)
        assert_literal(text_of(tab, "#client-address"), f"{OSC52}, 9000 {CLICK}")
        assert_literal(text_of(tab, "#client-vat"), f"BE{CLEAR}")
        assert_literal(text_of(tab, "#client-enterprise"), CLICK)
        assert_literal(text_of(tab, "#lucy-email"), inbox)
        assert_literal(text_of(tab, "#allowed-senders"), MARKUP)

        await pilot.press("r")  # refused: the toast names the other provider
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert_literal(toasts(app)[-1], CLICK)

        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert_literal(text_of(app.screen, ".dialog-body"), f"Hide {name} from employees?")
        await pilot.press("n")
        await settle(pilot)

        await pilot.press("y")  # what is copied is what is shown, never a control sequence
        await settle(pilot)
        assert app.clipboard == printable(tab.client.lucy_email if tab.client else "")
        assert_literal(app.clipboard, inbox)
        assert_literal(toasts(app)[-1], f"Copied {inbox}")
        assert app.is_running


# --- hide from employees ------------------------------------------------------------------


async def test_admin_hides_the_client_from_employees_and_shows_it_again(make_app, data_dir) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot, api_as(data_dir, EMPLOYEE_EMAIL) as employee:
        screen, tab = await open_overview(pilot, AALTER_NAME)
        assert not tab.query_one("#hidden-switch", Switch).disabled
        await employee.client(AALTER)  # visible to the employee to begin with

        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Hide Aalter Interieur BV from employees?" in str(
            app.screen.query_one(".dialog-body", Static).render()
        )
        await pilot.press("y")
        await settle(pilot)
        assert (await app.session.client.client(AALTER)).hidden is True
        with pytest.raises(NotFoundError):
            await employee.client(AALTER)
        names = [client.name async for client in employee.iter_clients()]
        assert AALTER_NAME not in names
        assert tab.query_one("#hidden-switch", Switch).value is True
        assert "hidden from employees" in text_of(screen, "#detail-title")

        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert (await app.session.client.client(AALTER)).hidden is False
        assert (await employee.client(AALTER)).name == AALTER_NAME
        assert "hidden from employees" not in text_of(screen, "#detail-title")


async def test_employee_sees_hide_and_contact_disabled_with_the_reason(make_app, data_dir) -> None:  # type: ignore[no-untyped-def]
    app = make_app(role="employee")
    async with app.run_test(size=SIZE) as pilot:
        _, tab = await open_overview(pilot, KROON_NAME)
        assert tab.query_one("#hidden-switch", Switch).disabled
        assert "Only admins can hide a client" in text_of(tab, "#hidden-reason")
        assert tab.query_one("#contact-button", Button).disabled
        assert "Only admins can change the Client-Facing Contact" in text_of(tab, "#contact-reason")

        calls = count_calls(app.session.client, "update_client")
        # The admin-only keys are not offered (issue 12): the footer leaves them out, and
        # pressing them does nothing; the reasons above say why.
        footer_keys = {key.key for key in app.screen.query("FooterKey")}  # type: ignore[attr-defined]
        assert "s" in footer_keys and not {"h", "c"} & footer_keys
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen | StaffPickerScreen)
        assert calls == []
        client = await app.session.client.client(KROON)
        assert client.hidden is False

        # The server refuses the same change from this employee (the app does not rely on it).
        from lucy_tui.api.models import ClientUpdate

        with pytest.raises(ForbiddenError):
            await app.session.client.update_client(
                KROON, ClientUpdate(contact_id=1), client.version
            )


# --- client-facing contact ----------------------------------------------------------------


async def test_admin_chooses_the_client_facing_contact_from_the_staff(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        _, tab = await open_overview(pilot, AALTER_NAME)
        assert text_of(tab, "#client-contact") == "Eric Employee"
        await pilot.press("c")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, StaffPickerScreen)
        options = picker.query_one(OptionList)
        assert options.option_count == 6  # "nobody" and the five staff members
        current = options.get_option_at_index(options.highlighted or 0)
        assert "Eric Employee" in str(current.prompt) and "(current)" in str(current.prompt)
        for _ in range(options.option_count):
            if "Marc Dubois" in str(options.get_option_at_index(options.highlighted or 0).prompt):
                break
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, StaffPickerScreen)
        stored = await app.session.client.client(AALTER)
        assert stored.contact_name == "Marc Dubois"
        # one contact person: the list's column shows the same choice
        assert app.dashboard.view.get(AALTER).contact == "Marc Dubois"  # type: ignore[union-attr]
        assert text_of(tab, "#client-contact") == "Marc Dubois"


# --- inbox address ------------------------------------------------------------------------


async def test_y_copies_the_inbox_address(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_NAME) as (pilot, tab):
        app = pilot.app
        notices = record_notifications(app)
        address = (await app.session.client.client(AALTER)).lucy_email
        assert text_of(tab, "#lucy-email") == address
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard == address
        assert any(address in notice and "clipboard" in notice for notice in notices)


# --- allowed senders ----------------------------------------------------------------------


async def open_senders(pilot: Pilot[None]) -> AllowedSendersScreen:
    await pilot.press("a")
    await settle(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, AllowedSendersScreen)
    return modal


def listed(modal: AllowedSendersScreen) -> list[str]:
    options = modal.query_one("#sender-list", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_allowed_senders_add_and_remove(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_NAME) as (pilot, tab):
        app = pilot.app
        overview_shown(pilot, tab)
        modal = await open_senders(pilot)
        assert listed(modal) == AALTER_SENDERS
        await pilot.press(*"Scans@Example.BE", "enter")
        assert listed(modal)[-1] == "Scans@example.be   added · unsaved"
        await pilot.press("shift+tab")  # to the list, on its first address
        assert app.focused is modal.query_one("#sender-list", OptionList)
        await pilot.press("delete")
        assert listed(modal)[0] == "invoices@delijn.be   removed · unsaved"
        assert "3 of 100" in text_of(modal, "#sender-count")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not modal
        saved = await app.session.client.allowed_senders(AALTER)
        assert saved.senders == [*AALTER_SENDERS[1:], "Scans@example.be"]
        assert "Scans@example.be" in text_of(tab, "#allowed-senders")


async def test_allowed_senders_refuses_an_invalid_or_duplicate_address(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_NAME) as (pilot, tab):
        app = pilot.app
        overview_shown(pilot, tab)
        before = await app.session.client.allowed_senders(AALTER)
        modal = await open_senders(pilot)
        field = modal.query_one("#sender-input", Input)
        await pilot.press(*"not-an-address")
        assert "Not a valid email address" in text_of(modal, "#sender-error")  # as typed
        assert field.has_class("-invalid")
        await pilot.press("enter")
        assert listed(modal) == AALTER_SENDERS and field.value == "not-an-address"
        await pilot.press("ctrl+s")  # what is typed is meant to be added: it is refused
        await settle(pilot)
        assert app.screen is modal
        assert await app.session.client.allowed_senders(AALTER) == before

        field.value = ""
        await pilot.press(*"INVOICES@delijn.be")
        assert "already in the list" in text_of(modal, "#sender-error")
        await pilot.press("enter")
        assert listed(modal) == AALTER_SENDERS


async def test_allowed_senders_stop_at_one_hundred(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_NAME) as (pilot, tab):
        app = pilot.app
        overview_shown(pilot, tab)
        api = app.session.client
        current = await api.allowed_senders(AALTER)
        full = [f"sender{i}@example.be" for i in range(100)]
        await api.set_allowed_senders(AALTER, full, current.version)
        modal = await open_senders(pilot)
        assert "100 of 100" in text_of(modal, "#sender-count")
        await pilot.press(*"one.more@example.be")
        assert "at most 100" in text_of(modal, "#sender-error")
        await pilot.press("enter")
        assert len(listed(modal)) == 100
        assert "at most 100" in text_of(modal, "#sender-error")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert (await api.allowed_senders(AALTER)).senders == full


async def test_allowed_senders_stale_version_reloads_and_keeps_what_was_typed(
    tab_harness, data_dir
) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_NAME) as (pilot, tab), api_as(data_dir) as colleague:
        app = pilot.app
        overview_shown(pilot, tab)
        modal = await open_senders(pilot)
        await pilot.press(*"mine@example.be", "enter")
        await pilot.press("shift+tab", "down", "delete")  # remove invoices1@engie.be

        theirs = await colleague.allowed_senders(AALTER)
        await colleague.set_allowed_senders(
            AALTER, [*theirs.senders, "theirs@example.be"], theirs.version
        )

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "Someone else changed the allowed senders" in text_of(modal, "#sender-error")
        assert "mine@example.be   added · unsaved" in listed(modal)

        await pilot.press("ctrl+r")
        await settle(pilot)
        assert listed(modal) == [
            "invoices@delijn.be",
            "invoices1@engie.be   removed · unsaved",
            "invoices2@proximus.be",
            "theirs@example.be",
            "mine@example.be   added · unsaved",
        ]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not modal
        saved = await colleague.allowed_senders(AALTER)
        assert saved.senders == [
            "invoices@delijn.be",
            "invoices2@proximus.be",
            "theirs@example.be",
            "mine@example.be",
        ]


async def test_allowed_senders_keep_the_entries_on_a_network_fault(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_NAME) as (pilot, tab):
        app = pilot.app
        overview_shown(pilot, tab)
        modal = await open_senders(pilot)
        await pilot.press(*"kept@example.be", "enter")
        api = app.session.client

        async def unreachable(*args: object, **kwargs: object) -> None:
            raise UnreachableError("Cannot reach the Lucy server at http://lucy.test")

        working = api.set_allowed_senders
        api.set_allowed_senders = unreachable  # type: ignore[method-assign,assignment]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "Your changes are kept" in text_of(modal, "#sender-error")
        assert "kept@example.be   added · unsaved" in listed(modal)

        api.set_allowed_senders = working  # type: ignore[method-assign]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not modal
        assert "kept@example.be" in (await api.allowed_senders(AALTER)).senders


async def test_allowed_senders_show_the_servers_validation_errors(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_NAME) as (pilot, tab):
        app = pilot.app
        overview_shown(pilot, tab)
        modal = await open_senders(pilot)
        await pilot.press(*"refused@example.be", "enter")

        async def refuse(*args: object, **kwargs: object) -> None:
            raise ValidationError(
                "Invalid allowed senders",
                details=[{"field": "senders.3", "message": "example.be does not accept mail"}],
            )

        app.session.client.set_allowed_senders = refuse  # type: ignore[method-assign,assignment]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "senders.3: example.be does not accept mail" in text_of(modal, "#sender-error")
        assert "refused@example.be   added · unsaved" in listed(modal)
        assert not modal.query_one("#save", Button).disabled


async def test_palette_lists_the_overview_actions(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(role="employee")
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await open_overview(pilot, KROON_NAME)
        titles = [command.title for command in app.get_system_commands(screen)]
        assert "Overview: switch Peppol sending on or off" in titles
        assert "Overview: configure allowed senders for your client" in titles
        assert "Overview: hide from employees or show again" not in titles  # admins only


# --- snapshots ----------------------------------------------------------------------------


def test_overview_snapshot_as_admin(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def shown(pilot: Pilot[None]) -> None:
        await open_overview(pilot, AALTER_NAME)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=shown)


def test_overview_snapshot_registered_elsewhere_as_employee(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def shown(pilot: Pilot[None]) -> None:
        await open_overview(pilot, KROON_NAME)

    assert snap_compare(make_app(role="employee"), terminal_size=SIZE, run_before=shown)


def test_allowed_senders_modal_snapshot(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def editing(pilot: Pilot[None]) -> None:
        await open_overview(pilot, AALTER_NAME)
        await open_senders(pilot)
        await pilot.press(*"scans@example.be", "enter", "shift+tab", "delete")
        await pilot.press("tab", *"not-an-addr")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=editing)
