"""The Invoice Settings tab: the form, checks as the user types, saving with the version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TabbedContent, TextArea
from textual.widgets._tabbed_content import ContentTabs

from lucy_server import db
from lucy_server.app import create_app
from lucy_server.seed import DEMO_PASSWORD
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import UnreachableError, ValidationError
from lucy_tui.api.models import InvoiceSettingsUpdate, Language, VatRate
from lucy_tui.safe_text import printable
from lucy_tui.screens.client_detail import ClientDetailScreen
from lucy_tui.screens.detail import invoice_settings
from lucy_tui.screens.detail.invoice_settings import InvoiceSettingsTab
from lucy_tui.screens.prompt import ConfirmScreen

from .conftest import SIZE, open_client, settle
from .test_overview import BIDI, CLEAR, CLICK, MARKUP, OSC52, assert_literal, poison

SMETS = 20  # "Drukkerij Smets NV": numbering locked
BRASSERIE = 2  # "Brasserie Het Anker BV": complete settings, numbering not locked
GOOD_IBAN = "BE71 0961 2345 6769"
BAD_IBAN = "BE72 0961 2345 6769"  # wrong check digits


@pytest.fixture
async def api(data_dir: Path) -> AsyncIterator[LucyClient]:
    """A second user of the same server, to check and change what is stored."""
    transport = httpx.ASGITransport(app=create_app(data_dir / "demo.db"))
    async with LucyClient("http://lucy.test", transport=transport) as client:
        await client.login("admin@demo-firm.be", DEMO_PASSWORD)
        yield client


async def open_settings(pilot: Pilot[None], name: str) -> InvoiceSettingsTab:
    screen = await open_client(pilot, name)
    await pilot.press("7")
    await settle(pilot)
    tab = screen.current_tab
    assert isinstance(tab, InvoiceSettingsTab) and tab.loaded
    return tab


def field(tab: InvoiceSettingsTab, name: str) -> Input:
    return tab.query_one(f"#inv-{name}", Input)


def error_of(tab: InvoiceSettingsTab, name: str) -> str:
    return str(tab.query_one(f"#inv-{name}-error", Static).render())


def text_of(tab: InvoiceSettingsTab, widget_id: str) -> str:
    return str(tab.query_one(f"#{widget_id}", Static).render())


async def type_into(pilot: Pilot[None], tab: InvoiceSettingsTab, name: str, text: str) -> None:
    """Focus a field, clear it and type, as a user does."""
    field(tab, name).focus()
    await pilot.press("end", "ctrl+u", *text)
    await pilot.pause()


async def test_shows_the_saved_settings_with_a_live_number_preview(tab_harness, api) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(InvoiceSettingsTab, BRASSERIE) as (pilot, tab):
        stored = await api.invoice_settings(BRASSERIE)
        assert field(tab, "legal_name").value == stored.legal_name == "Brasserie Het Anker BV"
        assert field(tab, "city").value == stored.address.city
        assert field(tab, "vat_number").value == stored.vat_number
        assert field(tab, "iban").value.replace(" ", "") == stored.iban
        assert field(tab, "email").value == stored.email
        assert field(tab, "number_format").value == stored.number_format == "{year}/{number}"
        assert tab.query_one("#inv-language", Select).value is stored.language
        assert tab.query_one("#inv-default_vat_rate", Select).value is stored.default_vat_rate
        assert tab.query_one("#inv-footer", TextArea).text == stored.footer
        assert not field(tab, "next_number").disabled
        assert not tab.query_one("#inv-locked").display
        assert text_of(tab, "inv-preview") == "Next invoice: 2026/0001"
        assert "No unsaved changes · version 1" in text_of(tab, "inv-status")
        assert not tab.has_unsaved_changes()

        await type_into(pilot, tab, "number_format", "F-{number}")
        await type_into(pilot, tab, "next_number", "42")
        assert text_of(tab, "inv-preview") == "Next invoice: F-0042"
        assert tab.has_unsaved_changes()
        assert "Unsaved changes" in text_of(tab, "inv-status")

        await type_into(pilot, tab, "number_format", "F-{number}-{x}")
        assert "Unknown placeholder {x}" in error_of(tab, "number_format")
        assert text_of(tab, "inv-preview").startswith("Next invoice: —")
        await type_into(pilot, tab, "next_number", "0")
        assert "Next number must be between 1 and 999999" in error_of(tab, "next_number")
        await type_into(pilot, tab, "payment_term_days", "121")
        assert "between 0 and 120 days" in error_of(tab, "payment_term_days")
        assert field(tab, "payment_term_days").has_class("-invalid")


async def test_a_bad_iban_is_flagged_as_typed_and_never_sent(tab_harness, api) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(InvoiceSettingsTab, BRASSERIE) as (pilot, tab):
        before = await api.invoice_settings(BRASSERIE)

        await type_into(pilot, tab, "iban", BAD_IBAN)
        # Shown while typing, before any save.
        assert error_of(tab, "iban") == "IBAN has a wrong check digit"
        assert field(tab, "iban").has_class("-invalid")

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(tab, "inv-message") == "Not saved: fix IBAN first."
        assert field(tab, "iban").value == BAD_IBAN
        assert field(tab, "iban").has_focus
        after = await api.invoice_settings(BRASSERIE)
        assert after.iban == before.iban and after.version == before.version == 1


async def test_bad_vat_number_then_fixed_values_are_saved(tab_harness, api) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(InvoiceSettingsTab, BRASSERIE) as (pilot, tab):
        app = pilot.app

        await type_into(pilot, tab, "vat_number", "BE0123456748")
        assert error_of(tab, "vat_number") == "VAT number has a wrong check digit"
        await type_into(pilot, tab, "iban", BAD_IBAN)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(tab, "inv-message") == "Not saved: fix VAT number, IBAN first."
        assert (await api.invoice_settings(BRASSERIE)).version == 1

        await type_into(pilot, tab, "vat_number", "BE0123456749")
        assert error_of(tab, "vat_number") == ""
        assert not field(tab, "vat_number").has_class("-invalid")
        await type_into(pilot, tab, "iban", GOOD_IBAN)
        await type_into(pilot, tab, "payment_term_days", "60")
        tab.query_one("#inv-language", Select).value = Language.FR
        tab.query_one("#inv-default_vat_rate", Select).value = VatRate.SIX
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)

        stored = await api.invoice_settings(BRASSERIE)
        assert stored.vat_number == "BE0123456749"
        assert stored.iban == "BE71096123456769"
        assert stored.payment_term_days == 60
        assert stored.language is Language.FR and stored.default_vat_rate is VatRate.SIX
        assert stored.version == 2 and tab.version == 2
        assert not tab.has_unsaved_changes()
        assert "No unsaved changes · version 2" in text_of(tab, "inv-status")
        assert text_of(tab, "inv-message") == ""
        assert any(n.message == "Invoice settings saved" for n in app._notifications)


async def test_stale_version_keeps_the_typed_values_and_can_load_theirs(tab_harness, api) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(InvoiceSettingsTab, BRASSERIE) as (pilot, tab):
        app = pilot.app
        # Someone else saves after the tab loaded.
        theirs = await api.invoice_settings(BRASSERIE)
        changed = InvoiceSettingsUpdate.model_validate(
            {**theirs.model_dump(), "address": {**theirs.address.model_dump(), "city": "Gent"}}
        )
        await api.save_invoice_settings(BRASSERIE, changed, theirs.version)

        await type_into(pilot, tab, "phone", "+32 3 111 22 33")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "someone else saved" in text_of(tab, "inv-message")
        assert field(tab, "phone").value == "+32 3 111 22 33"  # kept while asking

        await pilot.press("y")  # load their values
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert field(tab, "city").value == "Gent"
        assert field(tab, "phone").value == theirs.phone
        assert tab.version == 2 and not tab.has_unsaved_changes()
        stored = await api.invoice_settings(BRASSERIE)
        assert stored.phone == theirs.phone and stored.version == 2


async def test_stale_version_keep_mine_saves_over_theirs_on_the_next_save(tab_harness, api) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(InvoiceSettingsTab, BRASSERIE) as (pilot, tab):
        app = pilot.app
        theirs = await api.invoice_settings(BRASSERIE)
        changed = InvoiceSettingsUpdate.model_validate(
            {**theirs.model_dump(), "phone": "+32 2 000"}
        )
        await api.save_invoice_settings(BRASSERIE, changed, theirs.version)

        await type_into(pilot, tab, "legal_name", "Het Anker")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep mine
        await settle(pilot)
        # Nothing was saved by choosing: the fields are the user's, the version the server's.
        assert field(tab, "legal_name").value == "Het Anker"
        assert field(tab, "phone").value == theirs.phone
        assert tab.version == 2 and tab.has_unsaved_changes()
        assert (await api.invoice_settings(BRASSERIE)).legal_name == theirs.legal_name
        assert "ctrl+s now saves them over version 2" in text_of(tab, "inv-message")

        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = await api.invoice_settings(BRASSERIE)
        assert stored.legal_name == "Het Anker"
        assert stored.phone == theirs.phone  # the user's form won, as they chose
        assert stored.version == 3 and not tab.has_unsaved_changes()


async def test_locked_numbering_is_disabled_with_the_reason(tab_harness, api) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(InvoiceSettingsTab, SMETS) as (pilot, tab):
        for name in ("next_number", "number_format"):
            assert field(tab, name).disabled
            assert field(tab, name).tooltip == "Numbering is locked after the first invoice"
        assert tab.query_one("#inv-locked").display
        assert "Numbering is locked after the first invoice" in text_of(tab, "inv-locked")
        assert text_of(tab, "inv-preview") == "Next invoice: F0311"

        # The rest of the form still saves; the numbering stays as it was.
        await type_into(pilot, tab, "payment_term_days", "14")
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = await api.invoice_settings(20)
        assert stored.payment_term_days == 14 and stored.next_number == 311
        assert stored.version == 2


async def test_numbering_locked_meanwhile_marks_the_fields_and_keeps_the_values(  # type: ignore[no-untyped-def]
    tab_harness, api, data_dir
) -> None:
    async with tab_harness(InvoiceSettingsTab, BRASSERIE) as (pilot, tab):
        # The client makes its first invoice after the tab loaded.
        engine = db.make_engine(data_dir / "demo.db")
        with engine.begin() as conn:
            conn.execute(
                update(db.invoice_settings)
                .where(db.invoice_settings.c.client_id == BRASSERIE)
                .values(numbering_locked=True)
            )
        engine.dispose()

        await type_into(pilot, tab, "next_number", "50")
        await type_into(pilot, tab, "city", "Temse")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "numbering is locked" in text_of(tab, "inv-message").lower()
        assert error_of(tab, "next_number") == "Locked after the first invoice; it was 1"
        assert field(tab, "next_number").has_class("-invalid")
        assert field(tab, "next_number").value == "50" and field(tab, "city").value == "Temse"
        assert tab.query_one("#inv-locked").display
        stored = await api.invoice_settings(BRASSERIE)
        assert stored.next_number == 1 and stored.address.city != "Temse"

        # Putting the number back lets the rest be saved.
        await type_into(pilot, tab, "next_number", "1")
        assert error_of(tab, "next_number") == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = await api.invoice_settings(BRASSERIE)
        assert stored.address.city == "Temse" and stored.version == 2


async def test_a_field_the_server_rejects_is_marked_and_values_kept(  # type: ignore[no-untyped-def]
    tab_harness, api, monkeypatch
) -> None:
    # An app whose check lags the server's rule: the server's 422 names the field.
    monkeypatch.setitem(invoice_settings.CHECKS, "city", str.strip)
    async with tab_harness(InvoiceSettingsTab, BRASSERIE) as (pilot, tab):
        long_city = "Sint-" + "x" * 100
        field(tab, "city").value = long_city
        await type_into(pilot, tab, "bic", "GEBABEBB")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_of(tab, "city") == "Longer than 100 characters"
        assert field(tab, "city").has_class("-invalid")
        assert "The server refused the settings" in text_of(tab, "inv-message")
        assert "Fix City and press ctrl+s again" in text_of(tab, "inv-message")
        assert field(tab, "city").value == long_city and field(tab, "bic").value == "GEBABEBB"
        stored = await api.invoice_settings(BRASSERIE)
        assert stored.bic != "GEBABEBB" and stored.version == 1


async def test_a_network_fault_keeps_everything_and_says_how_to_retry(  # type: ignore[no-untyped-def]
    tab_harness, api, monkeypatch
) -> None:
    async with tab_harness(InvoiceSettingsTab, BRASSERIE) as (pilot, tab):
        app = pilot.app
        client = app.session.client

        async def unreachable(*args: object, **kwargs: object) -> None:
            raise UnreachableError("The Lucy server did not answer.")

        with monkeypatch.context() as patch:
            patch.setattr(client, "save_invoice_settings", unreachable)
            await type_into(pilot, tab, "phone", "+32 9 000 00 00")
            await pilot.press("ctrl+s")
            await settle(pilot)
            message = text_of(tab, "inv-message")
            assert "Not saved: The Lucy server did not answer." in message
            assert "Everything you typed is kept" in message and "ctrl+s" in message
            assert field(tab, "phone").value == "+32 9 000 00 00"
            assert tab.has_unsaved_changes()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await api.invoice_settings(BRASSERIE)).phone == "+32 9 000 00 00"


async def test_escape_with_unsaved_changes_asks_and_stay_keeps_them(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_settings(pilot, "Brasserie Het Anker BV")
        await type_into(pilot, tab, "street", "Kaai 1")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # stay
        await pilot.pause()
        assert isinstance(app.screen, ClientDetailScreen)
        assert field(tab, "street").value == "Kaai 1" and tab.has_unsaved_changes()


async def test_switching_tabs_with_unsaved_changes_asks_first(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_settings(pilot, "Brasserie Het Anker BV")
        screen = app.screen
        tabs = screen.query_one(TabbedContent)
        loaded_street = field(tab, "street").value
        await type_into(pilot, tab, "street", "Kaai 1")

        screen.query_one(ContentTabs).focus()  # shift+tab to the tab bar
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Discard your changes to the invoice settings?" in str(
            app.screen.query_one(".dialog-body", Static).render()
        )
        assert tabs.active == "invoice-settings"
        await pilot.press("n")  # stay
        await pilot.pause()
        assert tabs.active == "invoice-settings"
        assert field(tab, "street").value == "Kaai 1"

        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")  # discard
        await settle(pilot)
        assert tabs.active == "documents"
        assert field(tab, "street").value == loaded_street
        assert not tab.has_unsaved_changes()

        await pilot.press("7", "1")  # nothing unsaved: no question
        await settle(pilot)
        assert tabs.active == "overview" and isinstance(app.screen, ClientDetailScreen)


async def test_refresh_with_unsaved_changes_asks_before_reloading(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_settings(pilot, "Brasserie Het Anker BV")
        await type_into(pilot, tab, "city", "Temse")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert field(tab, "city").value == "Temse"
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert field(tab, "city").value == "Sint-Niklaas" and not tab.has_unsaved_changes()


async def test_palette_lists_save_and_discard(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot, "Brasserie Het Anker BV")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Invoice settings: save" in titles
        assert "Invoice settings: discard changes / reload" in titles


# --- snapshots ----------------------------------------------------------------------------


async def test_hostile_settings_and_refusals_are_shown_as_text(  # type: ignore[no-untyped-def]
    tab_harness, data_dir: Path, monkeypatch
) -> None:
    settings = db.invoice_settings
    poison(
        data_dir,
        settings,
        settings.c.client_id == BRASSERIE,
        legal_name=MARKUP,
        street=OSC52,
        city=CLICK,
        footer=f"Betaling binnen 30 dagen.\r\n\t{CLEAR}{BIDI}",
    )
    async with tab_harness(InvoiceSettingsTab, BRASSERIE) as (pilot, tab):
        app = pilot.app
        # Inputs and the TextArea draw what they hold as is: no control character goes in.
        assert field(tab, "legal_name").value == MARKUP
        assert field(tab, "street").value == printable(OSC52)
        assert field(tab, "city").value == CLICK
        footer = tab.query_one("#inv-footer", TextArea).text
        assert footer == f"Betaling binnen 30 dagen.\n\t{printable(CLEAR + BIDI)}"
        assert not tab.has_unsaved_changes()  # what is shown counts as what was loaded

        async def refused(*args: object, **kwargs: object) -> None:
            raise ValidationError(
                f"{CLICK} refused",
                details=[
                    {"field": "address.city", "message": OSC52},
                    {"field": "[/]", "message": MARKUP},
                ],
            )

        monkeypatch.setattr(app.session.client, "save_invoice_settings", refused)
        await type_into(pilot, tab, "phone", "+32 9 000 00 00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert_literal(error_of(tab, "city"), OSC52)
        message = text_of(tab, "inv-message")
        assert_literal(message, f"The server refused the settings: {CLICK} refused", MARKUP)
        assert_literal(message, f"[/]: {MARKUP}")
        assert app.is_running


def test_snapshot_locked_numbering(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def shown(pilot: Pilot[None]) -> None:
        await open_settings(pilot, "Aalter Interieur BV")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=shown)


def test_snapshot_validation_errors(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def refused(pilot: Pilot[None]) -> None:
        tab = await open_settings(pilot, "Fietsen Willems")  # no IBAN yet
        await type_into(pilot, tab, "vat_number", "BE0123456748")
        await type_into(pilot, tab, "email", "thomas@")
        await type_into(pilot, tab, "number_format", "{year}")
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=refused)
