"""Issue 12: what a new user ran into, each driven as that user did, at 160x50 and 80x24."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from lucy_tui.clients.rows import COLUMNS, Column
from lucy_tui.widgets.client_table import ClientTable

from .conftest import SIZE, open_client, settle, wait_loaded

SMALL = (80, 24)
SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["160x50", "80x24"])


def status_line(screen) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one("#status-line", Static).render())


@SIZES
async def test_the_cursor_shows_on_a_hidden_clients_row(make_app, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        hidden = next(row for row in screen.view.shown() if row.hidden)
        plain = next(row for row in screen.view.shown() if not row.hidden)
        cursor = table.get_component_rich_style("virtual-table--cursor")
        for row in (hidden, plain):
            table.move_to(row.id)
            await pilot.pause()
            y = table.cursor_row - round(table.scroll_offset.y) + 1
            name = next(s for s in table.render_line(y) if row.name[:10] in s.text)
            assert name.style is not None and name.style.bgcolor == cursor.bgcolor, row.name
            if row.hidden:
                assert name.style.italic  # still told apart from the others


@SIZES
async def test_the_status_line_names_the_column_the_header_marks(make_app, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        moves = (("right", Column.CONTACT), ("right", Column.TEAM), ("left", Column.CONTACT))
        for key, column in moves:
            await pilot.press(key)
            assert table.current_column is column
            title = next(spec.title for spec in COLUMNS if spec.column is column)
            assert f"column: {title}" in status_line(screen)


@SIZES
async def test_the_client_table_shows_rows_to_its_last_line_not_a_scrollbar(make_app, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        assert table.show_vertical_scrollbar  # 150 clients: more than fit
        assert not table.show_horizontal_scrollbar  # it moves through columns itself (h/l)
        last_line = table.render_line(table.scrollable_content_region.height - 1).text
        row = screen.view.row_at(table.scrollable_content_region.height - 2)
        assert row.name[:15] in last_line


@SIZES
async def test_every_client_column_is_reachable_and_shown_under_the_cursor(make_app, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        await pilot.press("home")
        for spec in COLUMNS[2:]:
            await pilot.press("l")
            assert table.current_column is spec.column
            header = table.render_line(0).text
            assert header.startswith(" ★ Client"), header  # the name stays
            assert spec.title in header, (spec.title, header)
            await pilot.press("s")  # the sorted column's marker is on screen, not clipped
            assert f"{spec.title} ▲" in table.render_line(0).text
            await pilot.press("s")
            assert f"{spec.title} ▼" in table.render_line(0).text


@SIZES
async def test_invoice_settings_refuse_an_empty_legal_name(tab_harness, size) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input

    from lucy_tui.screens.detail.invoice_settings import InvoiceSettingsTab

    brasserie = "Brasserie Het Anker BV"
    async with tab_harness(InvoiceSettingsTab, brasserie, size=size) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        version = tab.version
        name = tab.query_one("#inv-legal_name", Input)
        name.focus()
        await pilot.press("end", "ctrl+u")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert tab.version == version  # nothing saved
        error = str(tab.query_one("#inv-legal_name-error", Static).render())
        assert "required" in error
        stored = await app.session.client.invoice_settings(tab.client_id)
        assert stored.legal_name == "Brasserie Het Anker BV" and stored.version == version


def type_path(app, path: str) -> None:  # type: ignore[no-untyped-def]
    """Put ``path`` in the download dialog's field (the path is tested, not the typing)."""
    from textual.widgets import Input

    app.screen.query_one(Input).value = path


def vault(tab_harness, **options):  # type: ignore[no-untyped-def]
    """Aalter's Vault tab, alone."""
    from lucy_tui.screens.detail.vault import VaultTab

    return tab_harness(VaultTab, "Aalter Interieur BV", **options)


@SIZES
async def test_the_vault_table_moves_with_j_and_k(tab_harness, size) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import DataTable

    from lucy_tui.screens.prompt import ConfirmScreen

    async with vault(tab_harness, role="employee", size=size) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        table = tab.query_one("#vault-table", DataTable)
        assert table.has_focus or tab.has_focus
        table.focus()
        await pilot.press("j")
        assert table.cursor_row == 1
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.title_text == "Delete Annual accounts 2024.pdf?"
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("j", "k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0


def test_users_and_banking_tables_answer_the_same_keys() -> None:
    from lucy_tui.widgets.data_table import KeyTable

    keys = {key for binding in KeyTable.BINDINGS for key in binding.key.split(",")}  # type: ignore[union-attr]
    assert {"j", "k", "g", "G", "home", "end", "h", "l"} <= keys
    import inspect

    from lucy_tui.screens.detail import banking, users, vault

    for module in (banking, users, vault):
        assert "KeyTable(" in inspect.getsource(module), module.__name__


@pytest.mark.parametrize("typed", ["{folder}/", "{folder}"])
async def test_a_vault_download_to_a_folder_goes_into_it(tab_harness, tmp_path, typed) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "downloads"
    folder.mkdir()
    async with vault(tab_harness) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        await pilot.press("d")
        await settle(pilot)
        type_path(app, typed.format(folder=folder))
        await pilot.press("enter")
        await settle(pilot)
        files = await app.session.client.vault_files(1)
        assert [p.name for p in folder.iterdir()] == [files[0].name]


async def test_a_vault_download_into_a_missing_folder_asks_first(tab_harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.screens.prompt import ConfirmScreen

    missing = tmp_path / "new" / "folder"
    async with vault(tab_harness) as (pilot, tab):
        app = pilot.app
        assert tab.loaded
        for answer in ("n", "y"):
            await pilot.press("d")
            await settle(pilot)
            type_path(app, f"{missing}/")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmScreen)
            assert str(missing) in app.screen.body
            await pilot.press(answer)
            await settle(pilot)
            assert missing.exists() is (answer == "y")
        files = await app.session.client.vault_files(1)
        assert [p.name for p in missing.iterdir()] == [files[0].name]


def burst(app, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` (\\n: enter) as a fast typist does: every key queued at once, none
    waiting for the app to catch up."""
    from textual import events

    for char in text:
        if char == "\n":
            app.post_message(events.Key("enter", "\r"))
        else:
            app.post_message(events.Key(char, char))


@SIZES
async def test_allowed_senders_typed_fast_are_each_added(tab_harness, size) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.screens.detail.overview import OverviewTab

    from .test_overview import AALTER_NAME, AALTER_SENDERS, listed, open_senders

    async with tab_harness(OverviewTab, AALTER_NAME, size=size) as (pilot, _):
        app = pilot.app
        modal = await open_senders(pilot)
        typed = [f"a{i}@x.be" for i in range(1, 13)]
        burst(app, "\n".join(typed) + "\n")
        await settle(pilot)
        assert [row.split()[0] for row in listed(modal)] == AALTER_SENDERS + typed
        assert modal.query_one("#sender-input").value == ""  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = await app.session.client.allowed_senders(1)
        assert saved.senders == AALTER_SENDERS + typed


async def test_allowed_senders_pasting_several_lines_adds_each(tab_harness) -> None:  # type: ignore[no-untyped-def]
    from textual import events

    from lucy_tui.screens.detail.overview import OverviewTab

    from .test_overview import AALTER_NAME, AALTER_SENDERS, listed, open_senders

    async with tab_harness(OverviewTab, AALTER_NAME) as (pilot, _):
        modal = await open_senders(pilot)
        field = modal.query_one("#sender-input")
        field.post_message(events.Paste("one@x.be\n\ntwo@x.be\r\nnot an address\nthree@x.be\n"))
        await settle(pilot)
        added = [row.split()[0] for row in listed(modal)][len(AALTER_SENDERS) :]
        assert added == ["one@x.be", "two@x.be", "three@x.be"]
        error = text_of(modal, "#sender-error")
        assert "Added 3 of 4" in error and "not an address" in error
        assert field.value == "not an address"  # type: ignore[attr-defined]
        # One line pasted is typed into the field, as before.
        field.value = ""  # type: ignore[attr-defined]
        field.post_message(events.Paste("four@x.be"))
        await settle(pilot)
        assert field.value == "four@x.be"  # type: ignore[attr-defined]


def text_of(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one(selector, Static).render())


@SIZES
async def test_the_sign_in_form_shows_its_button_with_an_error(make_app, data_dir, size) -> None:  # type: ignore[no-untyped-def]
    import httpx
    from textual.widgets import Button, Input

    from lucy_server.app import create_app
    from lucy_tui.screens.sign_in import SignInScreen

    transport = httpx.ASGITransport(app=create_app(data_dir / "demo.db"))
    app = make_app(server="http://lucy.test", transport=transport)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        for password in ("", "not-the-password"):
            screen.query_one("#email", Input).value = "admin@demo-firm.be"
            screen.query_one("#password", Input).value = password
            screen.query_one("#password", Input).focus()
            await pilot.press("enter")
            await settle(pilot)
            assert text_of(screen, "#sign-in-error")  # an error is shown...
            button = screen.query_one("#sign-in-button", Button)
            region = button.region
            assert region.height == 3 and screen.region.contains_region(region)
            # ...and the button is on screen, whole, not under the dialog's edge.
            for y in range(region.y, region.bottom):
                widget, _ = screen.get_widget_at(region.x + 3, y)
                assert widget is button, (y, widget)


@SIZES
async def test_clearing_the_selection_after_a_resend_updates_the_outcome(tab_harness, size) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.screens.detail.documents import DocumentsTab

    async with tab_harness(DocumentsTab, "Aalter Interieur BV", size=size) as (pilot, tab):
        app, screen = pilot.app, pilot.app.screen
        await pilot.press("F", "t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        outcome = text_of(tab, "#documents-outcome")
        assert "Resend: 2 sent, 2 failed again." in outcome
        assert "2 documents still selected." in outcome
        await pilot.press("x")
        await settle(pilot)
        assert not tab.table.view.selected
        outcome = text_of(tab, "#documents-outcome")
        assert "Resend: 2 sent, 2 failed again." in outcome
        assert "selected" not in outcome


@SIZES
async def test_every_field_of_the_new_client_form_is_shown_when_focused(make_app, size) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Button, Select

    from lucy_tui.screens.new_client import NewClientScreen

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await wait_loaded(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewClientScreen)

        def on_screen(focused) -> bool:  # type: ignore[no-untyped-def]
            """Whole in the form's region, and what is drawn at its middle."""
            region = focused.region
            if not (region.height and form.region.contains_region(region)):
                return False
            widget, _ = form.get_widget_at(region.x + 2, region.y + region.height // 2)
            return widget is focused or focused in widget.ancestors_with_self

        seen = []
        for _ in range(8):
            await pilot.press("tab")
            for _ in range(20):  # the form scrolls to the field (later on a busy machine)
                await pilot.wait_for_scheduled_animations()
                await pilot.pause()
                if app.focused is not None and on_screen(app.focused):
                    break
            focused = app.focused
            assert focused is not None
            seen.append(focused.id)
            assert on_screen(focused), focused.id
        assert {"plan", "team", "contact", "create"} <= set(seen)
        assert isinstance(form.query_one("#create"), Button)
        assert isinstance(form.query_one("#plan"), Select)


@SIZES
async def test_every_documents_column_is_reachable(tab_harness, size) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.document_view import COLUMNS as DOC_COLUMNS
    from lucy_tui.screens.detail.documents import DocumentsTab

    async with tab_harness(DocumentsTab, "Aalter Interieur BV", size=size) as (pilot, tab):
        table = tab.table
        for _ in DOC_COLUMNS:
            await pilot.press("h")
        await pilot.press("l")
        for spec in DOC_COLUMNS[1:]:
            assert table.current_column is spec.column
            assert spec.title in table.render_line(0).text, spec.title
            await pilot.press("l")


@SIZES
async def test_invoice_settings_show_every_label_and_value_whole(data_dir, size) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input, Label, Select, TextArea

    from lucy_tui.screens.detail.invoice_settings import InvoiceSettingsTab

    from .conftest import TODAY
    from .harness import make_tab_harness

    harness = make_tab_harness(data_dir, TODAY, size)
    async with harness(InvoiceSettingsTab, "Brasserie Het Anker BV") as (pilot, tab):
        form = tab.query_one("#inv-form")
        fields = list(tab.query(".inv-field"))
        assert len(fields) == 17
        for field in fields:
            label = field.query_one(Label)
            text = str(label.render())
            # The label fits its field, and no neighbour covers any of it.
            assert field.content_region.width >= len(text), text
            control = field.query_one("Input, Select, TextArea")
            control.focus()
            for _ in range(20):  # the form scrolls to the field (animated, on a busy machine)
                await pilot.wait_for_scheduled_animations()
                await pilot.pause()
                if form.region.contains_region(control.region):
                    break
            region = control.region
            assert region.height and form.region.contains_region(region), text
            widget, _ = tab.screen.get_widget_at(region.x + 1, region.y + 1)
            assert widget is control or control in widget.ancestors_with_self, text
            label_widget, _ = tab.screen.get_widget_at(label.region.right - 1, label.region.y)
            assert label_widget is label, text
            if isinstance(control, Input):  # the whole value shows, with room for the cursor
                assert control.content_region.width > len(control.value), (text, control.value)
            elif isinstance(control, Select):
                shown = str(control.selection)
                assert control.content_region.width >= len(shown) + 4, text
            else:
                assert isinstance(control, TextArea)


async def test_tabbing_into_an_invoice_settings_field_keeps_its_value(tab_harness) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input

    from lucy_tui.screens.detail.invoice_settings import InvoiceSettingsTab

    async with tab_harness(InvoiceSettingsTab, "Brasserie Het Anker BV") as (pilot, tab):
        tab.focus()
        await pilot.press("tab", "X")  # into Legal name: the key adds to the value
        name = tab.query_one("#inv-legal_name", Input)
        assert name.has_focus and name.value == "Brasserie Het Anker BVX"
        await pilot.press("tab", "2")  # on to the street, the cursor after its value
        street = tab.query_one("#inv-street", Input)
        assert street.has_focus and street.value == "Brugsesteenweg 112"
        await pilot.press("shift+tab", "backspace")  # back: the cursor at the end again
        assert name.value == "Brasserie Het Anker BV"


@SIZES
async def test_the_password_typed_right_after_the_email_goes_into_its_field(
    make_app, data_dir, size
) -> None:  # type: ignore[no-untyped-def]
    import httpx
    from textual.widgets import Input

    from lucy_server.app import create_app
    from lucy_tui.screens.dashboard import DashboardScreen
    from lucy_tui.screens.sign_in import SignInScreen

    transport = httpx.ASGITransport(app=create_app(data_dir / "demo.db"))
    app = make_app(server="http://lucy.test", transport=transport)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        assert screen.query_one("#email", Input).has_focus
        burst(app, "admin@demo-firm.be\nlucy-dem")  # every key queued at once
        await settle(pilot)
        assert screen.query_one("#email", Input).value == "admin@demo-firm.be"
        assert screen.query_one("#password", Input).value == "lucy-dem"
        burst(app, "o\n")
        await wait_loaded(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_help_lists_each_key_once_and_only_the_apps_own(make_app) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        screen = await open_client(pilot, "Aalter Interieur BV")
        for tab in ("1", "2", "escape"):  # the Overview, the documents, the client list
            await pilot.press(tab)
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            keys = [key for keys, _ in help_screen.keys for key in keys.split(" / ")]
            assert len(keys) == len(set(keys)), keys
            descriptions = [description for _, description in help_screen.keys]
            assert len(descriptions) == len(set(descriptions)), descriptions
            for internal in ("Copy selected text", "Page Left", "Focus Next", "palette"):
                assert internal not in descriptions, internal
            assert keys.count("^p") == 1 and "Command palette" in descriptions
            assert keys.count("?") == 1 and keys.count("^q") == 1
            await pilot.press("escape")
            await settle(pilot)
        assert app.screen is not screen


def footer_keys(screen) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The footer's keys as drawn, each checked whole: none under the palette's key."""
    from textual.widgets import Footer

    footer = screen.query_one(Footer)
    keys = {key.key: key for key in footer.query("FooterKey")}
    palette = keys.pop("ctrl+p", None)
    for key in keys.values():
        assert footer.region.contains_region(key.region), key.key  # type: ignore[attr-defined]
        if palette is not None:
            assert key.region.right <= palette.region.x, key.key  # type: ignore[attr-defined]
    return keys


async def footer_offering(pilot, screen, key: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """``footer_keys`` once the footer offers ``key``: it recomposes in its own turn once
    the table has the focus."""
    for _ in range(40):
        if key in footer_keys(screen):
            break
        await pilot.pause()
    return footer_keys(screen)


@pytest.mark.parametrize("role", ["admin", "employee"])
async def test_the_footer_offers_what_works_and_shows_it_whole(make_app, role) -> None:  # type: ignore[no-untyped-def]
    app = make_app(role=role)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        keys = await footer_offering(pilot, screen, "enter")
        assert {"enter", "slash", "f", "n", "question_mark"} <= set(keys)
        screen = await open_client(pilot, "Aalter Interieur BV")
        overview = set(footer_keys(screen))
        assert {"s", "r", "a", "escape", "f", "question_mark"} <= overview
        # The admin-only keys: offered to admins only.
        assert ({"h", "c"} <= overview) is (role == "admin")
        assert not ({"h", "c"} & overview) or role == "admin"
        await pilot.press("2")
        await settle(pilot)
        documents = footer_keys(screen)
        assert {"space", "x", "t", "escape"} <= set(documents)  # x clears the selection
        assert "Clear" in str(documents["x"].render())  # type: ignore[attr-defined]


@SIZES
async def test_a_dialog_shows_its_own_keys_not_the_lists(make_app, size) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Footer

    from lucy_tui.screens.new_client import NewClientScreen

    app = make_app()
    async with app.run_test(size=size) as pilot:
        dashboard = await wait_loaded(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewClientScreen)
        keys = set(footer_keys(form))
        assert {"escape", "ctrl+s"} <= keys and "slash" not in keys
        # The bottom line is the dialog's footer: the list's is not seen underneath.
        widget, _ = form.get_widget_at(1, size[1] - 1)
        footer = form.query_one(Footer)
        assert widget is footer or footer in widget.ancestors_with_self
        assert dashboard.query_one(Footer) not in widget.ancestors_with_self


@pytest.mark.parametrize(
    ("role", "name", "expected"),
    [
        ("admin", "Aalter Interieur BV", "Hide from employees (h): off"),
        ("admin", "Apotheek Aalst SNC", "Hide from employees (h): on"),
        ("employee", "Aalter Interieur BV", "Hide from employees: off"),
    ],
)
async def test_every_switch_says_on_or_off_in_words(tab_harness, role, name, expected) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Label, Switch

    from lucy_tui.screens.detail.overview import OverviewTab

    async with tab_harness(OverviewTab, name, role=role) as (_pilot, tab):
        assert str(tab.query_one("#hidden-label", Label).render()) == expected
        for switch in tab.query(Switch):
            label = str(tab.query_one(f"#{switch.id}-label".replace("-switch", ""), Label).render())
            assert label.endswith(": on" if switch.value else ": off"), (switch.id, label)
