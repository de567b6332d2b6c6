"""The client over real HTTP: ``lucy-server serve`` on 127.0.0.1 in a subprocess.

tests/server/test_cli.py already checks that the server answers over HTTP. Here the client's
own promises are checked on a real socket: the bearer token, paging, the Idempotency-Key
replayed by the server (the same key twice, and a retry after a lost answer, each leave one
delivery per document), and a real refused connection typed as UnreachableError.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from lucy_server import db
from lucy_server.seed import ADMIN_EMAIL, DEMO_PASSWORD
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import UnauthorizedError, UnreachableError
from lucy_tui.api.models import ActionOutcome, DocumentStatus
from tests.conftest import SMALL_FIRM, SeededFirm

from .conftest import LosingTransport

START_WITHIN = 30.0  # seconds for uvicorn to answer /openapi.json


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def deliveries(database: Path | str, document_ids: list[int]) -> int:
    """Delivery attempts recorded for these documents (read beside the running server)."""
    engine = db.make_engine(database)  # a SQLite path or a PostgreSQL URL
    try:
        with db.read_tx(engine) as conn:
            query = select(func.count()).where(db.deliveries.c.document_id.in_(document_ids))
            return int(conn.scalar(query.select_from(db.deliveries)) or 0)
    finally:
        engine.dispose()


@pytest.fixture
def served(seeded_db: Path | str) -> Iterator[str]:
    """``lucy-server serve`` over a copy of the small seeded firm (a SQLite file, or a
    database of the tests' PostgreSQL cluster: ``--db postgresql+psycopg://...``); its base
    URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lucy_server.cli",
            "serve",
            "--db",
            str(seeded_db),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"

    def stop() -> str:
        process.terminate()
        try:
            out, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        return out.decode(errors="replace") if out else ""

    deadline = time.monotonic() + START_WITHIN
    while True:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"lucy-server serve did not answer within {START_WITHIN} s: {stop()}")
        try:  # wait a little for the server to come up, and notice at once if it died
            process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"lucy-server serve exited with {process.returncode}: {stop()}")
    try:
        yield base
    finally:
        stop()


@pytest.fixture
async def wire() -> AsyncIterator[LosingTransport]:
    transport = LosingTransport(httpx.AsyncHTTPTransport())
    yield transport
    await transport.aclose()


async def test_the_client_over_real_http(
    served: str, wire: LosingTransport, seeded_db: Path, seeded_template: SeededFirm
) -> None:
    cases = seeded_template.cases
    async with LucyClient(served, transport=wire, retries=2, backoff=0) as client:
        login = await client.login(ADMIN_EMAIL, DEMO_PASSWORD)
        assert client.token == login.access_token
        assert (await client.me()).email == ADMIN_EMAIL
        assert wire.exchanges[-1][0].headers["Authorization"] == f"Bearer {login.access_token}"

        # Every client, page by page over the socket: the first page, then by cursor.
        clients = [c async for c in client.iter_clients(page_size=7)]
        assert len(clients) == len({c.id for c in clients}) == SMALL_FIRM
        asked = [r.url.params for r, _ in wire.exchanges if r.url.path.endswith("/clients")]
        assert len(asked) == 5 and "after" not in asked[0]
        assert all(params["after"] for params in asked[1:])

        # Resend the Failed documents twice with one key: performed once, then replayed.
        rich = cases["rich"]
        failed = await client.documents_page(rich, status=DocumentStatus.FAILED)
        ids = [d.id for d in failed.items]
        assert ids
        before = deliveries(seeded_db, ids)
        first = await client.resend_documents(rich, ids, idempotency_key="e2e-resend-rich")
        assert ActionOutcome.SENT in {r.outcome for r in first.results}
        assert "idempotent-replayed" not in wire.exchanges[-1][1].headers
        assert deliveries(seeded_db, ids) == before + len(ids)
        second = await client.resend_documents(rich, ids, idempotency_key="e2e-resend-rich")
        assert second == first
        request, answer = wire.exchanges[-1]
        assert request.headers["Idempotency-Key"] == "e2e-resend-rich"
        assert answer.headers["idempotent-replayed"] == "true"
        assert deliveries(seeded_db, ids) == before + len(ids)

        # The answer to a resend is lost on the way back: the client's own retry carries
        # the same key, the server replays its answer, each document was delivered once.
        many = cases["many_failed"]
        page = await client.documents_page(many, page_size=500, status=DocumentStatus.FAILED)
        many_ids = [d.id for d in page.items]
        before = deliveries(seeded_db, many_ids)
        start = len(wire.exchanges)
        wire.lose = 1
        result = await client.resend_documents(many, many_ids)
        (lost, lost_answer), (retry, replayed) = wire.since(start)
        assert lost.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
        assert replayed.headers["idempotent-replayed"] == "true"
        assert replayed.content == lost_answer.content
        assert sorted(r.document_id for r in result.results) == sorted(many_ids)
        assert deliveries(seeded_db, many_ids) == before + len(many_ids)

        await client.logout()
        assert client.token is None
        with pytest.raises(UnauthorizedError):
            await client.me()


async def test_the_firms_failed_documents_over_real_http(
    served: str, wire: LosingTransport, seeded_db: Path
) -> None:
    """Issue 9 against ``lucy-server serve``: the queue page by page, and one resend across
    clients whose answer is lost: retried with its key, every document delivered once."""
    async with LucyClient(served, transport=wire, retries=2, backoff=0) as client:
        await client.login(ADMIN_EMAIL, DEMO_PASSWORD)
        queue = [
            d
            async for page in client.iter_firm_document_pages(25, status=DocumentStatus.FAILED)
            for d in page.items
        ]
        assert queue and all(d.status is DocumentStatus.FAILED for d in queue)
        assert len({d.client_id for d in queue}) > 3
        ids = [d.id for d in queue]
        before = deliveries(seeded_db, ids)
        start = len(wire.exchanges)
        wire.lose = 1
        result = await client.resend_firm_documents(ids)
        (lost, lost_answer), (retry, replayed) = wire.since(start)
        assert lost.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
        assert replayed.headers["idempotent-replayed"] == "true"
        assert replayed.content == lost_answer.content
        owner = {d.id: d.client_id for d in queue}
        assert all(r.client_id == owner[r.document_id] for r in result.results)
        assert deliveries(seeded_db, ids) == before + len(ids)
        counts = {c.client_id: c.failed_count for c in result.clients}
        summaries = {c.id: c.failed_count async for c in client.iter_clients()}
        assert all(summaries[c] == n for c, n in counts.items())


async def test_a_refused_connection_is_unreachable() -> None:
    base = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with LucyClient(base, retries=1, backoff=0) as client:
        with pytest.raises(UnreachableError) as caught:
            await client.me()
    assert caught.value.code == "unreachable"
    assert base in caught.value.message
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
