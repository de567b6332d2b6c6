"""Where session tokens are kept (lucy_tui.local.tokens): env, keyring, or a private file."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordSetError

from lucy_tui.local.tokens import (
    FALLBACK_FILE,
    LAST_USERS_FILE,
    SERVICE,
    TokenStore,
    last_user,
    remember_user,
)

from .factories import MemoryKeyring

SERVER = "https://lucy.example.be"
USER = "eline@firm.be"
ACCOUNT = f"{USER}@{SERVER}"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config" / "lucy-tui"  # does not exist yet


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def file_entries(config_dir: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((config_dir / FALLBACK_FILE).read_text(encoding="utf-8"))
    return data


class WriteFailingKeyring(MemoryKeyring):
    """A keyring that answers reads but refuses writes (a locked or read-only keychain)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the keychain is read-only")


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("locked")


@pytest.fixture
def install_keyring() -> Iterator[Callable[[KeyringBackend], None]]:
    """Install any keyring backend for the test; the previous one comes back afterwards."""
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


# --- LUCY_TOKEN -------------------------------------------------------------------------------


def test_the_environment_token_wins_over_the_keyring(
    memory_keyring: MemoryKeyring, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TokenStore(config_dir)
    store.set(SERVER, USER, "from-keyring")
    monkeypatch.setenv("LUCY_TOKEN", "from-env")
    assert store.get(SERVER, USER) == "from-env"
    assert store.get("https://other.be", "someone") == "from-env"


def test_the_environment_token_works_without_any_keyring(
    no_keyring: KeyringBackend, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUCY_TOKEN", "from-env")
    store = TokenStore(config_dir)
    assert store.get(SERVER, USER) == "from-env"
    assert store.notice is None
    assert not config_dir.exists()


def test_an_empty_environment_token_is_ignored(
    memory_keyring: MemoryKeyring, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUCY_TOKEN", "")
    store = TokenStore(config_dir)
    store.set(SERVER, USER, "from-keyring")
    assert store.get(SERVER, USER) == "from-keyring"


# --- keyring ----------------------------------------------------------------------------------


def test_with_a_keyring_the_token_goes_to_the_keyring_only(
    memory_keyring: MemoryKeyring, config_dir: Path
) -> None:
    store = TokenStore(config_dir)
    store.set(SERVER, USER, "secret-1")
    assert memory_keyring.passwords == {(SERVICE, ACCOUNT): "secret-1"}
    assert store.get(SERVER, USER) == "secret-1"
    assert TokenStore(config_dir).get(SERVER, USER) == "secret-1"  # survives a restart
    assert store.notice is None
    assert not (config_dir / FALLBACK_FILE).exists()


def test_tokens_are_kept_per_server_and_user(
    memory_keyring: MemoryKeyring, config_dir: Path
) -> None:
    store = TokenStore(config_dir)
    store.set(SERVER, "a@firm.be", "token-a")
    store.set(SERVER, "b@firm.be", "token-b")
    store.set("https://other.be", "a@firm.be", "token-c")
    assert store.get(SERVER, "a@firm.be") == "token-a"
    assert store.get(SERVER, "b@firm.be") == "token-b"
    assert store.get("https://other.be", "a@firm.be") == "token-c"
    assert store.get("https://other.be", "b@firm.be") is None


def test_an_unknown_token_is_none(memory_keyring: MemoryKeyring, config_dir: Path) -> None:
    store = TokenStore(config_dir)
    assert store.get(SERVER, USER) is None
    assert store.notice is None


def test_set_replaces_the_previous_token(memory_keyring: MemoryKeyring, config_dir: Path) -> None:
    store = TokenStore(config_dir)
    store.set(SERVER, USER, "old")
    store.set(SERVER, USER, "new")
    assert store.get(SERVER, USER) == "new"


def test_delete_forgets_the_keyring_token(memory_keyring: MemoryKeyring, config_dir: Path) -> None:
    store = TokenStore(config_dir)
    store.set(SERVER, USER, "secret")
    store.set(SERVER, "other@firm.be", "keep")
    store.delete(SERVER, USER)
    assert store.get(SERVER, USER) is None
    assert store.get(SERVER, "other@firm.be") == "keep"
    assert (SERVICE, ACCOUNT) not in memory_keyring.passwords


def test_deleting_an_unknown_token_is_harmless(
    memory_keyring: MemoryKeyring, config_dir: Path
) -> None:
    store = TokenStore(config_dir)
    store.delete(SERVER, USER)  # the backend raises PasswordDeleteError: swallowed
    assert "delete" in memory_keyring.calls
    assert store.notice is None
    assert store.get(SERVER, USER) is None
    assert not config_dir.exists()


def test_delete_also_forgets_a_token_left_in_the_fallback_file(
    memory_keyring: MemoryKeyring, config_dir: Path
) -> None:
    TokenStore(config_dir, insecure_storage=True).set(SERVER, USER, "old-file-token")
    TokenStore(config_dir, insecure_storage=True).set(SERVER, "other@firm.be", "keep")
    store = TokenStore(config_dir)
    store.set(SERVER, USER, "keyring-token")
    store.delete(SERVER, USER)
    assert (SERVICE, ACCOUNT) not in memory_keyring.passwords
    assert file_entries(config_dir) == {f"other@firm.be@{SERVER}": "keep"}


# --- no keyring: the private file -------------------------------------------------------------


def test_without_a_keyring_the_token_goes_to_a_private_file(
    no_keyring: KeyringBackend, config_dir: Path
) -> None:
    store = TokenStore(config_dir)
    store.set(SERVER, USER, "secret")
    path = config_dir / FALLBACK_FILE
    assert store.fallback_path == path
    assert file_entries(config_dir) == {ACCOUNT: "secret"}
    assert mode(path) == 0o600
    assert mode(config_dir) == 0o700
    assert store.get(SERVER, USER) == "secret"
    assert TokenStore(config_dir).get(SERVER, USER) == "secret"  # after a restart too


def test_the_fallback_makes_an_existing_config_dir_private(
    no_keyring: KeyringBackend, config_dir: Path
) -> None:
    config_dir.mkdir(parents=True)
    os.chmod(config_dir, 0o755)
    TokenStore(config_dir).set(SERVER, USER, "secret")
    assert mode(config_dir) == 0o700
    assert mode(config_dir / FALLBACK_FILE) == 0o600


def test_the_fallback_file_is_announced_once_with_its_path(
    no_keyring: KeyringBackend, config_dir: Path
) -> None:
    store = TokenStore(config_dir)
    assert store.notice is None
    store.set(SERVER, USER, "secret")
    assert store.notice is not None
    assert str(config_dir / FALLBACK_FILE) in store.notice
    assert "no system keyring is available" in store.notice
    store.notice = None  # the app showed it
    store.set(SERVER, "other@firm.be", "secret-2")
    store.set(SERVER, USER, "secret-3")
    assert store.notice is None
    assert file_entries(config_dir) == {ACCOUNT: "secret-3", f"other@firm.be@{SERVER}": "secret-2"}


def test_an_existing_fallback_file_is_not_announced_again(
    no_keyring: KeyringBackend, config_dir: Path
) -> None:
    TokenStore(config_dir).set(SERVER, USER, "first-session")
    later = TokenStore(config_dir)
    assert later.get(SERVER, USER) == "first-session"
    later.set(SERVER, USER, "second-session")
    assert later.notice is None


def test_without_a_keyring_or_file_there_is_no_token_and_no_file(
    no_keyring: KeyringBackend, config_dir: Path
) -> None:
    store = TokenStore(config_dir)
    assert store.get(SERVER, USER) is None
    assert store.notice is None
    assert not config_dir.exists()


def test_delete_without_a_keyring_forgets_the_file_entry(
    no_keyring: KeyringBackend, config_dir: Path
) -> None:
    store = TokenStore(config_dir)
    store.set(SERVER, USER, "secret")
    store.set(SERVER, "other@firm.be", "keep")
    store.delete(SERVER, USER)
    assert store.get(SERVER, USER) is None
    assert file_entries(config_dir) == {f"other@firm.be@{SERVER}": "keep"}
    assert mode(config_dir / FALLBACK_FILE) == 0o600


def test_a_keyring_that_refuses_writes_falls_back_to_the_file(
    install_keyring: Callable[[KeyringBackend], None], config_dir: Path
) -> None:
    backend = WriteFailingKeyring()
    install_keyring(backend)
    store = TokenStore(config_dir)
    store.set(SERVER, USER, "secret")
    assert backend.passwords == {}
    assert file_entries(config_dir) == {ACCOUNT: "secret"}
    assert mode(config_dir / FALLBACK_FILE) == 0o600
    assert mode(config_dir) == 0o700
    assert store.notice is not None and str(store.fallback_path) in store.notice
    assert store.get(SERVER, USER) == "secret"


def test_a_token_saved_to_the_file_because_the_keyring_refused_it_is_found_after_restart(
    install_keyring: Callable[[KeyringBackend], None], config_dir: Path
) -> None:
    install_keyring(WriteFailingKeyring())
    TokenStore(config_dir).set(SERVER, USER, "secret")
    assert file_entries(config_dir) == {ACCOUNT: "secret"}
    assert TokenStore(config_dir).get(SERVER, USER) == "secret"


def test_a_locked_keyring_falls_back_to_the_file_for_reads_too(
    install_keyring: Callable[[KeyringBackend], None], config_dir: Path
) -> None:
    TokenStore(config_dir, insecure_storage=True).set(SERVER, USER, "in-file")
    install_keyring(LockedKeyring())
    store = TokenStore(config_dir)
    assert store.get(SERVER, USER) == "in-file"


# --- insecure_storage ---------------------------------------------------------------------------


def test_insecure_storage_forces_the_file_even_with_a_keyring(
    memory_keyring: MemoryKeyring, config_dir: Path
) -> None:
    store = TokenStore(config_dir, insecure_storage=True)
    store.set(SERVER, USER, "secret")
    assert memory_keyring.calls == []  # the keyring is never touched
    assert memory_keyring.passwords == {}
    assert file_entries(config_dir) == {ACCOUNT: "secret"}
    assert mode(config_dir / FALLBACK_FILE) == 0o600
    assert store.notice is not None and "--insecure-storage" in store.notice
    assert store.get(SERVER, USER) == "secret"
    store.delete(SERVER, USER)
    assert store.get(SERVER, USER) is None
    assert memory_keyring.calls == []


# --- a damaged fallback file --------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"{broken", b"\xff\xfe not utf-8"])
def test_a_damaged_token_file_is_set_aside_not_raised(
    no_keyring: KeyringBackend, config_dir: Path, content: bytes
) -> None:
    config_dir.mkdir(parents=True)
    path = config_dir / FALLBACK_FILE
    path.write_bytes(content)
    store = TokenStore(config_dir)
    assert store.get(SERVER, USER) is None
    assert not path.exists()
    assert (config_dir / (FALLBACK_FILE + ".corrupt")).exists()
    store.set(SERVER, USER, "fresh")
    assert store.get(SERVER, USER) == "fresh"


def test_a_token_file_of_the_wrong_shape_yields_no_tokens(
    no_keyring: KeyringBackend, config_dir: Path
) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / FALLBACK_FILE).write_text(json.dumps(["a", "b"]))
    assert TokenStore(config_dir).get(SERVER, USER) is None
    (config_dir / FALLBACK_FILE).write_text(json.dumps({ACCOUNT: 12, "x@y": "ok"}))
    store = TokenStore(config_dir)
    assert store.get(SERVER, USER) is None  # a non-string token is dropped
    assert store.get("y", "x") == "ok"


# --- last user ----------------------------------------------------------------------------------


def test_last_user_is_none_at_first(tmp_path: Path) -> None:
    assert last_user(tmp_path, SERVER) is None


def test_remember_user_round_trips_per_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    remember_user(data_dir, SERVER, "eline@firm.be")
    remember_user(data_dir, "https://other.be", "jan@firm.be")
    assert last_user(data_dir, SERVER) == "eline@firm.be"
    assert last_user(data_dir, "https://other.be") == "jan@firm.be"
    remember_user(data_dir, SERVER, "ann@firm.be")
    assert last_user(data_dir, SERVER) == "ann@firm.be"
    assert mode(data_dir / LAST_USERS_FILE) == 0o600


def test_remembering_none_forgets_only_that_server(tmp_path: Path) -> None:
    remember_user(tmp_path, SERVER, "eline@firm.be")
    remember_user(tmp_path, "https://other.be", "jan@firm.be")
    remember_user(tmp_path, SERVER, None)
    assert last_user(tmp_path, SERVER) is None
    assert last_user(tmp_path, "https://other.be") == "jan@firm.be"
    remember_user(tmp_path, "https://never.be", None)  # forgetting an unknown one is fine
    assert last_user(tmp_path, "https://other.be") == "jan@firm.be"


@pytest.mark.parametrize(
    "content",
    [b"{broken", b"[1, 2]", b'"x"', b"\xff\xfe", json.dumps({SERVER: 5}).encode()],
)
def test_a_damaged_last_users_file_is_ignored_and_overwritten(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / LAST_USERS_FILE).write_bytes(content)
    assert last_user(tmp_path, SERVER) is None
    remember_user(tmp_path, SERVER, "eline@firm.be")
    assert last_user(tmp_path, SERVER) == "eline@firm.be"


# --- symbolic links ------------------------------------------------------------------------------


def test_a_symlinked_config_dir_keeps_its_targets_mode(
    no_keyring: KeyringBackend, tmp_path: Path
) -> None:
    target = tmp_path / "dotfiles" / "lucy-tui"
    target.mkdir(parents=True)
    os.chmod(target, 0o755)
    link = tmp_path / "config"
    link.symlink_to(target, target_is_directory=True)
    store = TokenStore(link)
    store.set(SERVER, USER, "secret")
    assert mode(target) == 0o755  # the link was not followed to change the mode
    assert link.is_symlink()
    assert stat.S_ISREG(os.lstat(target / FALLBACK_FILE).st_mode)
    assert mode(target / FALLBACK_FILE) == 0o600  # the token itself is still private
    assert TokenStore(link).get(SERVER, USER) == "secret"


def test_a_config_dir_under_a_symlinked_parent_is_still_made_private(
    no_keyring: KeyringBackend, tmp_path: Path
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "home").symlink_to(tmp_path / "real", target_is_directory=True)
    config_dir = tmp_path / "home" / "lucy-tui"
    config_dir.mkdir(mode=0o755)
    os.chmod(config_dir, 0o755)
    TokenStore(config_dir).set(SERVER, USER, "secret")
    assert mode(tmp_path / "real" / "lucy-tui") == 0o700  # only the last part was a link: fine


def test_a_token_file_that_is_a_link_is_never_read_nor_written_through(
    no_keyring: KeyringBackend, config_dir: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({ACCOUNT: "planted"}))
    os.chmod(elsewhere, 0o644)
    config_dir.mkdir(parents=True)
    link = config_dir / FALLBACK_FILE
    link.symlink_to(elsewhere)
    store = TokenStore(config_dir)
    assert store.get(SERVER, USER) is None  # not the planted token
    assert store.notice == (
        "The token file was damaged (it is a symbolic link, which is not followed) and was "
        f"set aside as {config_dir / 'tokens.json.corrupt'}: sign in again."
    )
    assert (config_dir / "tokens.json.corrupt").is_symlink()
    store.set(SERVER, USER, "fresh")
    assert not link.is_symlink() and mode(link) == 0o600
    assert file_entries(config_dir) == {ACCOUNT: "fresh"}
    assert json.loads(elsewhere.read_text()) == {ACCOUNT: "planted"}  # untouched
    assert mode(elsewhere) == 0o644


def test_a_token_file_link_planted_before_the_first_write_is_replaced_not_followed(
    no_keyring: KeyringBackend, config_dir: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    config_dir.mkdir(parents=True)
    (config_dir / FALLBACK_FILE).symlink_to(victim)
    TokenStore(config_dir).set(SERVER, USER, "secret")
    assert victim.read_text() == "someone else's file"
    assert file_entries(config_dir) == {ACCOUNT: "secret"}
