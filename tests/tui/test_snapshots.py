"""Screenshots of the main screens, compared with the accepted SVGs in __snapshots__/."""

from __future__ import annotations

import httpx
from textual.pilot import Pilot
from textual.widgets import Input

from lucy_server.app import create_app
from lucy_tui.widgets.client_table import ClientTable

from .conftest import SIZE, open_client, settle, wait_loaded


def test_dashboard_as_admin(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def loaded(pilot: Pilot[None]) -> None:
        screen = await wait_loaded(pilot)
        # A favourite, shown first with its star (set directly: the save's toast and
        # worker would race the screenshot), and the cursor moved down two rows.
        screen.view.set_favourites({screen.view.row_at(2).id})
        screen.query_one(ClientTable).view_changed()
        await pilot.press("j", "j")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=loaded)


def test_dashboard_as_employee_filtered(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def loaded(pilot: Pilot[None]) -> None:
        await wait_loaded(pilot)
        await pilot.press("slash", *"trial:<30d colour:red", "enter")
        await settle(pilot)

    assert snap_compare(make_app(role="employee"), terminal_size=SIZE, run_before=loaded)


def test_sign_in_screen(snap_compare, make_app, data_dir) -> None:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=create_app(data_dir / "demo.db"))
    app = make_app(server="http://lucy.test", transport=transport)

    async def wrong_password(pilot: Pilot[None]) -> None:
        await settle(pilot)
        pilot.app.screen.query_one("#email", Input).value = "admin@demo-firm.be"
        pilot.app.screen.query_one("#password", Input).value = "wrong"
        pilot.app.screen.query_one("#password", Input).focus()
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=wrong_password)


def test_new_client_form_with_a_validation_error(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def bad_number(pilot: Pilot[None]) -> None:
        await wait_loaded(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Frituur Test BV", "tab", *"0123.456.748", "tab", *"owner@frituur.be")
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=bad_number)


def test_help_screen(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def help_open(pilot: Pilot[None]) -> None:
        await wait_loaded(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=help_open)


async def _failed_queue(pilot: Pilot[None]) -> None:
    """The firm's Failed documents: grouped by reason, two rows selected."""
    await wait_loaded(pilot)
    await pilot.press("F")
    await settle(pilot)
    await pilot.press("r", "g", "space", "space")
    await settle(pilot)


def test_failed_documents_grouped_with_a_selection(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_failed_queue)


def test_failed_documents_resend_confirmation(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def confirming(pilot: Pilot[None]) -> None:
        await _failed_queue(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=confirming)


def test_failed_documents_results(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def answered(pilot: Pilot[None]) -> None:
        await _failed_queue(pilot)
        await pilot.press("slash")
        pilot.app.screen.query_one("#failed-filter", Input).value = "client:smets"
        await pilot.press("enter", "A", "t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=answered)


# --- 80x24: every column and field reachable (issue 12) ----------------------------------

SMALL = (80, 24)


def test_client_list_at_80x24_scrolled_to_the_last_column(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def at_the_end(pilot: Pilot[None]) -> None:
        await wait_loaded(pilot)
        await pilot.press("j", "j", *["l"] * 12)  # past the last column: it stays there
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=at_the_end)


def test_documents_at_80x24_scrolled_to_the_last_column(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def at_the_end(pilot: Pilot[None]) -> None:
        await open_client(pilot, "Aalter Interieur BV")
        await pilot.press("2")
        await settle(pilot)
        await pilot.press(*["l"] * 10)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=at_the_end)


def test_invoice_settings_at_80x24(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def shown(pilot: Pilot[None]) -> None:
        await open_client(pilot, "Brasserie Het Anker BV")
        await pilot.press("7")
        await settle(pilot)
        await pilot.press("tab", "tab", "tab", "tab", "tab")  # down to the VAT number
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=shown)
