"""``lucy-server seed`` and ``lucy-server serve`` (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lucy_server.cli import main
from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import ActionOutcome, DocumentStatus


def test_seed_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "firm.db"
    assert main(["seed", "--db", str(path), "--clients", "12", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "Seeded 12 clients" in out and "admin@demo-firm.be" in out
    assert main(["seed", "--db", str(path), "--clients", "12"]) == 1
    assert "already holds a firm" in capsys.readouterr().err


def test_negative_client_count(tmp_path: Path) -> None:
    assert main(["seed", "--db", str(tmp_path / "x.db"), "--clients", "-1"]) == 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_answers_over_real_http(tmp_path: Path) -> None:
    port = free_port()
    database = tmp_path / "served.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lucy_server.cli",
            "serve",
            "--db",
            str(database),
            "--port",
            str(port),
            "--demo",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"lucy-server serve did not start: {output}")
            time.sleep(0.1)
        async with LucyClient(base, retries=0) as client:
            login = await client.login("admin@demo-firm.be", "lucy-demo")
            assert login.staff.is_admin
            clients = [c async for c in client.iter_clients(page_size=100)]
            assert len(clients) == 150
            rich = clients[0]
            failed = await client.documents_page(rich.id, status=DocumentStatus.FAILED)
            result = await client.resend_documents(rich.id, [d.id for d in failed.items])
            assert ActionOutcome.SENT in {r.outcome for r in result.results}
            await client.logout()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
