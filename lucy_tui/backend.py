"""How the app reaches a Lucy backend: the embedded demo firm or a real server.

The embedded default runs the reference server in-process over ``httpx.ASGITransport``
(no port is opened) on a SQLite file in the user data dir, seeded on first run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import Staff

EMBEDDED_BASE_URL = "http://embedded.lucy"
DEMO_DB = "demo.db"
DEMO_LOGINS = {"admin": "admin@demo-firm.be", "employee": "employee@demo-firm.be"}


@dataclass
class Session:
    """A signed-in staff member on one server."""

    client: LucyClient
    staff: Staff
    server: str  # what favourites and tokens are keyed by
    embedded: bool = False


def embedded_database(data_dir: Path) -> Path:
    return data_dir / DEMO_DB


def open_embedded_client(data_dir: Path, email: str) -> tuple[LucyClient, bool]:
    """Start the reference server in-process over the demo firm, signed in as ``email``.

    Returns the client and whether the demo firm was created now. Runs in a thread:
    importing the server (and seeding it on first run) takes a moment.
    """
    import httpx

    from lucy_server.embedded import open_demo

    app, token, created = open_demo(embedded_database(data_dir), email)
    transport = httpx.ASGITransport(app=app)
    return LucyClient(EMBEDDED_BASE_URL, token=token, transport=transport), created
