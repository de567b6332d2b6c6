"""The client list at firm scale: start-up, full load, filtering and memory.

Run with ``make bench`` (or ``python -m bench.app``); figures go to bench/README.md.
Every start-up figure is a ratio against a minimal Textual app measured in the same run,
interleaved, in CPU time (the process's own, all threads), so a busy machine matters less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.firms import firm, login, served


def probe(args: list[str], env: dict[str, str]) -> dict[str, float]:
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "bench.probe", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    for key in [k for k in result if k.endswith("_wall")]:
        result[key] -= started  # seconds since the process was spawned
    return result


def app_env(database: Path, workdir: Path) -> dict[str, str]:
    """An isolated data dir whose embedded demo database is ``database``."""
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    target = data / "demo.db"
    if not target.exists():
        shutil.copy(database, target)
    return {"LUCY_DATA_DIR": str(data), "LUCY_CONFIG_DIR": str(workdir / "config")}


def median(values: list[float]) -> float:
    return statistics.median(values)


def startup(runs: int) -> dict[str, dict[str, float]]:
    firms = {size: firm(size) for size in (10_000, 50_000)}
    samples: dict[str, list[dict[str, float]]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        served(firms[10_000]) as url10,
        served(firms[50_000]) as url50,
    ):
        work = Path(tmp)
        envs = {
            "baseline": (["baseline"], {}),
            "embedded 10k cold": (["lucy"], app_env(firms[10_000], work / "c10")),
            "embedded 10k": (["lucy"], app_env(firms[10_000], work / "e10")),
            "http 10k": (
                ["lucy", "--server", url10],
                {**app_env(firms[10_000], work / "h10"), "LUCY_TOKEN": login(url10)},
            ),
            "embedded 50k cold": (["lucy"], app_env(firms[50_000], work / "c50")),
            "embedded 50k": (["lucy"], app_env(firms[50_000], work / "e50")),
            "http 50k": (
                ["lucy", "--server", url50],
                {**app_env(firms[50_000], work / "h50"), "LUCY_TOKEN": login(url50)},
            ),
            "embedded 50k all": (["lucy", "--all"], app_env(firms[50_000], work / "e50")),
            "http 50k all": (
                ["lucy", "--all", "--server", url50],
                {**app_env(firms[50_000], work / "h50"), "LUCY_TOKEN": login(url50)},
            ),
        }

        def run(name: str, args: list[str], env: dict[str, str]) -> dict[str, float]:
            if name.endswith("cold"):  # no list from a previous session to paint
                shutil.rmtree(Path(env["LUCY_DATA_DIR"]) / "snapshots", ignore_errors=True)
            return probe(args, env)

        for name, (args, env) in envs.items():
            # Warm-up (page cache, .pyc files); a full load leaves last session's list.
            run(name, args if args[0] == "baseline" or "--all" in args else [*args, "--all"], env)
        for _ in range(runs):
            for name, (args, env) in envs.items():
                samples.setdefault(name, []).append(run(name, args, env))
    return {
        name: {key: median([s[key] for s in runs_]) for key in runs_[0]}
        for name, runs_ in samples.items()
    }


async def filter_keystrokes(database: Path, word: str = "bakkerij") -> dict[str, float]:
    """Type a word into the filter of a loaded 50,000-client list, one key at a time."""
    from lucy_tui.app import LucyApp
    from lucy_tui.screens.dashboard import DashboardScreen
    from lucy_tui.widgets.client_table import ClientTable

    with tempfile.TemporaryDirectory() as tmp:
        env = app_env(database, Path(tmp))
        app = LucyApp(config_dir=Path(env["LUCY_CONFIG_DIR"]), data_dir=Path(env["LUCY_DATA_DIR"]))
        async with app.run_test(size=(160, 50)) as pilot:
            while True:
                await app.workers.wait_for_complete()
                await pilot.pause()
                screen = app.screen
                if isinstance(screen, DashboardScreen) and screen.loading_done:
                    break
            table = screen.query_one(ClientTable)
            assert len(screen.view.rows) == 50_000
            await pilot.press("slash")
            round_trips, cpu, compute = [], [], []
            for _ in range(3):
                for index in range(len(word) * 2):
                    # type the word, then erase it: narrowing and widening keystrokes
                    key = word[index] if index < len(word) else "backspace"
                    started, started_cpu = time.perf_counter(), time.process_time()
                    await pilot.press(key)
                    await pilot.pause()  # until the repaint is done
                    round_trips.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - started_cpu)
                    # the same work without the harness: filter, re-index, draw every line
                    started = time.perf_counter()
                    screen.view.set_filter(screen.view.filter.text)
                    screen.view.refresh()
                    table.view_changed()
                    for y in range(table.size.height):
                        table.render_line(y)
                    compute.append(time.perf_counter() - started)
    return {
        "keystroke_cpu_ms_median": median(cpu) * 1000,
        "keystroke_cpu_ms_max": max(cpu) * 1000,
        "keystroke_round_trip_ms_median": median(round_trips) * 1000,
        "keystroke_round_trip_ms_max": max(round_trips) * 1000,
        "filter_and_draw_full_ms_median": median(compute) * 1000,
        "filter_and_draw_full_ms_max": max(compute) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only-keys", action="store_true", help="only the filter keystrokes")
    args = parser.parse_args()
    if args.only_keys:
        print(asyncio.run(filter_keystrokes(firm(50_000))))
        return
    results = startup(args.runs)
    base = results["baseline"]["first_paint_cpu"]
    print(
        f"baseline (minimal Textual app): first paint {base * 1000:.0f} ms CPU, "
        f"{results['baseline']['first_paint_wall'] * 1000:.0f} ms wall"
    )
    for name, values in results.items():
        if name == "baseline":
            continue
        line = (
            f"{name:18} first rows {values['first_paint_cpu'] * 1000:6.0f} ms CPU "
            f"({values['first_paint_cpu'] / base:.2f}x baseline), "
            f"{values['first_paint_wall'] * 1000:6.0f} ms wall"
        )
        if "all_loaded_wall" in values:
            line += (
                f"; all {values['rows']:.0f} rows loaded at {values['all_loaded_wall']:.2f} s "
                f"wall ({values['all_loaded_cpu']:.2f} s CPU), max RSS "
                f"{values['max_rss_mb']:.0f} MB"
            )
        print(line)
    keys = asyncio.run(filter_keystrokes(firm(50_000)))
    print(
        "filter keystroke at 50,000 clients: " + ", ".join(f"{k} {v:.1f}" for k, v in keys.items())
    )


if __name__ == "__main__":
    main()
