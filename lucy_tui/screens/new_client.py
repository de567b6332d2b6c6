"""The new-client form: a modal that creates the client file on the server."""

from __future__ import annotations

import uuid

from pydantic import ValidationError as ModelValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from lucy_tui.api import validation
from lucy_tui.api.errors import ConflictError, LucyError, ValidationError
from lucy_tui.api.models import ClientCreate, ClientDetail, Plan
from lucy_tui.context import Context
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import LucyModal

CHECKS = {
    "name": validation.clean_name,
    "enterprise_number": validation.enterprise_number,
    "email": validation.email,
}


class NewClientScreen(LucyModal[ClientDetail | None]):
    """Name, enterprise or VAT number, first user's email, plan, team, firm contact."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Create"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # The same form sent again after a fault reuses its Idempotency-Key: if the lost
        # answer hid that the client was created, the retry returns it instead of a duplicate.
        self._attempt: tuple[ClientCreate, str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form", id="new-client"):
            yield Static("New client", classes="dialog-title")
            yield Label("Company name")
            yield Input(placeholder="e.g. Bakkerij Janssens BV", id="name")
            yield Static("", id="name-error", classes="field-error")
            yield Label("Enterprise or VAT number")
            yield Input(placeholder="0123.456.749 or BE0123456749", id="enterprise_number")
            yield Static("", id="enterprise_number-error", classes="field-error")
            yield Label("Email of the client's first user")
            yield Input(placeholder="owner@example.be", id="email")
            yield Static("", id="email-error", classes="field-error")
            yield Label("Plan")
            yield Select(
                [(plan.label, plan) for plan in Plan],
                value=Plan.TRIAL,
                allow_blank=False,
                id="plan",
            )
            yield Label("Team")
            yield Select[int]([], prompt="No team (visible to all staff)", id="team")
            yield Label("Client-Facing Contact Person")
            yield Select[int]([], prompt="Nobody yet", id="contact")
            yield Static("", id="form-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create (ctrl+s)", variant="primary", id="create")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self._load_choices()

    @work(exit_on_error=False)
    async def _load_choices(self) -> None:
        client = self.ctx.session.client
        try:
            teams, staff = await client.teams(), await client.staff()
        except LucyError as exc:
            self._show_error("form", f"Could not load teams and staff: {exc}")
            return
        # Select prompts are read as markup: names from the server go in as Text.
        self.query_one("#team", Select).set_options(
            (Text(printable(team.name)), team.id) for team in teams
        )
        self.query_one("#contact", Select).set_options(
            (Text(printable(person.name)), person.id) for person in staff
        )
        me = self.ctx.session.staff
        if any(person.id == me.id for person in staff):
            self.query_one("#contact", Select).value = me.id

    # --- validation ---------------------------------------------------------------------

    def _show_error(self, field: str, message: str) -> None:
        error = self.query_one(f"#{field}-error", Static)
        error.update(plain(message))
        if field != "form":
            self.query_one(f"#{field}", Input).set_class(bool(message), "-invalid")

    @on(Input.Blurred)
    def _check_field(self, event: Input.Blurred) -> None:
        field = event.input.id or ""
        if field in CHECKS and event.value.strip():
            try:
                CHECKS[field](event.value)
            except ValueError as exc:
                self._show_error(field, str(exc))
            else:
                self._show_error(field, "")

    @on(Input.Changed)
    def _clear_field_error(self, event: Input.Changed) -> None:
        if event.input.id in CHECKS:
            self._show_error(event.input.id, "")

    def _form(self) -> ClientCreate | None:
        values = {field: self.query_one(f"#{field}", Input).value for field in CHECKS}
        errors = {}
        for field, check in CHECKS.items():
            try:
                check(values[field])
            except ValueError as exc:
                errors[field] = str(exc)
        for field in CHECKS:
            self._show_error(field, errors.get(field, ""))
        if errors:
            self.query_one(f"#{next(iter(errors))}", Input).focus()
            return None
        team = self.query_one("#team", Select).value
        contact = self.query_one("#contact", Select).value
        try:
            return ClientCreate(
                name=values["name"],
                enterprise_number=values["enterprise_number"],
                email=values["email"],
                plan=self.query_one("#plan", Select).value,
                team_ids=[team] if isinstance(team, int) else [],
                contact_id=contact if isinstance(contact, int) else None,
            )
        except ModelValidationError as exc:
            self._show_error("form", validation.readable(str(exc.errors()[0]["msg"])))
            return None

    # --- submit -------------------------------------------------------------------------

    @on(Button.Pressed, "#create")
    @on(Input.Submitted)
    def action_submit(self) -> None:
        form = self._form()
        if form is not None:
            if self._attempt is None or self._attempt[0] != form:
                self._attempt = (form, uuid.uuid4().hex)
            self._show_error("form", "")
            self.query_one("#create", Button).disabled = True
            self._create(form, self._attempt[1])

    @work(exclusive=True, exit_on_error=False)
    async def _create(self, form: ClientCreate, key: str) -> None:
        try:
            created = await self.ctx.session.client.create_client(form, idempotency_key=key)
        except (ValidationError, ConflictError) as exc:
            shown = False
            for field, message in exc.field_errors.items():
                if field in CHECKS:
                    self._show_error(field, message)
                    shown = True
            if not shown:
                self._show_error("form", exc.message)
        except LucyError as exc:
            self._show_error("form", f"{exc.message} Your input is kept; try again.")
            self.ctx.reporter.report_error(exc, "Could not create the client", quiet=True)
        else:
            self.dismiss(created)
            return
        self.query_one("#create", Button).disabled = False

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
