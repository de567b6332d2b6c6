"""A throwaway PostgreSQL cluster for the tests: made, started and removed by the test run.

Why not pytest-postgresql (the well-kept library for this)? Its process fixture runs
``initdb`` and ``pg_ctl`` as the current user, and PostgreSQL refuses to run as root, which
is how these tests run here and in CI; it has no way to run the binaries as another user
(and its ``noproc`` mode needs a server started some other way). What it would do for us is
small: this module makes a cluster with ``initdb``, starts it with ``pg_ctl``, and stops and
removes it at the end; as root, the cluster's folder belongs to the ``postgres`` user (else
``nobody``) and the binaries run as that user through ``runuser``.

The cluster listens on a unix socket in its own temporary folder only (no TCP port, so no
port to find free and no clash between pytest-xdist workers, each of which makes its own
cluster: a start costs about half a second; see :func:`start`), with durability off for speed
(``fsync``, ``synchronous_commit`` and ``full_page_writes``: the data lives as long as the
run). A cluster left running by a run that was killed is stopped and removed by the next
run's first start. It trusts every local connection: it is reachable by nobody but this
machine's users, and holds nothing but test data.

The binaries are found through ``LUCY_PG_BINDIR``, ``pg_config --bindir``, the highest
``/usr/lib/postgresql/*/bin`` (Debian and Ubuntu) or ``initdb`` on the ``PATH``: PostgreSQL 13
or later (15 on these machines; from 15 the cluster collates with ICU, see ``INITDB_ICU``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

USER = "lucy"  # the cluster's superuser, the tests connect as it
OWNER = "owner.pid"  # in a cluster's folder: the pytest process that made it
PORT = 5432  # only names the socket file (.s.PGSQL.5432) in the cluster's own folder
SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "'32MB'",
    "max_connections": "100",  # PostgreSQL's default, as on a firm's server
    "max_wal_size": "'1GB'",
    "checkpoint_timeout": "'30min'",
    "autovacuum": "off",  # every test database lives for one test
    "log_min_messages": "warning",
    "timezone": "'UTC'",
}
INITDB = ("--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
# From PostgreSQL 15: databases collate text as a firm's server does by default (a language's
# rules, where "a b" < "ab" and accents count little), not by code point: the server must
# order and compare the list's sort keys with the "C" collation itself.
INITDB_ICU = ("--locale-provider=icu", "--icu-locale=en-US")
START = ("-w", "-t", "60", "start")
STOP = ("-m", "immediate", "-w", "stop")  # the data is thrown away: no clean shutdown
# `make test` and CI set this: PostgreSQL missing is then an error, not a skip
REQUIRED_ENV = "LUCY_TEST_POSTGRESQL"


class NotAvailable(RuntimeError):
    """No PostgreSQL server binaries on this machine, or they could not start a cluster."""


def required() -> bool:
    return os.environ.get(REQUIRED_ENV, "").lower() in ("1", "required", "yes", "true")


def find_bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    candidates: list[Path] = []
    if os.environ.get("LUCY_PG_BINDIR"):
        candidates.append(Path(os.environ["LUCY_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    candidates += [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version)[::-1]
    ]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _run_as() -> tuple[list[str], int | None, int | None]:
    """The prefix that runs a PostgreSQL binary as an ordinary user when we are root."""
    if os.geteuid() != 0:
        return [], None, None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise NotAvailable("running as root and runuser is missing: initdb refuses root")
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return [runuser, "-u", name, "--"], entry.pw_uid, entry.pw_gid
    raise NotAvailable("running as root and neither a postgres nor a nobody user exists")


@dataclass
class Cluster:
    """A running cluster: connect with :meth:`url`, stop with :meth:`stop`."""

    bindir: Path
    base: Path  # the temporary folder: data/, the socket, the server's log
    prefix: list[str]
    started_in: float = 0.0  # seconds that initdb and the start took

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "server.log"

    @property
    def version(self) -> int:
        """The major version, as initdb wrote it (15)."""
        return int((self.data / "PG_VERSION").read_text().split(".")[0])

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` (psycopg 3, over the unix socket)."""
        return f"postgresql+psycopg://{USER}@/{database}?host={self.base}&port={PORT}"

    def conninfo(self, database: str = "postgres") -> str:
        """The libpq connection string of ``database`` (for psycopg directly)."""
        return f"host={self.base} port={PORT} user={USER} dbname={database}"

    def stop(self) -> None:
        """Stop the server at once (the data is thrown away) and remove its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                subprocess.run(
                    [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), *STOP],
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def start() -> Cluster:
    """Make and start a new cluster in a new temporary folder (about 1 s on 2 cores).

    Raises :class:`NotAvailable` when there are no binaries or the cluster does not start.
    """
    bindir = find_bindir()
    if bindir is None:
        raise NotAvailable(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found through "
            "LUCY_PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/*/bin or the PATH; "
            "install them with .ci/install-postgresql (as root) or your package manager"
        )
    prefix, uid, gid = _run_as()
    _stop_orphans(bindir, prefix)
    started = time.perf_counter()
    # in /tmp, not pytest's tmp_path: a unix socket's path must stay under ~100 bytes and
    # the folder must be reachable by the postgres user (pytest's are root-only)
    base = Path(tempfile.mkdtemp(prefix="lucy-pg-"))
    cluster = Cluster(bindir=bindir, base=base, prefix=prefix)
    try:
        (base / OWNER).write_text(str(os.getpid()))
        if uid is not None and gid is not None:
            os.chown(base, uid, gid)
        _check(
            [*prefix, str(bindir / "initdb"), "-D", str(cluster.data), "-U", USER, *INITDB]
            + (list(INITDB_ICU) if _major(bindir) >= 15 else []),
            "initdb",
        )
        with (cluster.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\n# lucy tests\nport = {PORT}\nunix_socket_directories = '{base}'\n")
            for name, value in SETTINGS.items():
                conf.write(f"{name} = {value}\n")
        _check(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(cluster.data),
                "-l",
                str(cluster.log),
                *START,
            ],
            "pg_ctl start",
            cluster.log,
        )
    except BaseException:
        cluster.stop()
        raise
    cluster.started_in = time.perf_counter() - started
    return cluster


def _stop_orphans(bindir: Path, prefix: list[str]) -> None:
    """Stop and remove the clusters of test runs that were killed before they could (their
    pytest process, named in the folder's owner file, is gone)."""
    for folder in Path(tempfile.gettempdir()).glob("lucy-pg-*"):
        try:
            owner = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue  # not ours, or still being made
        try:
            os.kill(owner, 0)
            continue  # its run is still going
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        Cluster(bindir=bindir, base=folder, prefix=prefix).stop()


def _major(bindir: Path) -> int:
    """The major version of the binaries in ``bindir`` (``initdb (PostgreSQL) 15.18``: 15)."""
    out = subprocess.run(
        [str(bindir / "initdb"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    digits = out.rsplit(" ", 1)[-1].split(".")[0].strip()
    return int(digits) if digits.isdigit() else 0


def _check(command: list[str], what: str, log: Path | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        if log is not None and log.exists():
            detail += "\n" + log.read_text(errors="replace")[-2000:]
        raise NotAvailable(f"{what} failed ({result.returncode}): {detail[-3000:]}")


SNAPSHOT_SCHEMA = "lucy_seed"


class SeededDatabase:
    """A database of the cluster that :meth:`restore` puts back as it was when this was made.

    Made once per worker, after the seed: every table of ``public`` is copied into the
    ``lucy_seed`` schema, with the sequences' positions. A restore empties every table and
    copies the rows back, foreign keys off for it (``session_replication_role``), in one
    transaction sent as one round trip: a few ms for the small firm, where a database made
    anew from a template (``CREATE DATABASE ... TEMPLATE``) copies the whole database's files
    (8 MB with the system catalogues) and waits for a checkpoint. Connections left open by
    the test before are closed first; the dead rows the restores leave are vacuumed every
    :attr:`VACUUM_EVERY` restores.

    What a test could change and a restore would not put back: the schema (tests that alter
    it use a database of their own: ``empty_database_url``).
    """

    VACUUM_EVERY = 100

    def __init__(self, cluster: Cluster, name: str) -> None:
        import psycopg

        self.cluster = cluster
        self.name = name
        self.url = cluster.url(name)
        self.conn = psycopg.connect(cluster.conninfo(name), autocommit=True)
        tables = [
            row[0]
            for row in self.conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        sequences: list[tuple[str, int, bool]] = []
        for (name,) in self.conn.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall():
            row = self.conn.execute(f'SELECT last_value, is_called FROM public."{name}"').fetchone()
            assert row is not None
            sequences.append((name, row[0], row[1]))
        with self.conn.transaction():
            self.conn.execute(f"CREATE SCHEMA {SNAPSHOT_SCHEMA}")
            for table in tables:
                self.conn.execute(
                    f'CREATE TABLE {SNAPSHOT_SCHEMA}."{table}" AS TABLE public."{table}"'
                )
        script = [
            f"SELECT pg_terminate_backend(pid{', 5000' if cluster.version >= 14 else ''})"
            " FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()",
            "BEGIN",
            "SET LOCAL session_replication_role = replica",  # no foreign key checks
        ]
        script += [f'DELETE FROM public."{table}"' for table in tables]
        script += [
            f'INSERT INTO public."{table}" SELECT * FROM {SNAPSHOT_SCHEMA}."{table}"'
            for table in tables
        ]
        script += [
            f"SELECT setval('public.\"{name}\"', {value}, {'true' if called else 'false'})"
            for name, value, called in sequences
        ]
        script.append("COMMIT")
        self._script = ";\n".join(script)
        self._restores = 0

    def restore(self) -> None:
        """Put every table and sequence back as seeded."""
        self.conn.execute(self._script.encode())  # several statements: no parameters
        self._restores += 1
        if self._restores % self.VACUUM_EVERY == 0:
            self.conn.execute("VACUUM")

    def close(self) -> None:
        self.conn.close()
