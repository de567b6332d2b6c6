"""Peppol on the network in the app: the Overview's lookup line and ``p``; the firm's
readiness screen. Lookups run against a local SML and SMP (tests/peppol_fakes.py) that the
embedded server is pointed at through LUCY_PEPPOL_*; nothing reaches the internet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Static, Switch

from lucy_server.peppol.smp import participant_path
from lucy_tui.api.models import PeppolLookupState
from lucy_tui.screens.detail.overview import OverviewTab
from lucy_tui.screens.peppol_readiness import PeppolReadinessScreen
from lucy_tui.screens.prompt import ConfirmScreen
from tests.peppol_fakes import FakeSml, FakeSmp

from .conftest import SIZE, settle, wait_loaded

AALTER = 1  # Aalter Interieur BV
KROON = 4  # Café De Kroon VOF: seeded as registered with Hermes


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeSml, FakeSmp]]:
    """A local Peppol network, and the embedded server pointed at it."""
    with FakeSml() as sml, FakeSmp() as smp:
        for name, value in sml.env().items():
            monkeypatch.setenv(name, value)
        yield sml, smp


def text_of(tab: OverviewTab, selector: str) -> str:
    return str(tab.query_one(selector, Static).render())


async def test_the_overview_shows_the_seeded_lookup(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, KROON) as (_pilot, tab):
        line = text_of(tab, "#peppol-lookup")
        assert "Registered with Hermes" in line
        assert "seat id PBE000001" in line and "SMP smp.hermes.demo.example" in line
        assert "checked" in line and "UTC" in line


async def test_p_says_when_the_server_looks_nobody_up(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER) as (pilot, _tab):
        await pilot.press("p")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        messages = [str(n.message) for n in pilot.app._notifications]
        assert any("does not look clients up" in m for m in messages), messages


async def test_p_finds_another_provider_and_then_a_stale_result(  # type: ignore[no-untyped-def]
    tab_harness, network: tuple[FakeSml, FakeSmp]
) -> None:
    sml, smp = network
    async with tab_harness(OverviewTab, AALTER) as (pilot, tab):
        assert tab.client is not None
        pid = "0208:" + tab.client.enterprise_number.replace(".", "")
        smp.register(pid, provider="Ketnet [b]Peppol[/b] NV", seat="PBE000555")
        sml.point(pid, smp.url)
        if tab.peppol is not None and tab.peppol.receiving:  # receiving on: switch it off
            await pilot.app.ctx.session.client.set_peppol(
                AALTER, sending=tab.peppol.sending, receiving=False, version=tab.peppol.version
            )
            tab.reload()
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

        await pilot.press("p")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        line = text_of(tab, "#peppol-lookup")
        assert "Registered with Ketnet [b]Peppol[/b] NV" in line  # as text, not markup
        assert "seat id PBE000555" in line
        assert "Ketnet [b]Peppol[/b] NV" in text_of(tab, "#peppol-elsewhere")
        assert tab.query_one("#peppol-receiving", Switch).disabled  # the rule, shown

        # The SMP goes down: the check fails, the last good result stands, stale.
        smp.answer(participant_path(pid), status=500)
        await pilot.press("p")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "Registered with Ketnet" in text_of(tab, "#peppol-lookup")
        note = text_of(tab, "#peppol-lookup-note")
        assert "Stale" in note and "answered 500" in note
        assert tab.query_one("#peppol-receiving", Switch).disabled


# --- the firm's readiness -----------------------------------------------------------------


async def open_readiness(pilot) -> PeppolReadinessScreen:  # type: ignore[no-untyped-def]
    await wait_loaded(pilot)
    await pilot.press("P")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PeppolReadinessScreen)
    return screen


def toasts(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications]


async def test_readiness_counts_and_filters_the_states(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_readiness(pilot)
        counts = screen.view.counts()
        total = len(pilot.app.get_screen("dashboard").view.rows)
        assert len(screen.view.rows) == total == sum(counts.values())
        shown = str(screen.query_one("#readiness-counts", Static).render())
        assert f"{total:,} clients" in shown
        elsewhere = counts[PeppolLookupState.REGISTERED_ELSEWHERE]
        assert f"Registered elsewhere: {elsewhere}" in shown
        # elsewhere first: what needs attention leads
        assert screen.view.row_at(0).state is PeppolLookupState.REGISTERED_ELSEWHERE
        await pilot.press("v")  # all -> registered elsewhere only
        assert len(screen.view) == elsewhere
        assert {row.state for row in map(screen.view.row_at, range(len(screen.view)))} == {
            PeppolLookupState.REGISTERED_ELSEWHERE
        }
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is pilot.app.get_screen("dashboard")


async def test_switching_receiving_on_skips_those_registered_elsewhere(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_readiness(pilot)
        view = screen.view
        kroon = view.rows[KROON]  # registered with Hermes, receiving off
        off = next(
            row
            for row in view.rows.values()
            if row.state is PeppolLookupState.NOT_REGISTERED and not row.client.peppol_receiving
        )
        view.toggle(KROON)
        view.toggle(off.id)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "1 client registered with another provider will be skipped" in app.screen.body
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        assert view.rows[off.id].client.peppol_receiving
        assert not view.rows[KROON].client.peppol_receiving
        told = "\n".join(toasts(app))
        assert "switched on for 1 client" in told
        assert f"{kroon.client.name} (Hermes)" in told
        # the client list follows
        await pilot.press("escape")
        await settle(pilot)
        row = pilot.app.get_screen("dashboard").view.get(off.id)
        assert row is not None and row.peppol_receiving


async def test_an_employee_switches_on_what_they_see(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(role="employee")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_readiness(pilot)
        dashboard = pilot.app.get_screen("dashboard")
        assert set(screen.view.rows) == {row.id for row in dashboard.view.rows}
        await pilot.press("A", "s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert all(row.client.peppol_sending for row in screen.view.rows.values())
        told = "\n".join(toasts(app))
        assert "Peppol sending switched on" in told and "no longer found" not in told


async def test_recheck_a_selection_on_the_network(  # type: ignore[no-untyped-def]
    make_app, network: tuple[FakeSml, FakeSmp]
) -> None:
    sml, smp = network
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_readiness(pilot)
        target = next(
            row for row in screen.view.rows.values() if row.state is PeppolLookupState.UNCHECKED
        )
        pid = "0208:" + target.client.enterprise_number.replace(".", "")
        smp.register(pid, provider="Recheck NV")
        sml.point(pid, smp.url)
        screen.view.toggle(target.id)
        await pilot.press("c")
        await settle(pilot)
        assert screen.view.rows[target.id].state is PeppolLookupState.REGISTERED_ELSEWHERE
        assert any("Checked 1 client" in toast for toast in toasts(app))
        row = pilot.app.get_screen("dashboard").view.get(target.id)
        assert row is not None and row.peppol_network is PeppolLookupState.REGISTERED_ELSEWHERE


async def test_recheck_says_when_the_server_looks_nobody_up(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_readiness(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert any("does not look clients up" in toast for toast in toasts(app))


def test_readiness_snapshot(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    async def shown(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_readiness(pilot)
        await pilot.press("space", "space")

    assert snap_compare(make_app(), run_before=shown, terminal_size=SIZE)
