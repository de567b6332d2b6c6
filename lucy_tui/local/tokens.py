"""Where session tokens are kept: ``LUCY_TOKEN``, else the OS keyring, else a private file.

On a headless Linux box there is often no keyring backend (keyring raises
``NoKeyringError``); the token then goes to a file only the user can read, and the user
is told once. ``insecure_storage`` forces that file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lucy_tui.local.atomic import write_atomic
from lucy_tui.local.local_files import Damaged, json_document, load_local
from lucy_tui.local.paths import ensure_private_dir, make_private

SERVICE = "lucy-tui"
FALLBACK_FILE = "tokens.json"


def _account(server: str, user: str) -> str:
    return f"{user}@{server}"


class TokenStore:
    def __init__(self, config_dir: Path, *, insecure_storage: bool = False) -> None:
        self.config_dir = config_dir
        self.insecure_storage = insecure_storage
        self.notice: str | None = None  # set once when the fallback file is first used
        self._keyring_broken = insecure_storage
        self._keyring_failure = ""  # why a keyring that exists refused, if it did

    @property
    def fallback_path(self) -> Path:
        return self.config_dir / FALLBACK_FILE

    # --- public -------------------------------------------------------------------------

    @property
    def env_token(self) -> str | None:
        """``LUCY_TOKEN``: wins over anything stored (scripts, CI, benchmarks)."""
        return os.environ.get("LUCY_TOKEN") or None

    def get(self, server: str, user: str | None) -> str | None:
        if self.env_token:
            return self.env_token
        if user is None:
            return None
        if not self._keyring_broken:
            token = self._keyring_call("get_password", SERVICE, _account(server, user))
            if token is not None:
                return token
        # The file too: the token may have gone there when the keyring refused a write.
        return self._read_file().get(_account(server, user))

    def set(self, server: str, user: str, token: str) -> None:
        if not self._keyring_broken:
            self._keyring_call("set_password", SERVICE, _account(server, user), token)
            if not self._keyring_broken:
                return
        self._write_file_entry(_account(server, user), token)

    def delete(self, server: str, user: str) -> None:
        """Forget the token of ``user`` on ``server`` wherever it is kept."""
        if not self._keyring_broken:
            self._keyring_call("delete_password", SERVICE, _account(server, user))
        entries = self._read_file()
        if entries.pop(_account(server, user), None) is not None:
            self._write_file(entries)

    # --- keyring ------------------------------------------------------------------------

    def _keyring_call(self, name: str, *args: str) -> str | None:
        import keyring  # imported late: backend discovery is slow, and not needed to start
        from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

        try:
            result: str | None = getattr(keyring, name)(*args)
            return result
        except PasswordDeleteError:
            return None
        except (KeyringError, RuntimeError) as exc:  # NoKeyringError is both
            self._keyring_broken = True
            if not isinstance(exc, NoKeyringError):
                self._keyring_failure = str(exc) or type(exc).__name__
            return None

    # --- fallback file ------------------------------------------------------------------

    def _read_file(self) -> dict[str, str]:
        """The tokens in the file; a damaged file, or a link in its place, is set aside."""
        loaded = load_local(
            self.fallback_path,
            _read_entries,
            label="The token file",
            consequence="sign in again",
            follow_symlinks=False,  # a token is never read from, or written to, elsewhere
        )
        if loaded.notice:
            self.notice = loaded.notice
        return loaded.value or {}

    def _write_file_entry(self, account: str, token: str) -> None:
        first_use = not self.fallback_path.exists()
        entries = self._read_file()
        entries[account] = token
        self._write_file(entries)
        if first_use:
            if self.insecure_storage:
                why = "--insecure-storage was given"
            elif self._keyring_failure:
                why = f"the system keyring refused it ({self._keyring_failure})"
            else:
                why = "no system keyring is available"
            self.notice = (
                f"Your session token is kept in {self.fallback_path} (readable only by you), "
                f"because {why}."
            )

    def _write_file(self, entries: dict[str, str]) -> None:
        ensure_private_dir(self.config_dir)
        make_private(self.config_dir)  # not through a link: its target is not ours to change
        write_atomic(self.fallback_path, json.dumps(entries, indent=1), mode=0o600)


def _read_entries(raw: bytes) -> dict[str, str]:
    data: Any = json_document(raw)
    if not isinstance(data, dict):
        raise Damaged("it is not a JSON object of tokens")
    return {k: v for k, v in data.items() if isinstance(v, str)}  # other entries: unusable


LAST_USERS_FILE = "last-users.json"


def last_user(data_dir: Path, server: str) -> str | None:
    """The email last signed in on ``server``, to prefill the sign-in and find the token."""
    value = _read_last_users(data_dir / LAST_USERS_FILE).get(server)
    return value if isinstance(value, str) else None


def remember_user(data_dir: Path, server: str, email: str | None) -> None:
    path = data_dir / LAST_USERS_FILE
    data = _read_last_users(path)
    if email is None:
        data.pop(server, None)
    else:
        data[server] = email
    write_atomic(path, json.dumps(data, indent=1))


def _read_last_users(path: Path) -> dict[str, Any]:
    """Server -> last email. It only prefills the sign-in, so a file it cannot read is set
    aside without a notice: the sign-in screen asking for the email says enough."""
    loaded = load_local(
        path,
        _read_object,
        label="The list of last users",
        consequence="the sign-in asks for the email",
    )
    return loaded.value or {}


def _read_object(raw: bytes) -> dict[str, Any]:
    data = json_document(raw)
    if not isinstance(data, dict):
        raise Damaged("it is not a JSON object")
    return data
