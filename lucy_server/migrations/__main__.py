"""``python -m lucy_server.migrations``: the developer's commands (README.md beside this file).

- ``revision -m "add the audit log" [--autogenerate]``: a new migration after the newest one,
  ``versions/NNNN_add_the_audit_log.py``, and :data:`~lucy_server.migrations.HEAD` moved to
  it. With ``--autogenerate`` its body is what ``lucy_server.db.metadata`` has that a database
  migrated to the current head lacks (read it: autogenerate misses renames and data).
- ``heads`` / ``history``: what Alembic sees.

A firm's server is migrated with ``lucy-server migrate --db URL``, not with this.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lucy_server import migrations

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory


def _revision(message: str, autogenerate: bool) -> int:
    from alembic import command

    from lucy_server.db import make_engine

    heads = _script().get_heads()
    if heads != [migrations.HEAD]:
        print(f"HEAD is {migrations.HEAD} but the migrations' heads are {heads}: fix that first")
        return 1
    new = f"{int(migrations.HEAD) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(Path(scratch) / "head.db")
        migrations.migrate(engine)  # what the new migration starts from
        with engine.connect() as conn:
            script = command.revision(
                migrations.alembic_config(conn),
                message=message,
                autogenerate=autogenerate,
                rev_id=new,
            )
        engine.dispose()
    init = Path(migrations.__file__)
    text = init.read_text()
    init.write_text(re.sub(r'^HEAD = "\d+"$', f'HEAD = "{new}"', text, count=1, flags=re.M))
    path = getattr(script, "path", "?")
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff and path != "?":
        subprocess.run([ruff, "format", "--quiet", path], check=False)
    print(f"Wrote {path} and moved HEAD to {new} in {init}.")
    print("Read it and complete it, then run tests/server/test_migrations.py.")
    return 0


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrations.alembic_config())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lucy_server.migrations")
    commands = parser.add_subparsers(dest="command", required=True)
    revision = commands.add_parser("revision", help="write a new migration after the head")
    revision.add_argument("-m", "--message", required=True, help="what it does, in a few words")
    revision.add_argument(
        "--autogenerate",
        action="store_true",
        help="fill it in from what lucy_server.db.metadata has that the head lacks",
    )
    commands.add_parser("heads", help="the newest revision(s)")
    commands.add_parser("history", help="every revision, newest first")
    args = parser.parse_args(argv)
    if args.command == "revision":
        return _revision(args.message, args.autogenerate)
    script = _script()
    if args.command == "heads":
        print(" ".join(script.get_heads()))
        return 0
    for item in script.walk_revisions():
        print(f"{item.revision}  {item.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
