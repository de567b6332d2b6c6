"""Seeded demo firms for the benchmarks, cached between runs, and a real HTTP server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

CACHE = Path(os.environ.get("LUCY_BENCH_CACHE", Path(__file__).parent / ".cache"))


def firm(clients: int) -> Path:
    """A SQLite file holding a demo firm of ``clients`` clients (seeded once, then reused,
    migrated to the newest schema)."""
    from lucy_server.db import make_engine
    from lucy_server.migrations import ensure_current
    from lucy_server.seed import seed_demo

    path = CACHE / f"firm-{clients}.db"
    if path.exists():  # seeded by an earlier version, maybe: brought to this one's schema
        engine = make_engine(path)
        ensure_current(engine)
        engine.dispose()
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".seeding")
        partial.unlink(missing_ok=True)
        engine = make_engine(partial)
        seed_demo(engine, clients=clients)
        engine.dispose()
        os.replace(partial, path)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER_PIDS: dict[str, int] = {}  # the process of each served URL (to read its CPU time)


@contextlib.contextmanager
def served(database: Path) -> Iterator[str]:
    """``lucy-server serve`` on 127.0.0.1 over ``database``; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lucy_server.cli",
            "serve",
            "--db",
            str(database),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    SERVER_PIDS[url] = process.pid
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/openapi.json", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("lucy-server serve did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def login(url: str, email: str = "admin@demo-firm.be") -> str:
    response = httpx.post(
        f"{url}/api/v1/auth/login", json={"email": email, "password": "lucy-demo"}, timeout=10
    )
    response.raise_for_status()
    return str(response.json()["access_token"])
