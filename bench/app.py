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

ROOT = Path(__file__).resolve().parent.parent
TREE = "LUCY_BENCH_TREE"  # another source tree to import lucy_tui and lucy_server from


def tree_env(tree: Path | None) -> dict[str, str]:
    return {TREE: str(tree)} if tree is not None else {}


def use_tree() -> None:
    """Measure the app of the tree named by LUCY_BENCH_TREE with this benchmark's code."""
    if os.environ.get(TREE):
        sys.path.insert(0, os.environ[TREE])


def probe(args: list[str], env: dict[str, str], tree: Path | None = None) -> dict[str, float]:
    """One fresh process of ``bench.probe``; ``tree``: run another source tree's app (an
    earlier version, unpacked with ``git archive``) instead of this one."""
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "bench.probe", *args],
        cwd=ROOT,
        env={**os.environ, **env, **tree_env(tree)},
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


def startup(runs: int, before: Path | None = None) -> dict[str, dict[str, float]]:
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

        def run(
            name: str, args: list[str], env: dict[str, str], tree: Path | None = None
        ) -> dict[str, float]:
            if name.endswith("cold"):  # no list from a previous session to paint
                shutil.rmtree(Path(env["LUCY_DATA_DIR"]) / "snapshots", ignore_errors=True)
            return probe(args, env, tree)

        trees: list[tuple[str, Path | None]] = [("", None)]
        if before is not None:  # the earlier version, interleaved with this one
            trees.append(("before: ", before))
        for name, (args, env) in envs.items():
            for _prefix, tree in trees:
                # Warm-up (page cache, .pyc files); a full load leaves last session's list.
                warm = args if args[0] == "baseline" or "--all" in args else [*args, "--all"]
                run(name, warm, env, tree)
                if args[0] == "baseline":
                    break
        for _ in range(runs):
            for name, (args, env) in envs.items():
                for prefix, tree in trees:
                    if prefix and args[0] == "baseline":
                        continue
                    samples.setdefault(prefix + name, []).append(run(name, args, env, tree))
    return {
        name: {key: median([s[key] for s in runs_ if key in s]) for key in runs_[0]}
        for name, runs_ in samples.items()
    }


async def bare_input_keystrokes(word: str = "bakkerij") -> dict[str, float]:
    """The keystroke's baseline: a bare Textual Input echoing each key, Pilot as below."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Input()

    cpu = []
    async with Bare().run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        for _ in range(3):
            for index in range(len(word) * 2):
                key = word[index] if index < len(word) else "backspace"
                started_cpu = time.process_time()
                await pilot.press(key)
                await pilot.pause()
                cpu.append(time.process_time() - started_cpu)
    return {"keystroke_cpu_ms_median": median(cpu) * 1000}


def keystrokes(runs: int, before: Path | None = None) -> dict[str, dict[str, float]]:
    """The filter keystroke against a bare Input's, each in a fresh process, interleaved
    (and the earlier version's, with ``before``): medians of the per-run medians."""
    trees: list[tuple[str, Path | None]] = [("lucy", None)]
    if before is not None:
        trees.append(("before: lucy", before))
    samples: dict[str, list[dict[str, float]]] = {}
    database = firm(50_000)
    for _ in range(runs):
        for name, tree in [("bare input", None), *trees]:
            flag = "--only-bare-input" if name == "bare input" else "--only-keys"
            out = subprocess.run(
                [sys.executable, "-m", "bench.app", flag, "--json", "--db", str(database)],
                cwd=ROOT,
                env={**os.environ, **tree_env(tree)},
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            )
            text = out.stdout.strip().splitlines()[-1]
            samples.setdefault(name, []).append(json.loads(text.replace("'", '"')))
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
    parser.add_argument("--only-bare-input", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="also run an earlier version, interleaved: a source tree from "
        "`git archive <commit> | tar -x -C DIR`",
    )
    args = parser.parse_args()
    if args.only_keys or args.only_bare_input:
        use_tree()
        measured = (
            asyncio.run(bare_input_keystrokes())
            if args.only_bare_input
            else asyncio.run(filter_keystrokes(args.db or firm(50_000)))
        )
        print(json.dumps(measured) if args.json else measured)
        return
    results = startup(args.runs, args.before)
    base = results["baseline"]["first_paint_cpu"]
    print(
        f"baseline (minimal Textual app): first paint {base * 1000:.0f} ms CPU, "
        f"{results['baseline']['first_paint_wall'] * 1000:.0f} ms wall"
    )
    for name, values in results.items():
        if name == "baseline":
            continue
        line = (
            f"{name:26} first rows {values['first_paint_cpu'] * 1000:6.0f} ms CPU "
            f"({values['first_paint_cpu'] / base:.2f}x baseline), "
            f"{values['first_paint_wall'] * 1000:6.0f} ms wall"
        )
        if "first_live_cpu" in values and "all_loaded_wall" not in values:
            line += (
                f"; live rows {values['first_live_cpu'] * 1000:6.0f} ms CPU "
                f"({values['first_live_cpu'] / base:.2f}x), "
                f"{values['first_live_wall'] * 1000:6.0f} ms wall"
            )
        if "first_screen_cpu" in values and "all_loaded_wall" not in values:
            line += f"; screen drawn {values['first_screen_cpu'] / base:.2f}x"
        if "all_loaded_wall" in values:
            line += (
                f"; all {values['rows']:.0f} rows loaded at {values['all_loaded_wall']:.2f} s "
                f"wall ({values['all_loaded_cpu']:.2f} s CPU), max RSS "
                f"{values['max_rss_mb']:.0f} MB"
            )
        print(line)
    keys = keystrokes(args.runs, args.before)
    bare = keys["bare input"]["keystroke_cpu_ms_median"]
    for name, values in keys.items():
        ratio = values["keystroke_cpu_ms_median"] / bare
        print(
            f"{name}: keystroke {values['keystroke_cpu_ms_median']:.1f} ms CPU median "
            f"({ratio:.2f}x the bare input's); "
            + ", ".join(f"{k} {v:.1f}" for k, v in values.items())
        )


if __name__ == "__main__":
    main()
