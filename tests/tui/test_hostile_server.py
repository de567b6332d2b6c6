"""A hostile server: every string it sends is markup, an action or a terminal control sequence.

The app may be pointed at any server, and counterparties and failure reasons come from
inbound e-mail and Peppol, so the demo firm here is rewritten behind the reference
server's back (straight into its SQLite file, past every input check) with names, users,
counterparties, reasons, file names, providers and error messages that carry ``[/]``,
``[@click=...]``, ``[link=...]``, OSC 52 (clipboard), OSC 2 (title), CSI 2J (clear), C1
controls, bidi overrides and line separators. Driven through the list, every tab, the
modals and the toasts, the app must not crash, must show each string literally, and must
write no control sequence of its own making to the terminal.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from lucy_server.app import create_app
from lucy_server.seed import DEMO_PASSWORD
from lucy_tui.api.client import LucyClient
from lucy_tui.app import LucyApp
from lucy_tui.safe_text import PLACEHOLDER, printable
from lucy_tui.screens.allowed_senders import AllowedSendersScreen
from lucy_tui.screens.client_detail import ClientDetailScreen
from lucy_tui.screens.document_actions import ActionResultsScreen, ConfirmActionScreen
from lucy_tui.screens.prompt import ConfirmScreen
from lucy_tui.screens.staff_picker import StaffPickerScreen
from lucy_tui.widgets.client_table import ClientTable
from lucy_tui.widgets.document_table import DocumentTable

from .conftest import SIZE, open_client, settle, wait_loaded
from .faults import FaultyTransport

SERVER = "http://lucy.test"
ADMIN = "admin@demo-firm.be"
CLIENT_ID = 1  # Aalter Interieur BV: documents (4 failed), vault, bank accounts, 3 users

# Each payload on its own, so that a failure names what got through.
MARKUP_CLOSE = "Broken [/] Markup BV"
QUIT_ACTION = "[@click=app.quit]Quit Co[/]"
LINK = "[link=https://evil.example]Phish[/link] NV"
OSC52 = "Clip\x1b]52;c;aGFja2Vk\x07board"  # writes the user's clipboard
OSC2 = "Title\x1b]2;pwned\x07 Co"  # retitles the terminal
CLEAR = "Clear\x1b[2J Screen"  # clears it
C1_CSI = "Eight\x9b2J Bit"  # the 8-bit CSI
BIDI = "Bidi \u202eFDP.exe\u202c Co"  # reorders what is shown
SEPARATORS = "Line\u2028Para\u2029Break"
BRACKETS = "[BE] Holding"  # legitimate: shown as it is

CONTROL_PAYLOADS = (OSC52, OSC2, CLEAR, C1_CSI, BIDI, SEPARATORS)


def screenshot_action(directory: Path) -> str:
    return f'[@click=app.screenshot("x.svg","{directory}")]Acme BV[/]'


# --- the hostile firm ---------------------------------------------------------------------


def make_hostile(database: Path, screenshot_dir: Path) -> dict[str, str]:
    """Rewrite the demo firm so that every string the app shows is hostile.

    Returns the strings the tests look for, by what they are.
    """
    client_name = f"{MARKUP_CLOSE} {OSC2}"
    strings = {
        "client": client_name,
        "click client": screenshot_action(screenshot_dir),
        "quit client": QUIT_ACTION,
        "brackets client": BRACKETS,
        "contact": f"Ann {QUIT_ACTION} {OSC52}",
        "team": f"[b]North[/b] {CLEAR}",
        "counterparty": f"{OSC52} {LINK}",
        "reason": f"Rejected [/] {CLEAR} {C1_CSI}",
        "reject": f"Refused again [@click=app.quit]x[/] {OSC2}",
        "vault file": f"[/]Tax {BIDI}.pdf",
        "uploaded by": f"Mark [/] Up {SEPARATORS}",
        "user": "Mark [/] Up",
        "user email": "mark[/]up@example.be",
        "provider": f"[red]Hermes[/red] {OSC2}",
        "package": f"Yuki [/] {CLEAR}",
        "bank": f"[@click=app.quit]KBC[/] {OSC52}",
        "holder": f"Holder [/] {BIDI}",
        "legal name": f"Aalter [/] Interieur {OSC52}",
        "sender": "post[/]@example.be",
        # what the Peppol network said: a certificate's O and CN, an SMP host, a reason
        "lookup provider": f"[b]Evil[/b] AP {OSC52}",
        "seat": f"PBE[/]9 {C1_CSI}",
        "smp host": "smp.[@click=app.quit]x[/]",
        "lookup failure": f"DNS [/] down {CLEAR}",
    }
    connection = sqlite3.connect(database)
    with connection:
        run = connection.execute
        sort = client_name.casefold()
        run("UPDATE clients SET name = ?, sort_name = ? WHERE id = ?", (client_name, sort, 1))
        for client_id, key in ((2, "click client"), (3, "quit client"), (4, "brackets client")):
            name = strings[key]
            run(
                "UPDATE clients SET name = ?, sort_name = ? WHERE id = ?",
                (name, name.casefold(), client_id),
            )
        contact = run("SELECT contact_id FROM clients WHERE id = ?", (CLIENT_ID,)).fetchone()[0]
        run("UPDATE staff SET name = ? WHERE id = ?", (strings["contact"], contact))
        run("UPDATE clients SET team_names = ? WHERE id = ?", (strings["team"], CLIENT_ID))
        run("UPDATE teams SET name = ? WHERE name = 'North'", (strings["team"],))
        run(
            "UPDATE documents SET counterparty = ? WHERE client_id = ?",
            (strings["counterparty"], CLIENT_ID),
        )
        run(
            "UPDATE documents SET failure_reason = ?, reject_reason = ? "
            "WHERE client_id = ? AND status = 'failed'",
            (strings["reason"], strings["reject"], CLIENT_ID),
        )
        run(
            "UPDATE vault_files SET name = ?, uploaded_by = ? WHERE client_id = ?",
            (strings["vault file"], strings["uploaded by"], CLIENT_ID),
        )
        run("UPDATE client_users SET name = ? WHERE client_id = ?", (strings["user"], CLIENT_ID))
        first_user = run(
            "SELECT min(id) FROM client_users WHERE client_id = ?", (CLIENT_ID,)
        ).fetchone()[0]
        run(
            "UPDATE client_users SET email = ?, email_key = ? WHERE id = ?",
            (strings["user email"], strings["user email"], first_user),
        )
        run(
            "UPDATE peppol_registrations SET registered_elsewhere = 1, receiving = 0, "
            "other_provider = ? WHERE client_id = ?",
            (strings["provider"], CLIENT_ID),
        )
        run("DELETE FROM peppol_lookups WHERE client_id = ?", (CLIENT_ID,))
        run(
            "INSERT INTO peppol_lookups (client_id, state, provider, seat_id, smp_host, "
            "checked_at, failed_at, failure) VALUES (?, 'registered_elsewhere', ?, ?, ?, "
            "'2026-11-20 10:00:00', '2026-11-26 10:00:00', ?)",
            (
                CLIENT_ID,
                strings["lookup provider"],
                strings["seat"],
                strings["smp host"],
                strings["lookup failure"],
            ),
        )
        run("UPDATE integrations SET name = ? WHERE id = 'yuki'", (strings["package"],))
        run(
            "UPDATE bank_accounts SET bank = ?, holder = ? WHERE client_id = ?",
            (strings["bank"], strings["holder"], CLIENT_ID),
        )
        run(
            "UPDATE invoice_settings SET legal_name = ? WHERE client_id = ?",
            (strings["legal name"], CLIENT_ID),
        )
        run("DELETE FROM allowed_senders WHERE client_id = ?", (CLIENT_ID,))
        run(
            "INSERT INTO allowed_senders (client_id, position, email) VALUES (?, 0, ?)",
            (CLIENT_ID, strings["sender"]),
        )
    connection.close()
    return strings


# --- what reaches the terminal ------------------------------------------------------------

# What Textual itself writes when it paints: colours (SGR) and cursor moves.
OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;:]*[mHf]")
# What must never be written: any other escape, BEL, C1 controls, bidi controls, separators.
FORBIDDEN = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)


def terminal_output(app: App[None]) -> str:
    """What the app would write to the terminal to paint the current screen (and toasts)."""
    screen = app.screen
    update = screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert update is not None
    return update.render_segments(app.console)  # type: ignore[union-attr]


def shown_text(app: App[None]) -> str:
    """The characters on the screen, without Textual's own colour and cursor sequences."""
    return OWN_SEQUENCES.sub("", terminal_output(app))


def assert_safe(app: App[None], *expected: str) -> None:
    """The app runs, writes no foreign control sequence, and shows ``expected`` literally."""
    assert app.return_code is None and app._exception is None, "the app stopped"
    shown = shown_text(app)
    bad = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(shown)})
    assert not bad, f"control characters reached the terminal: {bad}"
    for text in expected:
        assert printable(text) in shown, f"not shown literally: {text!r}"


def toasts(app: App[None]) -> list[str]:
    return [str(n.message) for n in app._notifications]


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "screenshots"
    directory.mkdir()
    return directory


@pytest.fixture
def hostile(data_dir: Path, screenshot_dir: Path) -> dict[str, str]:
    return make_hostile(data_dir / "demo.db", screenshot_dir)


@pytest.fixture
def server(data_dir: Path, hostile: dict[str, str]) -> FastAPI:
    return create_app(data_dir / "demo.db")


@pytest.fixture
def faults(server: FastAPI) -> FaultyTransport:
    return FaultyTransport(httpx.ASGITransport(app=server))


@pytest.fixture
async def remote(make_app, server: FastAPI, faults: FaultyTransport, monkeypatch):  # type: ignore[no-untyped-def]
    async with LucyClient(SERVER, transport=httpx.ASGITransport(app=server)) as client:
        login = await client.login(ADMIN, DEMO_PASSWORD)
    monkeypatch.setenv("LUCY_TOKEN", login.access_token)
    return lambda: make_app(server=SERVER, transport=faults)


async def show_tab(pilot: Pilot[None], number: int) -> None:
    await pilot.press(str(number))
    await settle(pilot)


# --- the list -----------------------------------------------------------------------------


async def test_the_client_list_shows_hostile_names_as_text(
    make_app, hostile: dict[str, str], screenshot_dir: Path
) -> None:
    app: LucyApp = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        dashboard = await wait_loaded(pilot)
        table = dashboard.query_one(ClientTable)
        for key in ("client", "click client", "quit client", "brackets client"):
            table.move_to(next(r.id for r in dashboard.view.rows if r.name == hostile[key]))
            await pilot.pause()
            assert_safe(app, hostile[key][:30])
        # f on a hostile name: the toast names it literally
        table.move_to(CLIENT_ID)
        await pilot.press("f")
        await pilot.pause()
        assert any(printable(hostile["client"]) in toast for toast in toasts(app))
        assert_safe(app)
        app.clear_notifications()  # the toast covers the status line
        # the user's own filter text is text too
        await pilot.press("slash")
        for key in "[/] [@click=app.quit]":
            await pilot.press(key if key != " " else "space")
        await settle(pilot)
        assert_safe(app, "[/] [@click=app.quit]")  # in the filter bar
        status = str(dashboard.query_one("#status-line", Static).render())
        assert "filter: [/] [@click=app.quit]" in status  # the line may be cut on screen
    assert not list(screenshot_dir.iterdir())


# --- the client detail: header, every tab, the modals --------------------------------------


async def test_every_tab_of_a_hostile_client_shows_its_text_literally(
    make_app, hostile: dict[str, str]
) -> None:
    app: LucyApp = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        detail = await open_client(pilot, hostile["client"])
        assert isinstance(detail, ClientDetailScreen)
        await settle(pilot)
        # 1 Overview: header, contact, provider warning, team, allowed senders count
        assert_safe(app, hostile["client"][:40], hostile["provider"])
        # the Peppol network's answer: provider, seat id, SMP host, the failure's reason
        assert_safe(
            app,
            hostile["lookup provider"],
            hostile["seat"],
            hostile["smp host"],
            hostile["lookup failure"],
        )
        shown = shown_text(app)
        assert "Ann [@click=app.quit]Quit Co[/]" in shown
        # the allowed senders modal and the contact picker
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AllowedSendersScreen)
        assert_safe(app, hostile["sender"], hostile["client"][:30])
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, StaffPickerScreen)
        assert_safe(app, hostile["contact"][:30])
        await pilot.press("escape")
        await settle(pilot)

        # 2 Accounting Documents: counterparties and reasons in the virtual table
        await show_tab(pilot, 2)
        assert_safe(app, "Clip" + PLACEHOLDER + "]52;c;")
        assert printable(hostile["reason"])[:20] in shown_text(app)
        # select the failed ones and resend: the confirmation and the results
        table = app.screen.query_one(DocumentTable)
        table.focus()
        await pilot.press("F", "t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmActionScreen)
        assert_safe(app, hostile["package"][:10])
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ActionResultsScreen)
        assert_safe(app, "Refused again [@click=app.quit]x[/]")
        await pilot.press("escape")
        await settle(pilot)

        # 3 Vault: the file name and who uploaded it; the delete confirmation
        await show_tab(pilot, 3)
        assert_safe(app, "[/]Tax Bidi ")
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert_safe(app, printable(hostile["vault file"]))
        await pilot.press("n")
        await settle(pilot)

        # 4 Banking, 5 Integrations
        await show_tab(pilot, 4)
        assert_safe(app, "[@click=app.quit]KBC[/]", "Holder [/]")
        await show_tab(pilot, 5)
        assert_safe(app, "Yuki [/]")

        # 6 Users: the DataTable that used to end the app with MarkupError
        await show_tab(pilot, 6)
        assert_safe(app, hostile["user"], hostile["user email"])

        # 7 Invoice Settings: the legal name in its input
        await show_tab(pilot, 7)
        assert_safe(app, "Aalter [/] Interieur")

        # f: the toast names the client literally
        await pilot.press("escape")
        await settle(pilot)
        assert app.return_code is None


async def test_a_click_on_a_hostile_name_runs_no_action(
    make_app, hostile: dict[str, str], screenshot_dir: Path
) -> None:
    app: LucyApp = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_client(pilot, hostile["quit client"])
        await pilot.click("#detail-title")
        await settle(pilot)
        assert_safe(app, QUIT_ACTION)
        await pilot.press("escape")
        await settle(pilot)
        await open_client(pilot, hostile["click client"])
        await pilot.click("#detail-title", offset=(3, 0))
        await settle(pilot)
        assert_safe(app, hostile["click client"])
    assert not list(screenshot_dir.iterdir()), "a click on a name wrote a screenshot"


# --- error messages from the server --------------------------------------------------------


async def test_hostile_error_messages_are_shown_as_text(
    remote, faults: FaultyTransport, hostile: dict[str, str]
) -> None:
    message = f"Nope [/] {QUIT_ACTION} {OSC52} {CLEAR}"
    app: LucyApp = remote()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_client(pilot, hostile["client"])
        faults.inject(409, method="PUT", path=r"/peppol$", message=message)
        await pilot.press("s")
        await settle(pilot)
        if isinstance(app.screen, ConfirmScreen):  # switching off asks first
            await pilot.press("y")
            await settle(pilot)
        assert faults.made("PUT", r"/peppol$"), "the switch was not sent"
        assert any("Nope [/] [@click=app.quit]" in toast for toast in toasts(app))
        assert_safe(app, "Nope [/]", "[@click=app.quit]Quit")  # the toast wraps its lines
        # the list fails to load with the same message: the status line says it literally
        await pilot.press("escape")
        await settle(pilot)
        faults.inject(409, method="GET", path=r"/clients\?", message=message, times=None)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert_safe(app, "Could not load the clients: Nope [/]")


# --- the firm's Failed documents (issue 9) ---------------------------------------------------


async def test_the_failed_queue_shows_hostile_text_literally(
    make_app, hostile: dict[str, str], data_dir: Path, screenshot_dir: Path
) -> None:
    from lucy_tui.screens.document_detail import DocumentDetailScreen
    from lucy_tui.screens.failed_documents import FailedDocumentsScreen

    destination = f"[@click=app.quit]Drop[/] {OSC52}"
    with sqlite3.connect(data_dir / "demo.db") as connection:
        connection.execute(
            "UPDATE integrations SET name = ? WHERE id = 'dropbox-archive'", (destination,)
        )
    app: LucyApp = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_loaded(pilot)
        await pilot.press("F")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FailedDocumentsScreen)
        # the rows of the hostile client: its name, counterparties and reasons
        await pilot.press("slash", *"client:broken", "enter")
        await settle(pilot)
        assert len(screen.view) == 4
        assert_safe(app, hostile["client"][:22], "Clip" + PLACEHOLDER + "]52;c;")
        assert printable(hostile["reason"])[:20] in shown_text(app)
        # the filter's own text, and a group of the hostile reason
        await pilot.press("r", "R", "t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmActionScreen)
        assert_safe(app, "Clip" + PLACEHOLDER)
        await pilot.press("d")  # the hostile destination's name
        await settle(pilot)
        assert_safe(app, destination[:22])
        await pilot.press("d", "d", "d", "y")  # back to the accounting software
        await settle(pilot)
        assert isinstance(app.screen, ActionResultsScreen)
        assert_safe(app, hostile["client"][:22])
        assert "Refused again [@click=app.quit]x[/]" in app.screen.as_text()
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, DocumentDetailScreen)
        assert_safe(app, "Clip" + PLACEHOLDER, "Refused again [@click=app.quit]x[/]")
        await pilot.press("escape")
        await settle(pilot)
        assert_safe(app)
    assert not list(screenshot_dir.iterdir())
