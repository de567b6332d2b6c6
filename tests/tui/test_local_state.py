"""Local state gone wrong: the app starts, says so once, and works.

A corrupt config file, a data dir that cannot be written, no keyring or one that refuses
the token, a damaged token file. (A corrupt favourites file: test_dashboard.py; no keyring
backend at all: test_sign_in.py; the stores' own rules: tests/unit.)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordSetError
from sqlalchemy import text
from textual.app import App
from textual.widgets import Input, Static

from lucy_server import db
from lucy_server.app import create_app
from lucy_server.seed import DEMO_PASSWORD
from lucy_tui.app import LucyApp
from lucy_tui.backend import DEMO_LOGINS
from lucy_tui.local import paths
from lucy_tui.local.config import load_settings
from lucy_tui.local.favourites import FavouritesStore
from lucy_tui.local.list_snapshot import ListSnapshot
from lucy_tui.local.tokens import remember_user
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.screens.sign_in import SignInScreen

from .conftest import SIZE, TODAY, MemoryKeyring, settle, wait_loaded

SERVER = "http://lucy.test"
ADMIN = "admin@demo-firm.be"


def alive(app: App[None]) -> None:
    assert app.return_code is None and app._exception is None


def toasts(app: App[None]) -> list[str]:
    return [n.message for n in app._notifications]


def status_line(app: LucyApp) -> str:
    return str(app.dashboard.query_one("#status-line", Static).render())


@pytest.fixture
def transport(data_dir: Path) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=create_app(data_dir / "demo.db"))


async def sign_in(pilot, email: str = ADMIN) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen)
    screen.query_one("#email", Input).value = email
    screen.query_one("#password", Input).value = DEMO_PASSWORD
    screen.query_one("#password", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


@pytest.fixture
def unwritable_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LUCY_DATA_DIR under a regular file: nothing can be created there, even by root
    (the tests run as root, for whom a read-only folder is no obstacle)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data dir's parent should be")
    monkeypatch.setenv("LUCY_DATA_DIR", str(blocker / "lucy-tui"))
    return paths.data_dir()


class WriteFailingKeyring(MemoryKeyring):
    """A keyring that exists but refuses to store anything (a read-only keychain)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the keychain is read-only")


@pytest.fixture
def install_keyring() -> Iterator[Callable[[KeyringBackend], None]]:
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --- the config file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b'server = "https://unclosed\n', b"[keys\n", b"\xff\xfe not utf-8", b"theme = = 1\n"],
    ids=["unclosed-string", "broken-table", "not-utf8", "bad-syntax"],
)
async def test_a_corrupt_config_file_is_said_once_set_aside_and_the_app_works(
    make_app, config_dir: Path, content: bytes
) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_bytes(content)
    app = make_app(settings=load_settings(config_dir))
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        alive(app)
        said = [t for t in toasts(app) if "config file was damaged" in t]
        assert len(said) == 1
        assert said[0].endswith(
            f"and was set aside as {config_dir / 'config.toml.corrupt'}: defaults are used."
        )
        assert len(dashboard.view) == 150  # the embedded default: no server was configured
        await pilot.press("f", "ctrl+r")
        await wait_loaded(pilot)
        assert len(dashboard.view.favourites) == 1
        assert [t for t in toasts(app) if "config file" in t] == said  # not said again
    assert (config_dir / "config.toml.corrupt").read_bytes() == content
    assert not (config_dir / "config.toml").exists()
    again = make_app(settings=load_settings(config_dir))
    async with again.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        assert not any("config file" in t for t in toasts(again))  # the next start is clean
        assert len(dashboard.view.favourites) == 1


# --- a data dir that cannot be written ----------------------------------------------------


async def test_embedded_with_an_unwritable_data_dir_says_where_and_what_to_do(
    config_dir: Path, unwritable_data_dir: Path
) -> None:
    app = LucyApp(config_dir=config_dir, data_dir=unwritable_data_dir, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        alive(app)
        assert isinstance(app.screen, DashboardScreen) and not app.connected
        database = unwritable_data_dir / "demo.db"
        status = status_line(app)
        assert status.startswith(f"Not connected: The demo firm cannot be kept in {database}")
        assert "(Not a directory)" in status and "Set LUCY_DATA_DIR" in status
        said = toasts(app)
        assert len(said) == 1 and str(database) in said[0] and "LUCY_DATA_DIR" in said[0]
        assert "--server" in said[0]
        await pilot.press("ctrl+r")  # trying again is harmless: the same clear message
        await settle(pilot)
        alive(app)
        assert status_line(app) == status


async def test_a_demo_firm_from_a_newer_version_is_said_and_left_alone(
    config_dir: Path, data_dir: Path
) -> None:
    database = data_dir / "demo.db"
    engine = db.make_engine(database)
    with db.write_tx(engine) as conn:  # as a newer lucy-tui's migration would leave it
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    before = database.read_bytes()
    app = LucyApp(config_dir=config_dir, data_dir=data_dir, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        alive(app)
        assert isinstance(app.screen, DashboardScreen) and not app.connected
        status = status_line(app)
        assert status.startswith(f"Not connected: The demo firm in {database} was last opened")
        assert "9999" in status and "move the file away" in status
    assert database.read_bytes() == before  # nothing migrated, nothing seeded over it


async def test_remote_with_an_unwritable_data_dir_signs_in_and_keeps_favourites_for_now(
    config_dir: Path, unwritable_data_dir: Path, transport: httpx.ASGITransport
) -> None:
    app = LucyApp(
        config_dir=config_dir,
        data_dir=unwritable_data_dir,
        server=SERVER,
        transport=transport,
        today=TODAY,
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        dashboard = await wait_loaded(pilot)
        alive(app)
        assert len(dashboard.view) == 150
        folder = str(unwritable_data_dir)
        said = toasts(app)
        assert [t for t in said if t.startswith("Could not keep your session")] == [
            f"Could not keep your session ({folder}: Not a directory); you will sign in "
            "again next time."
        ]
        favourites = FavouritesStore(unwritable_data_dir, SERVER, ADMIN).path
        assert [t for t in said if t.startswith("Your favourites file")] == [
            f"Your favourites file {favourites} could not be read (Not a directory): "
            "favourites start empty."
        ]
        await pilot.press("f", "j", "f")
        await settle(pilot)
        assert len(dashboard.view.favourites) == 2  # starred for this session
        assert dashboard.view.row_at(0).id in dashboard.view.favourites
        unsaved = [t for t in toasts(app) if t.startswith("Could not save favourites")]
        assert unsaved == [  # once, not at every star
            f"Could not save favourites in {folder}/favourites (Not a directory); they are "
            "kept for this session only."
        ]
    assert unwritable_data_dir.parent.is_file()  # nothing was written anywhere else


# --- the keyring and the token file -------------------------------------------------------


async def test_a_keyring_refusing_the_token_falls_back_to_the_private_file(
    make_app, transport, config_dir: Path, install_keyring
) -> None:
    backend = WriteFailingKeyring()
    install_keyring(backend)
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        await wait_loaded(pilot)
        alive(app)
        token_file = config_dir / "tokens.json"
        said = [t for t in toasts(app) if "session token is kept in" in t]
        assert said == [
            f"Your session token is kept in {token_file} (readable only by you), because "
            "the system keyring refused it (the keychain is read-only)."
        ]
    assert backend.passwords == {}
    assert mode(token_file) == 0o600 and mode(config_dir) == 0o700
    assert ADMIN in token_file.read_text()
    again = make_app(server=SERVER, transport=transport)  # the next start finds it there
    async with again.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert isinstance(again.screen, DashboardScreen)
        assert again.session.staff.email == ADMIN
        assert not any("session token" in t for t in toasts(again))  # said once, not again


async def test_a_damaged_token_file_is_said_once_and_signing_in_works(
    make_app, transport, config_dir: Path, data_dir: Path, install_keyring
) -> None:
    install_keyring(fail.Keyring())
    remember_user(data_dir, SERVER, ADMIN)
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "tokens.json").write_text('{"admin@demo-firm.be@http://lucy.test": ')
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        alive(app)
        assert isinstance(app.screen, SignInScreen)
        token_file = config_dir / "tokens.json"
        damaged = (
            "The token file was damaged (Expecting value: line 1 column 41 (char 40)) and was "
            f"set aside as {config_dir / 'tokens.json.corrupt'}: sign in again."
        )
        assert toasts(app) == [damaged]
        await sign_in(pilot)
        await wait_loaded(pilot)
        alive(app)
        assert toasts(app) == [
            damaged,
            f"Your session token is kept in {token_file} (readable only by you), because no "
            "system keyring is available.",
        ]
    assert (config_dir / "tokens.json.corrupt").read_text().startswith('{"admin@')
    assert ADMIN in token_file.read_text() and mode(token_file) == 0o600


# --- all at once --------------------------------------------------------------------------


async def test_everything_local_broken_at_once_is_each_said_once(
    make_app, transport, config_dir: Path, data_dir: Path, install_keyring
) -> None:
    install_keyring(WriteFailingKeyring())
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text("theme = \n")
    (data_dir / "last-users.json").write_text("[not, json")
    favourites = FavouritesStore(data_dir, SERVER, ADMIN).path
    favourites.parent.mkdir(parents=True)
    favourites.write_text('{"clients": "all of them"}')
    app = make_app(server=SERVER, transport=transport, settings=load_settings(config_dir))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)  # no last user known: type the email
        assert app.screen.query_one("#email", Input).value == ""
        await sign_in(pilot)
        dashboard = await wait_loaded(pilot)
        alive(app)
        assert len(dashboard.view) == 150 and dashboard.view.favourites == set()
        await pilot.press("f", "ctrl+r")
        await wait_loaded(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        alive(app)
        said = toasts(app)
        for problem in ("config file was damaged", "favourites file was damaged"):
            assert sum(problem in t for t in said) == 1, (problem, said)
        assert sum("the system keyring refused it" in t for t in said) == 1
        assert not any(t.startswith(("Could not", "Something went wrong")) for t in said)
        assert len(dashboard.view.favourites) == 1
    assert FavouritesStore(data_dir, SERVER, ADMIN).load() == dashboard.view.favourites


# --- hostile files: nested past any parser's depth (issue 15) -----------------------------

DEEP_TOML = "server = " + "{a = " * 100_000
DEEP_JSON = "[" * 100_000


async def test_a_deeply_nested_config_file_is_set_aside_and_the_app_starts(
    make_app, config_dir: Path
) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(DEEP_TOML)
    app = make_app(settings=load_settings(config_dir))
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        alive(app)
        assert len(dashboard.view) == 150  # the embedded default, as with no config at all
        assert [t for t in toasts(app) if "config file" in t] == [
            "Your config file was damaged (it is nested too deeply) and was set aside as "
            f"{config_dir / 'config.toml.corrupt'}: defaults are used."
        ]
    assert (config_dir / "config.toml.corrupt").read_text() == DEEP_TOML


async def test_deeply_nested_favourites_and_snapshot_are_set_aside_and_the_list_loads(
    make_app, data_dir: Path
) -> None:
    email = DEMO_LOGINS["admin"]
    favourites = FavouritesStore(data_dir, "embedded", email).path
    snapshot = ListSnapshot(data_dir, "embedded", email).path
    for path in (favourites, snapshot):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(DEEP_JSON)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        alive(app)
        assert len(dashboard.view) == 150 and dashboard.view.favourites == set()
        said = toasts(app)
        assert (
            "Your favourites file was damaged (it is nested too deeply) and was set aside as "
            f"{favourites}.corrupt: favourites start empty."
        ) in said
        assert [t for t in said if t.startswith("The saved client list")] == [
            "The saved client list was damaged (it is nested too deeply) and was set aside as "
            f"{snapshot}.corrupt: the list is loaded afresh."
        ]
        await pilot.press("f")  # starring works and is kept again
        await settle(pilot)
        assert len(dashboard.view.favourites) == 1
    assert FavouritesStore(data_dir, "embedded", email).load() == dashboard.view.favourites


async def test_deeply_nested_token_and_last_users_files_lead_to_the_sign_in(
    make_app, transport, config_dir: Path, data_dir: Path, install_keyring
) -> None:
    install_keyring(fail.Keyring())
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "tokens.json").write_text(DEEP_JSON)
    (data_dir / "last-users.json").write_text(DEEP_JSON)
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        alive(app)
        assert isinstance(app.screen, SignInScreen)  # not "Connecting…" for ever
        assert app.screen.query_one("#email", Input).value == ""
        await sign_in(pilot)
        await wait_loaded(pilot)
        alive(app)
        assert (
            "The token file was damaged (it is nested too deeply) and was set aside as "
            f"{config_dir / 'tokens.json.corrupt'}: sign in again."
        ) in toasts(app)
    assert (config_dir / "tokens.json.corrupt").read_text() == DEEP_JSON
    assert ADMIN in (config_dir / "tokens.json").read_text()
    assert (data_dir / "last-users.json.corrupt").read_text() == DEEP_JSON
    again = make_app(server=SERVER, transport=transport)  # the next start is clean
    async with again.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert again.session.staff.email == ADMIN
        assert not any("damaged" in t for t in toasts(again))


async def test_a_deeply_nested_token_file_of_a_known_user_asks_to_sign_in(
    make_app, transport, config_dir: Path, data_dir: Path, install_keyring
) -> None:
    install_keyring(fail.Keyring())
    remember_user(data_dir, SERVER, ADMIN)
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "tokens.json").write_text(DEEP_JSON)
    app = make_app(server=SERVER, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        alive(app)
        assert isinstance(app.screen, SignInScreen)
        assert app.screen.query_one("#email", Input).value == ADMIN
        assert toasts(app) == [
            "The token file was damaged (it is nested too deeply) and was set aside as "
            f"{config_dir / 'tokens.json.corrupt'}: sign in again."
        ]
