"""Schema migrations (issue 13): every schema change is a migration, and none loses a row.

- After the migrations, the database is what ``lucy_server.db.metadata`` says, to the
  column, index and constraint (Alembic's autogenerate comparison): a table or column added
  to the metadata without a migration fails here. To add one, see
  lucy_server/migrations/README.md (``python -m lucy_server.migrations revision -m ...``).
- A firm filled at the first migration (the small demo firm's rows, and made-up rows in the
  tables the seed leaves empty) is upgraded to the head with every row kept.
- A database made before the migrations (tables, no ``alembic_version``, a later column and
  table missing) is adopted by migration 0001.
- A server refuses a database that is not at the head, saying to run ``lucy-server migrate``;
  the check at every start reads one row and imports no Alembic.
- Two migrations at once: one migrates, the other waits and finds nothing to do.

Each test over ``empty_database_url`` (tests/conftest.py) runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from lucy_server import db, migrations
from lucy_server.app import create_app
from lucy_server.cli import main
from lucy_server.migrations import HEAD, SchemaNotCurrent, check_current, migrate, schema_status
from tests.conftest import SeededFirm

from .premigration import FIRST, fill, make_it_premigration, premigration_firm, reflected


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(empty_database_url)
    yield engine
    engine.dispose()


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would write: the database against ``db.metadata``."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), db.metadata))


# table -> (its columns, its rows in key order)
Snapshot = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def snapshot(engine: Engine, like: Snapshot | None = None) -> Snapshot:
    """Every row of every table, or of the tables and columns that ``like`` has."""
    tables = reflected(engine).tables
    if like is None:
        wanted = {name: [c.name for c in table.columns] for name, table in tables.items()}
    else:
        wanted = {name: columns for name, (columns, _rows) in like.items()}
    found: Snapshot = {}
    with db.read_tx(engine) as conn:
        for name, columns in wanted.items():
            table = tables[name]
            query = select(*(table.c[c] for c in columns)).order_by(*table.primary_key.columns)
            found[name] = (columns, [tuple(row) for row in conn.execute(query)])
    return found


# --- the migrations themselves ---------------------------------------------------------------


def test_head_is_the_newest_migration_and_the_history_one_line() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert script.get_heads() == [HEAD], (
        "HEAD in lucy_server/migrations/__init__.py must name the newest migration, and the "
        "migrations must form one line (each revises the one before)"
    )
    oldest_first = list(reversed(list(script.walk_revisions())))
    assert [r.revision for r in oldest_first] == [
        f"{n:04d}" for n in range(1, len(oldest_first) + 1)
    ]
    assert [r.down_revision for r in oldest_first] == [None] + [
        r.revision for r in oldest_first[:-1]
    ]
    for revision in oldest_first:
        assert Path(revision.path).name.startswith(f"{revision.revision}_")
    assert migrations.known_revisions() == {r.revision for r in oldest_first}


def test_the_migrations_make_the_schema_the_metadata_describes(engine: Engine) -> None:
    assert schema_status(engine).empty
    done = migrate(engine)
    assert (done.before.empty, done.after, done.changed) == (True, HEAD, True)
    assert differences(engine) == [], (
        "lucy_server.db.metadata differs from what the migrations make: add a migration "
        '(python -m lucy_server.migrations revision -m "..." --autogenerate)'
    )
    again = migrate(engine)  # nothing to do the second time
    assert (again.before.revision, again.after, again.changed) == (HEAD, HEAD, False)
    check_current(engine)


def test_a_firm_filled_at_the_first_migration_keeps_every_row_up_to_the_head(
    engine: Engine, seeded_template: SeededFirm
) -> None:
    assert migrate(engine, FIRST).after == FIRST
    fill(engine, seeded_template.path)
    before = snapshot(engine)
    rows = {name: len(table_rows) for name, (_columns, table_rows) in before.items()}
    assert all(rows.values()), f"tables left empty: {rows}"
    assert rows["clients"] == 30 and rows["documents"] > 100 and rows["staff"] == 5
    assert rows["sessions"] and rows["deliveries"] and rows["idempotency_records"]

    done = migrate(engine)
    assert (done.before.revision, done.after) == (FIRST, HEAD)
    assert snapshot(engine, like=before) == before
    assert differences(engine) == []
    app = create_app(engine)  # and the server starts over it
    assert app.state.lucy.engine is engine


def test_a_server_refuses_a_database_behind_the_head_and_says_to_migrate(engine: Engine) -> None:
    migrate(engine, FIRST)
    with pytest.raises(SchemaNotCurrent, match=rf"at schema {FIRST}, this server needs {HEAD}"):
        create_app(engine)
    migrate(engine)
    create_app(engine)


def test_a_database_with_no_schema_or_a_newer_one_is_refused(engine: Engine) -> None:
    where = migrations.where(engine)
    with pytest.raises(SchemaNotCurrent, match="has no schema yet") as refused:
        create_app(engine)
    assert f"lucy-server migrate --db {where}" in str(refused.value)
    assert schema_status(engine).empty  # the check changed nothing
    migrate(engine)
    with db.write_tx(engine) as conn:
        conn.execute(text(f"UPDATE {migrations.VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(SchemaNotCurrent, match="9999, which this version of Lucy does not know"):
        create_app(engine)


# --- a database made before the migrations -------------------------------------------------


def test_a_database_made_before_the_migrations_is_adopted(
    engine: Engine, seeded_template: SeededFirm
) -> None:
    migrate(engine, FIRST)
    fill(engine, seeded_template.path)
    make_it_premigration(engine)
    before = snapshot(engine)
    status = schema_status(engine)
    assert (status.revision, status.empty, status.describe()) == (
        None,
        False,
        "made before migrations",
    )
    with pytest.raises(SchemaNotCurrent, match=r"made before migrations.*lucy-server migrate"):
        create_app(engine)

    done = migrate(engine)
    assert (done.before.revision, done.after) == (None, HEAD)
    assert differences(engine) == []
    del before["clients"]  # its rows change: failed_count (below)
    assert snapshot(engine, like=before) == before
    with db.read_tx(engine) as conn:  # the added column is filled in (migration 0001)
        failed = dict(
            conn.execute(
                select(db.documents.c.client_id, func.count())
                .where(db.documents.c.status == "failed")
                .group_by(db.documents.c.client_id)
            ).all()
        )
        counts = dict(conn.execute(select(db.clients.c.id, db.clients.c.failed_count)).all())
        assert len(counts) == 30
    assert failed and counts == {c: failed.get(c, 0) for c in counts}
    create_app(engine)


def test_a_database_that_no_version_made_is_not_adopted(engine: Engine) -> None:
    migrate(engine, FIRST)
    make_it_premigration(engine)
    with db.write_tx(engine) as conn:
        conn.execute(text("ALTER TABLE documents DROP COLUMN reject_reason"))
    with pytest.raises(RuntimeError, match=r"documents.reject_reason is missing"):
        migrate(engine)
    assert schema_status(engine).describe() == "made before migrations"  # all rolled back
    with db.read_tx(engine) as conn:
        assert "server_instances" not in inspect(conn).get_table_names()


@pytest.mark.sqlite_only("the embedded default is a SQLite file")
def test_the_embedded_default_migrates_a_firm_an_earlier_app_left(
    seeded_template: SeededFirm, tmp_path: Path
) -> None:
    from lucy_server.embedded import open_demo
    from lucy_server.seed import ADMIN_EMAIL

    database = tmp_path / "demo.db"
    premigration_firm(database, seeded_template.path)
    app, token, created = open_demo(database, ADMIN_EMAIL)
    assert token and not created
    assert schema_status(app.state.lucy.engine).current
    app.state.lucy.engine.dispose()


# --- the command line -----------------------------------------------------------------------


def test_migrate_command_says_from_and_to(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--db", empty_database_url]) == 0
    assert f"Migrated {empty_database_url} from empty to {HEAD}." in capsys.readouterr().out
    assert main(["migrate", "--db", empty_database_url]) == 0
    assert f"is at {HEAD}, the newest schema: nothing to do" in capsys.readouterr().out


@pytest.mark.sqlite_only("a file path as --db")
def test_serve_refuses_a_database_that_is_not_migrated(
    seeded_template: SeededFirm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    assert main(["serve", "--db", str(empty)]) == 1
    assert f"run `lucy-server migrate --db {empty}` first" in capsys.readouterr().err

    old = tmp_path / "old.db"
    premigration_firm(old, seeded_template.path)
    for argv in (["serve", "--db", str(old)], ["serve", "--db", str(old), "--demo"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "made before migrations" in err and f"lucy-server migrate --db {old}`" in err
    assert main(["migrate", "--db", str(old)]) == 0
    assert f"from made before migrations to {HEAD}" in capsys.readouterr().out

    behind = tmp_path / "behind.db"
    engine = db.make_engine(behind)
    migrate(engine, FIRST)
    engine.dispose()
    assert main(["serve", "--db", str(behind)]) == 1
    err = capsys.readouterr().err
    assert f"at schema {FIRST}, this server needs {HEAD}: back it up, then run" in err


def test_migrate_refuses_a_revision_of_a_newer_version(
    engine: Engine, empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate(engine)
    with db.write_tx(engine) as conn:
        conn.execute(text(f"UPDATE {migrations.VERSION_TABLE} SET version_num = '9999'"))
    assert main(["migrate", "--db", empty_database_url]) == 1
    assert "9999, which this version of Lucy does not know" in capsys.readouterr().err
    assert schema_status(engine).revision == "9999"  # left as it was


# --- two at once, and the cost of the check -------------------------------------------------


# `lucy-server migrate` in a process that says when its imports are done
MIGRATE_WHEN_READY = (
    "import pathlib, sys\n"
    "import alembic.command, lucy_server.cli\n"
    "pathlib.Path(sys.argv[1]).touch()\n"
    "sys.exit(lucy_server.cli.main(['migrate', '--db', sys.argv[2]]))\n"
)


def waiting_for_locks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar_one()
        )


def test_two_migrations_at_once_migrate_once(
    engine: Engine, empty_database_url: str, tmp_path: Path
) -> None:
    """Both start while a third party holds the write lock; when it lets go, one migrates
    and the other, which waited, finds the database at the head."""
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    with db.write_tx(engine):  # SQLite's write lock (BEGIN IMMEDIATE), PostgreSQL's
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE_WHEN_READY, str(flag), empty_database_url],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for flag in ready
        ]
        deadline = time.monotonic() + 60
        while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
            time.sleep(0.05)
        if engine.dialect.name == "postgresql":  # both seen waiting for the lock
            while waiting_for_locks(engine) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        else:  # past their imports, they are in BEGIN IMMEDIATE within a moment
            time.sleep(0.5)
        assert [run.poll() for run in runs] == [None, None]
    outs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outs
    said = sorted(out.split(" ", 1)[0] for out, _err in outs)
    assert said == ["Migrated", empty_database_url], outs
    assert differences(engine) == []


@pytest.mark.sqlite_only("Alembic's import does not depend on the database")
def test_the_check_at_each_start_reads_one_row_and_imports_no_alembic(engine: Engine) -> None:
    migrate(engine)
    url = engine.url.render_as_string(hide_password=False)
    probe = (
        "import sys, time\n"
        "from lucy_server.app import create_app\n"
        "from lucy_server.db import make_engine\n"
        "from lucy_server.migrations import check_current\n"
        f"engine = make_engine({url!r})\n"
        "check_current(engine)\n"
        "started = time.perf_counter()\n"
        "for _ in range(20):\n"
        "    check_current(engine)\n"
        "each = (time.perf_counter() - started) / 20\n"
        "create_app(engine)\n"
        "assert not [m for m in sys.modules if m.startswith('alembic')], 'alembic imported'\n"
        "print(f'{each * 1000:.2f}')\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert float(run.stdout) < 20  # ms; about 0.2 on SQLite


# --- adding a migration -----------------------------------------------------------------------

EXAMPLE_TABLE = """

example_notes = Table(
    "example_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("written_at", UTCDateTime, nullable=False),
    Column("text", Text, nullable=False, default=""),
    Index("ix_example_notes_client", "client_id", "id"),
)
"""

CHECK_THE_COPY = """
import sys
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from lucy_server import db, migrations
engine = db.make_engine(sys.argv[1])
print(migrations.migrate(engine).after)
with engine.connect() as conn:
    print(compare_metadata(MigrationContext.configure(conn), db.metadata))
"""


def test_the_revision_command_writes_the_next_migration_and_moves_head(tmp_path: Path) -> None:
    """README's way of adding a table, on a copy of the package: the table added to the
    metadata, `python -m lucy_server.migrations revision --autogenerate` writes the next
    migration (revising the head, timestamps as sa.DateTime) and moves HEAD; the copy's
    migrations then make the copy's metadata."""
    copy = tmp_path / "src"
    shutil.copytree(
        Path(db.__file__).parent, copy / "lucy_server", ignore=shutil.ignore_patterns("__pycache__")
    )
    with (copy / "lucy_server" / "db.py").open("a") as source:
        source.write(EXAMPLE_TABLE)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    command = [sys.executable, "-m", "lucy_server.migrations", "revision", "-m", "add the notes"]
    run = subprocess.run(
        [*command, "--autogenerate"], env=env, cwd=copy, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    new = f"{int(HEAD) + 1:04d}"
    written = (copy / "lucy_server/migrations/versions" / f"{new}_add_the_notes.py").read_text()
    assert f'revision = "{new}"' in written and f'down_revision = "{HEAD}"' in written
    assert 'op.create_table(\n        "example_notes"' in written
    assert "sa.DateTime()" in written and "UTCDateTime" not in written
    assert "ix_example_notes_client" in written
    assert f'HEAD = "{new}"' in (copy / "lucy_server/migrations/__init__.py").read_text()

    checked = subprocess.run(
        [sys.executable, "-c", CHECK_THE_COPY, str(tmp_path / "check.db")],
        env=env,
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.split() == [new, "[]"]
