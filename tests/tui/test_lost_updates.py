"""No lost updates in the app: a change of the client (hide, client-facing contact) made on a
version someone else has changed meanwhile is refused by the server (412); the app says so,
reloads the client so the user sees the other change, overwrites nothing, and the same keys
then apply the user's change on top.

The forms where the user types (a reload that keeps what was typed) are covered in
tests/tui/test_invoice_settings.py (test_stale_version_*) and tests/tui/test_overview.py
(test_allowed_senders_stale_version_reloads_and_keeps_what_was_typed).
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import OptionList, Static, Switch

from lucy_tui.api.models import ClientUpdate
from lucy_tui.screens.prompt import ConfirmScreen
from lucy_tui.screens.staff_picker import StaffPickerScreen

from .conftest import SIZE, settle
from .test_overview import AALTER, AALTER_NAME, api_as, open_overview, record_notifications, text_of

STALE = "Someone else changed this client meanwhile; it has been reloaded"


async def confirm(pilot: Pilot[None]) -> str:
    """Answer yes to the confirmation on screen; return what it asked."""
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ConfirmScreen)
    asked = str(dialog.query_one(".dialog-body", Static).render())
    await pilot.press("y")
    await settle(pilot)
    return asked


async def pick(pilot: Pilot[None], name: str) -> None:
    """In the staff picker on screen, move to ``name`` and choose it."""
    await settle(pilot)
    picker = pilot.app.screen
    assert isinstance(picker, StaffPickerScreen)
    options = picker.query_one(OptionList)
    for _ in range(options.option_count):
        if name in str(options.get_option_at_index(options.highlighted or 0).prompt):
            break
        await pilot.press("down")
    assert name in str(options.get_option_at_index(options.highlighted or 0).prompt)
    await pilot.press("enter")
    await settle(pilot)


async def test_hiding_a_client_renamed_meanwhile_reloads_then_hides(make_app, data_dir) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot, api_as(data_dir) as colleague:
        screen, tab = await open_overview(pilot, AALTER_NAME)
        notices = record_notifications(app)
        loaded = await colleague.client(AALTER)
        await colleague.update_client(
            AALTER, ClientUpdate(name="Aalter & Zonen BV"), loaded.version
        )

        await pilot.press("h")
        assert "Hide Aalter Interieur BV from employees?" in await confirm(pilot)
        assert any(STALE in notice for notice in notices)
        stored = await colleague.client(AALTER)
        assert stored.name == "Aalter & Zonen BV" and stored.hidden is False  # nothing lost
        assert "Aalter & Zonen BV" in text_of(screen, "#detail-title")  # reloaded
        assert tab.query_one("#hidden-switch", Switch).value is False
        assert tab.client is not None and tab.client.version == stored.version

        await pilot.press("h")  # the same key again, on the version now shown
        assert "Hide Aalter & Zonen BV from employees?" in await confirm(pilot)
        stored = await colleague.client(AALTER)
        assert stored.name == "Aalter & Zonen BV" and stored.hidden is True  # both kept
        assert tab.query_one("#hidden-switch", Switch).value is True


async def test_a_contact_chosen_on_a_stale_version_does_not_overwrite_theirs(  # type: ignore[no-untyped-def]
    make_app, data_dir
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot, api_as(data_dir) as colleague:
        _, tab = await open_overview(pilot, AALTER_NAME)
        assert text_of(tab, "#client-contact") == "Eric Employee"
        notices = record_notifications(app)
        staff = {member.name: member.id for member in await colleague.staff()}
        loaded = await colleague.client(AALTER)
        await colleague.update_client(
            AALTER, ClientUpdate(contact_id=staff["Marc Dubois"]), loaded.version
        )

        await pilot.press("c")
        await pick(pilot, "Ann Admin")
        assert any(STALE in notice for notice in notices)
        stored = await colleague.client(AALTER)
        assert stored.contact_name == "Marc Dubois"  # theirs, not overwritten
        assert text_of(tab, "#client-contact") == "Marc Dubois"  # and shown

        await pilot.press("c")  # the picker now starts from their choice
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, StaffPickerScreen)
        options = picker.query_one(OptionList)
        current = str(options.get_option_at_index(options.highlighted or 0).prompt)
        assert "Marc Dubois" in current and "(current)" in current
        await pick(pilot, "Ann Admin")
        stored = await colleague.client(AALTER)
        assert stored.contact_name == "Ann Admin"
        assert text_of(tab, "#client-contact") == "Ann Admin"
