"""Sign in to a Lucy server with email and password."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Button, Input, Label, Static

from lucy_tui.api.errors import LucyError, RateLimitedError, UnauthorizedError, UnreachableError
from lucy_tui.api.models import LoginResponse
from lucy_tui.context import Context
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import LucyScreen


class EmailInput(Input):
    """The email field. ``enter`` moves on to the password at that key, in the field's own
    turn (not later, in a handler of ``Submitted``); keys typed right after it, which reached
    this field before the focus moved, are handed on to the field that has it now."""

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not self and focused is not None:
            event.stop()
            event.prevent_default()
            focused.post_message(events.Key(event.key, event.character))
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            # At once (``focus()`` would wait its turn): the next key finds it moved.
            self.screen.set_focus(self.screen.query_one("#password", Input))


class SignInScreen(LucyScreen[LoginResponse]):
    """Dismisses with the login once the server accepts it; the typed email is kept."""

    BINDINGS = [Binding("escape", "app.quit", "Quit", show=False)]

    def __init__(
        self,
        ctx: Context,
        server: str,
        email: str = "",
        reason: str = "",
        *,
        login: Callable[[str, str], Awaitable[LoginResponse]],
    ) -> None:
        """``login`` signs in on the server and keeps the token (the app's)."""
        super().__init__(ctx)
        self.server, self.email, self.reason = server, email, reason
        self.login = login

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="sign-in", classes="dialog"):
            yield Static("Lucy for accountants", classes="dialog-title")
            yield Static(plain(f"Sign in to {self.server}"), id="sign-in-server")
            if self.reason:
                yield Static(plain(self.reason), id="sign-in-reason", classes="notice")
            yield Label("Email")
            yield EmailInput(printable(self.email), placeholder="you@your-firm.be", id="email")
            yield Label("Password")
            yield Input(password=True, id="password")
            yield Static("", id="sign-in-error", classes="field-error")
            yield Button("Sign in", variant="primary", id="sign-in-button")

    def on_mount(self) -> None:
        self.query_one("#password" if self.email else "#email", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#sign-in-button")
    def _submit(self) -> None:
        email = self.query_one("#email", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not email or not password:
            self._error("Enter your email and password.")
            return
        self._error("")
        self.query_one("#sign-in-button", Button).disabled = True
        self._sign_in(email, password)

    def _error(self, message: str) -> None:
        self.query_one("#sign-in-error", Static).update(plain(message))

    @work(exclusive=True, exit_on_error=False)
    async def _sign_in(self, email: str, password: str) -> None:
        try:
            login = await self.login(email, password)
        except UnauthorizedError:
            self._error("Wrong email or password.")
            password_input = self.query_one("#password", Input)
            password_input.value = ""
            password_input.focus()
        except RateLimitedError as exc:
            self._error(f"{exc.message} Wait a minute before trying again.")
        except UnreachableError as exc:
            self._error(
                f"{exc.message} Check the server address and your connection, "
                "then press enter to try again."
            )
        except LucyError as exc:
            self._error(f"The server refused the sign-in: {exc.message}")
        else:
            self.dismiss(login)
            return
        self.query_one("#sign-in-button", Button).disabled = False
