"""Peppol on the network in the app: the Overview's lookup line and ``p``; the firm's
readiness screen. Lookups run against a local SML and SMP (tests/peppol_fakes.py) that the
embedded server is pointed at through LUCY_PEPPOL_*; nothing reaches the internet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Static, Switch

from lucy_server.peppol.smp import participant_path
from lucy_tui.screens.detail.overview import OverviewTab
from tests.peppol_fakes import FakeSml, FakeSmp

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
    async with tab_harness(OverviewTab, AALTER) as (pilot, tab):
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
