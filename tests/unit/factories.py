"""Builders shared by the unit tests: wire models, rows and an in-memory keyring."""

from __future__ import annotations

from datetime import date
from typing import Any

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from lucy_tui.api.models import ClientStatus, ClientSummary, Plan
from lucy_tui.clients.rows import ClientRow

TODAY = date(2026, 3, 16)


def enterprise_digits(seed: int) -> str:
    """A valid Belgian enterprise number (10 digits) derived from ``seed``."""
    base = 1_000_000 + seed
    assert base < 20_000_000
    return f"{base:08d}{97 - base % 97:02d}"


def make_client(client_id: int = 1, **fields: Any) -> ClientSummary:
    """A ClientSummary as the server sends it; any field can be overridden."""
    digits = enterprise_digits(client_id)
    data: dict[str, Any] = {
        "id": client_id,
        "name": f"Client {client_id}",
        "enterprise_number": f"{digits[:4]}.{digits[4:7]}.{digits[7:]}",
        "vat_number": f"BE{digits}",
        "status": ClientStatus.ACTIVE,
        "plan": Plan.BUSINESS,
        "version": 1,
    }
    data.update(fields)
    return ClientSummary(**data)


def make_row(client_id: int = 1, **fields: Any) -> ClientRow:
    return ClientRow.from_summary(make_client(client_id, **fields))


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict, so tests never touch the user's."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.calls: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append("get")
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append("set")
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append("delete")
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError(username)
