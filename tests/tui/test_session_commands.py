"""Signing out and switching server inside the app (issue 12), and who is signed in where."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from lucy_server.app import create_app
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import UnauthorizedError
from lucy_tui.local.tokens import SERVICE
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.screens.prompt import PromptScreen
from lucy_tui.screens.sign_in import SignInScreen

from .conftest import SIZE, MemoryKeyring, open_client, settle, wait_loaded

SERVER = "http://lucy.test"
ADMIN = "admin@demo-firm.be"
EMPLOYEE = "employee@demo-firm.be"
SIZES = pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["160x50", "80x24"])


@pytest.fixture
def transport(data_dir: Path) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=create_app(data_dir / "demo.db"))


async def sign_in(pilot: Pilot[None], email: str, password: str = "lucy-demo") -> None:
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen)
    screen.query_one("#email", Input).value = email
    screen.query_one("#password", Input).value = password
    screen.query_one("#password", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def run_command(pilot: Pilot[None], title: str) -> None:
    """Choose ``title`` in the command palette, as the user does."""
    await pilot.press("ctrl+p", *title)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


def banner(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.get_screen("dashboard").query_one("#banner", Static).render())


@SIZES
async def test_sign_out_ends_the_session_and_asks_to_sign_in(  # type: ignore[no-untyped-def]
    make_app, transport, memory_keyring: MemoryKeyring, size
) -> None:
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await sign_in(pilot, ADMIN)
        dashboard = await wait_loaded(pilot)
        # Who is signed in to which server, in sight.
        assert f"Signed in as Ann Admin (admin) on {SERVER}" in banner(app)
        assert app.sub_title == f"Ann Admin (admin) on {SERVER}"
        token = memory_keyring.passwords[(SERVICE, f"{ADMIN}@{SERVER}")]
        await open_client(pilot, "Aalter Interieur BV")

        await run_command(pilot, "Session: sign out")
        assert isinstance(app.screen, SignInScreen)
        assert app.screen.query_one("#email", Input).value == ADMIN
        assert memory_keyring.passwords == {}  # the stored token is forgotten
        async with LucyClient(SERVER, token=token, transport=transport) as old:
            with pytest.raises(UnauthorizedError):  # and dead on the server
                await old.me()
        # Nothing of the last session is left behind the sign-in.
        fresh = app.get_screen("dashboard")
        assert fresh is not dashboard and not fresh.view.rows  # type: ignore[attr-defined]
        assert app.sub_title == "" and app.screen_stack[-2] is fresh
        assert any("Signed out admin@demo-firm.be" in n.message for n in app._notifications)

        await sign_in(pilot, EMPLOYEE)
        screen = await wait_loaded(pilot)
        assert screen is fresh and app.session.staff.email == EMPLOYEE
        assert f"Signed in as Eric Employee (employee) on {SERVER}" in banner(app)
        assert not any(row.hidden for row in screen.view.rows)  # the employee's list


async def test_the_demo_offers_switching_server_but_not_signing_out(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        titles = [command.title for command in app.get_system_commands(screen)]
        assert "Session: switch server" in titles and "Session: sign out" not in titles


@SIZES
async def test_switch_server_checks_the_address_then_connects_there(  # type: ignore[no-untyped-def]
    make_app, transport, size
) -> None:
    app = make_app(transport=transport)  # the embedded demo first
    async with app.run_test(size=size) as pilot:
        demo = await wait_loaded(pilot)
        await run_command(pilot, "Session: switch server")
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        await pilot.press(*"notaurl", "enter")
        await settle(pilot)
        assert app.screen is prompt  # refused, with what a server address looks like
        error = str(prompt.query_one("#prompt-error", Static).render())
        assert "does not start with https://" in error and "https://lucy.your-firm.be" in error
        await pilot.press("ctrl+u", *SERVER, "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert SERVER in str(app.screen.query_one("#sign-in-server", Static).render())
        assert app.server_url == SERVER and not app.embedded
        await sign_in(pilot, ADMIN)
        screen = await wait_loaded(pilot)
        assert isinstance(screen, DashboardScreen) and screen is not demo
        assert f"on {SERVER}" in banner(app) and "Embedded demo" not in banner(app)
        assert app.session.server == SERVER
