"""First rows fast (issue 14): the last session's list is drawn before httpx and pydantic
are imported, for the embedded demo and a remote server alike, says it is not live yet,
and gives way to the live list; signing out forgets it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from textual.widgets import Static

from lucy_server.app import create_app
from lucy_tui.local.list_snapshot import ListSnapshot
from lucy_tui.local.tokens import remember_user
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.widgets.client_table import ClientTable

from .conftest import SIZE, settle, wait_loaded

SERVER = "http://lucy.test"
ADMIN = "admin@demo-firm.be"
HEAVY = ("httpx", "pydantic", "pydantic_core", "fastapi", "starlette", "sqlalchemy")

# Run in a fresh interpreter: the command line, headless, until the list draws a client
# row; say which modules were imported at that moment and what was drawn.
FIRST_PAINT = """
import functools, json, sys
from lucy_tui.app import LucyApp
from lucy_tui.cli import main
from lucy_tui.widgets.client_table import ClientTable

seen = {}
draw = ClientTable.render_line

def render_line(self, y):
    strip = draw(self, y)
    if self.first_rows_painted and not seen:
        modules = [name for name, module in sys.modules.items() if module is not None]
        seen["imported"] = sorted({name.split(".")[0] for name in modules})
        seen["row"] = strip.text
        seen["last_session"] = self.has_class("-last-session")
        self.app.call_later(self.app.exit)
    return strip

ClientTable.render_line = render_line
LucyApp.run = functools.partialmethod(LucyApp.run, headless=True, size=(160, 50))
main(sys.argv[1:])
print(json.dumps(seen))
"""


def first_paint(data_dir: Path, config_dir: Path, *args: str) -> dict[str, object]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LUCY_")},
        "LUCY_DATA_DIR": str(data_dir),
        "LUCY_CONFIG_DIR": str(config_dir),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    out = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("server", [None, "http://127.0.0.1:9"], ids=["embedded", "remote"])
def test_the_first_rows_are_drawn_before_httpx_and_pydantic_are_imported(
    tmp_path: Path, data_dir: Path, server: str | None
) -> None:
    from tests.unit.factories import make_client

    user = ADMIN
    if server is not None:
        remember_user(data_dir, server, user)
    clients = [make_client(n, name=f"Snapshot Client {n:03d}") for n in range(1, 31)]
    ListSnapshot(data_dir, server or "embedded", user).save(clients)

    seen = first_paint(data_dir, tmp_path / "config", *(["--server", server] if server else []))

    assert "Snapshot Client 001" in str(seen["row"])  # the last session's, before connecting
    assert seen["last_session"] is True
    imported = set(seen["imported"])  # type: ignore[call-overload]
    assert "textual" in imported and not imported & set(HEAVY), sorted(imported & set(HEAVY))


class SlowTransport(httpx.AsyncBaseTransport):
    """The reference server, answering only once ``release`` is set."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.release.wait()
        return await self.inner.handle_async_request(request)


async def remote_server(data_dir: Path) -> tuple[httpx.ASGITransport, str]:
    """The reference server over the test's demo firm, as a remote one: its transport and
    a token of the demo admin."""
    from lucy_tui.api.client import LucyClient

    transport = httpx.ASGITransport(app=create_app(data_dir / "demo.db"))
    async with LucyClient(SERVER, transport=transport) as client:
        login = await client.login(ADMIN, "lucy-demo")
    return transport, login.access_token


def status(screen: DashboardScreen) -> str:
    return str(screen.query_one("#status-line", Static).render())


async def test_a_remote_servers_last_list_shows_until_the_live_one_replaces_it(
    make_app, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    transport, token = await remote_server(data_dir)
    monkeypatch.setenv("LUCY_TOKEN", token)
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        first = await wait_loaded(pilot)
        assert not first.showing_last_session  # nothing from before: the live list
    snapshot = ListSnapshot(data_dir, SERVER, ADMIN)
    assert snapshot.path.exists() and len(snapshot.load()) == 120

    slow = SlowTransport(transport)
    again = make_app(server=SERVER, transport=slow)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = again.get_screen("dashboard")
        assert isinstance(screen, DashboardScreen)
        table = screen.query_one(ClientTable)
        assert screen.showing_last_session and table.has_class("-last-session")
        assert len(screen.view) == 120
        assert screen.view.row_at(0).name == "Aalter Interieur BV"
        assert "from your last session, not live yet" in status(screen)
        slow.release.set()
        await wait_loaded(pilot)
        assert not screen.showing_last_session and not table.has_class("-last-session")
        assert len(screen.view) == 150
        assert "from your last session" not in status(screen)


async def test_signing_out_forgets_the_users_last_list(make_app, data_dir: Path) -> None:

    transport, token = await remote_server(data_dir)
    app = make_app(server=SERVER, transport=transport)
    remember_user(data_dir, SERVER, ADMIN)
    app.tokens.set(SERVER, ADMIN, token)
    snapshot = ListSnapshot(data_dir, SERVER, ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert snapshot.path.exists()
        app.sign_out()
        await settle(pilot)
    assert not snapshot.path.exists()


async def test_another_users_last_list_is_not_shown_under_the_new_name(
    make_app, data_dir: Path
) -> None:
    """The last user's list is drawn at start; when someone else signs in, it goes at
    once, before their own list arrives."""
    from tests.unit.factories import make_client

    from .test_sign_in import sign_in

    remember_user(data_dir, SERVER, "someone@else.be")
    ListSnapshot(data_dir, SERVER, "someone@else.be").save([make_client(1, name="Not Yours BV")])
    transport = httpx.ASGITransport(app=create_app(data_dir / "demo.db"))
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.get_screen("dashboard")
        assert isinstance(screen, DashboardScreen)
        assert screen.showing_last_session and screen.view.row_at(0).name == "Not Yours BV"
        await settle(pilot)  # no stored token: the sign-in asks
        dropped = []
        drop = screen.drop_last_session

        def watched() -> None:
            dropped.append([row.name for row in screen.view.shown()])
            drop()

        screen.drop_last_session = watched  # type: ignore[method-assign]
        await sign_in(pilot, ADMIN, "lucy-demo")
        await wait_loaded(pilot)
        assert dropped == [["Not Yours BV"]]
        assert "Not Yours BV" not in [row.name for row in screen.view.shown()]
        assert len(screen.view) == 150


def test_the_api_client_does_not_import_httpxs_command_line() -> None:
    """httpx imports its CLI (click, rich.progress, pygments) when click is installed:
    well over half of importing httpx, which comes right after the first paint."""
    code = (
        "import sys, lucy_tui.api.client, httpx; "
        "print(sorted({'click', 'pygments', 'rich.progress'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


def test_logout_on_the_command_line_forgets_the_users_last_list(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lucy_tui.cli import main
    from tests.unit.factories import make_client

    server = "http://127.0.0.1:9"
    remember_user(data_dir, server, ADMIN)
    snapshot = ListSnapshot(data_dir, server, ADMIN)
    snapshot.save([make_client(1)])
    assert main(["logout", "--server", server]) == 0
    assert "Signed out" in capsys.readouterr().out
    assert not snapshot.path.exists()


async def test_a_failed_load_keeps_the_last_list_marked_as_not_live(
    make_app, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lucy_tui.api.client import LucyClient
    from lucy_tui.api.errors import ServerError

    transport, token = await remote_server(data_dir)
    monkeypatch.setenv("LUCY_TOKEN", token)
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)

    async def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ServerError("The server is down for maintenance.")
        yield  # an async generator, like the real one

    async def failing_page(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ServerError("The server is down for maintenance.")

    monkeypatch.setattr(LucyClient, "iter_client_pages", failing)
    monkeypatch.setattr(LucyClient, "iter_client_rows", failing)  # the compact list
    monkeypatch.setattr(LucyClient, "clients_page", failing_page)  # in-process: first page
    again = make_app(server=SERVER, transport=transport)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = again.get_screen("dashboard")
        assert isinstance(screen, DashboardScreen)
        assert screen.showing_last_session and len(screen.view) == 120
        said = status(screen)
        assert "from your last session, not live yet: Could not load the clients" in said
        assert "down for maintenance" in said


def test_snapshot_of_the_last_sessions_rows_before_the_live_list(  # type: ignore[no-untyped-def]
    snap_compare, make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look of the rows from the last session: dimmed, the status line says so."""
    import threading

    import lucy_tui.app as app_module
    from tests.unit.factories import make_client

    clients = [
        make_client(n, name=f"Client from last time {n:02d}", team_names=["North"])
        for n in range(1, 41)
    ]
    release = threading.Event()
    open_client = app_module.open_embedded_client

    def slow_open(*args):  # type: ignore[no-untyped-def]
        # long enough for the screenshot; the app's exit waits for this thread
        release.wait(timeout=8)
        return open_client(*args)

    monkeypatch.setattr(app_module, "open_embedded_client", slow_open)
    app = make_app()
    ListSnapshot(app.data_dir, "embedded", ADMIN).save(clients)

    async def drawn(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=drawn)
    finally:
        release.set()
