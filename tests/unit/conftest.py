"""Fixtures for the unit tests: an isolated environment and keyrings that are not the user's."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from lucy_tui.api.models import ClientSummary

from .factories import MemoryKeyring, make_client


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep the developer's own config, data, token and server out of every test."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("LUCY_"):  # LUCY_TOKEN, LUCY_SERVER, LUCY_THEME, LUCY_KEYS__...
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LUCY_CONFIG_DIR", str(home / "lucy-config"))
    monkeypatch.setenv("LUCY_DATA_DIR", str(home / "lucy-data"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))


def _install(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[KeyringBackend]:
    """An in-memory keyring backend (a :class:`MemoryKeyring`), removed after the test."""
    yield from _install(MemoryKeyring())


@pytest.fixture
def no_keyring() -> Iterator[KeyringBackend]:
    """What a headless Linux box has: every keyring call raises NoKeyringError."""
    yield from _install(fail.Keyring())


@pytest.fixture
def client_factory() -> Callable[..., ClientSummary]:
    """``make_client(id, **fields)``: a ClientSummary with sensible defaults."""
    return make_client
