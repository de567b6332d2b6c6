"""ctrl+r on the client list asks only for what changed since the list was loaded
(``GET /clients?changed_since=``), against the real reference server: with nothing changed
no client row crosses the wire; a changed client's row is updated, a hidden one leaves the
list, and when the server cannot tell (the employee's teams changed) the whole list is
loaded again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from lucy_server import db
from lucy_server.app import create_app
from lucy_server.routes import clients as client_routes
from lucy_server.seed import DEMO_PASSWORD
from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import ClientUpdate
from lucy_tui.app import LucyApp
from lucy_tui.local.list_snapshot import ListSnapshot
from lucy_tui.screens.dashboard import DashboardScreen

from ..conftest import SEED_NOW, FakeClock
from .conftest import SIZE, TODAY, settle, wait_loaded

SERVER = "http://lucy.test"
ADMIN = "admin@demo-firm.be"
EMPLOYEE = "employee@demo-firm.be"
FIRM = 150  # clients of the demo firm


class RowCounter(httpx.AsyncBaseTransport):
    """The real transport, counting the client rows each answer of GET /clients and of
    GET /client-rows (the whole list, compact) carries; ``older``: answer /client-rows 404
    as a server from before it would."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.answers: list[tuple[dict[str, str], int]] = []  # (query, rows)
        self.paths: list[str] = []  # of every GET of the client list, compact or paged
        self.older = False
        self.count_compact = True  # False: leave the compact answer's stream to the app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path in ("/api/v1/clients", "/api/v1/client-rows"):
            self.paths.append(path)
        if self.older and path == "/api/v1/client-rows":
            error = {"error": {"code": "not_found", "message": "Not Found"}}
            return httpx.Response(404, json=error)
        response = await self.inner.handle_async_request(request)
        if request.method == "GET" and path == "/api/v1/clients":
            body = await response.aread()
            rows = len(json.loads(body).get("items", []))
            self.answers.append((dict(request.url.params), rows))
        elif request.method == "GET" and path == "/api/v1/client-rows" and self.count_compact:
            lines = (await response.aread()).decode().splitlines()  # aread: un-gzipped
            rows = sum(len(json.loads(batch)) for batch in lines[1:])  # after the header
            self.answers.append(({"compact": "yes"}, rows))
        return response

    def mark(self) -> int:
        return len(self.answers)

    def since(self, mark: int) -> list[tuple[dict[str, str], int]]:
        return self.answers[mark:]


@pytest.fixture
def server(data_dir: Path) -> FastAPI:
    return create_app(data_dir / "demo.db", clock=FakeClock(SEED_NOW))


@pytest.fixture
def counter(server: FastAPI) -> RowCounter:
    return RowCounter(httpx.ASGITransport(app=server))


@pytest.fixture
async def admin(server: FastAPI) -> AsyncIterator[LucyClient]:
    """Another staff member at work on the same server meanwhile."""
    async with LucyClient(SERVER, transport=httpx.ASGITransport(app=server)) as client:
        await client.login(ADMIN, DEMO_PASSWORD)
        yield client


@pytest.fixture
def remote(
    make_app, counter: RowCounter, server: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], object]:
    """``remote(email)``: the app in remote mode signed in as ``email``, through ``counter``."""

    async def start(email: str) -> LucyApp:
        async with LucyClient(SERVER, transport=httpx.ASGITransport(app=server)) as client:
            login = await client.login(email, DEMO_PASSWORD)
        monkeypatch.setenv("LUCY_TOKEN", login.access_token)
        app: LucyApp = make_app(server=SERVER, transport=counter)
        return app

    return start


async def test_a_refresh_with_nothing_changed_moves_no_client_row(
    remote, counter: RowCounter
) -> None:
    app = await remote(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        assert sum(rows for _q, rows in counter.answers) == FIRM  # the first load: all
        mark = counter.mark()
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        asked = counter.since(mark)
        assert asked and all("changed_since" in query for query, _rows in asked)
        assert sum(rows for _q, rows in asked) == 0
        assert len(dashboard.view.rows) == FIRM and len(dashboard.view) == FIRM
        assert [n.message for n in app._notifications] == []  # nothing to say


async def test_the_whole_list_loads_in_one_compact_answer(
    remote, counter: RowCounter, data_dir: Path
) -> None:
    app = await remote(EMPLOYEE)
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        assert counter.paths == ["/api/v1/client-rows"]  # one request, no page walk
        [(_query, rows)] = counter.answers
        assert rows == len(dashboard.view.rows) < FIRM  # the employee's clients
        assert dashboard.loading_done and app.clients.changes_token
        first = [r.id for r in dashboard.view.rows[:120]]  # as they arrived
    # the first rows' JSON is kept for the next session, as it is from the pages
    kept = ListSnapshot(data_dir, SERVER, EMPLOYEE).load()
    assert [r.id for r in kept] == first and len(kept) == min(120, rows)
    assert kept == [dashboard.view.get(r.id) for r in kept]


class HeldBack(httpx.AsyncBaseTransport):
    """The real transport, but the compact list's answer stops after its first batch of
    rows until ``release`` is set (a slow server, or a long list on a slow link)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path != "/api/v1/client-rows":
            return response
        header, first, *rest = (await response.aread()).split(b"\n")  # un-gzipped
        release = self.release

        async def body() -> AsyncIterator[bytes]:
            yield header + b"\n" + first + b"\n"
            await release.wait()
            yield b"\n".join(rest)

        return httpx.Response(200, headers={"Content-Type": "application/x-ndjson"}, content=body())


async def test_the_first_rows_show_before_the_rest_of_the_compact_list_arrives(
    remote, counter: RowCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_routes, "FIRST_ROWS", 20)
    monkeypatch.setattr(client_routes, "ROWS_BATCH", 50)
    held = counter.inner = HeldBack(counter.inner)
    counter.count_compact = False
    app = await remote(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        dashboard = app.get_screen("dashboard")
        assert isinstance(dashboard, DashboardScreen)
        for _ in range(100):
            await pilot.pause(0.02)
            if dashboard.view.rows:
                break
        assert len(dashboard.view.rows) == 20 and not dashboard.loading_done
        assert "loading 20/150" in str(dashboard.query_one("#status-line").render())
        held.release.set()
        await wait_loaded(pilot)
        assert len(dashboard.view.rows) == FIRM and app.clients.changes_token


async def test_an_older_server_without_the_compact_list_is_walked_by_pages(
    remote, counter: RowCounter
) -> None:
    counter.older = True
    app = await remote(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        assert counter.paths[0] == "/api/v1/client-rows"  # 404: then the pages
        assert set(counter.paths[1:]) == {"/api/v1/clients"}
        assert len(dashboard.view.rows) == FIRM == sum(rows for _q, rows in counter.answers)
        assert app.clients.changes_token
        mark = counter.mark()
        await pilot.press("ctrl+r")  # the pages' token serves a refresh
        await wait_loaded(pilot)
        assert sum(rows for _q, rows in counter.since(mark)) == 0


async def test_a_changed_client_is_updated_by_a_refresh(
    remote, counter: RowCounter, admin: LucyClient
) -> None:
    app = await remote(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        await pilot.press("slash", *"status:active", "enter", "j")  # a filter, a cursor
        aalter = await admin.client(1)
        await admin.update_client(1, ClientUpdate(name="Aalter Interieur NV"), aalter.version)
        mark = counter.mark()
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        assert sum(rows for _q, rows in counter.since(mark)) == 1
        assert "Refreshed: 1 changed, 0 gone." in [n.message for n in app._notifications]
        row = dashboard.view.get(1)
        assert row is not None and row.name == "Aalter Interieur NV"
        assert len(dashboard.view.rows) == FIRM
        assert "Aalter Interieur NV" in [r.name for r in dashboard.view.shown()]
        assert dashboard.query_one("#filter").value == "status:active"  # type: ignore[attr-defined]
        # and again: nothing more to move
        mark = counter.mark()
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        assert sum(rows for _q, rows in counter.since(mark)) == 0


async def test_a_client_hidden_meanwhile_leaves_the_employees_list(
    remote, counter: RowCounter, admin: LucyClient
) -> None:
    app = await remote(EMPLOYEE)
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        before = len(dashboard.view.rows)
        assert dashboard.view.get(1) is not None
        aalter = await admin.client(1)
        await admin.update_client(1, ClientUpdate(hidden=True), aalter.version)
        mark = counter.mark()
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        assert sum(rows for _q, rows in counter.since(mark)) == 0  # only its id
        assert dashboard.view.get(1) is None
        assert 1 not in [r.id for r in dashboard.view.shown()]
        assert len(dashboard.view.rows) == before - 1
        assert f"{before - 1:,} of {before - 1:,} clients" in str(
            dashboard.query_one("#status-line").render()
        )


async def test_when_the_server_cannot_tell_the_whole_list_is_loaded_again(
    remote, counter: RowCounter, server: FastAPI
) -> None:
    app = await remote(EMPLOYEE)
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        before = len(dashboard.view.rows)
        with db.write_tx(server.state.lucy.engine) as conn:  # the employee joins South too
            conn.execute(db.staff_teams.insert().values(staff_id=2, team_id=2))
        mark = counter.mark()
        await pilot.press("ctrl+r")
        await settle(pilot)
        await wait_loaded(pilot)
        asked = counter.since(mark)
        assert "changed_since" in asked[0][0] and asked[0][1] == 0  # reset
        assert all("changed_since" not in query for query, _rows in asked[1:])
        assert sum(rows for _q, rows in asked) == len(dashboard.view.rows) > before
        # the new load's token serves the next refresh
        mark = counter.mark()
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        assert sum(rows for _q, rows in counter.since(mark)) == 0


async def test_a_refresh_in_the_embedded_default_also_asks_only_for_changes(
    make_app, data_dir: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        assert app.clients.changes_token
        engine = db.make_engine(data_dir / "demo.db")
        with db.write_tx(engine) as conn:
            conn.execute(update(db.clients).where(db.clients.c.id == 2).values(inbox_count=42))
        engine.dispose()
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        row = dashboard.view.get(2)
        assert row is not None and row.inbox_count == 42


async def test_the_embedded_default_loads_by_pages_not_the_compact_answer(
    make_app, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process the compact answer would come whole, buffered twice by the ASGI transport
    (164 MB at 50,000 clients, over the 150 MB budget); the pages keep it at 143 MB."""
    from lucy_server.seed import seed_demo
    from lucy_tui.api.client import LucyClient

    (data_dir / "demo.db").unlink()  # a firm of more than one page
    engine = db.make_engine(data_dir / "demo.db")
    seed_demo(engine, clients=1200, today=TODAY)
    engine.dispose()

    def not_in_process(self: LucyClient, *args: object) -> object:
        raise AssertionError("the embedded default asked for /client-rows")

    monkeypatch.setattr(LucyClient, "iter_client_rows", not_in_process)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        assert len(dashboard.view.rows) == dashboard.total == 1200
        assert app.clients.changes_token  # the pages carry the token for ctrl+r too


class GrowingTotal(httpx.AsyncBaseTransport):
    """The real transport, each answer of GET /documents saying one document more in
    ``total`` than it walks to: as when a document behind the cursor turned Failed."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "GET" and request.url.path == "/api/v1/documents":
            body = json.loads(await response.aread())
            body["total"] += 1
            return httpx.Response(response.status_code, json=body, request=request)
        return response


async def test_the_failed_queue_is_loaded_at_the_walks_end_whatever_total_says(
    make_app, server: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lucy_tui.screens.failed_documents import FailedDocumentsScreen

    async with LucyClient(SERVER, transport=httpx.ASGITransport(app=server)) as client:
        login = await client.login(ADMIN, DEMO_PASSWORD)
    monkeypatch.setenv("LUCY_TOKEN", login.access_token)
    app = make_app(server=SERVER, transport=GrowingTotal(httpx.ASGITransport(app=server)))
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("F")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, FailedDocumentsScreen)
        assert queue.loading_done and queue.view.total > 0


@pytest.fixture(scope="module")
def big_firm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lucy_server.migrations import migrate
    from lucy_server.seed import seed_demo

    from ..conftest import SEED_TODAY

    path = tmp_path_factory.mktemp("big") / "firm.db"
    engine = db.make_engine(path)
    migrate(engine)
    seed_demo(engine, clients=50_000, today=SEED_TODAY)
    engine.dispose()
    return path


@pytest.mark.slow
async def test_ctrl_r_on_fifty_thousand_clients_with_nothing_changed_moves_no_row(
    make_app, big_firm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13's figure: the whole firm loaded once, then ctrl+r moves no client row (and
    one row when one client changed)."""
    server = create_app(big_firm, clock=FakeClock(SEED_NOW))
    counter = RowCounter(httpx.ASGITransport(app=server))
    async with LucyClient(SERVER, transport=httpx.ASGITransport(app=server)) as client:
        login = await client.login(ADMIN, DEMO_PASSWORD)
    monkeypatch.setenv("LUCY_TOKEN", login.access_token)
    app = make_app(server=SERVER, transport=counter)
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        assert len(dashboard.view.rows) == 50_000
        mark = counter.mark()
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        assert counter.since(mark) and sum(rows for _q, rows in counter.since(mark)) == 0
        with db.write_tx(server.state.lucy.engine) as conn:
            conn.execute(update(db.clients).where(db.clients.c.id == 7).values(inbox_count=5))
        mark = counter.mark()
        await pilot.press("ctrl+r")
        await wait_loaded(pilot)
        assert sum(rows for _q, rows in counter.since(mark)) == 1
        row = dashboard.view.get(7)
        assert row is not None and row.inbox_count == 5
    server.state.lucy.engine.dispose()
