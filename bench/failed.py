"""The firm's Failed documents at firm scale (issue 9), on a firm of 50,000 clients.

Run with ``python -m bench.failed``; figures go to bench/README.md. Every figure has its
baseline measured in the same run:
- ``F`` to the first rows of the queue, and to the whole queue loaded, against opening a
  client (``enter`` to its detail) in the same session;
- one keystroke of the queue's filter at 20,000+ rows (CPU, Pilot), against a keystroke of
  the client list's filter at 50,000 clients in the same session; and the same work without
  the harness (filter, re-index, draw every visible line);
- one resend of 5,000 Failed documents across >= 2,000 clients over real HTTP
  (``lucy-server serve``): one request, against one request per client on a copy of the
  same database;
- the results of 5,000 documents: opening the results view and a page down in it, against
  the same results as one text widget (as the view was drawn before).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.app import app_env
from bench.firms import firm, served

RESEND = 5_000
MIN_CLIENTS = 2_000
ADMIN = ("admin@demo-firm.be", "lucy-demo")


def median(values: list[float]) -> float:
    return statistics.median(values)


async def _until(pilot: Any, done: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.002)


def _mark_first_paints(marks: dict[str, tuple[float, float]]) -> None:
    """Record (wall, CPU) when the queue first draws a row and when a client's detail first
    shows its loaded client: Pilot's own waits (for the CPU to go idle) would hide them."""
    from lucy_tui.screens.client_detail import ClientDetailScreen
    from lucy_tui.widgets.failed_table import FailedTable

    draw = FailedTable.render_line

    def render_line(self: FailedTable, y: int) -> Any:
        strip = draw(self, y)
        if self.first_rows_painted and "queue" not in marks:
            marks["queue"] = (time.perf_counter(), time.process_time())
        return strip

    changed = ClientDetailScreen.client_changed

    def client_changed(self: ClientDetailScreen, client: Any) -> None:
        changed(self, client)
        marks.setdefault("client", (time.perf_counter(), time.process_time()))

    FailedTable.render_line = render_line  # type: ignore[method-assign,assignment]
    ClientDetailScreen.client_changed = client_changed  # type: ignore[method-assign]


async def queue_timings(database: Path, runs: int) -> dict[str, float]:
    """F to first rows and to all rows; a filter keystroke in the queue and in the list."""
    from lucy_tui.app import LucyApp
    from lucy_tui.screens.dashboard import DashboardScreen
    from lucy_tui.screens.failed_documents import FailedDocumentsScreen
    from lucy_tui.widgets.failed_table import FailedTable

    results: dict[str, list[float]] = {}
    marks: dict[str, tuple[float, float]] = {}
    _mark_first_paints(marks)

    def add(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory() as tmp:
        env = app_env(database, Path(tmp))
        app = LucyApp(config_dir=Path(env["LUCY_CONFIG_DIR"]), data_dir=Path(env["LUCY_DATA_DIR"]))
        async with app.run_test(size=(160, 50)) as pilot:
            await _until(
                pilot,
                lambda: isinstance(app.screen, DashboardScreen) and app.screen.loading_done,
                120,
            )
            await app.workers.wait_for_complete()
            rows = 0
            for _ in range(runs):
                # baseline: enter on a client, until its detail shows the loaded client
                marks.clear()
                started, cpu = time.perf_counter(), time.process_time()
                await pilot.press("enter")
                await _until(pilot, lambda: "client" in marks)
                add("open_client_wall", marks["client"][0] - started)
                add("open_client_cpu", marks["client"][1] - cpu)
                await app.workers.wait_for_complete()
                await pilot.press("escape")
                await pilot.pause()
                assert isinstance(app.screen, DashboardScreen)
                # F: the first rows, then the whole queue
                started, cpu = time.perf_counter(), time.process_time()
                await pilot.press("F")
                await _until(pilot, lambda: "queue" in marks)
                add("queue_first_rows_wall", marks["queue"][0] - started)
                add("queue_first_rows_cpu", marks["queue"][1] - cpu)
                opened = app.screen
                assert isinstance(opened, FailedDocumentsScreen)
                await _until(pilot, lambda opened=opened: opened.loading_done, 120)
                add("queue_all_wall", time.perf_counter() - started)
                add("queue_all_cpu", time.process_time() - cpu)
                rows = opened.view.total
                await pilot.press("escape")
                await pilot.pause()
            # one keystroke of each filter: the queue's, then the client list's
            await pilot.press("F")
            await _until(pilot, lambda: isinstance(app.screen, FailedDocumentsScreen))
            queue = app.screen
            assert isinstance(queue, FailedDocumentsScreen)
            await _until(pilot, lambda: queue.loading_done, 120)
            table = queue.query_one(FailedTable)
            await pilot.press("slash")
            for word in ("drukkerij", "maintenance"):
                for index in range(len(word) * 2):
                    key = word[index] if index < len(word) else "backspace"
                    cpu = time.process_time()
                    await pilot.press(key)
                    await pilot.pause()
                    add("queue_key_cpu", time.process_time() - cpu)
                    started = time.perf_counter()
                    queue.view.set_filter(queue.view.filter.text)
                    table.view_changed()
                    for y in range(table.size.height):
                        table.render_line(y)
                    add("queue_key_compute", time.perf_counter() - started)
            await pilot.press("escape", "escape")
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen)
            await pilot.press("slash")
            for word in ("drukkerij", "maintenance"):
                for index in range(len(word) * 2):
                    key = word[index] if index < len(word) else "backspace"
                    cpu = time.process_time()
                    await pilot.press(key)
                    await pilot.pause()
                    add("list_key_cpu", time.process_time() - cpu)
    summary = {name: median(values) for name, values in results.items()}
    summary["queue_key_cpu_max"] = max(results["queue_key_cpu"])
    summary["rows"] = rows
    return summary


def resend_sets(database: Path) -> list[tuple[int, int]]:
    """5,000 Failed documents over as many clients as possible: (document, client)."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT id, client_id FROM documents WHERE status = 'failed' ORDER BY client_id, id"
        ).fetchall()
    by_client: dict[int, list[int]] = {}
    for document_id, client_id in rows:
        by_client.setdefault(client_id, []).append(document_id)
    chosen: list[tuple[int, int]] = []
    depth = 0
    while len(chosen) < RESEND:
        added = False
        for client_id, documents in by_client.items():
            if depth < len(documents) and len(chosen) < RESEND:
                chosen.append((documents[depth], client_id))
                added = True
        if not added:
            break
        depth += 1
    return chosen


async def resend_timings(database: Path) -> dict[str, float]:
    from lucy_tui.api.client import LucyClient

    chosen = resend_sets(database)
    clients = sorted({client for _, client in chosen})
    assert len(chosen) == RESEND and len(clients) >= MIN_CLIENTS, (len(chosen), len(clients))
    out: dict[str, float] = {"documents": len(chosen), "clients": len(clients)}
    with tempfile.TemporaryDirectory() as tmp:
        bulk_db, single_db = Path(tmp) / "bulk.db", Path(tmp) / "single.db"
        shutil.copy(database, bulk_db)
        shutil.copy(database, single_db)
        with served(bulk_db) as url:
            async with LucyClient(url, timeout=120) as client:
                await client.login(*ADMIN)
                started = time.perf_counter()
                response = await client.resend_firm_documents([d for d, _ in chosen])
                out["bulk"] = time.perf_counter() - started
                assert len(response.results) == RESEND
                out["sent"] = sum(1 for r in response.results if r.outcome.value == "sent")
        with served(single_db) as url:
            async with LucyClient(url, timeout=120) as client:
                await client.login(*ADMIN)
                per_client: dict[int, list[int]] = {}
                for document_id, client_id in chosen:
                    per_client.setdefault(client_id, []).append(document_id)
                started = time.perf_counter()
                for client_id, ids in per_client.items():
                    await client.resend_documents(client_id, ids)
                out["per_client"] = time.perf_counter() - started
    return out


async def results_timings(runs: int) -> dict[str, float]:
    """The results view with 5,000 results against the same results as one text widget."""
    from datetime import date
    from decimal import Decimal

    from textual.app import App
    from textual.containers import Vertical, VerticalScroll
    from textual.content import Content
    from textual.screen import ModalScreen
    from textual.widgets import Static

    from lucy_tui.api.models import (
        ActionOutcome,
        Document,
        DocumentActionResult,
        DocumentDirection,
        DocumentSource,
        DocumentStatus,
    )
    from lucy_tui.screens.document_actions import ActionKind, ActionResultsScreen
    from lucy_tui.widgets.results_table import ResultRow, result_line

    documents = {
        i: Document(
            id=i,
            client_id=i % 2_000 + 1,
            date=date(2026, 11, 1),
            counterparty=f"Supplier {i}",
            direction=DocumentDirection.PURCHASE,
            amount=Decimal("123.45"),
            source=DocumentSource.EMAIL,
            status=DocumentStatus.FAILED,
        )
        for i in range(1, RESEND + 1)
    }
    outcomes = (ActionOutcome.SENT, ActionOutcome.FAILED, ActionOutcome.REFUSED)
    results = [
        DocumentActionResult(
            document_id=i,
            outcome=outcomes[i % 3],
            status=DocumentStatus.SENT,
            message="Sent to Yuki by API" if i % 3 == 0 else "Yuki did not answer in time",
            client_id=i % 2_000 + 1,
        )
        for i in documents
    ]
    names = {c: f"Client {c} BV" for c in range(1, 2_001)}

    class OneWidget(ModalScreen[None]):
        """The results as they were drawn before: one Static in a scroll."""

        BINDINGS = [("escape", "dismiss", "Close")]

        def compose(self) -> Any:
            rows = [
                ResultRow(p, r, documents[r.document_id], names[r.client_id or 0])
                for p, r in enumerate(results)
            ]
            text = "\n".join(result_line(row, True) for row in rows)
            with Vertical(classes="dialog"), VerticalScroll():
                yield Static(Content(text))

    class Harness(App[None]):
        pass

    timings: dict[str, list[float]] = {}
    app = Harness()
    async with app.run_test(size=(160, 50)) as pilot:

        async def measure(name: str, make: Callable[[], Any]) -> None:
            started, cpu = time.perf_counter(), time.process_time()
            await app.push_screen(make())
            await pilot.pause()
            timings.setdefault(f"{name}_open_wall", []).append(time.perf_counter() - started)
            timings.setdefault(f"{name}_open_cpu", []).append(time.process_time() - cpu)
            started = time.perf_counter()
            await pilot.press("pagedown")
            await pilot.pause()
            timings.setdefault(f"{name}_key_wall", []).append(time.perf_counter() - started)
            await pilot.press("escape")
            await pilot.pause()

        for _ in range(runs):
            await measure(
                "table",
                lambda: ActionResultsScreen(ActionKind.RESEND, results, documents, names),
            )
            await measure("one_widget", OneWidget)
    return {name: median(values) for name, values in timings.items()}


def run(coroutine: Awaitable[dict[str, float]]) -> dict[str, float]:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only-queue", action="store_true", help="only F and the keystrokes")
    args = parser.parse_args()
    database = firm(50_000)
    with sqlite3.connect(database) as conn:
        failed, clients = conn.execute(
            "SELECT count(*), count(DISTINCT client_id) FROM documents WHERE status = 'failed'"
        ).fetchone()
    print(f"firm: 50,000 clients, {failed:,} Failed documents across {clients:,} clients")
    q = run(queue_timings(database, args.runs))
    ms = {k: v * 1000 for k, v in q.items() if k != "rows"}
    print(
        f"F to first rows: {ms['queue_first_rows_wall']:.0f} ms wall "
        f"({ms['queue_first_rows_cpu']:.0f} ms CPU); whole queue of {q['rows']:,.0f} loaded: "
        f"{ms['queue_all_wall']:.0f} ms wall ({ms['queue_all_cpu']:.0f} ms CPU); baseline, "
        f"enter to a client's detail: {ms['open_client_wall']:.0f} ms wall "
        f"({ms['open_client_cpu']:.0f} ms CPU)"
    )
    print(
        f"queue filter keystroke at {q['rows']:,.0f} rows: {ms['queue_key_cpu']:.1f} ms CPU median "
        f"({ms['queue_key_cpu_max']:.1f} max), the work alone {ms['queue_key_compute']:.1f} ms; "
        f"client list keystroke at 50,000 clients, same session: {ms['list_key_cpu']:.1f} ms CPU"
    )
    if args.only_queue:
        return
    r = run(resend_timings(database))
    print(
        f"resend {r['documents']:,.0f} Failed documents across {r['clients']:,.0f} clients, real "
        f"HTTP: one request {r['bulk'] * 1000:.0f} ms ({r['sent']:,.0f} sent), one request per "
        f"client {r['per_client'] * 1000:.0f} ms: {r['per_client'] / r['bulk']:.1f}x"
    )
    v = run(results_timings(args.runs))
    print(
        f"results of {RESEND:,}: virtual table opens in {v['table_open_wall'] * 1000:.0f} ms "
        f"({v['table_open_cpu'] * 1000:.0f} ms CPU), page down {v['table_key_wall'] * 1000:.0f} "
        f"ms; as one text widget: opens in {v['one_widget_open_wall'] * 1000:.0f} ms "
        f"({v['one_widget_open_cpu'] * 1000:.0f} ms CPU), page down "
        f"{v['one_widget_key_wall'] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
