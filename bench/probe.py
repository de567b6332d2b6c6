"""Run one app headless and report, as JSON on stdout, when it first painted client rows.

Used by bench/app.py as a subprocess, so each measurement starts a fresh interpreter:
``python -m bench.probe baseline`` or ``python -m bench.probe lucy [--server URL]``.
CPU times are the process's own (all threads), wall times are absolute (time.time()),
so the parent can measure from before it spawned the process.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def _peak_rss_mb() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux keeps that across exec, so a child
    would report the memory of the parent it was forked from."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _report(**values: float) -> None:
    values["max_rss_mb"] = _peak_rss_mb()
    print(json.dumps(values), flush=True)


def baseline() -> None:
    """A minimal Textual app that paints one label: what any Textual app costs to start."""
    from textual.app import App, ComposeResult
    from textual.widgets import Label

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Label("Lucy")

        def on_mount(self) -> None:
            self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            _report(first_paint_cpu=time.process_time(), first_paint_wall=time.time())
            self.exit()

    Minimal().run(headless=True, size=(160, 50))


def lucy(server: str | None, wait_for_all: bool) -> None:
    from pathlib import Path

    from lucy_tui.app import LucyApp
    from lucy_tui.local.config import Settings
    from lucy_tui.local.paths import config_dir, data_dir
    from lucy_tui.widgets.client_table import ClientTable

    results: dict[str, float] = {}
    app = LucyApp(
        config_dir=config_dir(), data_dir=Path(data_dir()), settings=Settings(), server=server
    )

    def record(name: str) -> None:
        if f"{name}_cpu" not in results:
            results[f"{name}_cpu"] = time.process_time()
            results[f"{name}_wall"] = time.time()

    def live_painted() -> None:
        record("first_live")
        if not wait_for_all:
            app.exit()

    def check() -> None:
        try:
            screen = app.get_screen("dashboard")
            table = screen.query_one(ClientTable)
        except Exception:
            return
        if "first_screen_cpu" not in results and app.screen is screen and table.size.height:
            record("first_screen")  # the screen is drawn, with or without rows
        if "first_paint_cpu" not in results and table.first_rows_painted:
            record("first_paint")  # the first rows: the last session's, or the live ones
        live = (
            "first_paint_cpu" in results
            # (the name of an earlier version's flag too: bench/app.py --before)
            and not getattr(screen, "showing_last_session", getattr(screen, "_showing_snapshot", 0))
            and len(screen.view.rows)  # type: ignore[attr-defined]
        )
        if live and "live_pending" not in results:
            results["live_pending"] = 1
            app.call_after_refresh(live_painted)  # the live rows are drawn in this frame
        if wait_for_all and getattr(screen, "loading_done", False) and "first_paint_cpu" in results:
            results["all_loaded_cpu"] = time.process_time()
            results["all_loaded_wall"] = time.time()
            results["rows"] = len(screen.view.rows)  # type: ignore[attr-defined]
            app.exit()

    app.call_later(lambda: app.set_interval(0.002, check))
    app.run(headless=True, size=(160, 50))
    results.pop("live_pending", None)
    _report(**results)


if __name__ == "__main__":
    if os.environ.get("LUCY_BENCH_TREE"):  # an earlier version's app (bench/app.py --before)
        sys.path.insert(0, os.environ["LUCY_BENCH_TREE"])
    mode = sys.argv[1]
    server = sys.argv[sys.argv.index("--server") + 1] if "--server" in sys.argv else None
    if mode == "baseline":
        baseline()
    else:
        lucy(server, wait_for_all="--all" in sys.argv)
