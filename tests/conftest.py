"""Generic fixtures: a small seeded demo firm and the reference server over it.

The database tests of tests/server and tests/api run on both backends: SQLite (a copy of a
seeded file) and PostgreSQL (a database made from a seeded template in a throwaway cluster,
tests/pg.py). A test asking for ``seeded_db``, ``server_app``, ``empty_database_url`` or
``backend`` there runs once per backend (ids ``[sqlite]`` and ``[postgresql]``); one marked
``@pytest.mark.sqlite_only("why")`` runs on SQLite alone. Elsewhere (tests/tui, tests/unit)
everything stays on SQLite.

Without PostgreSQL binaries the ``[postgresql]`` tests are skipped, saying why; under
``make test`` and CI (``LUCY_TEST_POSTGRESQL=required``) they fail instead.
"""

from __future__ import annotations

import atexit
import gc
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests import pg

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


BACKENDS = ("sqlite", "postgresql")
# the test folders whose database tests run on every backend
BACKEND_SUITES = frozenset({"server", "api"})
_TESTS = Path(__file__).parent
# read once: the TUI and unit tests' fixtures clear every LUCY_* variable around each test
_PG_REQUIRED = pg.required()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): a database test that holds on SQLite alone (it copies the "
        "database file, or checks SQLite's own locking); not run on PostgreSQL",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each database test of tests/server and tests/api on SQLite and on PostgreSQL."""
    if "backend" not in metafunc.fixturenames:
        return
    folder = metafunc.definition.path.relative_to(_TESTS).parts[0]
    if folder not in BACKEND_SUITES or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    metafunc.parametrize("backend", BACKENDS, indirect=True)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Less time in the garbage collector, the same tests.

    A test run keeps ~300,000 long-lived objects (Textual, FastAPI, SQLAlchemy, hypothesis,
    the collected tests) that every full collection walks again: measured on an app test,
    the collector took 25-30% of its time. Frozen after collection, they are no longer
    walked; a larger first generation runs the collector less often. Nothing a test checks
    depends on when garbage is collected (a test that needs it calls ``gc.collect()``).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend this test runs on: "sqlite" or "postgresql"."""
    return str(getattr(request, "param", "sqlite"))


@dataclass(frozen=True)
class SeededFirm:
    """A template database of the small demo firm and what the seed reported.

    ``path`` is the SQLite template file (tests that copy it are SQLite-only); the seed
    gives the same ids on every backend, so ``cases``, ``staff`` and ``teams`` hold on both.
    """

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


# --- PostgreSQL ---------------------------------------------------------------------------


class PgDatabases:
    """The throwaway cluster's databases, made empty and dropped after use."""

    def __init__(self, cluster: pg.Cluster) -> None:
        import psycopg

        self.cluster = cluster
        self.admin = psycopg.connect(cluster.conninfo(), autocommit=True)
        self._numbers = itertools.count(1)

    def create(self) -> str:
        """A new empty database (no table); its name."""
        name = f"t_{next(self._numbers)}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop(self, name: str) -> None:
        # WITH (FORCE): a test that left an engine open does not keep its database alive
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self.admin.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg.Cluster]:
    """This process's throwaway PostgreSQL cluster (one per xdist worker), started on first
    use and removed at the end; skipped without PostgreSQL unless ``make test`` requires it."""
    try:
        cluster = pg.start()
    except pg.NotAvailable as exc:
        if _PG_REQUIRED:
            pytest.fail(f"PostgreSQL is required ({pg.REQUIRED_ENV} is set): {exc}", False)
        pytest.skip(f"PostgreSQL not available: {exc}")
    atexit.register(cluster.stop)  # also when the run is interrupted
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_databases(pg_cluster: pg.Cluster) -> Iterator[PgDatabases]:
    databases = PgDatabases(pg_cluster)
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def pg_firm(pg_databases: PgDatabases, seeded_template: SeededFirm) -> Iterator[pg.SeededDatabase]:
    """The small demo firm seeded into this worker's PostgreSQL database, with a snapshot
    that :meth:`tests.pg.SeededDatabase.restore` puts back before each test."""
    from lucy_server.db import make_engine
    from lucy_server.seed import seed_demo

    name = pg_databases.create()
    engine = make_engine(pg_databases.cluster.url(name))
    firm = seed_demo(engine, clients=SMALL_FIRM, seed=0, today=SEED_TODAY)
    engine.dispose()
    assert (firm.cases, firm.staff, firm.teams) == (
        seeded_template.cases,
        seeded_template.staff,
        seeded_template.teams,
    ), "the seed gave other ids on PostgreSQL than on SQLite"
    database = pg.SeededDatabase(pg_databases.cluster, name)
    yield database
    database.close()


@pytest.fixture(scope="session")
def new_pg_firm(pg_databases: PgDatabases) -> Callable[[], str]:
    """Makes a PostgreSQL database of its own with the small demo firm seeded, its URL: for a
    module-scoped fixture that serves one database to several processes (each test's
    ``seeded_db`` is put back before the next test). About 0.5 s each; removed with the
    cluster."""
    from lucy_server.db import make_engine
    from lucy_server.seed import seed_demo

    def make() -> str:
        url = pg_databases.cluster.url(pg_databases.create())
        engine = make_engine(url)
        seed_demo(engine, clients=SMALL_FIRM, seed=0, today=SEED_TODAY)
        engine.dispose()
        return url

    return make


# --- each test's database -------------------------------------------------------------------


@pytest.fixture
def seeded_db(
    backend: str, seeded_template: SeededFirm, tmp_path: Path, request: pytest.FixtureRequest
) -> Path | str:
    """A fresh copy of the small demo firm (30 clients, seeded for SEED_TODAY): a SQLite
    file's path, or a PostgreSQL database's SQLAlchemy URL (``create_app``, ``make_engine``
    and ``lucy-server --db`` take either).

    On PostgreSQL every test of a worker gets the same database, put back as seeded before
    the test (a few ms: :class:`tests.pg.SeededDatabase`); a new database per test (CREATE
    DATABASE ... TEMPLATE) costs 10 ms on an idle machine but 200-400 ms on a busy one."""
    if backend == "postgresql":
        firm: pg.SeededDatabase = request.getfixturevalue("pg_firm")
        firm.restore()
        return firm.url
    path = tmp_path / "lucy.db"
    shutil.copy(seeded_template.path, path)
    return path


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The SQLAlchemy URL of a new, empty database (no table) on this test's backend: for
    tests of the migrations (the SQLite file is made when first connected to)."""
    if backend == "postgresql":
        databases: PgDatabases = request.getfixturevalue("pg_databases")
        name = databases.create()
        request.addfinalizer(lambda: databases.drop(name))
        return databases.cluster.url(name)
    return f"sqlite+pysqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server_app(seeded_db: Path | str, clock: FakeClock) -> Iterator[FastAPI]:
    """The reference server over a fresh copy of the small demo firm, on a fake clock."""
    from lucy_server.app import create_app

    app = create_app(seeded_db, clock=clock)
    yield app
    app.state.lucy.engine.dispose()
