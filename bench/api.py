"""The typed client against the reference server: the whole client list, and bulk resend.

Run with ``make bench`` (or ``python -m bench.api``); figures go to bench/README.md.
- fetch the whole list of a 10,000-client firm through LucyClient, in-process (ASGI) and
  over real HTTP (``lucy-server serve`` on 127.0.0.1); target <= 300 ms on ASGI;
- resend 1,000 Failed documents in one request against 1,000 one-document requests, over
  real HTTP, in the same run, as a ratio; target >= 10x.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.firms import firm, served
from lucy_tui.api.client import LucyClient

ADMIN = ("admin@demo-firm.be", "lucy-demo")
BULK = 1_000


async def whole_list(client: LucyClient) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    async for page in client.iter_client_pages(page_size=500):
        count += len(page.items)
    return time.perf_counter() - started, count


async def list_timings(url: str, database: Path, runs: int) -> dict[str, float]:
    from lucy_server.app import create_app

    results: dict[str, list[float]] = {"asgi": [], "http": []}
    asgi = LucyClient("http://bench", transport=httpx.ASGITransport(app=create_app(database)))
    http = LucyClient(url)
    for client in (asgi, http):
        await client.login(*ADMIN)
        await whole_list(client)  # warm-up
    for _ in range(runs):
        for name, client in (("asgi", asgi), ("http", http)):
            seconds, count = await whole_list(client)
            assert count == 10_000, count
            results[name].append(seconds)
    await asgi.aclose()
    await http.aclose()
    return {name: statistics.median(values) for name, values in results.items()}


async def bulk_against_single(
    url: str, client_id: int, bulk: list[int], single: list[int]
) -> dict[str, float]:
    async with LucyClient(url) as client:
        await client.login(*ADMIN)
        started = time.perf_counter()
        response = await client.resend_documents(client_id, bulk)
        bulk_seconds = time.perf_counter() - started
        assert len(response.results) == len(bulk)
        assert all(r.outcome.value == "sent" for r in response.results), response.results[:3]
        started = time.perf_counter()
        for document_id in single:
            result = await client.resend_documents(client_id, [document_id])
            assert result.results[0].outcome.value == "sent"
        single_seconds = time.perf_counter() - started
    return {"bulk": bulk_seconds, "single": single_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from lucy_server.db import make_engine
    from lucy_server.seed import add_documents

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "firm.db"
        shutil.copy(firm(10_000), database)
        engine = make_engine(database)
        client_id = 1  # Aalter Interieur BV: Yuki linked, so resends succeed
        bulk = add_documents(engine, client_id, BULK, seed=1)
        single = add_documents(engine, client_id, BULK, seed=2)
        engine.dispose()
        with served(database) as url:
            lists = asyncio.run(list_timings(url, database, args.runs))
            resend = asyncio.run(bulk_against_single(url, client_id, bulk, single))
    print(
        f"whole list, 10,000 clients in pages of 500: ASGI {lists['asgi'] * 1000:.0f} ms "
        f"(target <= 300 ms), real HTTP {lists['http'] * 1000:.0f} ms (median of {args.runs})"
    )
    print(
        f"resend {BULK:,} Failed documents over real HTTP: "
        f"one request {resend['bulk'] * 1000:.0f} ms, "
        f"{BULK:,} requests {resend['single'] * 1000:.0f} ms: bulk is "
        f"{resend['single'] / resend['bulk']:.0f}x faster (target >= 10x)"
    )


if __name__ == "__main__":
    main()
