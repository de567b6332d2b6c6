"""The audit trail in the app: a client's History (``H`` on the client detail) and the firm's
log (admins, from the command palette). Both show the records newest first in a virtual
table, filter as you type, show one record whole, and export the shown records to CSV.

The records are written into the demo firm before the app starts (as the server writes
them, with fixed times), so what the views show is known to the minute.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Input, Static

from lucy_server import audit, db
from lucy_tui.api.models import AuditKind
from lucy_tui.app import LucyApp
from lucy_tui.screens.csv_export import csv_bytes
from lucy_tui.screens.history import (
    AuditRecordScreen,
    ClientHistoryScreen,
    FirmAuditScreen,
)
from lucy_tui.screens.prompt import ConfirmScreen, PromptScreen

from .conftest import SIZE, open_client, settle, wait_loaded

CLIENT = "Aalter Interieur BV"
OTHER = "Kapsalon Maes"
START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
EVIL = '=HYPERLINK("http://evil.example","x")'


def _ids(path: Path) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    engine = db.make_engine(path)
    with db.read_tx(engine) as conn:
        clients = {r.name: r.id for r in conn.execute(select(db.clients.c.id, db.clients.c.name))}
        staff = {
            r.email: (r.id, r.name)
            for r in conn.execute(select(db.staff.c.id, db.staff.c.name, db.staff.c.email))
        }
    engine.dispose()
    return clients, staff


@pytest.fixture
def audited(data_dir: Path) -> dict[str, Any]:
    """Records in the demo firm: five of CLIENT's (by the admin and the employee), one of
    another client's, one of a client whose name reads as a formula, one sign-in."""
    path = data_dir / "demo.db"
    clients, staff = _ids(path)
    admin = audit.Actor(*staff["admin@demo-firm.be"])
    employee = audit.Actor(*staff["employee@demo-firm.be"])
    client, other = clients[CLIENT], clients[OTHER]
    records = [
        (admin, AuditKind.CLIENT_UPDATED, client, {"name": "Aalter Interieur"}, {"name": CLIENT}),
        (employee, AuditKind.PEPPOL_SWITCHED, client, {"sending": False}, {"sending": True}),
        (admin, AuditKind.CLIENT_HIDDEN, client, {"hidden": False}, {"hidden": True}),
        (admin, AuditKind.CLIENT_UNHIDDEN, client, {"hidden": True}, {"hidden": False}),
        (
            employee,
            AuditKind.DOCUMENTS_RESENT,
            client,
            None,
            {"document_ids": [11, 12], "delivered": [11], "failed": [12], "destinations": ["Yuki"]},
        ),
        (admin, AuditKind.USER_ADDED, other, None, {"email": "nieuw@kapsalon.be"}),
        (employee, AuditKind.SIGNED_IN, None, None, {"expires_at": "2026-11-20T22:00:00"}),
    ]
    engine = db.make_engine(path)
    with db.write_tx(engine) as conn:
        for minutes, (who, kind, client_id, before, after) in enumerate(records):
            audit.record(
                conn, who, kind, client_id, before, after, now=START + timedelta(minutes=minutes)
            )
        audit.record(
            conn,
            admin,
            AuditKind.CLIENT_UPDATED,
            other,
            {"name": OTHER},
            {"name": EVIL},
            now=START + timedelta(hours=1),
            client_name=EVIL,
        )
    engine.dispose()
    return {"client": client, "other": other, "admin": admin, "employee": employee}


async def open_history(pilot: Pilot[None]) -> ClientHistoryScreen:
    await open_client(pilot, CLIENT)
    await pilot.press("H")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ClientHistoryScreen)
    assert screen.loading_done
    return screen


async def run_command(pilot: Pilot[None], title: str) -> None:
    await pilot.press("ctrl+p", *title)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def export_to(pilot: Pilot[None], target: Path) -> None:
    await pilot.press("e")
    await settle(pilot)
    prompt = pilot.app.screen
    assert isinstance(prompt, PromptScreen)
    prompt.query_one(Input).value = str(target)
    await pilot.press("enter")
    await settle(pilot)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def notices(app: LucyApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


# --- a client's history -------------------------------------------------------------------


async def test_H_opens_the_clients_history_newest_first(make_app, audited) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        shown = screen.view.shown()
        assert [entry.kind for entry in shown] == [
            AuditKind.DOCUMENTS_RESENT,
            AuditKind.CLIENT_UNHIDDEN,
            AuditKind.CLIENT_HIDDEN,
            AuditKind.PEPPOL_SWITCHED,
            AuditKind.CLIENT_UPDATED,
        ]
        assert all(entry.client_id == audited["client"] for entry in shown)
        assert screen.table.has_focus, (app.focused, screen.focused)
        title = str(screen.query_one("#audit-title", Static).render())
        assert CLIENT in title
        status = str(screen.query_one("#audit-status", Static).render())
        assert "5 shown of 5 records" in status
        assert screen.view.changes[shown[0].id] == "2 documents (11, 12) to Yuki; 1 failed (12)"
        assert screen.view.changes[shown[-1].id] == f"name: Aalter Interieur → {CLIENT}"
        # enter shows a record whole; escape closes it, escape again goes back
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AuditRecordScreen)
        body = str(app.screen.query_one("#audit-record", Static).render())
        assert "documents.resent" in body and '"delivered"' not in body
        assert "delivered: [11]" in body
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen and not isinstance(app.screen, ClientHistoryScreen)


async def test_the_filter_narrows_the_history(make_app, audited) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        screen.query_one("#audit-filter", Input).value = "hidden"  # hidden and unhidden
        await settle(pilot)
        assert [e.kind for e in screen.view.shown()] == [
            AuditKind.CLIENT_UNHIDDEN,
            AuditKind.CLIENT_HIDDEN,
        ]
        screen.query_one("#audit-filter", Input).value = "what:employees"
        await settle(pilot)
        assert len(screen.view) == 2  # "Hidden from employees", "Shown to employees"
        screen.query_one("#audit-filter", Input).value = "unhidden"
        await settle(pilot)
        assert [e.kind for e in screen.view.shown()] == [AuditKind.CLIENT_UNHIDDEN]
        name = audited["employee"].name
        screen.query_one("#audit-filter", Input).value = f"who:{name.split()[0]}"
        await settle(pilot)
        assert {e.staff_name for e in screen.view.shown()} == {name}
        assert len(screen.view) == 2
        screen.query_one("#audit-filter", Input).value = "since:2026-11-21"
        await settle(pilot)
        assert len(screen.view) == 0
        screen.query_one("#audit-filter", Input).value = "colour:red"
        await settle(pilot)
        hint = screen.query_one("#audit-hint", Static)
        assert hint.display and "unknown field 'colour'" in str(hint.render())
        await pilot.press("escape")  # clears the filter, back to the rows
        await settle(pilot)
        assert len(screen.view) == 5 and screen.table.has_focus


async def test_export_writes_the_shown_records_and_asks_before_replacing(  # type: ignore[no-untyped-def]
    make_app, audited, tmp_path: Path
) -> None:
    target = tmp_path / "history.csv"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        screen.query_one("#audit-filter", Input).value = "what:peppol"
        await settle(pilot)
        screen.table.focus()
        await export_to(pilot, target)
        assert app.screen is screen
        rows = read_csv(target)
        assert len(rows) == 1
        assert rows[0]["Kind"] == "peppol.switched" and rows[0]["Client"] == CLIENT
        assert rows[0]["Change"] == "sending: off → on"
        assert rows[0]["When (UTC)"] == (START + timedelta(minutes=1)).isoformat()
        assert f"Exported 1 record to {target}" in notices(app)

        screen.query_one("#audit-filter", Input).value = ""
        await settle(pilot)
        screen.table.focus()
        await export_to(pilot, target)  # the file exists now: asked, and "no" keeps it
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert len(read_csv(target)) == 1
        await export_to(pilot, target)
        await pilot.press("y")
        await settle(pilot)
        assert len(read_csv(target)) == 5


async def test_an_employee_sees_the_history_of_a_client_they_see(make_app, audited) -> None:  # type: ignore[no-untyped-def]
    app = make_app(role="employee")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        screen = await open_history(pilot)
        assert len(screen.view) == 5
        titles = [command.title for command in app.get_system_commands(screen)]
        assert "Audit: the firm's log" not in titles  # admins only


async def test_a_history_that_cannot_load_says_so_and_ctrl_r_retries(  # type: ignore[no-untyped-def]
    make_app, audited, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lucy_tui.api.client import LucyClient
    from lucy_tui.api.errors import UnreachableError

    real = LucyClient.client_history
    failing = {"on": True}

    async def flaky(self: LucyClient, *args: Any, **kwargs: Any) -> Any:
        if failing["on"]:
            raise UnreachableError("Cannot reach the Lucy server \x1b[31mnow")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(LucyClient, "client_history", flaky)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_client(pilot, CLIENT)
        await pilot.press("H")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientHistoryScreen)
        status = str(screen.query_one("#audit-status", Static).render())
        assert "Could not load the records" in status and "ctrl+r" in status
        assert "\x1b" not in status  # the server's text is made printable
        assert len(screen.view) == 0
        failing["on"] = False
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert len(screen.view) == 5 and screen.loading_done


# --- the firm's log -----------------------------------------------------------------------


async def test_the_firms_log_opens_from_the_palette_and_exports_quoted(  # type: ignore[no-untyped-def]
    make_app, audited, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await run_command(pilot, "the firm's log")
        screen = app.screen
        assert isinstance(screen, FirmAuditScreen)
        assert screen.loading_done
        assert len(screen.view) == 8
        first = screen.view.row_at(0)
        assert first.client_name == EVIL  # the newest
        screen.query_one("#audit-filter", Input).value = f"client:{OTHER.split()[0]}"
        await settle(pilot)
        assert [e.kind for e in screen.view.shown()] == [AuditKind.USER_ADDED]
        screen.query_one("#audit-filter", Input).value = ""
        await settle(pilot)
        screen.table.focus()
        target = tmp_path / "audit.csv"
        await export_to(pilot, target)
        rows = read_csv(target)
        assert len(rows) == 8
        assert rows[0]["Client"] == "'" + EVIL  # a spreadsheet shows it, never runs it
        assert rows[-1]["Kind"] == "client.updated"
        signed_in = next(row for row in rows if row["Kind"] == "auth.signed_in")
        assert signed_in["Client"] == "" and signed_in["Client id"] == ""


def test_csv_cells_lose_control_characters_and_formulas() -> None:
    text = csv_bytes(("a", "b"), [("=1+2", "ok\x1b[31m"), ("-3", "@x"), ("+4", "plain")]).decode()
    lines = text.splitlines()
    assert lines[1] == "'=1+2,ok\ufffd[31m"
    assert lines[2] == "'-3,'@x" and lines[3] == "'+4,plain"


# --- how it looks -------------------------------------------------------------------------


def test_history_snapshot(snap_compare, make_app, audited) -> None:  # type: ignore[no-untyped-def]
    async def shown(pilot: Pilot[None]) -> None:
        await open_history(pilot)
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=shown)
