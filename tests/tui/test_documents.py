"""The Accounting Documents tab: the table, the status filter, the selection, send and resend.

Driven by keys against the embedded demo firm, the tab mounted alone (tests/tui/harness.py)
where the rest of the app plays no part; every action is checked on the server too
(documents counted by status through the API, deliveries read from the server's database).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Button, Static

from lucy_server import db
from lucy_server.delivery import NO_PACKAGE_REASON, NO_TYPE_REASON
from lucy_server.seed import add_documents
from lucy_tui.api.errors import ConflictError, UnreachableError
from lucy_tui.api.models import DocumentActionResponse, DocumentStatus
from lucy_tui.app import LucyApp
from lucy_tui.screens.client_detail import ClientDetailScreen
from lucy_tui.screens.detail.documents import DocumentsTab
from lucy_tui.screens.document_actions import ActionResultsScreen, ConfirmActionScreen
from lucy_tui.widgets.document_table import DocumentTable

from .conftest import SIZE, TODAY, open_client, settle
from .harness import TabHarness
from .test_overview import BIDI, CLEAR, CLICK, MARKUP, OSC52, assert_literal, poison, toasts

AALTER = "Aalter Interieur BV"  # client 1: 5 Inbox, 6 Sent, 4 Failed
INBOX, SENT, FAILED = DocumentStatus.INBOX, DocumentStatus.SENT, DocumentStatus.FAILED


async def open_documents(
    pilot: Pilot[None], name: str
) -> tuple[ClientDetailScreen, DocumentsTab, DocumentTable]:
    screen = await open_client(pilot, name)
    await pilot.press("2")
    await settle(pilot)
    tab = screen.query_one(DocumentsTab)
    assert tab.loaded, "the documents did not load"
    assert pilot.app.focused is tab.table
    return screen, tab, tab.table


def text(widget: Static) -> str:
    return str(widget.render())


def selection(tab: DocumentsTab) -> str:
    return text(tab.query_one("#documents-selection", Static))


def rendered_rows(table: DocumentTable) -> list[str]:
    """The table's lines as drawn (header first), as plain text."""
    return [table.render_line(y).text for y in range(len(table.view) + 1)]


async def server_counts(app: LucyApp | TabHarness, client_id: int) -> dict[DocumentStatus, int]:
    client = app.session.client
    return {
        status: (await client.documents_page(client_id, 1, 1, status=status)).total
        for status in DocumentStatus
    }


def deliveries(data_dir: Path, client_id: int) -> list[tuple[int, bool]]:
    """Every delivery attempt the server recorded for the client: (document id, success)."""
    engine = db.make_engine(data_dir / "demo.db")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(db.deliveries.c.document_id, db.deliveries.c.success)
                .where(db.deliveries.c.client_id == client_id)
                .order_by(db.deliveries.c.id)
            ).all()
    finally:
        engine.dispose()
    return [(row.document_id, bool(row.success)) for row in rows]


async def confirm_text(pilot: Pilot[None]) -> tuple[str, str, list[str]]:
    """The open confirmation: its title, its body and its buttons' labels."""
    await settle(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, ConfirmActionScreen)
    buttons = [str(button.label) for button in modal.query(Button)]
    return (
        text(modal.query_one("#confirm-title", Static)),
        text(modal.query_one("#confirm-body", Static)),
        buttons,
    )


async def results_text(pilot: Pilot[None]) -> tuple[str, str]:
    await settle(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, ActionResultsScreen)
    return (
        text(modal.query_one("#results-title", Static)),
        modal.as_text(),
    )


# --- the table ----------------------------------------------------------------------------


async def test_table_shows_the_documents_with_statuses_and_reasons(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(DocumentsTab, AALTER) as (pilot, tab):
        table = tab.table
        view = table.view
        assert len(view) == view.total == 15
        assert view.counts == {INBOX: 5, SENT: 6, FAILED: 4}
        lines = rendered_rows(table)
        header = lines[0]
        for title in ("Date", "Supplier / customer", "Type", "Direction", "Amount", "Source"):
            assert title in header
        assert "Status" in header and "Failure reason" in header
        for index, line in enumerate(lines[1:]):
            document = view.row_at(index)
            assert document.date.strftime("%d/%m/%Y") in line
            assert document.counterparty in line
            assert f" {document.status.label} " in line
            if document.status is FAILED:
                assert document.failure_reason
                assert document.failure_reason[:40] in line
            else:
                assert document.failure_reason is None
        # amounts in Belgian format with the currency, e.g. "4.316,98 €"
        first = view.row_at(0)
        whole, cents = f"{first.amount:.2f}".split(".")
        assert f"{int(whole):,}".replace(",", ".") + f",{cents} €" in lines[1]
        reasons = {d.failure_reason for d in view.documents.values() if d.status is FAILED}
        assert NO_TYPE_REASON in reasons
        assert any("rejected the document" in (reason or "") for reason in reasons)
        summary = text(tab.query_one("#documents-summary", Static))
        assert "All 15" in summary and "Inbox 5" in summary and "Sent 6" in summary
        assert "Failed 4" in summary and "Yuki" in summary
        # the line under the table gives the whole reason of the row under the cursor
        await pilot.press("v", "v", "v")  # Failed only
        await pilot.pause()
        cursor = table.cursor_document
        assert cursor is not None and cursor.failure_reason
        assert cursor.failure_reason in text(tab.query_one("#documents-cursor", Static))


async def test_v_cycles_the_status_filter(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(DocumentsTab, AALTER) as (pilot, tab):
        table = tab.table
        for status, count in ((INBOX, 5), (SENT, 6), (FAILED, 4), (None, 15)):
            await pilot.press("v")
            await pilot.pause()
            view = table.view
            assert view.status_filter is status
            assert len(view) == count
            shown = {view.row_at(i).status for i in range(len(view))}
            assert shown == ({status} if status else {INBOX, SENT, FAILED})
            assert len(rendered_rows(table)) == count + 1


async def test_space_A_and_F_select_and_the_line_counts_hidden_ones(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(DocumentsTab, AALTER) as (pilot, tab):
        table = tab.table
        view = table.view
        assert selection(tab) == "0 selected"
        first = table.cursor_document
        assert first is not None and first.status is FAILED
        await pilot.press("space")  # selects the row and moves on
        await pilot.pause()
        assert view.selected == {first.id}
        assert table.cursor_row == 1
        assert "✓" in rendered_rows(table)[1][:3]
        assert selection(tab) == "1 selected"
        await pilot.press("v")  # Inbox: the selected Failed document is hidden, still selected
        await pilot.pause()
        assert selection(tab) == "1 selected (1 hidden by the filter)"
        await pilot.press("A")  # every shown (Inbox) document
        await pilot.pause()
        assert selection(tab) == "6 selected (1 hidden by the filter)"
        await pilot.press("F")  # every Failed one, though the filter hides them
        await pilot.pause()
        assert {view.documents[i].status for i in view.selected} == {INBOX, FAILED}
        assert selection(tab) == "9 selected (4 hidden by the filter)"
        await pilot.press("v")  # Sent: none of the selection is shown
        await pilot.pause()
        assert selection(tab) == "9 selected (9 hidden by the filter)"
        await pilot.press("v", "v")  # All: nothing hidden
        await pilot.pause()
        assert selection(tab) == "9 selected"
        # sorting keeps the selection and the cursor's document
        cursor = table.cursor_document
        await pilot.press("right", "s")  # sort by counterparty
        await pilot.pause()
        assert len(view.selected) == 9 and table.cursor_document is cursor
        names = [view.row_at(i).counterparty.casefold() for i in range(len(view))]
        assert names == sorted(names)
        under = table.cursor_document
        assert under is not None
        was_selected = under.id in view.selected
        await pilot.press("space")  # toggles the row under the cursor
        await pilot.pause()
        assert (under.id in view.selected) is not was_selected
        assert len(view.selected) == (8 if was_selected else 10)
        await pilot.press("x")
        await pilot.pause()
        assert selection(tab) == "0 selected"


# --- resend and send ----------------------------------------------------------------------


async def test_bulk_resend_of_a_mixed_selection(tab_harness, data_dir) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(DocumentsTab, AALTER) as (pilot, tab):
        app, table = pilot.app, tab.table
        screen = app.screen
        view = table.view
        before = await server_counts(app, 1)
        assert before == {INBOX: 5, SENT: 6, FAILED: 4}
        deliveries_before = deliveries(data_dir, 1)
        # rows 0-2: a Failed, a Sent and an Inbox document; then every Failed one
        statuses = [view.row_at(i).status for i in range(3)]
        assert statuses == [FAILED, SENT, INBOX]
        sent_one, inbox_one = view.row_at(1), view.row_at(2)
        await pilot.press("space", "space", "space", "F")
        await pilot.pause()
        assert selection(tab) == "6 selected"
        failed_ids = {d.id for d in view.documents.values() if d.status is FAILED}

        await pilot.press("t")
        title, body, buttons = await confirm_text(pilot)
        assert title == "Resend 4 documents to Yuki?"
        assert "4 Failed documents will be resent to Yuki" in body
        assert "Not included" in body
        assert "1 Sent document: already sent." in body
        assert "contact Lucy Support" in body
        assert "Multisender destination under Settings > Integrations" in body
        assert "only the client can do that" in body
        assert "1 Inbox document: not sent yet: use enter to send it." in body
        assert "1 of them has no type" in body
        assert buttons == ["Resend 4 (y)", "Cancel (n)"]
        await pilot.press("y")

        title, body = await results_text(pilot)
        assert title == "Resend: 2 sent, 2 failed again"
        assert body.count("✓ Sent") == 2 and body.count("✗ Failed again") == 2
        assert "Yuki rejected the document" in body and NO_TYPE_REASON in body
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        # the rows show the new statuses; the selection keeps what did not succeed
        now = {i: view.documents[i] for i in failed_ids}
        became_sent = {i for i, d in now.items() if d.status is SENT}
        still_failed = {i for i, d in now.items() if d.status is FAILED}
        assert len(became_sent) == 2 and len(still_failed) == 2
        assert all(now[i].failure_reason is None for i in became_sent)
        assert any("rejected the document" in (now[i].failure_reason or "") for i in still_failed)
        assert view.selected == still_failed | {sent_one.id, inbox_one.id}
        assert selection(tab) == "4 selected"
        outcome = text(tab.query_one("#documents-outcome", Static))
        assert "Resend: 2 sent, 2 failed again" in outcome
        assert view.counts == {INBOX: 5, SENT: 8, FAILED: 2}

        # the server did exactly that: one attempt for each Failed document, nothing else
        assert await server_counts(app, 1) == {INBOX: 5, SENT: 8, FAILED: 2}
        new = deliveries(data_dir, 1)[len(deliveries_before) :]
        assert sorted(new) == sorted(
            [(i, True) for i in became_sent] + [(i, False) for i in still_failed]
        )


async def test_bulk_send_of_inbox_documents(make_app, data_dir) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, tab, table = await open_documents(pilot, AALTER)
        view = table.view
        assert app.dashboard.view.get(1).inbox_count == 5  # type: ignore[union-attr]
        deliveries_before = deliveries(data_dir, 1)
        await pilot.press("v", "A")  # Inbox, all shown
        await pilot.pause()
        assert selection(tab) == "5 selected"
        inbox_ids = set(view.selected)

        await pilot.press("enter")
        title, body, _ = await confirm_text(pilot)
        assert title == "Send 5 documents to Yuki?"
        assert "5 Inbox documents will be sent to Yuki" in body
        assert "Not included" not in body
        assert "1 of them has no type" in body
        await pilot.press("y")

        title, body = await results_text(pilot)
        assert title == "Send: 4 sent, 1 failed"
        assert body.count("✓ Sent") == 4 and "Sent to Yuki by API" in body
        assert NO_TYPE_REASON in body
        await pilot.press("escape")
        await settle(pilot)

        assert view.counts == {INBOX: 0, SENT: 10, FAILED: 5}
        assert len(view) == 0  # the Inbox filter now shows nothing...
        assert "No Inbox documents" in table.render_line(2).text
        untyped = [i for i in inbox_ids if view.documents[i].status is FAILED]
        assert view.selected == set(untyped) and len(untyped) == 1
        assert selection(tab) == "1 selected (1 hidden by the filter)"
        # the header and the client list show the new Inbox count
        assert await server_counts(app, 1) == {INBOX: 0, SENT: 10, FAILED: 5}
        assert app.dashboard.view.get(1).inbox_count == 0  # type: ignore[union-attr]
        assert screen.client is not None and screen.client.inbox_count == 0
        new = deliveries(data_dir, 1)[len(deliveries_before) :]
        assert sorted(d for d, _ in new) == sorted(inbox_ids)
        assert sum(ok for _, ok in new) == 4


async def test_send_without_an_accounting_package_fails_with_the_reason(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(DocumentsTab, "Loodgieterij Dubois") as (pilot, tab):
        app, table = pilot.app, tab.table
        view = table.view
        assert "none linked" in text(tab.query_one("#documents-summary", Static))
        await pilot.press("v")  # Inbox; nothing selected: enter acts on the cursor's row
        await pilot.pause()
        document = table.cursor_document
        assert document is not None and document.status is INBOX
        before = await server_counts(app, 17)

        await pilot.press("enter")
        title, body, _ = await confirm_text(pilot)
        assert title == "Send 1 document?"
        assert "No accounting software is linked to this client" in body
        await pilot.press("y")
        title, body = await results_text(pilot)
        assert title == "Send: 0 sent, 1 failed"
        assert NO_PACKAGE_REASON in body
        await pilot.press("escape")
        await settle(pilot)

        now = view.documents[document.id]
        assert now.status is FAILED and now.failure_reason == NO_PACKAGE_REASON
        assert view.selected == set()  # nothing was selected; nothing is now
        after = await server_counts(app, 17)
        assert after[INBOX] == before[INBOX] - 1 and after[FAILED] == before[FAILED] + 1


async def test_nothing_eligible_is_explained_without_asking(tab_harness, data_dir) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(DocumentsTab, AALTER) as (pilot, _tab):
        app = pilot.app
        await pilot.press("v", "v")  # Sent
        await pilot.press("space")
        await pilot.pause()
        deliveries_before = deliveries(data_dir, 1)

        await pilot.press("t")
        title, body, buttons = await confirm_text(pilot)
        assert title == "Nothing to resend"
        assert "1 Sent document: already sent." in body and "contact Lucy Support" in body
        assert buttons == ["Close (escape)"]
        await pilot.press("y")  # there is no yes: nothing happens but closing
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmActionScreen)

        await pilot.press("enter")
        title, body, buttons = await confirm_text(pilot)
        assert title == "Nothing to send" and "Lucy never sends a document twice" in body
        await pilot.press("escape")
        await settle(pilot)
        assert deliveries(data_dir, 1) == deliveries_before
        assert await server_counts(app, 1) == {INBOX: 5, SENT: 6, FAILED: 4}


async def test_an_employee_can_resend(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(DocumentsTab, AALTER, role="employee") as (pilot, tab):
        app, table = pilot.app, tab.table
        await pilot.press("v", "v", "v")  # Failed
        await pilot.pause()
        view = table.view
        transient = next(
            i for i in range(len(view)) if "try again" in (view.row_at(i).failure_reason or "")
        )
        for _ in range(transient):
            await pilot.press("j")
        document = table.cursor_document
        assert document is not None

        await pilot.press("t")
        title, _, _ = await confirm_text(pilot)
        assert title == "Resend 1 document to Yuki?"
        await pilot.press("y")
        title, _ = await results_text(pilot)
        assert title == "Resend: 1 sent"
        await pilot.press("escape")
        await settle(pilot)
        assert view.documents[document.id].status is SENT
        assert (await server_counts(app, 1))[FAILED] == 3


async def test_a_network_fault_keeps_the_selection_and_the_retry_reuses_the_key(
    tab_harness, data_dir
) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(DocumentsTab, AALTER) as (pilot, tab):
        app, table = pilot.app, tab.table
        view = table.view
        client = app.session.client
        real_resend = client.resend_documents
        keys: list[str | None] = []

        async def flaky_resend(
            client_id: int,
            document_ids: list[int],
            *,
            destination: str | None = None,
            idempotency_key: str | None = None,
        ) -> DocumentActionResponse:
            keys.append(idempotency_key)
            if len(keys) == 1:
                raise UnreachableError("Cannot reach the Lucy server at http://lucy.local.")
            return await real_resend(
                client_id, document_ids, destination=destination, idempotency_key=idempotency_key
            )

        client.resend_documents = flaky_resend  # type: ignore[method-assign]
        deliveries_before = deliveries(data_dir, 1)
        await pilot.press("F", "t")
        await confirm_text(pilot)
        await pilot.press("y")
        await settle(pilot)

        assert not isinstance(app.screen, ActionResultsScreen)
        outcome = text(tab.query_one("#documents-outcome", Static))
        assert "did not complete" in outcome and "press t to try again" in outcome
        assert len(view.selected) == 4 and view.counts[FAILED] == 4
        assert deliveries(data_dir, 1) == deliveries_before  # nothing reached the server

        await pilot.press("t")
        title, body, _ = await confirm_text(pilot)
        assert title.endswith("(retry)") and "same key" in body
        await pilot.press("y")
        title, _ = await results_text(pilot)
        assert title == "Resend: 2 sent, 2 failed again"
        assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
        assert tab.actions.pending == {}  # answered: a next action gets a new key
        assert len(deliveries(data_dir, 1)) == len(deliveries_before) + 4


async def test_a_large_client_loads_every_page_and_F_selects_all_failed(
    tab_harness, data_dir
) -> None:  # type: ignore[no-untyped-def]
    engine = db.make_engine(data_dir / "demo.db")
    added = add_documents(engine, 20, 1200, FAILED, today=TODAY)
    engine.dispose()
    async with tab_harness(DocumentsTab, "Drukkerij Smets NV") as (pilot, tab):
        app, table = pilot.app, tab.table
        view = table.view
        assert view.total == 1243  # 5 Inbox, 10 Sent, 28 Failed, and the 1,200 added
        assert view.counts[FAILED] == 1228
        assert set(added) <= view.documents.keys()
        await pilot.press("G")  # the last row is drawn like the first
        await pilot.pause()
        assert table.cursor_row == 1242
        await pilot.press("g", "F")
        await pilot.pause()
        assert selection(tab) == "1,228 selected"
        await pilot.press("v")
        await pilot.pause()
        assert selection(tab) == "1,228 selected (1,228 hidden by the filter)"

        await pilot.press("t")
        title, body, _ = await confirm_text(pilot)
        assert title == "Resend 1,228 documents to Exact Online?"
        assert "… and 1,220 more" in body
        await pilot.press("y")
        title, _ = await results_text(pilot)
        assert title == "Resend: 1,220 sent, 8 failed again"
        await pilot.press("escape")
        await settle(pilot)
        assert view.counts[FAILED] == 8 and len(view.selected) == 8
        assert (await server_counts(app, 20))[FAILED] == 8


async def test_palette_lists_the_document_actions(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, _, _ = await open_documents(pilot, AALTER)
        commands = {c.title: c for c in app.get_system_commands(screen)}
        for title in (
            "Documents: send selected",
            "Documents: resend selected (to accountant)",
            "Documents: select all failed",
            "Documents: select all shown",
            "Documents: cycle status filter",
        ):
            assert title in commands
        commands["Documents: select all failed"].callback()
        await pilot.pause()
        assert selection(screen.query_one(DocumentsTab)) == "4 selected"


# --- snapshots ----------------------------------------------------------------------------


def test_snapshot_documents_with_a_selection(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def selected(pilot: Pilot[None]) -> None:
        await open_documents(pilot, AALTER)
        await pilot.press("F", "j", "j", "space", "v")  # all Failed, one Inbox; Inbox shown
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=selected)


def test_snapshot_documents_empty(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def empty(pilot: Pilot[None]) -> None:
        await open_documents(pilot, "Fietsen Willems")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=empty)


def test_snapshot_bulk_resend_confirmation(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def confirming(pilot: Pilot[None]) -> None:
        await open_documents(pilot, AALTER)
        await pilot.press("space", "space", "space", "F", "t")  # Failed + Sent + Inbox
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=confirming)


async def test_hostile_document_text_is_shown_as_text(tab_harness, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    documents = db.documents
    of_aalter = documents.c.client_id == 1
    poison(data_dir, documents, of_aalter, counterparty=MARKUP)
    poison(data_dir, documents, of_aalter & (documents.c.status == "failed"), failure_reason=OSC52)
    poison(data_dir, documents, of_aalter & (documents.c.status == "sent"), destination=BIDI)
    poison(data_dir, db.integrations, db.integrations.c.id == "yuki", name=CLICK)
    async with tab_harness(DocumentsTab, AALTER) as (
        pilot,
        tab,
    ):  # a crash here is the MarkupError of issue 15
        app, table = pilot.app, tab.table
        view = table.view
        summary = text(tab.query_one("#documents-summary", Static))
        assert_literal(summary, f"accounting software: {CLICK}")
        shown = [view.row_at(i) for i in range(len(view))]
        for status, outside in ((FAILED, OSC52), (SENT, BIDI), (INBOX, CLICK)):
            document = next(d for d in shown if d.status is status)
            assert table.move_to(document.id)
            await pilot.pause()
            assert_literal(text(tab.query_one("#documents-cursor", Static)), MARKUP, outside)

        async def refused(*args: object, **kwargs: object) -> DocumentActionResponse:
            raise ConflictError(f"{CLEAR} {CLICK}", code="refused")

        app.session.client.send_documents = refused  # type: ignore[method-assign]
        await pilot.press("enter")  # the Inbox document under the cursor
        await confirm_text(pilot)
        await pilot.press("y")
        await settle(pilot)
        outcome = text(tab.query_one("#documents-outcome", Static))
        assert_literal(outcome, f"Lucy refused to send the 1 document: {CLEAR} {CLICK}")
        assert_literal(toasts(app)[-1], f"{CLEAR} {CLICK}")
        assert app.is_running
