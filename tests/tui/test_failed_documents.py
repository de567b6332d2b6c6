"""The firm's Failed documents (issue 9), driven as a user: the client list's Failed column,
filter terms and total; ``F`` to the queue as the admin and as an employee; filter, group,
select and resend across clients; the rows and the list's counts after; ``enter`` to the
document in its client; ``o`` to its delivery history; another destination."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Static

from lucy_tui.api.models import DocumentStatus
from lucy_tui.clients.rows import COLUMNS, Column
from lucy_tui.screens.client_detail import ClientDetailScreen
from lucy_tui.screens.detail.documents import DocumentsTab
from lucy_tui.screens.document_actions import ActionResultsScreen, ConfirmActionScreen
from lucy_tui.screens.document_detail import DocumentDetailScreen
from lucy_tui.screens.failed_documents import FailedDocumentsScreen
from lucy_tui.widgets.client_table import ClientTable

from .conftest import SIZE, TODAY, settle, wait_loaded

SMETS = "Drukkerij Smets NV"  # Exact Online: 20 transient, 6 rejected, 2 untyped Failed
AALTER = "Aalter Interieur BV"  # Yuki, and the Dropbox archive enabled
INVISIBLE_TO_ERIC = ("Holding Verhaegen NV", "Immo Dupont SA", "Transport Lambert SRL")


def failed_by_client(data_dir: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(data_dir / "demo.db")) as conn:
        rows = conn.execute(
            "SELECT c.name, count(*) FROM documents d JOIN clients c ON c.id = d.client_id "
            "WHERE d.status = 'failed' GROUP BY c.name"
        ).fetchall()
    return {name: count for name, count in rows}


def text(widget: Static) -> str:
    return str(widget.render())


async def open_queue(pilot: Pilot[None]) -> FailedDocumentsScreen:
    await wait_loaded(pilot)
    await pilot.press("F")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FailedDocumentsScreen)
    assert screen.loading_done
    return screen


async def filter_queue(pilot: Pilot[None], screen: FailedDocumentsScreen, value: str) -> None:
    await pilot.press("slash")
    screen.query_one("#failed-filter", Input).value = value
    await pilot.press("enter")
    await settle(pilot)


# --- the client list ------------------------------------------------------------------------


async def test_the_list_counts_failed_documents_filters_and_sorts_by_them(
    make_app, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    expected = failed_by_client(data_dir)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        assert any(spec.column is Column.FAILED for spec in COLUMNS)
        rows = {row.name: row.failed_count for row in dashboard.view.rows}
        assert {n: c for n, c in rows.items() if c} == expected
        status = text(dashboard.query_one("#status-line", Static))
        assert f"{sum(expected.values()):,} Failed documents" in status
        dashboard.query_one("#filter", Input).value = "failed:>0"
        await settle(pilot)
        shown = [row.name for row in dashboard.view.shown()]
        assert sorted(shown) == sorted(expected)
        dashboard.query_one("#filter", Input).value = "failed:>10"
        await settle(pilot)
        assert [row.name for row in dashboard.view.shown()] == [SMETS]
        status = text(dashboard.query_one("#status-line", Static))
        assert f"{expected[SMETS]} Failed documents" in status
        dashboard.query_one("#filter", Input).value = "failed:0 status:active"
        await settle(pilot)
        assert all(row.failed_count == 0 for row in dashboard.view.shown())
        dashboard.query_one("#filter", Input).value = "failed:lots"
        await settle(pilot)
        assert "failed: a number" in text(dashboard.query_one("#filter-hint", Static))
        dashboard.query_one("#filter", Input).value = ""
        table = dashboard.query_one(ClientTable)
        table.focus()
        table.cursor_column = [spec.column for spec in COLUMNS].index(Column.FAILED)
        await pilot.press("s", "s")  # by Failed, then the most first
        await settle(pilot)
        assert table.cursor_client is not None and table.cursor_client.name == SMETS


# --- the queue --------------------------------------------------------------------------------


async def test_the_admins_queue_holds_every_failed_document(make_app, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    expected = failed_by_client(data_dir)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        names: dict[str, int] = {}
        for document in screen.view.documents:
            assert document.status is DocumentStatus.FAILED
            names[document.client_name] = names.get(document.client_name, 0) + 1
        assert names == expected
        assert len(screen.view) == screen.view.total == sum(expected.values())
        summary = text(screen.query_one("#failed-summary", Static))
        total = sum(expected.values())
        assert f"{total:,} of {total:,} Failed documents" in summary
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, FailedDocumentsScreen)


async def test_an_employees_queue_holds_no_hidden_or_other_team_document(
    make_app, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    from lucy_server.db import make_engine
    from lucy_server.seed import add_documents

    engine = make_engine(data_dir / "demo.db")
    with contextlib.closing(sqlite3.connect(data_dir / "demo.db")) as conn:
        for name in INVISIBLE_TO_ERIC:  # Failed documents that Eric must never see
            (client_id,) = conn.execute("SELECT id FROM clients WHERE name = ?", (name,)).fetchone()
            add_documents(engine, client_id, 3, DocumentStatus.FAILED, today=TODAY)
    engine.dispose()
    everything = failed_by_client(data_dir)
    assert all(name in everything for name in INVISIBLE_TO_ERIC)
    app = make_app(role="employee")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        visible = {row.name for row in dashboard.view.rows}
        screen = await open_queue(pilot)
        clients = {document.client_name for document in screen.view.documents}
        assert clients and clients <= visible
        assert not clients & set(INVISIBLE_TO_ERIC)
        assert clients == {name for name in everything if name in visible}


async def test_filter_group_select_and_resend_across_clients(make_app, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    before = failed_by_client(data_dir)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        table = screen.table
        await filter_queue(pilot, screen, "client:smets")
        assert {d.client_name for d in map(screen.view.row_at, range(len(screen.view)))} == {SMETS}
        assert len(screen.view) == before[SMETS]
        await pilot.press("r", "g")  # by reason: the biggest group first (the cursor
        await settle(pilot)  # stays on its document: g goes to the first row)
        groups = screen.view.groups()
        first = table.cursor_document
        assert first is not None and first.failure_reason == groups[0][0]
        await pilot.press("R")  # this reason's documents
        await settle(pilot)
        assert len(screen.view.selected) == groups[0][1]
        await pilot.press("x", "A")  # all shown, across the reasons
        await settle(pilot)
        assert len(screen.view.selected) == before[SMETS]
        # and two documents of another client, hidden by the filter
        others = [d.id for d in screen.view.documents if d.client_name == AALTER][:2]
        for document_id in others:
            screen.view.toggle(document_id)
        table.refresh()
        await pilot.press("t")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmActionScreen)
        title = text(confirm.query_one("#confirm-title", Static))
        body = text(confirm.query_one("#confirm-body", Static))
        count = before[SMETS] + 2
        assert title == f"Resend {count} documents to each client's accounting software?"
        assert "(2 of them hidden by the filter)" in body
        await pilot.press("y")
        await settle(pilot)
        results = app.screen
        assert isinstance(results, ActionResultsScreen)
        lines = results.as_text().splitlines()
        assert len(lines) == count
        assert any(SMETS in line for line in lines) and any(AALTER in line for line in lines)
        await pilot.press("escape")
        await settle(pilot)
        after = failed_by_client(data_dir)
        # the rows changed where they are: Sent or Failed again with the new reason
        for document in screen.view.documents:
            if document.client_name == SMETS:
                assert document.status in (DocumentStatus.SENT, DocumentStatus.FAILED)
        failed_now = sum(
            1
            for d in screen.view.documents
            if d.client_name == SMETS and d.status is DocumentStatus.FAILED
        )
        assert failed_now == after[SMETS] == 8  # 6 rejected, 2 without a type
        assert len(screen.view.selected) == 8 + after.get(AALTER, 0) - (before[AALTER] - 2)
        # the client list's counts followed
        await pilot.press("escape")
        await settle(pilot)
        dashboard = await wait_loaded(pilot)
        rows = {row.name: row.failed_count for row in dashboard.view.rows}
        assert rows[SMETS] == 8 and rows[AALTER] == after[AALTER]


async def test_enter_opens_the_client_at_the_document(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        await filter_queue(pilot, screen, f"client:{AALTER.split()[0]}")
        await pilot.press("down")
        document = screen.table.cursor_document
        assert document is not None and document.client_name == AALTER
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, ClientDetailScreen) and detail.client_id == document.client_id
        tab = detail.current_tab
        assert isinstance(tab, DocumentsTab)
        assert tab.table.cursor_document is not None
        assert tab.table.cursor_document.id == document.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, FailedDocumentsScreen)


async def test_o_shows_the_delivery_history_and_a_copy_goes_to_another_destination(
    make_app,
) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        await filter_queue(pilot, screen, f"client:{AALTER.split()[0]} reason:did")
        document = screen.table.cursor_document
        assert document is not None
        await pilot.press("t")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmActionScreen)
        assert "● each client's accounting software" in text(
            confirm.query_one("#confirm-destinations", Static)
        )
        await pilot.press("d")  # the Dropbox archive
        await settle(pilot)
        assert confirm.choice is not None and confirm.choice.id == "dropbox-archive"
        title = text(confirm.query_one("#confirm-title", Static))
        assert title == "Resend 1 document to Dropbox archive?"
        assert "gets a copy" in text(confirm.query_one("#confirm-body", Static))
        await pilot.press("y")
        await settle(pilot)
        results = app.screen
        assert isinstance(results, ActionResultsScreen)
        assert "✓ Sent" in results.as_text()
        await pilot.press("escape")
        await settle(pilot)
        # a copy: the document is still Failed for the accounting software
        current = screen.view.get(document.id)
        assert current is not None and current.status is DocumentStatus.FAILED
        await pilot.press("o")
        await settle(pilot)
        opened = app.screen
        assert isinstance(opened, DocumentDetailScreen)
        body = text(opened.query_one("#document-body", Static))
        assert "Delivery history" in body
        assert "Dropbox archive" in body and "by Ann Admin" in body


async def test_help_on_the_queue_says_how_its_filter_works(make_app) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        extra = text(app.screen.query_one("#help-extra", Static))
        assert "client:bakkerij" in extra and "age:>7d" in extra
        keys = {description for _, description in app.screen.keys}
        assert {"To accountant", "Group by reason", "Select this reason"} <= keys


async def test_the_queues_footer_shows_every_key_whole_at_160_columns(make_app) -> None:  # type: ignore[no-untyped-def]
    from .test_new_user_pass import footer_offering

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        keys = await footer_offering(pilot, screen, "space")  # each whole, none under ^p
        assert {"space", "F", "r", "R", "escape", "t", "enter", "ctrl+r", "question_mark"} <= set(
            keys
        )
