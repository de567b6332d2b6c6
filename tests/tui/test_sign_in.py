"""Signing in to a real server: passwords, stored tokens, expiry, and the keyring fallback."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backends import fail
from textual.widgets import Input, Static

from lucy_server.app import create_app
from lucy_tui.api.client import LucyClient
from lucy_tui.cli import main as cli_main
from lucy_tui.local.tokens import SERVICE, remember_user
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.screens.sign_in import SignInScreen

from .conftest import SIZE, MemoryKeyring, settle, wait_loaded

SERVER = "http://lucy.test"
ADMIN = "admin@demo-firm.be"


@pytest.fixture
def transport(data_dir: Path) -> httpx.ASGITransport:
    """The reference server over the demo firm, reached without a socket."""
    return httpx.ASGITransport(app=create_app(data_dir / "demo.db"))


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


async def sign_in(pilot, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen)
    screen.query_one("#email", Input).value = email
    screen.query_one("#password", Input).value = password
    screen.query_one("#password", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_wrong_then_right_password(
    make_app, transport, memory_keyring: MemoryKeyring
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, ADMIN, "not-the-password")
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        assert "Wrong email or password" in str(screen.query_one("#sign-in-error", Static).render())
        assert screen.query_one("#email", Input).value == ADMIN  # kept
        assert screen.query_one("#password", Input).value == ""
        await sign_in(pilot, ADMIN, "lucy-demo")
        dashboard = await wait_loaded(pilot)
        assert app.screen is dashboard
        assert len(dashboard.view) == 150
    assert memory_keyring.passwords[(SERVICE, f"{ADMIN}@{SERVER}")]


async def test_stored_token_skips_the_sign_in(
    make_app, transport, memory_keyring: MemoryKeyring
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, ADMIN, "lucy-demo")
        await wait_loaded(pilot)
    again = make_app(server=SERVER, transport=transport)
    async with again.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert isinstance(again.screen, DashboardScreen)
        assert again.session.staff.email == ADMIN


async def test_expired_token_at_start_brings_back_the_sign_in(  # type: ignore[no-untyped-def]
    make_app, transport, data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    remember_user(data_dir, SERVER, ADMIN)
    memory_keyring.set_password(SERVICE, f"{ADMIN}@{SERVER}", "expired-or-revoked-token")
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert app.screen.query_one("#email", Input).value == ADMIN
        assert app.screen.query_one("#password", Input).has_focus
        await sign_in(pilot, ADMIN, "lucy-demo")
        await wait_loaded(pilot)


async def test_session_ending_mid_way_returns_to_where_the_user_was(make_app, transport) -> None:  # type: ignore[no-untyped-def]
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, ADMIN, "lucy-demo")
        dashboard = await wait_loaded(pilot)
        await pilot.press("slash", *"status:active", "enter", "j", "j")
        cursor = dashboard.query_one("#clients").cursor_client  # type: ignore[attr-defined]
        # Someone revokes the session (as a logout elsewhere would).
        async with LucyClient(SERVER, token=app.session.client.token, transport=transport) as other:
            await other.logout()
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        assert "session has ended" in str(screen.query_one("#sign-in-reason", Static).render())
        await sign_in(pilot, ADMIN, "lucy-demo")
        await settle(pilot)
        assert app.screen is dashboard
        assert dashboard.query_one("#filter", Input).value == "status:active"
        assert dashboard.loading_done
        assert dashboard.query_one("#clients").cursor_client.id == cursor.id  # type: ignore[attr-defined]


async def test_no_keyring_backend_falls_back_to_a_private_file(  # type: ignore[no-untyped-def]
    make_app, transport, config_dir: Path, no_keyring: None
) -> None:
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, ADMIN, "lucy-demo")
        await wait_loaded(pilot)
        notices = [n.message for n in app._notifications if "readable only by you" in n.message]
        assert len(notices) == 1 and "no system keyring" in notices[0]
    token_file = config_dir / "tokens.json"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(config_dir).st_mode) == 0o700
    # The next start finds the token in the file: no sign-in.
    again = make_app(server=SERVER, transport=transport)
    async with again.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert isinstance(again.screen, DashboardScreen)


async def test_insecure_storage_forces_the_file(  # type: ignore[no-untyped-def]
    make_app, transport, config_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    app = make_app(server=SERVER, transport=transport, insecure_storage=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, ADMIN, "lucy-demo")
        await wait_loaded(pilot)
    assert memory_keyring.passwords == {}
    assert ADMIN in (config_dir / "tokens.json").read_text()


async def test_unreachable_server_on_sign_in_keeps_what_was_typed(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(server="http://127.0.0.1:9")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, ADMIN, "lucy-demo")
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        error = str(screen.query_one("#sign-in-error", Static).render())
        assert "Cannot reach" in error and "try again" in error
        assert screen.query_one("#email", Input).value == ADMIN
        assert screen.query_one("#password", Input).value == "lucy-demo"


async def test_unreachable_server_with_a_stored_token_says_so(  # type: ignore[no-untyped-def]
    make_app, data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    server = "http://127.0.0.1:9"
    remember_user(data_dir, server, ADMIN)
    memory_keyring.set_password(SERVICE, f"{ADMIN}@{server}", "a-token")
    app = make_app(server=server)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dashboard = app.get_screen("dashboard")
        assert app.screen is dashboard
        status = str(dashboard.query_one("#status-line", Static).render())
        assert "Not connected" in status and "ctrl+r" in status
        assert any("Cannot reach" in n.message for n in app._notifications)


def test_logout_forgets_the_stored_token(  # type: ignore[no-untyped-def]
    data_dir: Path, memory_keyring: MemoryKeyring, capsys
) -> None:
    server = "http://127.0.0.1:9"
    remember_user(data_dir, server, ADMIN)
    memory_keyring.set_password(SERVICE, f"{ADMIN}@{server}", "a-token")
    assert cli_main(["logout", "--server", server]) == 0
    assert memory_keyring.passwords == {}
    assert "Signed out admin@demo-firm.be" in capsys.readouterr().out
