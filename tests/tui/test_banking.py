"""The Banking tab: Codabox accounts, and the three empty states, against the demo firm."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Group
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from lucy_server import db
from lucy_tui.api.models import BankConnection, BankingStatus
from lucy_tui.safe_text import printable
from lucy_tui.screens.detail.banking import BankingTab

from .conftest import SIZE, open_client, settle
from .test_overview import BIDI, CLEAR, CLICK, MARKUP, OSC52, assert_literal, poison, toasts

IBAN_IN_GROUPS = re.compile(r"^BE\d{2}( \d{4}){3}$")


async def open_banking(pilot: Pilot[None], name: str) -> BankingTab:
    screen = await open_client(pilot, name)
    await pilot.press("4")
    await settle(pilot)
    tab = screen.query_one(BankingTab)
    assert tab.loaded
    return tab


def empty_text(tab: BankingTab) -> str:
    empty = tab.query_one("#banking-empty", Static)
    assert empty.display
    assert not tab.query_one("#banking-table").display
    group = empty.content
    assert isinstance(group, Group)
    return " ".join(str(line) for line in group.renderables)


async def test_connected_accounts_with_formatted_ibans(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(BankingTab, "Aalter Interieur BV") as (pilot, tab):
        app = pilot.app
        connection = await app.session.client.banking(1)
        assert connection.status is BankingStatus.CONNECTED and len(connection.accounts) == 2
        table = tab.query_one("#banking-table", DataTable)
        assert app.focused is table
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert len(rows) == 2
        for row, account in zip(rows, connection.accounts, strict=True):
            assert IBAN_IN_GROUPS.match(row[0]), row[0]
            assert row[0].replace(" ", "") == account.iban
            assert row[1:4] == [account.bank, "Aalter Interieur BV", account.account_type.title()]
            assert row[4] == f"Active since {account.mandate_date:%d/%m/%Y}"
            assert row[5] == f"{account.last_statement_date:%d/%m/%Y}"
        summary = str(tab.query_one("#banking-summary", Static).render())
        assert summary.startswith("2 bank accounts connected through Codabox since")
        assert not tab.query_one("#banking-empty").display

        await pilot.press("down", "y")  # copy the second IBAN
        await settle(pilot)
        assert app.clipboard == connection.accounts[1].iban
        titles = [title for title, _, _ in tab.palette_commands()]
        assert "Banking: copy IBAN" in titles


async def test_connected_without_accounts_says_what_the_client_does(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(BankingTab, "Notariaat Martin") as (pilot, tab):
        app = pilot.app
        assert (await app.session.client.banking(19)).status is BankingStatus.CONNECTED
        text = empty_text(tab)
        assert "Codabox is connected" in text and "no bank account is linked yet" in text
        assert "Statements appear here after the bank confirms the mandate." in text
        assert "What the client has to do: approve the mandate its bank sends" in text
        assert app.focused is tab  # keys still reach the tab without a table
        assert not tab.check_action("copy_iban", ())  # nothing to copy: not offered


async def test_not_connected_explains_codabox(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(role="employee")
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_banking(pilot, "Jansen Consulting BV")
        connection = await app.session.client.banking(16)
        assert connection.status is BankingStatus.NOT_CONNECTED
        text = empty_text(tab)
        assert "No bank connected through Codabox yet" in text
        assert "delivers them to your firm every working day" in text  # what Codabox does
        assert connection.message in text  # ... and Settings > Banking, from the server
        assert "Settings > Banking" in text


async def test_other_plans_see_what_business_pro_brings(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(BankingTab, "Kapsalon Maes") as (pilot, tab):
        app = pilot.app
        connection = await app.session.client.banking(15)
        assert connection.status is BankingStatus.PLAN_REQUIRED
        text = empty_text(tab)
        assert text.startswith("What Lucy Business Pro would bring")
        assert connection.message in text and "Kapsalon Maes is on Lucy Inbox" in text
        assert "• its CODA bank statements delivered to your firm every working day" in text


async def test_hostile_bank_details_are_shown_as_text(tab_harness, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    accounts = db.bank_accounts
    engine = db.make_engine(data_dir / "demo.db")
    with engine.connect() as conn:
        first, second = conn.execute(
            select(accounts.c.id).where(accounts.c.client_id == 1).order_by(accounts.c.id)
        ).scalars()
    engine.dispose()
    poison(data_dir, accounts, accounts.c.id == first, bank=MARKUP, holder=CLICK)
    poison(data_dir, accounts, accounts.c.id == second, iban=f"BE71{CLEAR}", holder=OSC52)
    connections = db.bank_connections
    poison(data_dir, connections, connections.c.client_id == 1, provider=BIDI)
    async with tab_harness(BankingTab, "Aalter Interieur BV") as (pilot, tab):
        app = pilot.app
        table = tab.query_one("#banking-table", DataTable)
        rows = [" | ".join(str(cell) for cell in table.get_row_at(i)) for i in range(2)]
        assert_literal(rows[0], MARKUP, CLICK)
        assert_literal(rows[1], CLEAR, OSC52)
        assert_literal(str(tab.query_one("#banking-summary", Static).render()), BIDI)

        await pilot.press("down", "y")  # the IBAN copied is the one shown: no control code
        await settle(pilot)
        assert app.clipboard == printable(f"BE71{CLEAR}")
        assert_literal(toasts(app)[-1], CLEAR)

    # The empty states quote the server's provider and message.
    for status in (BankingStatus.NOT_CONNECTED, BankingStatus.CONNECTED):
        connection = BankConnection(
            status=status,
            provider=CLICK,
            message=OSC52,
            connected_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
        group = BankingTab._empty_state(connection)
        shown = " ".join(str(line) for line in group.renderables)
        assert_literal(shown, CLICK)
    assert_literal(
        " ".join(
            str(line)
            for line in BankingTab._empty_state(
                BankConnection(status=BankingStatus.PLAN_REQUIRED, message=OSC52)
            ).renderables
        ),
        OSC52,
    )


def test_snapshot_banking_accounts(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def banking(pilot: Pilot[None]) -> None:
        await open_banking(pilot, "Aalter Interieur BV")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=banking)


def test_snapshot_banking_plan_required(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def banking(pilot: Pilot[None]) -> None:
        await open_banking(pilot, "Kapsalon Maes")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=banking)
