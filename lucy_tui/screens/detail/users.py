"""The Users tab: the client's own users (not the firm's staff); invite and remove them.

A client always keeps at least one user: the server refuses to remove the last one
(409 ``last_user``), and the tab shows the remove action disabled with that reason.
"""

from __future__ import annotations

import uuid
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Static

from lucy_tui.api import validation
from lucy_tui.api.errors import ConflictError, LucyError, NotFoundError, ValidationError
from lucy_tui.api.models import ClientUser, ClientUserCreate, ClientUserStatus
from lucy_tui.context import Context
from lucy_tui.messages import ReloadClient
from lucy_tui.safe_text import fill, plain, printable
from lucy_tui.screens.base import LucyModal, PaletteCommand
from lucy_tui.screens.detail.base import DetailTab, cell
from lucy_tui.widgets.data_table import KeyTable

LAST_USER_REASON = "A client needs at least one user: add another before removing this one."


def _user_line(user: ClientUser) -> str:
    """The user as text from outside (name and address come from the server)."""
    return f"{user.name} <{user.email}>" if user.name else user.email


class UsersTab(DetailTab):
    title = "Users"

    BINDINGS = [
        Binding("a", "add_user", "Add user", id="users.add"),
        Binding("delete", "remove_user", "Remove user", id="users.remove"),
    ]

    def __init__(
        self, ctx: Context, client_id: int, client_name: str, *, id: str | None = None
    ) -> None:
        super().__init__(ctx, client_id, client_name, id=id)
        self.users: list[ClientUser] = []
        self._removing = False

    def compose_tab(self) -> ComposeResult:
        yield Static("", id="users-summary", classes="users-summary")
        table: DataTable[Text] = KeyTable(id="users-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="users-remove-reason", classes="users-reason")
        with Horizontal(classes="users-buttons"):
            yield Button("Add user (a)", id="add-user", compact=True)
            yield Button("Remove user (delete)", id="remove-user", compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#users-table", DataTable)
        table.add_column("Name", key="name", width=28)
        table.add_column("Email", key="email", width=36)
        table.add_column("Status", key="status", width=9)
        table.add_column("Invited", key="invited", width=10)

    def focus_content(self) -> None:
        """The users table: delete acts on its highlighted row."""
        self.query_one("#users-table", DataTable).focus()

    # --- data -----------------------------------------------------------------------------

    async def fetch(self) -> list[ClientUser]:
        return await self.ctx.session.client.client_users(self.client_id)

    def show(self, data: Any) -> None:
        self.users = list(data)
        table = self.query_one("#users-table", DataTable)
        highlighted = table.cursor_row
        table.clear()
        for user in self.users:
            invited = user.invited_at.strftime("%d/%m/%Y") if user.invited_at else "—"
            table.add_row(
                cell(user.name),
                cell(user.email),
                cell(user.status.value.capitalize()),
                cell(invited),
                key=str(user.id),
            )
        if self.users:
            table.move_cursor(row=min(highlighted, len(self.users) - 1))
        count = len(self.users)
        invited_count = sum(1 for user in self.users if user.status is ClientUserStatus.INVITED)
        summary = f"{count} user(s)" + (
            f", {invited_count} invited and not yet active" if invited_count else ""
        )
        self.query_one("#users-summary", Static).update(summary)
        last_one = count <= 1
        self.query_one("#remove-user", Button).disabled = last_one
        reason = self.query_one("#users-remove-reason", Static)
        reason.update(LAST_USER_REASON if last_one else "")
        reason.display = last_one

    def _highlighted_user(self) -> ClientUser | None:
        table = self.query_one("#users-table", DataTable)
        if not self.users or table.cursor_row < 0 or table.cursor_row >= len(self.users):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((user for user in self.users if str(user.id) == key), None)

    # --- add ------------------------------------------------------------------------------

    @on(Button.Pressed, "#add-user")
    def action_add_user(self) -> None:
        def added(user: ClientUser | None) -> None:
            if user is not None:
                self.notify(
                    printable(f"Invited {_user_line(user)} to {self.client_name}."), markup=False
                )
                self.reload()
                self.post_message(ReloadClient())

        self.app.push_screen(AddUserScreen(self.ctx, self.client_id, self.client_name), added)

    # --- remove ---------------------------------------------------------------------------

    @on(Button.Pressed, "#remove-user")
    def action_remove_user(self) -> None:
        if not self.loaded:
            self.notify("The users are still loading; try again in a moment.")
            return
        if len(self.users) <= 1:
            self.notify(LAST_USER_REASON, severity="warning")
            return
        if self._removing:
            self.notify("A user is still being removed; try again in a moment.")
            return
        user = self._highlighted_user()
        if user is None:
            self.notify("Choose a user in the table first.")
            return
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove(user)

        self.app.push_screen(
            ConfirmScreen(
                "Remove this user?",
                f"Remove {printable(_user_line(user))} from {printable(self.client_name)}? "
                "They will no longer have access to the client's Lucy.",
                yes="Remove",
                no="Keep",
            ),
            answered,
        )

    @work(group="users-remove", exit_on_error=False)
    async def _remove(self, user: ClientUser) -> None:
        self._removing = True
        try:
            await self.ctx.session.client.remove_client_user(self.client_id, user.id)
        except ConflictError as error:
            # The server's rule (409 last_user): someone may have removed the others meanwhile.
            self.notify(
                printable(error.message),
                title="Not removed",
                severity="warning",
                timeout=10,
                markup=False,
            )
            self.reload()
            return
        except NotFoundError:
            self.notify(
                printable(f"{_user_line(user)} was already removed."),
                severity="warning",
                markup=False,
            )
            self.reload()
            return
        except LucyError as error:
            self.ctx.reporter.report_error(
                error,
                printable(f"Could not remove {user.email}"),
                retry="Press delete to try again.",
            )
            return
        finally:
            self._removing = False
        self.notify(printable(f"Removed {_user_line(user)} from {self.client_name}."), markup=False)
        self.reload()
        self.post_message(ReloadClient())

    # --- command palette ------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            (
                "Users: add a user",
                "Invite a new user of this client by email",
                self.action_add_user,
            ),
            (
                "Users: remove the highlighted user",
                "Remove the user under the cursor, after a confirmation",
                self.action_remove_user,
            ),
        ]


class AddUserScreen(LucyModal[ClientUser | None]):
    """Invites a user by email; the server's refusals are shown here and nothing is lost."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Invite"),
    ]

    def __init__(self, ctx: Context, client_id: int, client_name: str) -> None:
        super().__init__(ctx)
        self.client_id, self.client_name = client_id, client_name
        # The same request retried after a fault reuses its key, so it never runs twice.
        self._attempt: tuple[ClientUserCreate, str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form", id="add-user-dialog"):
            yield Static(
                fill("Add a user to $client", client=self.client_name), classes="dialog-title"
            )
            yield Label("Email address")
            yield Input(placeholder="name@example.be", id="user-email")
            yield Static("", id="user-email-error", classes="field-error")
            yield Label("Name (optional)")
            yield Input(placeholder="taken from the address when empty", id="user-name")
            yield Static("", id="user-form-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Invite (ctrl+s)", variant="primary", id="invite")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#user-email", Input).focus()

    @on(Input.Changed, "#user-email")
    def _check_as_typed(self, event: Input.Changed) -> None:
        message = ""
        if event.value.strip():
            try:
                validation.email(event.value)
            except ValueError as exc:
                message = str(exc)
        self._email_error(message)

    def _email_error(self, message: str) -> None:
        self.query_one("#user-email-error", Static).update(plain(message))
        self.query_one("#user-email", Input).set_class(bool(message), "-invalid")

    @on(Input.Submitted)
    @on(Button.Pressed, "#invite")
    def action_submit(self) -> None:
        email_field = self.query_one("#user-email", Input)
        try:
            user = ClientUserCreate(
                email=validation.email(email_field.value),
                name=self.query_one("#user-name", Input).value.strip(),
            )
        except ValueError as exc:  # pydantic's ValidationError is a ValueError too
            message = str(exc)
            if hasattr(exc, "errors"):
                message = validation.readable(str(exc.errors()[0]["msg"]))
            self._email_error(message)
            email_field.focus()
            return
        if self._attempt is None or self._attempt[0] != user:
            self._attempt = (user, uuid.uuid4().hex)
        self.query_one("#invite", Button).disabled = True
        self.query_one("#user-form-error", Static).update("Inviting…")
        self._add(user, self._attempt[1])

    @work(exclusive=True, exit_on_error=False)
    async def _add(self, user: ClientUserCreate, key: str) -> None:
        form_error = self.query_one("#user-form-error", Static)
        try:
            created = await self.ctx.session.client.add_client_user(
                self.client_id, user, idempotency_key=key
            )
        except (ConflictError, ValidationError) as error:
            email_message = error.field_errors.get("email")
            if email_message:
                self._email_error(email_message)
                form_error.update("")
            else:
                form_error.update(plain(error.message))
        except LucyError as error:
            form_error.update(plain(f"{error.message} What you typed is kept; try again."))
            self.ctx.reporter.report_error(error, "Could not add the user", quiet=True)
        else:
            self.dismiss(created)
            return
        self.query_one("#invite", Button).disabled = False

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
