"""What the app's embedded default needs: the demo firm in a local file, and a session.

The app runs this server in-process (httpx.ASGITransport, no port opened). The demo staff
member is signed in directly: the password check is for people at a keyboard, and here
the keyboard and the database belong to the same local user.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Engine

from lucy_server import db
from lucy_server.app import create_app
from lucy_server.auth import open_session
from lucy_server.migrations import ensure_current
from lucy_server.peppol.settings import PeppolSettings, SettingError
from lucy_server.seed import seed_demo

SESSION_TTL = timedelta(days=7)


def ensure_demo_firm(database: Path) -> bool:
    """Seed the demo firm when ``database`` does not exist; True when it was created now.

    It is seeded into a side file and renamed into place, so an interrupted first run
    never leaves half a firm behind.
    """
    if database.exists():
        return False
    database.parent.mkdir(parents=True, exist_ok=True)
    seeding = database.with_suffix(".seeding")
    for leftover in database.parent.glob(f"{seeding.name}*"):
        leftover.unlink()
    engine = db.make_engine(seeding)
    seed_demo(engine)  # migrates the new file first
    engine.dispose()
    os.replace(seeding, database)
    return True


def open_demo(database: Path, email: str) -> tuple[FastAPI, str, bool]:
    """The API over the demo firm and a session token for ``email``.

    Returns (app, token, created): ``created`` tells whether the firm was seeded now. The
    engine stays reachable as ``app.state.lucy.engine`` for later sessions.
    """
    created = ensure_demo_firm(database)
    engine = db.make_engine(database)
    # a firm left by an earlier version of the app gets the newest schema; one that has it
    # costs a query (no Alembic import)
    ensure_current(engine)
    app = create_app(engine, peppol_settings=embedded_peppol_settings())
    return app, demo_session(engine, email), created


def embedded_peppol_settings() -> PeppolSettings:
    """The demo firm looks nobody up on the network (its results were seeded), unless the
    LUCY_PEPPOL_* environment says otherwise; a setting that cannot be understood is logged
    and the lookups stay off."""
    try:
        return PeppolSettings.from_env(lookup_default=False)
    except SettingError as exc:
        logging.getLogger("lucy_server").warning("%s; Peppol lookups stay off", exc)
        return PeppolSettings()


def demo_session(engine: Engine, email: str) -> str:
    """A new session token for the demo staff member ``email``."""
    with db.write_tx(engine) as conn:
        staff_id = conn.scalar(select(db.staff.c.id).where(db.staff.c.email == email))
        if staff_id is None:
            raise LookupError(f"{email} is not a staff member of the demo firm")
        token, _ = open_session(conn, staff_id, datetime.now(UTC), SESSION_TTL)
    return token
