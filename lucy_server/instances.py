"""Server instances: which process claimed an idempotency key, and whether it is still running.

Each app made by :func:`lucy_server.app.create_app` registers an instance (a random id, the
host, the process id and the process's start time as the OS tells it) in the database it
serves. A key claimed by an instance that is known to be gone (a crash, a kill, a reboot) can
be taken over at once instead of after :data:`lucy_server.idempotency.ABANDONED_AFTER`:

- same host (hostname, boot id and pid namespace alike), and the process id no longer runs, or
  runs with another start time (the id was reused): gone;
- the host rebooted (same hostname, another boot id): gone;
- anything else (another machine, an OS where this cannot be told, an instance in this very
  process): not known to be gone, so the age rule applies.

Several workers (``uvicorn --workers``, several hosts over one database) are distinct
instances: a live sibling's claims are never taken over, only those of a process that ended.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from lucy_server import db

_i = db.server_instances
_r = db.idempotency_records


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


@cache
def host_key() -> str:
    """This machine (and, on Linux, this boot and pid namespace): where pids mean something."""
    parts = [socket.gethostname(), _read("/proc/sys/kernel/random/boot_id")]
    try:
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:
        parts.append("")
    return "|".join(parts)[:300]


def _hostname(key: str) -> str:
    return key.split("|", 1)[0]


def process_started(pid: int) -> str | None:
    """When process ``pid`` started, in the OS's own terms (Linux: clock ticks since boot)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    # the command name (field 2) may hold spaces and parentheses: count from its end
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None  # field 22: starttime


def pid_running(pid: int) -> bool | None:
    """Whether a process ``pid`` runs on this host; None where that cannot be asked."""
    if os.name != "posix":
        return None  # os.kill(pid, 0) is no probe on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    except OSError:
        return None
    return True


@dataclass(frozen=True)
class Instance:
    id: str
    host: str
    pid: int
    process_started: str | None


def this_process(instance_id: str | None = None) -> Instance:
    pid = os.getpid()
    return Instance(
        id=instance_id or uuid.uuid4().hex,
        host=host_key(),
        pid=pid,
        process_started=process_started(pid),
    )


def is_gone(row: Instance, me: Instance) -> bool:
    """Whether the instance ``row`` is known to have stopped (see the module's rules)."""
    if row.id == me.id:
        return False
    if row.host != me.host:
        same_machine = _hostname(row.host) == _hostname(me.host)
        boot = row.host.split("|")[1:2]
        my_boot = me.host.split("|")[1:2]
        # the same machine since rebooted: every process of the earlier boot is gone
        return same_machine and bool(boot and boot[0]) and boot != my_boot
    if row.pid == me.pid:
        return row.process_started != me.process_started  # this pid, another process
    running = pid_running(row.pid)
    if running is None:
        return False
    if not running:
        return True
    started = process_started(row.pid)
    return (
        row.process_started is not None and started is not None and started != row.process_started
    )


def register(engine: Engine, now: datetime) -> Instance:
    """Record this server instance, and let go of what gone instances left unfinished."""
    me = this_process()
    with db.write_tx(engine) as conn:
        conn.execute(
            _i.insert().values(
                id=me.id,
                host=me.host,
                pid=me.pid,
                process_started=me.process_started,
                started_at=now,
            )
        )
        for row in conn.execute(select(_i).where(_i.c.id != me.id)).all():
            other = Instance(row.id, row.host, row.pid, row.process_started)
            if is_gone(other, me):
                forget(conn, other.id)
    return me


def forget(conn: Connection, instance_id: str) -> None:
    """Drop a gone instance and its unfinished claims (finished answers are kept)."""
    conn.execute(delete(_r).where(_r.c.instance_id == instance_id, _r.c.status_code.is_(None)))
    conn.execute(delete(_i).where(_i.c.id == instance_id))


def lookup(conn: Connection, instance_id: str) -> Instance | None:
    row = conn.execute(select(_i).where(_i.c.id == instance_id)).first()
    if row is None:
        return None
    return Instance(row.id, row.host, row.pid, row.process_started)
