"""A modal list of the firm's staff to choose one person from (a contact, for instance)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import Staff
from lucy_tui.context import Context
from lucy_tui.safe_text import plain
from lucy_tui.screens.base import LucyModal

NOBODY = "nobody"


@dataclass(frozen=True)
class StaffChoice:
    """What was chosen: a staff member, or nobody (``staff_id`` None)."""

    staff_id: int | None
    name: str


class StaffPickerScreen(LucyModal[StaffChoice | None]):
    """Loads the staff list itself; dismisses with the choice, or None on ``escape``."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+r", "load", "Reload the list"),
    ]

    def __init__(
        self, ctx: Context, title: str, current_id: int | None, *, none_label: str = ""
    ) -> None:
        super().__init__(ctx)
        self.title_text, self.current_id, self.none_label = title, current_id, none_label
        self.staff: list[Staff] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="staff-picker"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield OptionList(id="staff-list")
            yield Static("", id="staff-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Choose (enter)", variant="primary", id="choose")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.action_load()

    def action_load(self) -> None:
        self.query_one(OptionList).loading = True
        self.query_one("#staff-error", Static).update("")
        self._load()

    @work(exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        options = self.query_one(OptionList)
        try:
            self.staff = await self.ctx.session.client.staff()
        except LucyError as error:
            options.loading = False
            self.query_one("#staff-error", Static).update(
                plain(f"Could not load the staff: {error.message} Press ctrl+r to try again.")
            )
            self.ctx.reporter.report_error(error, "Could not load the staff", quiet=True)
            return
        options.loading = False
        options.clear_options()
        if self.none_label:
            options.add_option(Option(plain(self.none_label), id=NOBODY))
        for person in self.staff:
            mark = "  (current)" if person.id == self.current_id else ""
            role = "admin" if person.is_admin else "employee"
            options.add_option(
                Option(plain(f"{person.name} <{person.email}>, {role}{mark}"), id=str(person.id))
            )
        current = NOBODY if self.current_id is None else str(self.current_id)
        try:
            options.highlighted = options.get_option_index(current)
        except OptionDoesNotExist:  # the current contact left the firm, or "nobody" is not offered
            options.highlighted = 0 if options.option_count else None
        options.focus()

    def _choice(self, option_id: str | None) -> StaffChoice | None:
        if option_id == NOBODY:
            return StaffChoice(None, "")
        for person in self.staff:
            if str(person.id) == option_id:
                return StaffChoice(person.id, person.name)
        return None

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        choice = self._choice(event.option.id)
        if choice is not None:
            self.dismiss(choice)

    @on(Button.Pressed, "#choose")
    def _choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            self.query_one("#staff-error", Static).update("Choose a person first.")
            return
        choice = self._choice(options.get_option_at_index(options.highlighted).id)
        if choice is not None:
            self.dismiss(choice)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
