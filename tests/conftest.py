"""Generic fixtures: a small seeded demo firm and the reference server over it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

# No test looks anyone up on the real Peppol network: a `lucy-server serve` started by a test
# inherits this, and the embedded server's default is off. Tests of the lookup start their own
# DNS and SMP servers on 127.0.0.1 (tests/peppol_fakes.py) and say so.
for _name in [name for name in os.environ if name.startswith("LUCY_PEPPOL_")]:
    del os.environ[_name]
os.environ["LUCY_PEPPOL_LOOKUP"] = "off"

SEED_TODAY = date(2026, 11, 27)
SEED_NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SMALL_FIRM = 30  # clients: every showcase case plus a few drawn ones


class FakeClock:
    """A clock the tests move by hand (token expiry, rate limits, invitation dates)."""

    def __init__(self, now: datetime = SEED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class SeededFirm:
    """A template database of the small demo firm and what the seed reported."""

    path: Path
    cases: dict[str, int]
    staff: dict[str, int]
    teams: dict[str, int]


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> SeededFirm:
    from lucy_server.db import make_engine
    from lucy_server.seed import seed_demo

    path = tmp_path_factory.mktemp("firm") / "template.db"
    engine = make_engine(path)
    firm = seed_demo(engine, clients=SMALL_FIRM, seed=0, today=SEED_TODAY)
    engine.dispose()  # checkpoints the WAL into the file, so a copy is complete
    return SeededFirm(path=path, cases=firm.cases, staff=firm.staff, teams=firm.teams)


@pytest.fixture
def seeded_db(seeded_template: SeededFirm, tmp_path: Path) -> Path:
    """A fresh copy of the small demo firm (30 clients, seeded for SEED_TODAY)."""
    path = tmp_path / "lucy.db"
    shutil.copy(seeded_template.path, path)
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server_app(seeded_db: Path, clock: FakeClock) -> Iterator[FastAPI]:
    """The reference server over a fresh copy of the small demo firm, on a fake clock."""
    from lucy_server.app import create_app

    app = create_app(seeded_db, clock=clock)
    yield app
    app.state.lucy.engine.dispose()
