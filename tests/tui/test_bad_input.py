"""Bad input in the app's path fields (the local files of the CSV export and the vault): a
path the computer cannot even resolve is explained, never a crash or a dialog stuck.

The other path cases (no such file, a folder, a device, too large, a wrong or fake type) are
covered in tests/tui/test_vault.py; the typed fields' checks in tests/unit/test_bad_input.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static

from lucy_tui.app import LucyApp
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.screens.detail.vault import UploadScreen
from lucy_tui.screens.prompt import PromptScreen

from .conftest import SIZE, open_client, settle, wait_loaded

NO_SUCH_HOME = "~no-such-user-of-lucy"


def notices(app: LucyApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


@pytest.mark.parametrize(
    "typed",
    [f"{NO_SUCH_HOME}/clients.csv", "clients\x00.csv"],  # the NUL byte: as a paste brings it
    ids=["unknown-home", "nul-byte"],
)
async def test_an_export_path_that_cannot_be_used_is_explained(  # type: ignore[no-untyped-def]
    make_app, tmp_path: Path, typed: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("e")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        prompt.query_one(Input).value = typed
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)  # still running, back on the list
        assert any(
            notice.startswith("Could not write") and "clients" in notice for notice in notices(app)
        ), notices(app)
        assert not any(notice.startswith("Exported") for notice in notices(app))


async def test_an_upload_path_with_an_unknown_home_is_explained(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_client(pilot, "Aalter Interieur BV")
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, UploadScreen)
        dialog.query_one("#upload-path", Input).value = f"{NO_SUCH_HOME}/aangifte.pdf"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog  # open, with the reason and the path as typed
        reason = str(dialog.query_one("#upload-error", Static).render())
        assert reason and reason != "Checking the file…"
        assert not dialog.query_one("#upload", Button).disabled
