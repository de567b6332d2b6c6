"""Keyset paging and changes since, on the 50,000-client firm (issue 13).

Run with ``python -m bench.keyset`` (``make bench`` runs it); figures go to bench/README.md.
The reference server in-process (ASGI, raw httpx: the server's work and the JSON, no
pydantic on the client's side), a copy of the cached 50,000-client firm:

- one page of 500 at row 0 and at row 49,500, by offset (``page=``) and by cursor
  (``after=``), as the admin and as an employee (visibility filter), medians of interleaved
  runs; the same page's SQL alone (the page's rows, then ``total``), to show where the
  time goes;
- the whole list walked by cursor against by page number (100 pages of 500);
- ``changed_since`` with nothing changed and with one client changed, against the whole
  list: what a ``ctrl+r`` costs.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.firms import firm

API = "/api/v1"
CLIENTS = 50_000
PAGE = 500
FAR = 49_500  # the first row of the last page


async def _login(http: httpx.AsyncClient, email: str) -> None:
    answer = await http.post(f"{API}/auth/login", json={"email": email, "password": "lucy-demo"})
    answer.raise_for_status()
    http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"


async def _get(http: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    answer = await http.get(f"{API}/clients", params={"page_size": PAGE, **params})
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def pages(http: httpx.AsyncClient, runs: int) -> dict[str, float]:
    """Medians (ms) of one page at row 0 and row 49,500 (or the employee's last page)."""
    first = await _get(http)
    total = first["total"]
    last_page = -(-total // PAGE)
    before_last = await _get(http, page=last_page - 1)
    cursor = before_last["next"]  # the cursor after row (last_page - 1) * 500 - 1
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "offset, row 0": lambda: _get(http, page=1),
        f"offset, row {(last_page - 1) * PAGE:,}": lambda: _get(http, page=last_page),
        "cursor, row 0": lambda: _get(http),
        f"cursor, row {(last_page - 1) * PAGE:,}": lambda: _get(http, after=cursor),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():  # interleaved
            times[name].append(await _timed(call))
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


POSITIONS = (0, 10_000, 25_000, FAR)


def sql_split(database: Path | str, runs: int) -> dict[str, float]:
    """The page's SQL alone (admin): 500 rows by offset and by cursor at several rows, and
    the count that gives ``total``; medians of ``runs`` interleaved runs."""
    from sqlalchemy import func, select

    from lucy_server import db
    from lucy_server.routes.clients import CLIENT_ORDER
    from lucy_server.views import client_summaries

    engine = db.make_engine(database)
    keys: dict[int, Any] = {}
    with db.read_tx(engine) as conn:
        for row in POSITIONS[1:]:
            keys[row] = conn.execute(
                select(db.clients.c.sort_name, db.clients.c.id)
                .order_by(db.clients.c.sort_name, db.clients.c.id)
                .offset(row - 1)
                .limit(1)
            ).one()
    calls: dict[str, Callable[[Any], Any]] = {}
    for row in POSITIONS:
        calls[f"offset, row {row:,}"] = lambda c, row=row: client_summaries(
            c, [], limit=PAGE + 1, offset=row
        )
        where = [CLIENT_ORDER.after([keys[row].sort_name, keys[row].id])] if row else []
        calls[f"cursor, row {row:,}"] = lambda c, where=where: client_summaries(
            c, where, limit=PAGE + 1
        )
    calls["total (count)"] = lambda c: c.scalar(select(func.count()).select_from(db.clients))
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            with db.read_tx(engine) as conn:
                started = time.perf_counter()
                call(conn)
                times[name].append(time.perf_counter() - started)
    engine.dispose()
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def postgresql_split(runs: int) -> dict[str, float]:
    """:func:`sql_split` on PostgreSQL: the firm seeded into a throwaway cluster."""
    from lucy_server import db
    from lucy_server.migrations import migrate
    from lucy_server.seed import seed_demo
    from tests import pg

    cluster = pg.start()
    try:
        url = cluster.url()
        engine = db.make_engine(url)
        migrate(engine)
        seed_demo(engine, clients=CLIENTS)
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        engine.dispose()
        return sql_split(url, runs)
    finally:
        cluster.stop()


async def walks(http: httpx.AsyncClient, runs: int) -> dict[str, float]:
    async def by_cursor() -> int:
        rows, after = 0, None
        while True:
            body = await (_get(http, after=after) if after else _get(http))
            rows += len(body["items"])
            after = body["next"]
            if after is None:
                return rows

    async def by_number() -> int:
        rows, number = 0, 1
        while True:
            body = await _get(http, page=number)
            rows += len(body["items"])
            if number * PAGE >= body["total"]:
                return rows
            number += 1

    times: dict[str, list[float]] = {"whole list by cursor": [], "whole list by page number": []}
    for _ in range(runs):
        times["whole list by cursor"].append(await _timed(by_cursor))
        times["whole list by page number"].append(await _timed(by_number))
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


async def refresh(http: httpx.AsyncClient, database: Path, runs: int) -> dict[str, Any]:
    """``changed_since`` with nothing changed, then with one client changed."""
    from sqlalchemy import update

    from lucy_server import db

    token = (await _get(http, page_size=1))["changes"]
    nothing: list[float] = []
    size = 0
    for _ in range(runs):
        started = time.perf_counter()
        answer = await http.get(f"{API}/clients", params={"changed_since": token, "page_size": 500})
        nothing.append(time.perf_counter() - started)
        size = len(answer.content)
        assert answer.json()["items"] == []
    engine = db.make_engine(database)
    with db.write_tx(engine) as conn:
        conn.execute(update(db.clients).where(db.clients.c.id == 7).values(inbox_count=3))
    engine.dispose()
    one: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        body = await _get(http, changed_since=token)
        one.append(time.perf_counter() - started)
        assert [c["id"] for c in body["items"]] == [7]
    return {
        "nothing changed": statistics.median(nothing) * 1000,
        "nothing changed, bytes": size,
        "one client changed": statistics.median(one) * 1000,
    }


async def run(database: Path, runs: int) -> None:
    from lucy_server.app import create_app

    app = create_app(database)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://bench") as admin,
        httpx.AsyncClient(transport=transport, base_url="http://bench") as employee,
    ):
        await _login(admin, "admin@demo-firm.be")
        await _login(employee, "employee@demo-firm.be")
        await _get(admin)  # warm-up
        print(f"one page of {PAGE} (ms, median of {runs}, ASGI):")
        for who, http in (("admin", admin), ("employee", employee)):
            for name, ms in (await pages(http, runs)).items():
                print(f"  {who:8} {name:24} {ms:7.1f}")
        print(f"the admin's page, SQL only (ms, median of {runs * 5}), SQLite:")
        for name, ms in sql_split(database, runs * 5).items():
            print(f"  {name:28} {ms:7.1f}")
        for name, ms in (await walks(admin, max(3, runs // 3))).items():
            print(f"{name:28} {ms:7.0f} ms")
        figures = await refresh(admin, database, runs)
        print(
            f"ctrl+r, nothing changed: {figures['nothing changed']:.1f} ms, "
            f"{figures['nothing changed, bytes']} bytes; one client changed: "
            f"{figures['one client changed']:.1f} ms"
        )
    app.state.lucy.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--postgresql", action="store_true", help="also the SQL split on PostgreSQL"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "firm.db"
        shutil.copy(firm(CLIENTS), database)
        asyncio.run(run(database, args.runs))
    if args.postgresql:
        print(f"the admin's page, SQL only (ms, median of {args.runs * 5}), PostgreSQL:")
        for name, ms in postgresql_split(args.runs * 5).items():
            print(f"  {name:28} {ms:7.1f}")


if __name__ == "__main__":
    main()
