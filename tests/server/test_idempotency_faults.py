"""Idempotency under faults: a send or resend is delivered exactly once, counted in the
``deliveries`` table, whatever happens to its answers and however often it arrives.

Covered elsewhere, not repeated: a resend whose answer is lost, retried in-process
(tests/api/test_reference_server.py) and over real HTTP (tests/api/test_real_http.py); a
create, an upload and a new user whose answers are lost (test_reference_server.py); six
concurrent resends with one key in-process, a key still in progress (409), a 500 releasing
the key (tests/server/test_idempotency.py); concurrent resends with different keys
(tests/server/test_concurrency.py).

Here: a *send* whose answer is lost, and a resend across clients (issue 9); a retry after
a timeout while the server is still delivering (it waits for the first answer and replays
it); the same key sent at once by
several tasks in-process, by several threads over real HTTP against ``lucy-server serve``,
and by threads spread over two ``lucy-server serve`` processes sharing one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from lucy_server import db, sending
from lucy_server.seed import ADMIN_EMAIL, DEMO_PASSWORD
from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import ActionOutcome, DocumentActionResponse
from tests.api.conftest import LosingTransport
from tests.conftest import BACKENDS, SeededFirm

from .conftest import API, BASE_URL, bearer

START_WITHIN = 30.0  # seconds for uvicorn to answer /openapi.json


# --- counting, beside the server ----------------------------------------------------------


def _rows(database: Path | str, query: Any) -> list[Any]:
    """The rows ``query`` reads from ``database`` (a SQLite path or a URL), beside the server."""
    engine = db.make_engine(database)
    try:
        with db.read_tx(engine) as conn:
            return list(conn.execute(query).all())
    finally:
        engine.dispose()


def document_ids(database: Path | str, client_id: int, status: str) -> list[int]:
    d = db.documents
    query = select(d.c.id).where(d.c.client_id == client_id, d.c.status == status)
    return [int(row.id) for row in _rows(database, query.order_by(d.c.id))]


def deliveries_of(database: Path | str, ids: list[int]) -> dict[int, int]:
    """Delivery attempts recorded per document (read beside the running server)."""
    dl = db.deliveries
    query = select(dl.c.document_id, func.count()).where(dl.c.document_id.in_(ids))
    counts = {document_id: 0 for document_id in ids}
    counts.update(
        {int(row[0]): int(row[1]) for row in _rows(database, query.group_by(dl.c.document_id))}
    )
    return counts


def database_of(app: FastAPI) -> str:
    """The app's database as a URL (SQLite or PostgreSQL)."""
    return app.state.lucy.engine.url.render_as_string(hide_password=False)


def inbox_count(app: FastAPI, client_id: int) -> int:
    with db.read_tx(app.state.lucy.engine) as conn:
        count = conn.scalar(select(db.clients.c.inbox_count).where(db.clients.c.id == client_id))
    assert count is not None
    return int(count)


def records_of_key(app: FastAPI, key: str) -> int:
    with db.read_tx(app.state.lucy.engine) as conn:
        query = select(func.count()).where(db.idempotency_records.c.key == key)
        return int(conn.scalar(query.select_from(db.idempotency_records)) or 0)


def assert_one_performance(responses: list[httpx.Response]) -> bytes:
    """Every answer is the one performance's answer (or a 409 "still in progress"); exactly
    one was not a replay. Returns the answer's body."""
    answers = [r for r in responses if r.status_code == 200]
    for response in responses:
        if response.status_code != 200:
            assert response.status_code == 409, response.text
            assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert answers, [r.text for r in responses]
    assert len({r.content for r in answers}) == 1
    performed = [r for r in answers if r.headers.get("idempotent-replayed") != "true"]
    assert len(performed) == 1, [dict(r.headers) for r in answers]
    return answers[0].content


# --- in-process -----------------------------------------------------------------------------


@pytest.fixture
def wire(server_app: FastAPI) -> LosingTransport:
    return LosingTransport(httpx.ASGITransport(app=server_app))


@pytest.fixture
async def typed(wire: LosingTransport, admin_token: str) -> AsyncIterator[LucyClient]:
    async with LucyClient(
        BASE_URL, token=admin_token, transport=wire, retries=2, backoff=0
    ) as client:
        yield client


async def test_a_send_whose_answer_was_lost_is_delivered_once(
    typed: LucyClient, wire: LosingTransport, server_app: FastAPI, cases: dict[str, int]
) -> None:
    client_id = cases["many_failed"]
    ids = document_ids(database_of(server_app), client_id, "inbox")
    assert len(ids) == 5 and inbox_count(server_app, client_id) == 5
    start = len(wire.exchanges)
    wire.lose = 1
    result = await typed.send_documents(client_id, ids)

    (lost, lost_answer), (retry, replayed) = wire.since(start)
    assert lost.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    assert "idempotent-replayed" not in lost_answer.headers
    assert replayed.headers["idempotent-replayed"] == "true"
    assert result == DocumentActionResponse.model_validate_json(lost_answer.content)
    assert {r.outcome for r in result.results} == {ActionOutcome.SENT}
    assert deliveries_of(database_of(server_app), ids) == {i: 1 for i in ids}
    assert inbox_count(server_app, client_id) == 0
    assert records_of_key(server_app, lost.headers["Idempotency-Key"]) == 1


async def test_a_resend_across_clients_whose_answer_was_lost_is_delivered_once(
    typed: LucyClient, wire: LosingTransport, server_app: FastAPI, cases: dict[str, int]
) -> None:
    """Issue 9: the firm's queue resends documents of many clients in one request."""
    database = database_of(server_app)
    ids = [
        document_id
        for case in ("rich", "ftp_package", "no_package", "many_failed")
        for document_id in document_ids(database, cases[case], "failed")
    ]
    start = len(wire.exchanges)
    wire.lose = 1
    result = await typed.resend_firm_documents(ids)

    (lost, lost_answer), (retry, replayed) = wire.since(start)
    assert lost.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    assert "idempotent-replayed" not in lost_answer.headers
    assert replayed.headers["idempotent-replayed"] == "true"
    assert result == DocumentActionResponse.model_validate_json(lost_answer.content)
    assert len({r.client_id for r in result.results}) == 4
    assert ActionOutcome.SENT in {r.outcome for r in result.results}
    assert deliveries_of(database, ids) == {i: 1 for i in ids}
    assert records_of_key(server_app, lost.headers["Idempotency-Key"]) == 1


class TimesOutFirst(httpx.AsyncBaseTransport):
    """The first POST times out on the client's side while the server goes on with it
    (held at the delivery until the client's retry arrives)."""

    def __init__(self, app: FastAPI, delivering: threading.Event, go_on: threading.Event):
        self.inner = httpx.ASGITransport(app=app)
        self.delivering, self.go_on = delivering, go_on
        self.first: asyncio.Task[httpx.Response] | None = None
        self.answers: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and self.first is None:
            self.first = asyncio.ensure_future(self.inner.handle_async_request(request))
            await anyio.to_thread.run_sync(self.delivering.wait)
            raise httpx.ReadTimeout("no answer in time", request=request)
        if self.first is not None:
            self.go_on.set()  # the first goes on while the retry reaches the server
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.answers.append(response)
        return response


async def test_a_retry_after_a_timeout_waits_for_the_first_and_replays_it(
    server_app: FastAPI,
    admin_token: str,
    cases: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delivering, go_on = threading.Event(), threading.Event()
    deliver = sending.deliver

    def held(*args: Any, **kwargs: Any) -> Any:
        delivering.set()
        assert go_on.wait(timeout=30), "the retry never came"
        return deliver(*args, **kwargs)

    monkeypatch.setattr(sending, "deliver", held)
    client_id = cases["ftp_package"]
    ids = document_ids(database_of(server_app), client_id, "inbox")
    assert ids
    transport = TimesOutFirst(server_app, delivering, go_on)
    async with LucyClient(
        BASE_URL, token=admin_token, transport=transport, retries=1, backoff=0
    ) as client:
        result = await client.send_documents(client_id, ids)
    assert transport.first is not None
    first = await transport.first
    await first.aread()
    (retried,) = transport.answers
    assert first.status_code == retried.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.content == first.content
    assert {r.outcome for r in result.results} == {ActionOutcome.SENT}
    assert deliveries_of(database_of(server_app), ids) == {i: 1 for i in ids}


async def test_the_same_send_key_from_many_tasks_at_once_delivers_once(
    server_app: FastAPI, admin_token: str, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    ids = document_ids(database_of(server_app), client_id, "inbox")
    headers = {**bearer(admin_token), "Idempotency-Key": "send-rich-at-once"}
    url = f"{API}/clients/{client_id}/documents/send"
    transport = httpx.ASGITransport(app=server_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        responses = await asyncio.gather(
            *(client.post(url, json={"document_ids": ids}, headers=headers) for _ in range(8))
        )
    body = assert_one_performance(list(responses))
    outcomes = {r["outcome"] for r in json.loads(body)["results"]}
    assert outcomes == {"sent", "failed"}  # one of rich's Inbox documents has no type
    assert deliveries_of(database_of(server_app), ids) == {i: 1 for i in ids}
    assert inbox_count(server_app, client_id) == 0
    assert records_of_key(server_app, "send-rich-at-once") == 1


# --- over real HTTP: lucy-server serve in subprocesses ---------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def lucy_server(database: Path | str, log: Path, *args: str) -> Iterator[str]:
    """``lucy-server serve`` over ``database`` (no --host: the default), its output in
    ``log``; yields its base URL once it answers, stops it afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "lucy_server.cli", "serve", "--db", str(database)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port), *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_WITHIN
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"lucy-server serve did not answer: {log.read_text()}")
            try:  # wait a little for it to come up, and notice at once if it died
                process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"lucy-server serve exited with {process.returncode}: {log.read_text()}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Served:
    """Two ``lucy-server serve`` processes over one copy of the small firm."""

    def __init__(self, database: Path | str, bases: list[str], token: str, cases: dict[str, int]):
        self.database, self.bases, self.token, self.cases = database, bases, token, cases


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    seeded_template: SeededFirm,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Served]:
    """On SQLite (a file) and on PostgreSQL (a database of its own, which the per-test
    restore of ``seeded_db`` does not touch)."""
    directory = tmp_path_factory.mktemp("served")
    database: Path | str
    if request.param == "postgresql":
        database = request.getfixturevalue("new_pg_firm")()
    else:
        database = directory / "lucy.db"
        shutil.copy(seeded_template.path, database)
    with (
        lucy_server(database, directory / "a.log", "--log-level", "warning") as first,
        lucy_server(database, directory / "b.log", "--log-level", "warning") as second,
    ):
        login = httpx.post(
            f"{first}{API}/auth/login",
            json={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        yield Served(database, [first, second], login.json()["access_token"], seeded_template.cases)


def fire_together(
    bases: list[str], path: str, body: Any, headers: dict[str, str], count: int
) -> list[httpx.Response]:
    """``count`` threads POST the same request at once, spread over the servers."""
    start = threading.Barrier(count)

    def one(number: int) -> httpx.Response:
        with httpx.Client(base_url=bases[number % len(bases)], timeout=60) as client:
            client.get("/openapi.json")  # connected before the race starts
            start.wait(timeout=60)
            response = client.post(path, json=body, headers=headers)
            response.read()
            return response

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.parametrize(
    ("action", "case", "status", "servers"),
    [
        ("send", "no_team", "inbox", 1),
        ("send", "both_teams", "inbox", 2),
        ("resend", "many_failed", "failed", 1),
        ("resend", "rich", "failed", 2),
    ],
    ids=["send-one-server", "send-two-servers", "resend-one-server", "resend-two-servers"],
)
def test_the_same_key_from_many_threads_over_http_delivers_once(
    served: Served, action: str, case: str, status: str, servers: int
) -> None:
    client_id = served.cases[case]
    ids = document_ids(served.database, client_id, status)
    assert ids and set(deliveries_of(served.database, ids).values()) <= {0, 1}
    before = deliveries_of(served.database, ids)
    key = f"{action}-{case}-at-once"
    headers = {**bearer(served.token), "Idempotency-Key": key}
    path = f"{API}/clients/{client_id}/documents/{action}"
    responses = fire_together(served.bases[:servers], path, {"document_ids": ids}, headers, 8)
    body = assert_one_performance(responses)
    assert [r["document_id"] for r in json.loads(body)["results"]] == ids
    assert deliveries_of(served.database, ids) == {i: before[i] + 1 for i in ids}

    # Later, the same key again (a client retrying late): the same answer, nothing done.
    for base in served.bases[:servers]:
        late = httpx.post(f"{base}{path}", json={"document_ids": ids}, headers=headers, timeout=30)
        assert late.headers["idempotent-replayed"] == "true"
        assert late.content == body
    assert deliveries_of(served.database, ids) == {i: before[i] + 1 for i in ids}


async def test_a_send_whose_answer_was_lost_over_http_is_delivered_once(
    served: Served,
) -> None:
    client_id = served.cases["single_user"]
    ids = document_ids(served.database, client_id, "inbox")
    assert ids
    wire = LosingTransport(httpx.AsyncHTTPTransport())
    async with LucyClient(
        served.bases[0], token=served.token, transport=wire, retries=2, backoff=0
    ) as client:
        wire.lose = 1
        result = await client.send_documents(client_id, ids)
    (lost, lost_answer), (retry, replayed) = wire.exchanges
    assert lost.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == lost_answer.content
    assert {r.outcome for r in result.results} == {ActionOutcome.SENT}
    assert deliveries_of(served.database, ids) == {i: 1 for i in ids}


# --- a server that crashed mid-action (issue 15) ------------------------------------------------

CRASHING_SERVER = """
import asyncio, os, sys
import httpx
from lucy_server.app import create_app
from lucy_server import sending

def crash(*args, **kwargs):
    os._exit(3)  # the process dies in the middle of the delivery, nothing cleaned up

sending.deliver = crash
app = create_app(sys.argv[1])

async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lucy.test") as http:
        await http.post(sys.argv[2], json={"document_ids": [int(i) for i in sys.argv[3:]]},
                        headers={"Authorization": "Bearer " + os.environ["LUCY_TOKEN"],
                                 "Idempotency-Key": "crash-key"})

asyncio.run(main())
"""


@pytest.mark.sqlite_only("a crashed process's instance: not the database's doing")
async def test_a_key_left_by_a_crashed_server_is_taken_over_at_once_after_a_restart(
    seeded_template: SeededFirm, tmp_path: Path
) -> None:
    """Before: the restarted server answered 409 idempotency_in_progress for 5 minutes.
    Now the claim of an instance whose process is gone is freed when the next server starts
    (and the typed client would have waited it out instead of raising)."""
    database = tmp_path / "lucy.db"
    shutil.copy(seeded_template.path, database)
    client_id = seeded_template.cases["rich"]
    inbox = document_ids(database, client_id, "inbox")[:3]
    assert inbox
    path = f"{API}/clients/{client_id}/documents/send"
    from lucy_server.app import create_app
    from tests.server.conftest import issue_token

    setup = create_app(database)
    token = issue_token(setup, ADMIN_EMAIL)
    setup.state.lucy.engine.dispose()
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_SERVER, str(database), path, *map(str, inbox)],
        env={**os.environ, "LUCY_TOKEN": token},
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == 3, crashed.stderr.decode()
    r = db.idempotency_records
    (left,) = _rows(
        database,
        select(func.count()).where(r.c.key == "crash-key", r.c.status_code.is_(None)),
    )
    assert left[0] == 1  # the claim the crash left behind
    assert deliveries_of(database, inbox) == dict.fromkeys(inbox, 0)  # rolled back

    with lucy_server(database, tmp_path / "serve.log") as base:  # the restarted server
        started = time.monotonic()
        async with LucyClient(base, token=token, retries=0) as typed:
            answer = await typed.send_documents(client_id, inbox, idempotency_key="crash-key")
        assert time.monotonic() - started < 4  # no 5-minute refusal, no waiting out
    assert [r.outcome for r in answer.results] == [ActionOutcome.SENT] * len(inbox)
    assert deliveries_of(database, inbox) == dict.fromkeys(inbox, 1)


async def test_a_claim_of_a_live_server_is_never_taken_over(server_app: FastAPI) -> None:
    """Another instance whose process still runs (a sibling worker): its claim stands."""
    from lucy_server import idempotency, instances

    state = server_app.state.lucy
    me = state.instance
    sibling = instances.Instance("s" * 32, me.host, os.getppid(), None)  # a live process
    with db.write_tx(state.engine) as conn:
        conn.execute(
            db.server_instances.insert().values(
                id=sibling.id, host=sibling.host, pid=sibling.pid, started_at=state.now()
            )
        )
        conn.execute(
            db.idempotency_records.insert().values(
                staff_id=1,
                key="sibling-key",
                method="POST",
                path="/x",
                fingerprint="f" * 64,
                instance_id=sibling.id,
                created_at=state.now(),
            )
        )
    store = idempotency.IdempotencyStore(state)
    claim = store.claim(1, "sibling-key", idempotency.Request("POST", "/x", "f" * 64))
    assert claim.kind == "in_progress"
    assert not instances.is_gone(sibling, me)
    dead = instances.Instance("d" * 32, me.host, 2**22 + 12345, "1")  # no such pid
    assert instances.is_gone(dead, me)
    other_host = instances.Instance("h" * 32, "elsewhere|boot|ns", 1, "1")
    assert not instances.is_gone(other_host, me)  # cannot be told: the age rule applies
