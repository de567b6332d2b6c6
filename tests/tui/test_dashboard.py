"""The client list, driven by keyboard as an accountant uses it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from textual.widgets import Input, Static

from lucy_tui.api.models import ClientStatus, Plan, Role
from lucy_tui.clients.rows import COLUMNS, Column
from lucy_tui.screens.client_detail import ClientDetailScreen
from lucy_tui.screens.help import HelpScreen
from lucy_tui.screens.new_client import NewClientScreen
from lucy_tui.screens.prompt import PromptScreen
from lucy_tui.widgets.client_table import ClientTable

from .conftest import SIZE, settle, wait_loaded


def names(screen) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.name for row in screen.view.shown()]


async def test_embedded_default_shows_the_demo_firm_as_admin(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        assert app.session.staff.role is Role.ADMIN
        assert screen.total == len(screen.view) == 150
        banner = str(screen.query_one("#banner", Static).render())
        assert "Embedded demo firm" in banner
        hidden = [row for row in screen.view.shown() if row.hidden]
        assert hidden, "the admin sees hidden clients"
        status = str(screen.query_one("#status-line", Static).render())
        assert "150 of 150 clients" in status


async def test_employee_sees_neither_hidden_nor_other_team_clients(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(role="employee")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        rows = list(screen.view.shown())
        assert app.session.staff.role is Role.EMPLOYEE
        assert 0 < len(rows) < 150
        assert screen.total == len(rows)
        assert not any(row.hidden for row in rows)
        assert all(not row.teams or "North" in row.teams for row in rows)
        assert "Transport Lambert SRL" not in names(screen)  # South only


async def test_keyboard_navigation_and_open_returns_to_the_same_row(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        assert table.has_focus and table.cursor_row == 0
        await pilot.press("j", "j", "down")
        assert table.cursor_row == 3
        await pilot.press("k")
        assert table.cursor_row == 2
        await pilot.press("G")
        assert table.cursor_row == len(screen.view) - 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("pagedown")
        assert table.cursor_row > 20
        chosen = table.cursor_client
        assert chosen is not None
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ClientDetailScreen)
        assert app.screen.client_id == chosen.id
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert table.cursor_client is not None and table.cursor_client.id == chosen.id


async def test_filter_language_as_you_type(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"status:invited")
        rows = list(screen.view.shown())
        assert rows and all(row.status is ClientStatus.INVITED for row in rows)
        await pilot.press("space", *"plan:pro")
        rows = list(screen.view.shown())
        assert rows and all(row.plan is Plan.BUSINESS_PRO for row in rows)
        # enter goes back to the list and keeps the filter
        await pilot.press("enter")
        assert isinstance(app.focused, ClientTable)
        assert len(screen.view) == len(rows)
        assert "filter: status:invited plan:pro" in str(
            screen.query_one("#status-line", Static).render()
        )
        # escape clears it
        await pilot.press("escape")
        assert len(screen.view) == 150
        assert screen.query_one("#filter", Input).value == ""


async def test_filter_fields_and_free_words(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        filter_input = screen.query_one("#filter", Input)

        async def filtered(text: str) -> list:  # type: ignore[type-arg]
            filter_input.value = text
            await pilot.pause()
            return list(screen.view.shown())

        assert all(
            not (r.peppol_sending or r.peppol_receiving) for r in await filtered("peppol:off")
        )
        assert all(r.inbox_count > 0 for r in await filtered("inbox:>0"))
        soon = await filtered("trial:<30d")
        assert soon and all(r.trial_ends_on is not None for r in soon)
        assert all("north" in r.teams.lower() for r in await filtered("team:north"))
        assert [r.name for r in await filtered("kroon")] == ["Café De Kroon VOF"]
        by_number = await filtered(screen.view.rows[0].enterprise_number.replace(".", ""))
        assert [r.id for r in by_number] == [screen.view.rows[0].id]


async def test_unknown_filter_field_shows_a_hint_and_keeps_the_list(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("slash", *"colour:red")
        hint = screen.query_one("#filter-hint", Static)
        assert hint.display
        assert "unknown field 'colour'" in str(hint.render())
        assert len(screen.view) == 150
        await pilot.press("escape")
        assert not hint.display


async def test_sort_by_current_column_and_reverse(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        inbox = [spec.column for spec in COLUMNS].index(Column.INBOX)
        await pilot.press(*["l"] * (inbox - table.cursor_column))
        assert table.current_column is Column.INBOX
        await pilot.press("s")
        counts = [row.inbox_count for row in screen.view.shown()]
        assert counts == sorted(counts) and counts[0] < counts[-1]
        await pilot.press("s")
        counts = [row.inbox_count for row in screen.view.shown()]
        assert counts == sorted(counts, reverse=True)


async def test_favourite_comes_first_and_survives_a_restart(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("G")
        last = screen.query_one(ClientTable).cursor_client
        assert last is not None
        await pilot.press("f")
        await settle(pilot)
        assert names(screen)[0] == last.name
        assert screen.query_one(ClientTable).cursor_client.id == last.id  # type: ignore[union-attr]
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        assert screen.view.favourites == {last.id}
        assert names(screen)[0] == last.name
        await pilot.press("f")  # the cursor starts on it: un-star
        await settle(pilot)
        assert screen.view.favourites == set()


async def test_corrupt_favourites_file_is_set_aside_with_a_notice(make_app, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("f")
        await settle(pilot)
        path = app.favourites.path
    path.write_text("{not json")
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        assert screen.view.favourites == set()
        assert any("favourites file was damaged" in n.message for n in again._notifications)
        assert path.with_name(path.name + ".corrupt").read_text() == "{not json"
        assert len(screen.view) == 150


async def test_new_client_rejects_a_bad_enterprise_number_then_creates(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewClientScreen)
        await pilot.press(*"Frituur Test BV")
        form.query_one("#enterprise_number", Input).value = "0123.456.748"
        form.query_one("#email", Input).value = "owner@frituur-test.be"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        error = str(form.query_one("#enterprise_number-error", Static).render())
        assert "check digit" in error
        assert form.query_one("#name", Input).value == "Frituur Test BV"  # nothing lost
        assert len(screen.view.rows) == 150  # nothing created
        form.query_one("#enterprise_number", Input).value = "BE 0123.456.749"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        created = screen.query_one(ClientTable).cursor_client
        assert created is not None and created.name == "Frituur Test BV"
        assert created.enterprise_number == "0123.456.749"
        assert created.status is ClientStatus.CREATED
        assert len(screen.view.rows) == 151
        # i sends the invitation: Created -> Invited
        await pilot.press("i")
        await settle(pilot)
        assert screen.view.get(created.id).status is ClientStatus.INVITED  # type: ignore[union-attr]


async def test_new_client_duplicate_number_is_shown_on_the_field(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        existing = screen.view.rows[0]
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        form.query_one("#name", Input).value = "Copycat BV"
        form.query_one("#enterprise_number", Input).value = existing.enterprise_number
        form.query_one("#email", Input).value = "copy@cat.be"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert str(form.query_one("#enterprise_number-error", Static).render())
        assert len(screen.view.rows) == 150


async def test_export_writes_the_shown_rows(make_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    target = tmp_path / "out" / "clients.csv"
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("slash", *"status:active", "enter")
        shown = names(screen)
        await pilot.press("e")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        assert prompt.query_one(Input).value.endswith("lucy-clients-2026-11-27.csv")
        prompt.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    with target.open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    assert [r["name"] for r in records] == shown
    assert {r["status"] for r in records} == {"Active"}


async def test_help_lists_the_keys_of_the_dashboard(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        descriptions = {description for _, description in app.screen.keys}
        for expected in (
            "Filter",
            "Favourite",
            "New client",
            "Invite",
            "Sort",
            "Export CSV",
            "Open",
        ):
            assert expected in descriptions
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_the_dashboard_actions(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        titles = [command.title for command in app.get_system_commands(screen)]
        assert "Clients: export CSV" in titles and "Clients: new client" in titles
        await pilot.press("ctrl+p", *"new client")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NewClientScreen)


async def test_palette_key_hints_follow_the_users_keymap(make_app, config_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.local.config import load_settings

    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text('[keys]\n"clients.favourite" = "asterisk"\n')
    for settings, key in ((None, "f"), (load_settings(config_dir), "*")):
        app = make_app(settings=settings) if settings else make_app()
        async with app.run_test(size=SIZE) as pilot:
            screen = await wait_loaded(pilot)
            helps = {c.title: c.help for c in app.get_system_commands(screen)}
            assert helps["Clients: toggle favourite"] == f"Star the client under the cursor ({key})"
            assert helps["Clients: refresh"].endswith("(^r)")


async def test_config_file_key_override_is_applied(make_app, config_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from lucy_tui.local.config import load_settings

    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text('[keys]\n"clients.favourite" = "asterisk"\n')
    app = make_app(settings=load_settings(config_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("f")
        assert screen.view.favourites == set()
        await pilot.press("asterisk")
        await settle(pilot)
        assert len(screen.view.favourites) == 1
    saved = json.loads(app.favourites.path.read_text())
    assert len(saved["clients"]) == 1


async def test_last_sessions_list_is_painted_before_the_server_answers(  # type: ignore[no-untyped-def]
    make_app, monkeypatch
) -> None:
    import threading

    import lucy_tui.app as app_module

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
    assert app.snapshot is not None and app.snapshot.path.exists()

    # Next start: the server is slow to come up; the last session's rows show meanwhile.
    release = threading.Event()
    open_client = app_module.open_embedded_client

    def slow_open(*args):  # type: ignore[no-untyped-def]
        release.wait(timeout=30)
        return open_client(*args)

    monkeypatch.setattr(app_module, "open_embedded_client", slow_open)
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = again.get_screen("dashboard")
        assert len(screen.view) == 120
        assert screen.view.row_at(0).name == "Aalter Interieur BV"
        assert "from your last session" in str(screen.query_one("#status-line", Static).render())
        release.set()
        await wait_loaded(pilot)
        assert len(screen.view) == 150
        assert "from your last session" not in str(
            screen.query_one("#status-line", Static).render()
        )


async def test_header_titles_stand_over_their_columns(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        table = screen.query_one(ClientTable)
        header = table.render_line(0).text
        first = table.render_line(1).text
        row = screen.view.row_at(0)
        assert header.index("Contact") == first.index(row.contact)
        assert header.index("Plan") == first.index(row.plan.label)
        assert header.index("Client") == first.index(row.name)


async def test_trials_ending_soon_are_counted_in_a_large_firm(tmp_path: Path) -> None:
    from lucy_server.db import make_engine
    from lucy_server.seed import seed_demo
    from lucy_tui.app import LucyApp

    from .conftest import TODAY

    data = tmp_path / "large"
    engine = make_engine(data / "demo.db")
    seed_demo(engine, clients=6_000, today=TODAY)
    engine.dispose()
    app = LucyApp(config_dir=tmp_path / "cfg", data_dir=data, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        soon = sum(1 for row in screen.view.shown() if row.trial_ends_soon(TODAY))
        assert soon > 0
        status = str(screen.query_one("#status-line", Static).render())
        assert f"{soon} trial(s) end within 7 days" in status
        await pilot.press("j")  # a move reuses the count
        assert f"{soon} trial(s) end within 7 days" in str(
            screen.query_one("#status-line", Static).render()
        )


async def test_embedded_session_ending_is_renewed_without_asking(  # type: ignore[no-untyped-def]
    make_app, data_dir: Path
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from lucy_server import db
    from lucy_tui.screens.dashboard import DashboardScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("slash", *"status:active", "enter")
        old_token = app.session.client.token
        # Every session of the demo firm ends (as logouts elsewhere would do).
        engine = db.make_engine(data_dir / "demo.db")
        with db.write_tx(engine) as conn:
            conn.execute(update(db.sessions).values(revoked_at=datetime.now(UTC)))
        engine.dispose()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)  # no sign-in screen for the demo
        assert app.session.client.token not in (None, old_token)
        assert screen.loading_done
        assert len(screen.view) > 0
        assert screen.query_one("#filter", Input).value == "status:active"


async def test_accents_and_case_do_not_matter_to_sort_or_filter(make_app) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: "Électricité ..." sorts among the E's and "electricite" finds it."""
    from lucy_tui.api.folding import fold

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        names = [row.name for row in screen.view.shown()]
        accented = [name for name in names if name.startswith("Électricité")]
        assert accented, "the demo firm has an accented name"
        keys = [fold(name) for name in names]
        assert keys == sorted(keys)
        assert names.index(accented[0]) < names.index(
            next(name for name in names if name.startswith("F"))
        )
        await pilot.press("slash", *"electricite")
        await settle(pilot)
        shown = [row.name for row in screen.view.shown()]
        assert shown and all("électricité" in name.casefold() for name in shown)
        assert set(accented) <= set(shown)


async def test_the_loaded_list_is_kept_out_of_garbage_collections(make_app) -> None:  # type: ignore[no-untyped-def]
    """At 50,000 clients a full collection walking the rows took ~80 ms mid-keystroke."""
    import gc

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await wait_loaded(pilot)
        await settle(pilot)
        collected = {id(o) for o in gc.get_objects()}  # what later collections walk
        rows = dashboard.view.rows
        assert len(rows) == 150 and not any(id(row) in collected for row in rows)
