"""How the app reaches a Lucy backend: the embedded demo firm or a real server.

The embedded default runs the reference server in-process over ``httpx.ASGITransport``
(no port is opened) on a SQLite file in the user data dir, seeded on first run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import Staff

EMBEDDED_BASE_URL = "http://embedded.lucy"
DEMO_DB = "demo.db"
DEMO_PASSWORD = "lucy-demo"
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


def open_embedded_client(data_dir: Path) -> tuple[LucyClient, bool]:
    """Start the reference server in-process; seed the demo firm when there is none yet.

    Returns the client and whether the demo firm was created now. Runs in a thread:
    importing and seeding the server takes a moment. The firm is seeded into a side file
    and renamed into place, so an interrupted first run never leaves half a firm.
    """
    import httpx

    from lucy_server.app import create_app
    from lucy_server.db import create_schema, make_engine
    from lucy_server.seed import seed_demo

    database = embedded_database(data_dir)
    created = not database.exists()
    if created:
        data_dir.mkdir(parents=True, exist_ok=True)
        seeding = database.with_suffix(".seeding")
        for leftover in data_dir.glob(f"{seeding.name}*"):
            leftover.unlink()
        engine = make_engine(seeding)
        create_schema(engine)
        seed_demo(engine)
        engine.dispose()
        os.replace(seeding, database)
    app = create_app(make_engine(database))
    transport = httpx.ASGITransport(app=app)
    return LucyClient(EMBEDDED_BASE_URL, transport=transport), created
