"""How the app reaches a Lucy backend: the embedded demo firm or a real server.

The embedded default runs the reference server in-process over ``httpx.ASGITransport``
(no port is opened) on a SQLite file in the user data dir, seeded on first run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lucy_tui.api.errors import LucyError

if TYPE_CHECKING:
    from lucy_tui.api.client import LucyClient

EMBEDDED_BASE_URL = "http://embedded.lucy"
DEMO_DB = "demo.db"
DEMO_LOGINS = {"admin": "admin@demo-firm.be", "employee": "employee@demo-firm.be"}


def embedded_database(data_dir: Path) -> Path:
    return data_dir / DEMO_DB


class DataDirError(LucyError):
    """The embedded demo firm cannot be created or opened in the data dir."""

    default_code = "data_dir"


def open_embedded_client(data_dir: Path, email: str) -> tuple[LucyClient, bool, Callable[[], str]]:
    """Start the reference server in-process over the demo firm, signed in as ``email``.

    Returns the client, whether the demo firm was created now, and a function that opens
    a new session when this one has expired. Runs in a thread:
    importing the server (and seeding it on first run) takes a moment. Raises
    ``DataDirError`` when the data dir cannot hold the demo firm, or holds one that a newer
    version migrated.
    """
    import httpx
    from sqlalchemy.exc import OperationalError

    from lucy_server.embedded import demo_session, open_demo
    from lucy_server.migrations import SchemaNotCurrent
    from lucy_tui.api.client import LucyClient

    database = embedded_database(data_dir)
    try:
        app, token, created = open_demo(database, email)
    except (OSError, OperationalError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DataDirError(
            f"The demo firm cannot be kept in {database} ({reason}). Set LUCY_DATA_DIR to "
            "a folder you can write to, or use lucy-tui --server URL for a real Lucy server."
        ) from exc
    except SchemaNotCurrent as exc:  # a newer lucy-tui migrated it: this one cannot go back
        raise DataDirError(
            f"The demo firm in {database} was last opened by a newer version of lucy-tui "
            f"({exc}). Use that version, or move the file away to start a new demo firm."
        ) from exc
    # A bug in the in-process server answers 500, as it would over the network, instead of
    # raising its exception into the app.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = LucyClient(EMBEDDED_BASE_URL, token=token, transport=transport)
    return client, created, lambda: demo_session(app.state.lucy.engine, email)
