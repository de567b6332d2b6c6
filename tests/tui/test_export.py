"""The CSV export (``e`` on the client list): it asks before replacing a file, and what it
writes is data a spreadsheet shows, never runs (issue 15).

Writing the shown rows to a new file: test_dashboard.py; paths that cannot be resolved:
test_bad_input.py.
"""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

from textual.widgets import Input, Static

from lucy_tui.api.models import ClientStatus, ClientSummary, Plan
from lucy_tui.app import LucyApp
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.screens.prompt import ConfirmScreen, PromptScreen

from .conftest import SIZE, settle, wait_loaded

PRECIOUS = "the user's own spreadsheet, not an export\n"


def notices(app: LucyApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def export_to(pilot, target: Path) -> None:
    """Press ``e`` and give ``target`` as the file."""
    await pilot.press("e")
    await settle(pilot)
    prompt = pilot.app.screen
    assert isinstance(prompt, PromptScreen)
    prompt.query_one(Input).value = str(target)
    await pilot.press("enter")
    await settle(pilot)


async def test_export_over_an_existing_file_asks_and_no_keeps_it(make_app, tmp_path: Path) -> None:
    target = tmp_path / "exports" / "clients.csv"
    target.parent.mkdir()
    target.write_text(PRECIOUS, encoding="utf-8")
    os.chmod(target, 0o644)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await export_to(pilot, target)
        question = app.screen
        assert isinstance(question, ConfirmScreen)
        assert question.title_text == "Replace the existing file?"
        body = str(question.query_one(".dialog-body", Static).render())
        assert f"{target} already exists" in body and "150 clients shown" in body
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert target.read_text(encoding="utf-8") == PRECIOUS  # "no" changed nothing
        assert f"Not exported: {target} is kept as it was." in notices(app)
        assert not any(n.startswith("Exported") for n in notices(app))

        await export_to(pilot, target)  # again, and this time replace it
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        assert f"Exported 150 clients to {target}" in notices(app)
    assert len(read_csv(target)) == 150
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # a replaced file keeps its mode
    assert [p.name for p in target.parent.iterdir()] == ["clients.csv"]  # no temporary file left


async def test_escape_on_the_question_keeps_the_file_too(make_app, tmp_path: Path) -> None:
    target = tmp_path / "clients.csv"
    target.write_text(PRECIOUS, encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await export_to(pilot, target)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
    assert target.read_text(encoding="utf-8") == PRECIOUS


async def test_export_to_a_new_file_does_not_ask(make_app, tmp_path: Path) -> None:
    target = tmp_path / "new" / "clients.csv"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await export_to(pilot, target)
        assert app.screen is screen
        assert f"Exported 150 clients to {target}" in notices(app)
    assert len(read_csv(target)) == 150
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # a client list: the user's only


async def test_export_to_a_folder_is_refused_without_a_question(make_app, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await export_to(pilot, folder)
        assert app.screen is screen
        assert f"Cannot export to {folder}: it is not a regular file." in notices(app)
    assert list(folder.iterdir()) == []


async def test_exported_cells_are_never_formulas_nor_control_characters(
    make_app, tmp_path: Path
) -> None:
    target = tmp_path / "clients.csv"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        first = screen.view.row_at(0)
        # What a hostile or broken server could send; model_construct checks nothing.
        hostile = ClientSummary.model_construct(
            id=first.id,
            name="Evil\x1b[2J\x07 Corp\r\nNext line\u202eReversed",
            enterprise_number='=HYPERLINK("http://evil.example","click")',
            vat_number="+32 cmd|' /C calc'!A0",
            contact_name="@SUM(1+1)*cmd|' /C calc'!A0",
            team_names=["-2+3"],
            status=ClientStatus.ACTIVE,
            integrations=[],
            plan=Plan.BUSINESS,
            version=1,
        )
        screen.view.replace(hostile)
        await export_to(pilot, target)
        assert f"Exported 150 clients to {target}" in notices(app)
    raw = target.read_text(encoding="utf-8")
    assert "\x1b" not in raw and "\x07" not in raw and "\u202e" not in raw
    [record] = [r for r in read_csv(target) if r["name"].startswith("Evil")]
    assert record["name"] == "Evil\ufffd[2J\ufffd Corp\ufffd\ufffdNext line\ufffdReversed"
    assert record["enterprise_number"] == '\'=HYPERLINK("http://evil.example","click")'
    assert record["vat_number"] == "'+32 cmd|' /C calc'!A0"
    assert record["contact"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert record["teams"] == "'-2+3"
    for cell in (value for r in read_csv(target) for value in r.values()):
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")
