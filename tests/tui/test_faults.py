"""The app under faults: the server away, timeouts, 5xx, an expired session, bad JSON.

The app runs against the reference server through ``FaultyTransport`` (tests/tui/faults.py)
and each test injects faults as the network or a proxy would. For every fault the app
keeps running, says what happened and how to retry, and loses nothing the user typed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, Switch

import lucy_tui.api.client as client_module
from lucy_server.app import create_app
from lucy_server.seed import DEMO_PASSWORD
from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import ClientStatus
from lucy_tui.app import LucyApp
from lucy_tui.screens.allowed_senders import AllowedSendersScreen
from lucy_tui.screens.client_detail import ClientDetailScreen
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.screens.detail.banking import BankingTab
from lucy_tui.screens.detail.base import DetailTab
from lucy_tui.screens.detail.documents import DocumentsTab
from lucy_tui.screens.detail.integrations import IntegrationsTab
from lucy_tui.screens.detail.invoice_settings import InvoiceSettingsTab
from lucy_tui.screens.detail.overview import OverviewTab
from lucy_tui.screens.detail.users import AddUserScreen, UsersTab
from lucy_tui.screens.detail.vault import VaultTab
from lucy_tui.screens.document_actions import ActionResultsScreen, ConfirmActionScreen
from lucy_tui.screens.new_client import NewClientScreen
from lucy_tui.screens.sign_in import SignInScreen
from lucy_tui.widgets.client_table import ClientTable

from ..conftest import SEED_NOW, FakeClock
from .conftest import SIZE, open_client, settle, wait_loaded
from .faults import Fault, FaultSpec, FaultyTransport

SERVER = "http://lucy.test"
ADMIN = "admin@demo-firm.be"
AALTER, AALTER_ID = "Aalter Interieur BV", 1


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SEED_NOW)


@pytest.fixture
def server(data_dir: Path, clock: FakeClock) -> FastAPI:
    return create_app(data_dir / "demo.db", clock=clock)


@pytest.fixture
def faults(server: FastAPI) -> FaultyTransport:
    return FaultyTransport(httpx.ASGITransport(app=server))


@pytest.fixture(autouse=True)
def backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client's retry delays, recorded: nothing really sleeps."""
    delays: list[float] = []

    async def record(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(client_module, "asyncio", SimpleNamespace(sleep=record))
    return delays


@pytest.fixture
async def signed_in(server: FastAPI, monkeypatch: pytest.MonkeyPatch) -> str:
    """A session of the demo admin, handed to the app as ``LUCY_TOKEN``."""
    async with LucyClient(SERVER, transport=httpx.ASGITransport(app=server)) as client:
        login = await client.login(ADMIN, DEMO_PASSWORD)
    monkeypatch.setenv("LUCY_TOKEN", login.access_token)
    return login.access_token


@pytest.fixture
def remote(make_app, faults: FaultyTransport, signed_in: str) -> Callable[[], LucyApp]:
    """The app in remote mode, reaching the server only through ``faults``."""
    return lambda: make_app(server=SERVER, transport=faults)


# --- helpers ------------------------------------------------------------------------------


def alive(app: App[None]) -> None:
    """The app is still running: nothing crashed it, no exception escaped."""
    assert app.return_code is None
    assert app._exception is None


def toasts(app: App[None]) -> list[str]:
    return [n.message for n in app._notifications]


def text(widget: Static) -> str:
    return str(widget.render())


def status_line(app: LucyApp) -> str:
    return text(app.dashboard.query_one("#status-line", Static))


ALL_FAULTS: list[FaultSpec] = [Fault.CONNECT, Fault.TIMEOUT, 500, 502, 503, Fault.MALFORMED_JSON]


# --- the server away at start -------------------------------------------------------------


@pytest.mark.parametrize("fault", ALL_FAULTS, ids=str)
async def test_server_away_at_start_is_said_once_and_ctrl_r_connects(
    remote, faults: FaultyTransport, backoff: list[float], fault: FaultSpec
) -> None:
    faults.go_down(fault)
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        alive(app)
        assert isinstance(app.screen, DashboardScreen) and not app.connected
        status = status_line(app)
        assert status.startswith("Not connected: ") and "Press ctrl+r to try again." in status
        said = toasts(app)  # one toast, not one per state the failed worker went through
        assert len(said) == 1 and said[0].startswith(f"Could not connect to {SERVER}: ")
        assert said[0].endswith("Press ctrl+r to try again.")
        if fault in (502, 503, Fault.CONNECT, Fault.TIMEOUT):  # transient: retried, then told
            assert len(faults.made("GET", r"/me$")) == 3 and backoff == [0.25, 0.5]

        faults.clear()  # the server is back
        await pilot.press("ctrl+r")
        dashboard = await wait_loaded(pilot)
        alive(app)
        assert app.connected and len(dashboard.view) == 150
        assert "Not connected" not in status_line(app)


async def test_server_away_at_the_sign_in_keeps_what_was_typed_until_it_is_back(
    make_app, faults: FaultyTransport
) -> None:
    faults.go_down()
    app = make_app(server=SERVER, transport=faults)  # no session: the sign-in screen
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        await pilot.press(*ADMIN, "enter", *DEMO_PASSWORD, "enter")
        await settle(pilot)
        alive(app)
        assert app.screen is screen
        error = text(screen.query_one("#sign-in-error", Static))
        assert "Cannot reach the Lucy server" in error and "press enter to try again" in error
        assert screen.query_one("#email", Input).value == ADMIN
        assert screen.query_one("#password", Input).value == DEMO_PASSWORD

        faults.clear()
        await pilot.press("enter")
        dashboard = await wait_loaded(pilot)
        assert app.screen is dashboard and len(dashboard.view) == 150


# --- the client list ----------------------------------------------------------------------


@pytest.mark.parametrize("fault", [502, 503, 504, Fault.CONNECT, Fault.TIMEOUT], ids=str)
async def test_a_passing_fault_on_a_read_is_retried_unseen(
    remote, faults: FaultyTransport, backoff: list[float], fault: FaultSpec
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        faults.inject(fault, method="GET", path=r"/clients\?", times=2)  # the client tries 3 times
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        alive(app)
        assert [c.outcome for c in faults.made("GET", r"/clients\?")][-3:] == [
            str(fault) if isinstance(fault, int) else fault.value,
        ] * 2 + ["passed"]
        assert backoff == [0.25, 0.5]
        assert toasts(app) == [] and "Could not" not in status_line(app)
        assert len(dashboard.view) == 150


@pytest.mark.parametrize("fault", ALL_FAULTS, ids=str)
async def test_a_failed_refresh_keeps_the_list_the_filter_and_the_cursor(
    remote, faults: FaultyTransport, fault: FaultSpec
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        await pilot.press("slash", *"status:active", "enter", "j", "j")
        table = dashboard.query_one(ClientTable)
        shown, cursor = len(dashboard.view), table.cursor_client
        assert cursor is not None and 0 < shown < 150

        faults.inject(fault, method="GET", path=r"/clients\?", times=None)
        await pilot.press("ctrl+r")
        await settle(pilot)
        alive(app)
        status = status_line(app)
        assert status.startswith("Could not load the clients: ") and "ctrl+r" in status
        said = [t for t in toasts(app) if t.startswith("Could not load the clients")]
        assert len(said) == 1 and "Press ctrl+r to try again." in said[0]
        assert dashboard.query_one("#filter", Input).value == "status:active"
        assert len(dashboard.view) == shown and len(dashboard.view.rows) == 150
        assert table.cursor_client is not None and table.cursor_client.id == cursor.id

        faults.clear()
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        assert "Could not" not in status_line(app) and "filter: status:active" in status_line(app)
        assert len(dashboard.view) == shown and table.cursor_client.id == cursor.id


# --- the client detail --------------------------------------------------------------------


async def test_opening_a_client_while_the_server_is_away(remote, faults: FaultyTransport) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        faults.go_down()
        screen = await open_client(pilot, AALTER)
        alive(app)
        title = text(screen.query_one("#detail-title", Static))
        assert "could not load: Cannot reach the Lucy server" in title and "ctrl+r" in title
        tab = screen.query_one(OverviewTab)
        assert tab.has_class("-failed") and not tab.loaded
        error = text(tab.query_one(".tab-error", Static))
        assert error.startswith("Could not load this tab: Cannot reach") and "ctrl+r" in error

        faults.clear()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.client is not None
        assert "could not load" not in text(screen.query_one("#detail-title", Static))
        assert tab.loaded and not tab.has_class("-failed")


TAB_FAULTS = [
    ("2", DocumentsTab, r"/documents\?", Fault.TIMEOUT),
    ("3", VaultTab, r"/vault\?", 500),
    ("4", BankingTab, r"/banking$", Fault.MALFORMED_JSON),
    ("5", IntegrationsTab, r"/integrations$", 503),
    ("6", UsersTab, r"/users\?", Fault.CONNECT),
    ("7", InvoiceSettingsTab, r"/invoice-settings$", 502),
]


@pytest.mark.parametrize(
    ("key", "tab_class", "path", "fault"), TAB_FAULTS, ids=[t[1].__name__ for t in TAB_FAULTS]
)
async def test_a_tab_that_cannot_load_says_so_and_ctrl_r_loads_it(
    remote,
    faults: FaultyTransport,
    key: str,
    tab_class: type[DetailTab],
    path: str,
    fault: FaultSpec,
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, AALTER)
        rule = faults.inject(fault, method="GET", path=path, times=None)
        await pilot.press(key)
        await settle(pilot)
        alive(app)
        tab = screen.query_one(tab_class)
        assert rule.hits >= 1 and not tab.loaded and not tab.loading
        assert tab.has_class("-failed")
        error = text(tab.query_one(".tab-error", Static))
        assert (
            error.startswith("Could not load this tab: ") and "Press ctrl+r to try again" in error
        )

        faults.clear()
        await pilot.press("ctrl+r")
        await settle(pilot)
        alive(app)
        assert tab.loaded and not tab.has_class("-failed")


async def test_a_failed_reload_keeps_the_document_selection(
    remote, faults: FaultyTransport
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, AALTER)
        await pilot.press("2")
        await settle(pilot)
        tab = screen.query_one(DocumentsTab)
        await pilot.press("F")  # every Failed document
        await pilot.pause()
        selected = set(tab.table.view.selected)
        assert len(selected) == 4

        faults.go_down(Fault.TIMEOUT)
        await pilot.press("ctrl+r")
        await settle(pilot)
        alive(app)
        error = text(tab.query_one(".tab-error", Static))
        assert "did not answer in time" in error and "ctrl+r" in error
        assert tab.table.view.selected == selected and tab.table.view.total == 15

        faults.clear()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert not tab.has_class("-failed") and tab.table.view.selected == selected


# --- actions ------------------------------------------------------------------------------

FIETSEN = "Fietsen Willems"  # Created, Peppol sending and receiving off
ACTION_FAULTS: list[FaultSpec] = [Fault.CONNECT, Fault.TIMEOUT, 500, 502, Fault.MALFORMED_JSON]


@pytest.mark.parametrize("fault", ACTION_FAULTS, ids=str)
async def test_a_peppol_switch_that_fails_says_so_and_s_tries_again(
    tab_harness, faults: FaultyTransport, fault: FaultSpec
) -> None:
    async with tab_harness(OverviewTab, FIETSEN, transport=faults) as (pilot, tab):
        app = pilot.app
        assert tab.peppol is not None and not tab.peppol.sending
        faults.inject(fault, method="PUT", path=r"/peppol$", times=None)
        await pilot.press("s")
        await settle(pilot)
        alive(app)
        said = [t for t in toasts(app) if t.startswith("Could not switch Peppol sending: ")]
        assert len(said) == 1 and said[0].endswith("Press s to try again."), toasts(app)
        assert not tab.peppol.sending and not tab.query_one("#peppol-sending", Switch).value

        faults.clear()
        await pilot.press("s")
        await settle(pilot)
        assert tab.peppol.sending and tab.query_one("#peppol-sending", Switch).value
        assert f"Peppol sending is now on for {FIETSEN}." in toasts(app)


async def test_an_invitation_that_fails_says_so_and_i_tries_again(
    remote, faults: FaultyTransport
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        fietsen = next(row for row in dashboard.view.rows if row.name == FIETSEN)
        dashboard.query_one(ClientTable).move_to(fietsen.id)
        faults.inject(503, method="POST", path=r"/invite$", times=3)  # every attempt
        await pilot.press("i")
        await settle(pilot)
        alive(app)
        said = [t for t in toasts(app) if t.startswith(f"Could not invite {FIETSEN}")]
        assert len(said) == 1 and said[0].endswith("Press i to try again.")
        assert dashboard.view.get(fietsen.id).status is ClientStatus.CREATED  # type: ignore[union-attr]
        attempts = faults.made("POST", r"/invite$")
        assert len(attempts) == 3 and len({c.key for c in attempts}) == 1  # one key, retried

        await pilot.press("i")
        await settle(pilot)
        assert dashboard.view.get(fietsen.id).status is ClientStatus.INVITED  # type: ignore[union-attr]
        assert any(t.startswith(f"Invitation sent to {FIETSEN}.") for t in toasts(app))


async def resend_failed(pilot: Pilot[None]) -> None:
    """Select every Failed document, press t and confirm."""
    await pilot.press("F", "t")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ConfirmActionScreen)
    await pilot.press("y")
    await settle(pilot)


async def test_a_resend_through_a_gateway_blip_completes_with_one_key(
    tab_harness, faults: FaultyTransport
) -> None:
    async with tab_harness(DocumentsTab, AALTER_ID, transport=faults) as (pilot, tab):
        app = pilot.app
        faults.inject(502, method="POST", path=r"/documents/resend$", times=1)
        await resend_failed(pilot)
        alive(app)
        assert isinstance(app.screen, ActionResultsScreen)
        attempts = faults.made("POST", r"/documents/resend$")
        assert [c.outcome for c in attempts] == ["502", "passed"]
        assert attempts[0].key and attempts[0].key == attempts[1].key
        assert tab.actions.pending == {}


@pytest.mark.parametrize("fault", [503, Fault.CONNECT, 500], ids=str)
async def test_a_resend_that_fails_keeps_the_selection_and_t_tries_again(
    tab_harness, faults: FaultyTransport, fault: FaultSpec
) -> None:
    async with tab_harness(DocumentsTab, AALTER_ID, transport=faults) as (pilot, tab):
        app, screen = pilot.app, pilot.app.screen
        faults.inject(fault, method="POST", path=r"/documents/resend$", times=None)
        await resend_failed(pilot)
        alive(app)
        assert app.screen is screen
        outcome = text(tab.query_one("#documents-outcome", Static))
        assert "did not complete" in outcome and "press t to try again" in outcome
        assert len(tab.table.view.selected) == 4
        assert sum("press t to try again" in t for t in toasts(app)) == 1

        faults.clear()
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ActionResultsScreen)
        keys = {c.key for c in faults.made("POST", r"/documents/resend$")}
        assert len(keys) == 1  # the retry reused the key: nothing can be sent twice


# --- forms: nothing typed is lost ---------------------------------------------------------

BRASSERIE, BRASSERIE_ID = "Brasserie Het Anker BV", 2


async def open_invoice_settings(pilot: Pilot[None], name: str) -> InvoiceSettingsTab:
    screen = await open_client(pilot, name)
    await pilot.press("7")
    await settle(pilot)
    tab = screen.query_one(InvoiceSettingsTab)
    assert tab.loaded
    return tab


async def type_phone(pilot: Pilot[None], tab: InvoiceSettingsTab, phone: str) -> None:
    tab.query_one("#inv-phone", Input).focus()
    await pilot.press("end", "ctrl+u", *phone)


async def stored_phone(server: FastAPI, client_id: int) -> str:
    async with LucyClient(SERVER, transport=httpx.ASGITransport(app=server)) as api:
        await api.login(ADMIN, DEMO_PASSWORD)
        return (await api.invoice_settings(client_id)).phone


@pytest.mark.parametrize("fault", ALL_FAULTS, ids=str)
async def test_invoice_settings_that_cannot_be_saved_are_kept(
    tab_harness, faults: FaultyTransport, server: FastAPI, fault: FaultSpec
) -> None:
    async with tab_harness(InvoiceSettingsTab, BRASSERIE_ID, transport=faults) as (pilot, tab):
        app = pilot.app
        before = await stored_phone(server, BRASSERIE_ID)
        await type_phone(pilot, tab, "+32 9 000 00 00")
        faults.inject(fault, method="PUT", path=r"/invoice-settings$", times=None)
        await pilot.press("ctrl+s")
        await settle(pilot)
        alive(app)
        message = text(tab.query_one("#inv-message", Static))
        assert message.startswith("Not saved: ") and "Everything you typed is kept" in message
        assert "press ctrl+s to try again" in message
        assert tab.query_one("#inv-phone", Input).value == "+32 9 000 00 00"
        assert tab.has_unsaved_changes() and not tab.saving
        assert await stored_phone(server, BRASSERIE_ID) == before
        assert len(faults.made("PUT", r"/invoice-settings$")) == 1  # a PUT is never retried

        faults.clear()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not tab.has_unsaved_changes()
        assert await stored_phone(server, BRASSERIE_ID) == "+32 9 000 00 00"


async def open_senders(pilot: Pilot[None], name: str) -> AllowedSendersScreen:
    await open_client(pilot, name)
    await pilot.press("a")
    await settle(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, AllowedSendersScreen)
    return modal


def listed(modal: AllowedSendersScreen) -> list[str]:
    options = modal.query_one("#sender-list", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


@pytest.mark.parametrize("fault", [503, Fault.TIMEOUT, Fault.MALFORMED_JSON], ids=str)
async def test_allowed_senders_that_cannot_be_saved_are_kept(
    tab_harness, faults: FaultyTransport, fault: FaultSpec
) -> None:
    async with tab_harness(OverviewTab, AALTER_ID, transport=faults) as (pilot, _):
        app = pilot.app
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AllowedSendersScreen)
        await pilot.press(*"kept@example.be", "enter", *"still-typing@example.be")
        faults.inject(fault, method="PUT", path=r"/allowed-senders$", times=None)
        await pilot.press("ctrl+s")
        await settle(pilot)
        alive(app)
        assert app.screen is modal
        error = text(modal.query_one("#sender-error", Static))
        assert error.startswith("Could not save: ") and "press ctrl+s to try again" in error
        assert "Your changes are kept" in error
        rows = listed(modal)
        assert "kept@example.be   added · unsaved" in rows
        assert "still-typing@example.be   added · unsaved" in rows  # the field was added too

        faults.clear()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not modal
        senders = (await app.session.client.allowed_senders(AALTER_ID)).senders  # type: ignore[attr-defined]
        assert {"kept@example.be", "still-typing@example.be"} <= set(senders)


async def fill_new_client(pilot: Pilot[None]) -> NewClientScreen:
    await pilot.press("n")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, NewClientScreen)
    await pilot.press(*"Frituur Test BV", "tab", *"0123.456.749", "tab", *"owner@frituur.be")
    return form


NEW_CLIENT_FIELDS = {
    "name": "Frituur Test BV",
    "enterprise_number": "0123.456.749",
    "email": "owner@frituur.be",
}


def form_values(form: NewClientScreen) -> dict[str, str]:
    return {name: form.query_one(f"#{name}", Input).value for name in NEW_CLIENT_FIELDS}


@pytest.mark.parametrize("fault", [Fault.CONNECT, 500, 503, Fault.LOST_RESPONSE], ids=str)
async def test_a_new_client_that_cannot_be_created_keeps_the_form(
    remote, faults: FaultyTransport, fault: FaultSpec
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        form = await fill_new_client(pilot)
        faults.inject(fault, method="POST", path=r"/clients$", times=None)
        await pilot.press("ctrl+s")
        await settle(pilot)
        alive(app)
        assert app.screen is form
        error = text(form.query_one("#form-error", Static))
        assert "Your input is kept; try again." in error
        assert form_values(form) == NEW_CLIENT_FIELDS
        assert len(dashboard.view.rows) == 150

        faults.clear()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dashboard
        assert [r.name for r in dashboard.view.rows].count("Frituur Test BV") == 1
        # The retry of the same form reuses its key: even when the lost answer hid that the
        # first attempt had created the client, it is not refused as a duplicate.
        assert len({c.key for c in faults.made("POST", r"/clients$")}) == 1


async def test_the_new_client_form_says_when_teams_and_staff_cannot_load(
    remote, faults: FaultyTransport
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        faults.inject(Fault.TIMEOUT, method="GET", path=r"/(teams|staff)\?", times=None)
        form = await fill_new_client(pilot)
        await settle(pilot)
        alive(app)
        error = text(form.query_one("#form-error", Static))
        assert error.startswith("Could not load teams and staff: ")
        faults.clear()
        await pilot.press("ctrl+s")  # a client without a team can still be created
        await settle(pilot)
        assert app.screen is dashboard


async def test_a_user_who_cannot_be_added_is_kept_in_the_form(
    tab_harness, faults: FaultyTransport
) -> None:
    async with tab_harness(UsersTab, AALTER_ID, transport=faults) as (pilot, _):
        app, screen = pilot.app, pilot.app.screen
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AddUserScreen)
        await pilot.press(*"sarah@aalter.be", "tab", *"Sarah Claes")
        faults.inject(Fault.LOST_RESPONSE, method="POST", path=r"/users$", times=3)
        await pilot.press("ctrl+s")
        await settle(pilot)
        alive(app)
        assert app.screen is modal
        error = text(modal.query_one("#user-form-error", Static))
        assert "What you typed is kept; try again." in error
        assert modal.query_one("#user-email", Input).value == "sarah@aalter.be"
        assert modal.query_one("#user-name", Input).value == "Sarah Claes"

        faults.clear()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        users = await app.session.client.client_users(AALTER_ID)  # type: ignore[attr-defined]
        assert [u.email for u in users].count("sarah@aalter.be") == 1  # one key: added once


# --- the session ends mid-action ----------------------------------------------------------


async def sign_in_again(pilot: Pilot[None]) -> None:
    """The sign-in screen came up because the session ended: sign in as a user would."""
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen), screen
    assert "session has ended" in text(screen.query_one("#sign-in-reason", Static))
    assert screen.query_one("#email", Input).value == ADMIN  # only the password to type
    await pilot.press(*DEMO_PASSWORD, "enter")
    await settle(pilot)


async def test_session_ending_on_an_invoice_settings_save_keeps_the_typed_values(
    remote, clock: FakeClock, server: FastAPI
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_invoice_settings(pilot, BRASSERIE)
        screen = app.screen
        await type_phone(pilot, tab, "+32 9 000 00 00")
        clock.advance(hours=13)  # the session's token expires
        await pilot.press("ctrl+s")
        await settle(pilot)
        alive(app)
        await sign_in_again(pilot)
        alive(app)
        assert app.screen is screen and screen.current_tab is tab  # where the user was
        assert tab.query_one("#inv-phone", Input).value == "+32 9 000 00 00"
        message = text(tab.query_one("#inv-message", Static))
        assert message.startswith("Not saved: ") and "ctrl+s" in message
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not tab.has_unsaved_changes()
        assert await stored_phone(server, BRASSERIE_ID) == "+32 9 000 00 00"


async def test_session_ending_on_an_allowed_senders_save_keeps_the_list(
    remote, clock: FakeClock
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_senders(pilot, AALTER)
        await pilot.press(*"kept@example.be", "enter")
        clock.advance(hours=13)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await sign_in_again(pilot)
        alive(app)
        assert app.screen is modal
        assert "kept@example.be   added · unsaved" in listed(modal)
        assert "press ctrl+s to try again" in text(modal.query_one("#sender-error", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not modal
        assert "kept@example.be" in (await app.session.client.allowed_senders(AALTER_ID)).senders


async def test_session_ending_on_a_new_client_keeps_the_form(remote, clock: FakeClock) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        form = await fill_new_client(pilot)
        await settle(pilot)
        clock.advance(hours=13)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await sign_in_again(pilot)
        alive(app)
        assert app.screen is form and form_values(form) == NEW_CLIENT_FIELDS
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dashboard
        assert [r.name for r in dashboard.view.rows].count("Frituur Test BV") == 1


async def test_session_ending_on_a_peppol_switch_says_it_was_not_done(
    remote, clock: FakeClock
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, FIETSEN)
        tab = screen.query_one(OverviewTab)
        clock.advance(hours=13)
        await pilot.press("s")
        await settle(pilot)
        await sign_in_again(pilot)
        alive(app)
        assert app.screen is screen and tab.loaded
        assert tab.peppol is not None and not tab.peppol.sending
        said = [t for t in toasts(app) if t.startswith("Could not switch Peppol sending")]
        assert said == [
            "Could not switch Peppol sending: your session had ended. Press s to try again."
        ]
        await pilot.press("s")
        await settle(pilot)
        assert tab.peppol.sending


async def test_session_ending_on_a_resend_keeps_the_selection(remote, clock: FakeClock) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, AALTER)
        await pilot.press("2")
        await settle(pilot)
        tab = screen.query_one(DocumentsTab)
        clock.advance(hours=13)
        await resend_failed(pilot)
        await sign_in_again(pilot)
        alive(app)
        assert app.screen is screen and screen.current_tab is tab
        assert len(tab.table.view.selected) == 4
        assert "press t to try again" in text(tab.query_one("#documents-outcome", Static))
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ActionResultsScreen)


async def test_session_ended_while_away_asks_to_sign_in_once(remote, clock: FakeClock) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        clock.advance(hours=13)
        # Opening a client loads it, its Peppol state and its senders at once: three 401s.
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen_stack[-2]
        assert isinstance(screen, ClientDetailScreen) and isinstance(app.screen, SignInScreen)
        assert len(app.screen_stack) == 4  # (default), dashboard, the client, one sign-in
        await sign_in_again(pilot)
        alive(app)
        assert app.screen is screen and screen.client is not None
        assert screen.query_one(OverviewTab).loaded


# --- the embedded server ------------------------------------------------------------------


async def test_a_bug_in_the_embedded_server_is_a_500_not_a_crash(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lucy_server.embedded

    def buggy_create_app(*args: Any, **kwargs: Any) -> FastAPI:
        server = create_app(*args, **kwargs)

        @server.middleware("http")
        async def bug(request: Request, call_next: Any) -> Any:
            if request.url.path.endswith("/peppol"):
                raise RuntimeError("a bug in the server")
            return await call_next(request)

        return server

    monkeypatch.setattr(lucy_server.embedded, "create_app", buggy_create_app)
    app = make_app()  # the embedded default: the server runs in-process
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, AALTER)
        alive(app)
        tab = screen.query_one(OverviewTab)
        assert not tab.loading and tab.has_class("-failed")
        error = text(tab.query_one(".tab-error", Static))
        assert error == (
            "Could not load this tab: The server failed to handle the request  "
            "Press ctrl+r to try again."
        )


async def test_an_unexpected_error_in_a_tab_load_stops_the_spinner_and_is_told(
    remote, faults: FaultyTransport
) -> None:
    app = remote()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_client(pilot, AALTER)
        faults.inject(Fault.BUG, method="GET", path=r"/users\?")
        await pilot.press("6")
        await settle(pilot)
        alive(app)
        tab = screen.query_one(UsersTab)
        assert not tab.loading and tab.has_class("-failed")
        assert "Press ctrl+r to try again." in text(tab.query_one(".tab-error", Static))
        said = [t for t in toasts(app) if t.startswith("Something went wrong")]
        assert len(said) == 1 and "Your work is kept; try again." in said[0]
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert tab.loaded and not tab.has_class("-failed")
