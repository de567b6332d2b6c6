"""The whole 50,000-client list over real HTTP: the paged walk against the compact
transfer (``GET /client-rows``), interleaved in one run (issue 14).

``python -m bench.compact [--runs 5] [--before DIR] [--profile]``: through the typed client
(rows built as the app builds them: ``ClientRow.from_summary`` per pydantic
``ClientSummary`` for the pages, ``ClientRow.wire_reader`` per compact row), gzip and plain;
with ``--before`` (a ``git archive`` of main before the compact transfer, unpacked), the
app itself (``bench.probe lucy --all``) old and new, alternately. Medians and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from bench.app import app_env, probe
from bench.firms import SERVER_PIDS, firm, login, served
from lucy_tui.api.client import LucyClient
from lucy_tui.clients.rows import ClientRow

SIZE = 50_000
TICKS = os.sysconf("SC_CLK_TCK")
SERVER = {"pid": 0}


def server_cpu() -> float:
    """The server process's CPU time so far (user + system), in seconds."""
    with open(f"/proc/{SERVER['pid']}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def paged(client: LucyClient) -> dict[str, float]:
    started, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
    rows: list[ClientRow] = []
    first = 0.0
    async for page in client.iter_client_pages():
        rows += [ClientRow.from_summary(c) for c in page.items]
        first = first or time.perf_counter() - started
    assert len(rows) == SIZE, len(rows)
    return {
        "wall": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "server_cpu": server_cpu() - server,
        "first": first,
    }


async def compact(client: LucyClient) -> dict[str, float]:
    started, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
    rows: list[ClientRow] = []
    first = 0.0
    async for batch in client.iter_client_rows(ClientRow.wire_reader):
        rows += batch.rows
        first = first or (time.perf_counter() - started if rows else 0.0)
    assert len(rows) == SIZE, len(rows)
    return {
        "wall": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "server_cpu": server_cpu() - server,
        "first": first,
    }


async def client_level(url: str, runs: int, profile: bool) -> dict[str, dict[str, float]]:
    token = login(url)
    gz = LucyClient(url, token=token)
    plain = LucyClient(url, token=token)
    plain._http.headers["Accept-Encoding"] = "identity"
    ways = {
        "paged (100 x 500 objects)": (gz, paged),
        "compact, gzip": (gz, compact),
        "compact, plain": (plain, compact),
    }
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in ways}
    for client, way in ways.values():
        await way(client)  # warm-up
    for _ in range(runs):
        for name, (client, way) in ways.items():
            samples[name].append(await way(client))
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        await compact(gz)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
        print(out.getvalue())
    # the server's share: the plain body read whole, nothing parsed
    body_times = []
    for _ in range(3):
        started = time.perf_counter()
        body = (await plain._http.get("/api/v1/client-rows")).content
        body_times.append(time.perf_counter() - started)
    print(f"plain body {len(body) / 1e6:.1f} MB read whole: {statistics.median(body_times):.3f} s")
    for level in (1, 6):
        started = time.perf_counter()
        packed = zlib.compress(body, level)
        print(
            f"zlib level {level}: {len(packed) / 1e6:.2f} MB, "
            f"{(time.perf_counter() - started) * 1000:.0f} ms CPU to compress"
        )
    for client in (gz, plain):
        await client.aclose()
    return {
        name: {key: statistics.median(s[key] for s in values) for key in values[0]}
        for name, values in samples.items()
    }


def app_level(url: str, runs: int, before: Path) -> dict[str, dict[str, float]]:
    token = login(url)
    samples: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**app_env(firm(SIZE), Path(tmp) / "h50"), "LUCY_TOKEN": token}
        args = ["lucy", "--all", "--server", url]
        for tree in (before, None):
            probe(args, env, tree)  # warm-up
        for _ in range(runs):
            for name, tree in (("before", before), ("after", None)):
                samples[name].append(probe(args, env, tree))
    return {
        name: {k: statistics.median(s[k] for s in values) for k in values[0]}
        for name, values in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with served(firm(SIZE)) as url:
        SERVER["pid"] = SERVER_PIDS[url]
        results: dict[str, Any] = asyncio.run(client_level(url, args.runs, args.profile))
        base = results["paged (100 x 500 objects)"]["wall"]
        for name, figures in results.items():
            print(
                f"{name}: {figures['wall']:.3f} s wall ({figures['wall'] / base:.2f}x), "
                f"{figures['cpu']:.3f} s client CPU, {figures['server_cpu']:.2f} s server CPU, "
                f"first rows {figures['first'] * 1000:.0f} ms"
            )
        if args.before is not None:
            apps = app_level(url, args.runs, args.before)
            for name, figures in apps.items():
                print(
                    f"app {name}: all loaded {figures['all_loaded_wall']:.2f} s wall "
                    f"({figures['all_loaded_cpu']:.2f} s CPU), first live rows "
                    f"{figures.get('first_live_wall', 0):.2f} s (the rest after them "
                    f"{figures['all_loaded_wall'] - figures.get('first_live_wall', 0):.2f} s), "
                    f"rows {figures['rows']:.0f}, "
                    f"max RSS {figures['max_rss_mb']:.0f} MB"
                )


if __name__ == "__main__":
    main()
