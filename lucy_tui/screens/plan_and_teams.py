"""Change a client's plan and teams after creation (issue 11): one small form.

It loads the firm's teams itself, starts from the client's current plan and teams, and
dismisses with a ``ClientUpdate`` holding only what changed (or None on ``escape``); the
Overview saves it with the client's version. A trial end date follows the plan on the
server: set when a client on Trial is active, cleared on any other plan.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Select, SelectionList, Static

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import ClientDetail, ClientUpdate, Plan, Team
from lucy_tui.context import Context
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import LucyModal

TRIAL_NOTE = (
    "A trial runs 30 days from activation on Business Pro features; its end date is kept "
    "only while the plan is Trial."
)


class PlanAndTeamsScreen(LucyModal[ClientUpdate | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+r", "load", "Reload the teams"),
    ]

    def __init__(self, ctx: Context, client: ClientDetail) -> None:
        super().__init__(ctx)
        self.client = client
        self.teams: list[Team] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="plan-and-teams"):
            yield Static(plain(f"Plan and teams — {self.client.name}"), classes="dialog-title")
            yield Label("Plan")
            yield Select[Plan](
                [(plan.label, plan) for plan in Plan],
                value=self.client.plan,
                allow_blank=False,
                id="plan",
            )
            yield Static(TRIAL_NOTE, classes="muted")
            yield Label("Teams (space to switch; no team: visible to all staff)")
            yield SelectionList[int](id="teams")
            yield Static("", id="plan-and-teams-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#plan", Select).focus()
        self.action_load()

    def action_load(self) -> None:
        self.query_one(SelectionList).loading = True
        self._error("")
        self._load()

    @work(exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        teams = self.query_one(SelectionList)
        try:
            self.teams = await self.ctx.session.client.teams()
        except LucyError as error:
            teams.loading = False
            self._error(f"Could not load the teams: {error.message} Press ctrl+r to try again.")
            self.ctx.reporter.report_error(error, "Could not load the teams", quiet=True)
            return
        teams.loading = False
        current = {team.id for team in self.client.teams}
        teams.clear_options()
        teams.add_options(
            (Text(printable(team.name)), team.id, team.id in current) for team in self.teams
        )

    def _error(self, message: str) -> None:
        self.query_one("#plan-and-teams-error", Static).update(plain(message))

    def changes(self) -> ClientUpdate:
        """What the form changes: only the fields that differ from the client's."""
        plan = self.query_one("#plan", Select).value
        chosen = sorted(self.query_one(SelectionList).selected)
        fields: dict[str, object] = {}
        if isinstance(plan, Plan) and plan is not self.client.plan:
            fields["plan"] = plan
        if self.teams and chosen != sorted(team.id for team in self.client.teams):
            fields["team_ids"] = chosen
        return ClientUpdate.model_validate(fields)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        changes = self.changes()
        self.dismiss(changes if changes.model_fields_set else None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
