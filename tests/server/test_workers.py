"""``lucy-server serve --workers N``: several processes over one database (issue 13).

What the workers share lives in the database: the login limits (tests/server/test_security.py,
two apps over one database), sessions and idempotency claims (test_idempotency_faults.py, two
servers over one database). Here: the command really starts N workers that serve together.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from lucy_server import db
from lucy_server.peppol.settings import PeppolSettings

from .conftest import ADMIN, API, PASSWORD, bearer
from .test_idempotency_faults import lucy_server


def test_serve_with_two_workers_shares_sessions_and_the_login_limit(
    seeded_db: Path | str, tmp_path: Path, backend: str
) -> None:
    log = tmp_path / "serve.log"
    with lucy_server(seeded_db, log, "--workers", "2") as base:  # type: ignore[arg-type]
        # a new connection per request: the kernel hands them to either worker
        token = httpx.post(
            f"{base}{API}/auth/login", json={"email": ADMIN, "password": PASSWORD}, timeout=30
        ).json()["access_token"]
        for _ in range(6):
            assert httpx.get(f"{base}{API}/me", headers=bearer(token), timeout=30).is_success
        tries = [
            httpx.post(
                f"{base}{API}/auth/login",
                json={"email": ADMIN, "password": "wrong-password"},
                timeout=30,
            ).status_code
            for _ in range(7)
        ]
        assert tries == [401] * 5 + [429] * 2
    text = log.read_text()
    supervisor = re.findall(r"Started parent process \[(\d+)\]", text)
    workers = set(re.findall(r"Started server process \[(\d+)\]", text))
    assert len(workers) == 2 and not workers & set(supervisor), text
    engine = db.make_engine(seeded_db)
    try:
        with db.read_tx(engine) as conn:
            registered = {str(pid) for pid in conn.scalars(select(db.server_instances.c.pid))}
    finally:
        engine.dispose()
    assert workers <= registered  # each worker is an instance of its own (idempotency claims)
    sqlite_warning = "2 workers on SQLite: they read in parallel but write one at a time"
    assert (sqlite_warning in text) == (backend == "sqlite")


def test_the_workers_get_the_settings_the_command_resolved() -> None:
    settings = PeppolSettings(
        lookup=True,
        sml_zone="acc.edelivery.tech.ec.europa.eu",
        resolver=("::1", 5353),
        own_smp="smp.lucy.test",
        allow_http=True,
        cache_seconds=60,
    )
    for each in (settings, PeppolSettings(), PeppolSettings(resolver=("127.0.0.1", 53))):
        environment = each.as_environment()
        assert PeppolSettings.from_env(environment, lookup_default=not each.lookup) == each


@pytest.mark.sqlite_only("the command's own check, before any worker or database work")
def test_serve_refuses_no_workers(
    seeded_db: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    from lucy_server.cli import main

    assert main(["serve", "--db", str(seeded_db), "--workers", "0"]) == 2
    assert "--workers must be 1 or more" in capsys.readouterr().err
