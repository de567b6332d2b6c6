"""An admin (or any staff member: the server allows it) changes a client's plan and teams
after creation from the Overview (issue 11); the trial rules follow the plan."""

from __future__ import annotations

from textual.widgets import Select, SelectionList

from lucy_tui.api.models import Plan
from lucy_tui.screens.detail.overview import OverviewTab
from lucy_tui.screens.plan_and_teams import PlanAndTeamsScreen

from .conftest import settle

AALTER_ID = 1  # Lucy Business Pro, active, team North


async def test_e_changes_the_plan_and_the_teams_with_the_version(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_ID) as (pilot, tab):
        app = pilot.app
        before = await app.session.client.client(AALTER_ID)
        assert before.plan is Plan.BUSINESS_PRO and [t.name for t in before.teams] == ["North"]
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PlanAndTeamsScreen)
        form.query_one("#plan", Select).value = Plan.TRIAL
        teams = form.query_one(SelectionList)
        assert teams.selected == [1]  # North, as the client has it
        teams.select(2)  # and South
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, PlanAndTeamsScreen)
        after = await app.session.client.client(AALTER_ID)
        assert after.plan is Plan.TRIAL and after.trial_ends_on is not None  # active: 30 days
        assert [t.name for t in after.teams] == ["North", "South"]
        assert after.version == before.version + 1
        assert tab.client is not None and tab.client.plan is Plan.TRIAL  # shown at once

        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#plan", Select).value = Plan.BUSINESS
        await pilot.press("ctrl+s")
        await settle(pilot)
        last = await app.session.client.client(AALTER_ID)
        assert last.plan is Plan.BUSINESS and last.trial_ends_on is None  # only on Trial
        assert [t.name for t in last.teams] == ["North", "South"]  # not sent, not changed


async def test_escape_or_no_change_sends_nothing(tab_harness) -> None:  # type: ignore[no-untyped-def]
    async with tab_harness(OverviewTab, AALTER_ID) as (pilot, _):
        app = pilot.app
        before = await app.session.client.client(AALTER_ID)
        for key in ("escape", "ctrl+s"):
            await pilot.press("e")
            await settle(pilot)
            assert isinstance(app.screen, PlanAndTeamsScreen)
            await pilot.press(key)
            await settle(pilot)
            assert not isinstance(app.screen, PlanAndTeamsScreen)
        assert (await app.session.client.client(AALTER_ID)).version == before.version
