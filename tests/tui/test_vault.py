"""The Vault tab: list, upload (u), download (d) and delete (delete) against the demo firm."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from lucy_server import db
from lucy_server.routes import vault as server_vault
from lucy_tui.api.models import VAULT_MAX_BYTES, VaultCategory
from lucy_tui.app import LucyApp
from lucy_tui.local.paths import documents_dir
from lucy_tui.safe_text import printable
from lucy_tui.screens.detail.vault import (
    EMPTY_VAULT,
    VAULT_CONTENT_TYPES,
    VAULT_MAGIC,
    UploadScreen,
    VaultTab,
)
from lucy_tui.screens.prompt import ConfirmScreen, PromptScreen

from .conftest import SIZE, open_client, settle
from .harness import TabHarness
from .test_overview import BIDI, CLEAR, CLICK, MARKUP, OSC52, assert_literal, poison, toasts

AALTER = "Aalter Interieur BV"  # client 1: three vault files
AALTER_ID = 1
DUBOIS = "Loodgieterij Dubois"  # client 17: an empty vault


async def open_vault(pilot: Pilot[None], name: str = AALTER) -> VaultTab:
    screen = await open_client(pilot, name)
    await pilot.press("3")
    await settle(pilot)
    tab = screen.query_one(VaultTab)
    assert tab.loaded
    return tab


def table_names(tab: VaultTab) -> list[str]:
    table = tab.query_one("#vault-table", DataTable)
    return [str(table.get_row_at(index)[0]) for index in range(table.row_count)]


@pytest.fixture
def home() -> Path:
    """The tests' home folder (conftest points HOME into tmp_path)."""
    path = Path.home()
    path.mkdir(parents=True, exist_ok=True)
    return path


def typed(path: Path) -> str:
    """``path`` as a user types it, from ``~`` (which the app expands)."""
    return "~" if path == Path.home() else f"~/{path.relative_to(Path.home())}"


async def type_path(pilot: Pilot[None], path: Path) -> None:
    """Clear the focused input and type ``path`` as a user would."""
    await pilot.press("ctrl+u", *typed(path))


def notifications(app: LucyApp | TabHarness) -> list[str]:
    return [notification.message for notification in app._notifications]


def test_the_app_checks_the_servers_own_rules() -> None:
    # One definition in the wire contract, so a refusal needs no upload and never drifts.
    assert server_vault.VAULT_CONTENT_TYPES is VAULT_CONTENT_TYPES
    assert server_vault.VAULT_MAGIC is VAULT_MAGIC


async def test_files_are_listed_readably(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(VaultTab, AALTER) as (pilot, tab):
        app = pilot.app
        files = await app.session.client.vault_files(AALTER_ID)
        table = tab.query_one("#vault-table", DataTable)
        assert table_names(tab) == [file.name for file in files]
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first == [
            "Personal tax 2024.pdf",
            "Tax",
            f"{files[0].size} B",
            files[0].uploaded_by,
            "17/11/2026",
        ]
        assert "3 files" in str(tab.query_one("#vault-summary", Static).render())
        assert not tab.query_one("#vault-empty").display
        assert app.focused is table  # the keys work at once
        titles = [title for title, _, _ in tab.palette_commands()]
        assert titles[:3] == [
            "Vault: upload a file",
            "Vault: download the file",
            "Vault: delete the file",
        ]


async def test_an_empty_vault_says_how_to_upload(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(VaultTab, DUBOIS, role="employee") as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        assert not tab.query_one("#vault-table").display
        empty = tab.query_one("#vault-empty", Static)
        assert empty.display and str(empty.render()) == EMPTY_VAULT
        await pilot.press("d")  # nothing to download: says so, asks nothing
        await settle(pilot)
        assert not isinstance(app.screen, PromptScreen)
        assert any("vault is empty" in message for message in notifications(app))
        await pilot.press("u")  # the key works with no table to focus
        await settle(pilot)
        assert isinstance(app.screen, UploadScreen)


async def test_upload_and_download_round_trip(tab_harness, home: Path) -> None:  # type: ignore[no-untyped-def]
    content = b"%PDF-1.7\n" + os.urandom(300_000) + b"\n%%EOF\n"
    source = home / "Jaarrekening 2025.pdf"
    source.write_bytes(content)
    async with tab_harness(VaultTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UploadScreen)
        await type_path(pilot, source)
        await pilot.press("tab", "enter")  # the category: Other -> Legal
        await settle(pilot)
        await pilot.press("up", "enter")
        await settle(pilot)
        assert app.screen.query_one(Select).value is VaultCategory.LEGAL
        app.screen.query_one("#upload-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)

        assert not isinstance(app.screen, UploadScreen)
        files = await app.session.client.vault_files(AALTER_ID)
        assert len(files) == 4
        uploaded = next(file for file in files if file.name == source.name)
        assert (uploaded.size, uploaded.category) == (len(content), VaultCategory.LEGAL)
        assert uploaded.content_type == "application/pdf"
        assert table_names(tab)[0] == source.name
        assert tab.query_one("#vault-table", DataTable).cursor_row == 0

        await pilot.press("d")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        assert prompt.query_one(Input).value == str(documents_dir() / source.name)
        target = home / "downloads" / "copy.pdf"  # the folder does not exist yet
        await type_path(pilot, target)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # issue 12: asked, not made silently
        assert app.screen.title_text == "Create the folder?"
        await pilot.press("y")
        await settle(pilot)
        assert target.read_bytes() == content
        assert target.stat().st_mode & 0o777 == 0o600  # vault files are private
        assert any(f"Saved {source.name}" in message for message in notifications(app))
        assert [p.name for p in target.parent.iterdir()] == ["copy.pdf"]  # no leftovers


async def test_download_into_a_folder_uses_the_files_name(tab_harness, home: Path) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(VaultTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        await pilot.press("down", "d")  # the second file
        await settle(pilot)
        await type_path(pilot, home)
        await pilot.press("enter")
        await settle(pilot)
        files = await app.session.client.vault_files(AALTER_ID)
        expected = await app.session.client.download_vault_file(AALTER_ID, files[1].id)
        assert (home / files[1].name).read_bytes() == expected


async def test_download_replaces_an_existing_file_only_when_confirmed(  # type: ignore[no-untyped-def]
    tab_harness, home: Path
) -> None:
    target = home / "mine.pdf"
    target.write_bytes(b"my own notes")
    target.chmod(0o640)
    async with tab_harness(VaultTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        for answer in ("n", "y"):
            await pilot.press("d")
            await settle(pilot)
            await type_path(pilot, target)
            await pilot.press("enter")
            await settle(pilot)
            confirm = app.screen
            assert isinstance(confirm, ConfirmScreen)
            assert str(target) in confirm.body
            await pilot.press(answer)
            await settle(pilot)
            if answer == "n":
                assert target.read_bytes() == b"my own notes"
        files = await app.session.client.vault_files(AALTER_ID)
        assert target.read_bytes() == await app.session.client.download_vault_file(
            AALTER_ID, files[0].id
        )
        assert target.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its mode


def _missing(home: Path) -> Path:
    return home / "nowhere" / "tax.pdf"


def _too_large(home: Path) -> Path:
    path = home / "scan.pdf"
    with path.open("wb") as handle:  # sparse: 26 MB on paper, nothing on disk
        handle.truncate(26 * 1024 * 1024)
    return path


def _wrong_type(home: Path) -> Path:
    path = home / "setup.exe"
    path.write_bytes(b"MZ\x90\x00")
    return path


def _folder(home: Path) -> Path:
    return home


def _fake_pdf(home: Path) -> Path:
    path = home / "invoice.pdf"
    path.write_bytes(b"<html>not a pdf</html>")
    return path


@pytest.mark.parametrize(
    ("make_path", "reason"),
    [
        (_missing, "There is no file at"),
        (_too_large, "is 26.0 MB; the vault takes files of at most 25 MB"),
        (_wrong_type, ".exe files cannot go in the vault. Allowed types: csv, docx"),
        (_folder, "is a folder"),
        (_fake_pdf, "is not a real PDF file"),
    ],
)
async def test_upload_is_refused_locally_without_a_request(  # type: ignore[no-untyped-def]
    tab_harness, home: Path, monkeypatch: pytest.MonkeyPatch, make_path, reason: str
) -> None:
    path = make_path(home)
    async with tab_harness(VaultTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        uploads: list[str] = []

        async def no_upload(*args: object, **kwargs: object) -> None:
            uploads.append(str(args))
            raise AssertionError("the file should have been refused before any request")

        monkeypatch.setattr(app.session.client, "upload_vault_file", no_upload)
        await pilot.press("u")
        await settle(pilot)
        await type_path(pilot, path)
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, UploadScreen)  # still open, with the reason and the path
        assert reason in str(dialog.query_one("#upload-error", Static).render())
        assert dialog.query_one("#upload-path", Input).value == typed(path)
        await pilot.press("escape")
        await settle(pilot)
        assert uploads == []
        assert len(await app.session.client.vault_files(AALTER_ID)) == 3
        assert len(table_names(tab)) == 3


async def test_the_servers_refusals_are_explained(  # type: ignore[no-untyped-def]
    tab_harness, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = home / "notes.txt"
    notes.write_text("Meeting notes\n" * 10)
    async with tab_harness(VaultTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        # a server stricter than the app: a smaller size limit (413), then no .txt (422)
        monkeypatch.setattr(server_vault, "VAULT_MAX_BYTES", 20)
        await pilot.press("u")
        await settle(pilot)
        await type_path(pilot, notes)
        await pilot.press("enter")
        await settle(pilot)
        assert any(
            "The server refused notes.txt: it is too large" in message
            for message in notifications(app)
        )
        monkeypatch.setattr(server_vault, "VAULT_MAX_BYTES", VAULT_MAX_BYTES)
        stricter = {k: v for k, v in VAULT_CONTENT_TYPES.items() if k != ".txt"}
        monkeypatch.setattr(server_vault, "VAULT_CONTENT_TYPES", stricter)
        await pilot.press("u")
        await settle(pilot)
        # the path that failed is offered again
        assert app.screen.query_one("#upload-path", Input).value == str(notes)
        await pilot.press("enter")
        await settle(pilot)
        assert any(
            "The server refused notes.txt: Files of this type cannot go in the vault" in message
            for message in notifications(app)
        )
        assert len(await app.session.client.vault_files(AALTER_ID)) == 3
        assert len(table_names(tab)) == 3


async def test_delete_asks_first(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(VaultTab, AALTER_ID, role="employee") as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        await pilot.press("down", "delete")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.title_text == "Delete Annual accounts 2024.pdf?"
        await pilot.press("n")
        await settle(pilot)
        assert len(await app.session.client.vault_files(AALTER_ID)) == 3

        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        names = [file.name for file in await app.session.client.vault_files(AALTER_ID)]
        assert names == ["Personal tax 2024.pdf", "VAT listing Q3.pdf"]
        assert table_names(tab) == names


def test_snapshot_vault(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def vault(pilot: Pilot[None]) -> None:
        await open_vault(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=vault)


async def test_hostile_file_names_are_shown_and_saved_as_text(
    tab_harness, data_dir: Path, home: Path
) -> None:  # type: ignore[no-untyped-def]
    files = db.vault_files
    engine = db.make_engine(data_dir / "demo.db")
    with engine.connect() as conn:
        ids = list(conn.execute(files.select().where(files.c.client_id == AALTER_ID)).scalars())
    engine.dispose()
    hostile_names = [f"{CLICK}.pdf", f"{CLEAR}{BIDI}.pdf", f"{MARKUP}.pdf"]
    for file_id, name in zip(ids, hostile_names, strict=True):
        poison(data_dir, files, files.c.id == file_id, name=name, uploaded_by=OSC52)
    client_name = f"{MARKUP} {CLICK}"
    poison(data_dir, db.clients, db.clients.c.id == AALTER_ID, name=client_name)
    # a crash here is the MarkupError of issue 15
    async with tab_harness(VaultTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        table = tab.query_one("#vault-table", DataTable)
        rows = [" | ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        for name in hostile_names:
            assert_literal(next(row for row in rows if printable(name) in row), name, OSC52)

        row = next(i for i, text in enumerate(rows) if printable(hostile_names[1]) in text)
        table.move_cursor(row=row)
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert_literal(str(app.screen.query_one(".dialog-title", Static).render()), CLEAR, BIDI)
        body = str(app.screen.query_one(".dialog-body", Static).render())
        assert_literal(body, hostile_names[1], OSC52, client_name)
        await pilot.press("n")
        await settle(pilot)

        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        assert_literal(str(app.screen.query_one(".dialog-title", Static).render()), CLEAR, BIDI)
        assert_literal(app.screen.query_one(Input).value, hostile_names[1])
        await type_path(pilot, home)
        await pilot.press("enter")
        await settle(pilot)
        # Saved under the name as shown: no control character reaches the file system.
        assert [path.name for path in home.iterdir() if path.suffix == ".pdf"] == [
            printable(hostile_names[1])
        ]
        assert_literal(toasts(app)[-1], f"Saved {hostile_names[1]}")

        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UploadScreen)
        title = str(app.screen.query_one(".dialog-title", Static).render())
        assert_literal(title, f"Upload a file to {client_name}'s vault")
        assert app.is_running
