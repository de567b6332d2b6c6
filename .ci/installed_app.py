"""Drive the INSTALLED lucy-tui headless: client list, one client, all seven tabs.

Run by ``.ci/test-installed`` with the interpreter of a fresh venv that has the wheel
installed (not editable), from a directory outside the repository, so that only what the
wheel ships can be imported. Uses the embedded demo backend in throwaway config and data
dirs (``LUCY_CONFIG_DIR``, ``LUCY_DATA_DIR``) and a keyring that stores nothing.
Exits non-zero, with the screen's text, when something is missing or fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

CLIENT = "Aalter Interieur BV"  # the demo firm's client with data in every tab
TIMEOUT = 90.0  # seconds for any one wait (the first run seeds the demo firm)


def check_installed() -> None:
    """The package comes from this interpreter's site-packages, not from a source tree."""
    import lucy_server
    import lucy_tui

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    for module in (lucy_tui, lucy_server):
        where = Path(module.__file__ or "").resolve()
        if site not in where.parents:
            sys.exit(f"{module.__name__} is imported from {where}, not from {site}")
    for name in ("LUCY_CONFIG_DIR", "LUCY_DATA_DIR"):
        if not os.environ.get(name):
            sys.exit(f"{name} must point to a throwaway directory")


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())


def region_text(app, widget) -> str:  # type: ignore[no-untyped-def]
    region = widget.region
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    return "\n".join(line[region.x : region.right] for line in lines[region.y : region.bottom])


async def wait_until(pilot, ready: Callable[[], bool], what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until no worker runs and ``ready()`` holds; fail after TIMEOUT seconds."""
    from textual.worker import WorkerCancelled, WorkerFailed

    app = pilot.app
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if app._exception is not None or not app.is_running:
            raise AssertionError(f"the app stopped while waiting for {what}")
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await asyncio.wait_for(app.workers.wait_for_complete(), timeout=TIMEOUT)
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers) and ready():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def drive() -> list[str]:
    from textual.widgets import Static

    from lucy_tui.app import LucyApp
    from lucy_tui.local.config import load_settings
    from lucy_tui.local.paths import config_dir, data_dir
    from lucy_tui.screens.dashboard import DashboardScreen

    app = LucyApp(
        config_dir=config_dir(), data_dir=data_dir(), settings=load_settings(config_dir())
    )
    errors: list[str] = []
    notify = app.notify

    def recording_notify(message: str, *args, severity: str = "information", **kwargs):  # type: ignore[no-untyped-def]
        if severity == "error":
            errors.append(message)
        return notify(message, *args, severity=severity, **kwargs)  # type: ignore[arg-type]

    app.notify = recording_notify  # type: ignore[method-assign]
    steps: list[str] = []
    started = time.monotonic()

    def step(text: str) -> None:
        steps.append(f"{time.monotonic() - started:6.1f}s  {text}")
        print(steps[-1], flush=True)

    async with app.run_test(size=(160, 50)) as pilot:
        try:
            dashboard = app.get_screen("dashboard")
            assert isinstance(dashboard, DashboardScreen)
            await wait_until(pilot, lambda: dashboard.loading_done, "the client list")
            assert not errors, f"errors while loading the list: {errors}"
            rows = len(dashboard.view.rows)
            assert rows > 0, "the client list is empty"
            step(f"client list loaded: {rows} clients")

            await pilot.press("slash", *(c if c != " " else "space" for c in CLIENT), "enter")
            await wait_until(
                pilot,
                lambda: [row.name for row in dashboard.view.shown()] == [CLIENT],
                f"the filter to show only {CLIENT}",
            )
            await pilot.press("enter")  # the app imports the detail screen and its tabs now
            await wait_until(
                pilot,
                lambda: (
                    type(app.screen).__name__ == "ClientDetailScreen"
                    and getattr(app.screen, "client", None) is not None
                ),
                f"{CLIENT} to open",
            )
            from lucy_tui.screens.client_detail import TABS, ClientDetailScreen
            from lucy_tui.screens.detail.base import DetailTab

            detail = app.screen
            assert isinstance(detail, ClientDetailScreen)
            title = str(detail.query_one("#detail-title", Static).render())
            assert CLIENT in title and "could not load" not in title, title
            step(f"opened {CLIENT}")

            for number, (tab_id, label, _) in enumerate(TABS, start=1):
                await pilot.press(str(number))
                tab = detail.query_one(f"#{tab_id}-tab", DetailTab)
                await wait_until(
                    pilot,
                    lambda tab=tab, tab_id=tab_id: (  # type: ignore[misc]
                        detail.current_tab is tab and (tab.loaded or tab.has_class("-failed"))
                    ),
                    f"tab {label} to load",
                )
                problem = str(tab.query_one(".tab-error", Static).render()).strip()
                assert not tab.has_class("-failed") and not problem, f"{label}: {problem}"
                assert not tab.loading, f"{label} is still loading"
                assert not errors, f"errors on {label}: {errors}"
                shown = region_text(app, tab)
                assert shown.strip(), f"{label} shows nothing"
                step(f"tab {label}: {len(shown.split())} words shown")
        except BaseException:
            print("--- the screen ---\n" + screen_text(app), file=sys.stderr)
            raise
        await pilot.press("ctrl+q")
    return steps


def main() -> int:
    check_installed()
    import lucy_tui

    print(f"lucy_tui from {Path(lucy_tui.__file__ or '').parent}")
    asyncio.run(drive())
    print("installed app: list, client and all seven tabs OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
