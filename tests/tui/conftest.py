"""Fixtures for driving the app as a user does: isolated dirs, a memory keyring, a demo firm."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from lucy_tui.app import LucyApp
from lucy_tui.screens.client_detail import ClientDetailScreen
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.widgets.client_table import ClientTable

from .harness import HarnessFactory, make_tab_harness

TODAY = date(2026, 11, 27)
SIZE = (160, 50)


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict, so tests never touch the user's."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's config, data and token out of every test."""
    for name in list(os.environ):
        if name.startswith("LUCY_"):  # LUCY_TOKEN, LUCY_SERVER, LUCY_THEME, LUCY_KEYS__...
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LUCY_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LUCY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes screenshots differ from run to run."""
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo firm, seeded once per run for a fixed day; tests copy it."""
    from lucy_server.db import make_engine
    from lucy_server.migrations import migrate
    from lucy_server.seed import seed_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(path)
    migrate(engine)
    seed_demo(engine, today=TODAY)
    engine.dispose()
    return path


@pytest.fixture
def data_dir(tmp_path: Path, demo_database: Path) -> Path:
    """A data dir holding a copy of the demo firm, as the embedded default finds it."""
    directory = tmp_path / "data"
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_database, directory / "demo.db")
    return directory


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def make_app(config_dir: Path, data_dir: Path):  # type: ignore[no-untyped-def]
    def factory(**kwargs: object) -> LucyApp:
        kwargs.setdefault("today", TODAY)
        return LucyApp(config_dir=config_dir, data_dir=data_dir, **kwargs)  # type: ignore[arg-type]

    return factory


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every worker is done and every message handled."""
    app = pilot.app
    for _ in range(50):
        # The app reports failed workers itself; tests assert on what it shows.
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            return


async def wait_loaded(pilot: Pilot[None]) -> DashboardScreen:
    """Wait until the dashboard has loaded every client."""
    await settle(pilot)
    screen = pilot.app.get_screen("dashboard")
    assert isinstance(screen, DashboardScreen)
    assert screen.loading_done, "the client list did not finish loading"
    return screen


async def open_client(pilot: Pilot[None], name: str) -> ClientDetailScreen:
    """From the loaded dashboard, open the client called ``name`` (as enter does)."""
    dashboard = await wait_loaded(pilot)
    dashboard.query_one(ClientTable).move_to(
        next(row.id for row in dashboard.view.rows if row.name == name)
    )
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ClientDetailScreen)
    return screen


# How many objects apps may have kept frozen before they are collected (see below).
KEPT_LIMIT = 500_000
_kept_since: list[int] = []  # the count frozen after the last collection (or the first test)


@pytest.fixture(autouse=True)
def collect_what_apps_kept() -> Iterator[None]:
    """The app keeps what is alive once its list is loaded out of garbage collections
    (lucy_tui/memory.py). In the test process, which outlives each app, those apps are
    garbage after their test and would never be collected (~3 MB a test). Every
    ``KEPT_LIMIT`` objects kept, they are given back, collected, and the rest frozen again
    (tests/conftest.py): one full collection per ~15-25 app tests instead of one each (a
    full collection here takes ~0.15 s)."""
    if not _kept_since:
        _kept_since.append(gc.get_freeze_count())
    yield
    if gc.get_freeze_count() - _kept_since[0] > KEPT_LIMIT:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _kept_since[0] = gc.get_freeze_count()


@pytest.fixture(autouse=True)
def quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot waits for "idle" after every key by sleeping in 20 ms steps until the process
    used no CPU during one; 2.5 ms steps tell the same thing eight times sooner. Tests
    still wait for workers and messages themselves (``settle``), never for time."""
    import textual._wait as wait

    monkeypatch.setattr(wait, "SLEEP_GRANULARITY", 1 / 400)
    monkeypatch.setattr(wait, "SLEEP_IDLE", 1 / 400 / 20)


@pytest.fixture
def tab_harness(data_dir: Path) -> HarnessFactory:
    """One detail tab alone against the demo firm (see tests/tui/harness.py)."""
    return make_tab_harness(data_dir, TODAY, SIZE)
