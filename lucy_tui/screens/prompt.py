"""Small modals: one line of text (a path, for instance), or yes/no.

Their titles, questions and labels are plain text (they carry names and paths), never markup.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import Dialog


class PromptScreen(Dialog[str | None]):
    """Dismisses with the text entered, or None on ``escape``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        question: str,
        value: str = "",
        *,
        check: Callable[[str], str | None] | None = None,
        placeholder: str = "",
    ) -> None:
        """``check``: what is wrong with a value (shown under the field), or None."""
        super().__init__()
        self.title_text, self.question, self.value = title, question, value
        self.check, self.placeholder = check, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Label(plain(self.question))
            yield Input(printable(self.value), placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        value = self.query_one(Input).value.strip()
        problem = "Please enter a value." if not value else self.check and self.check(value)
        if problem:
            self.query_one("#prompt-error", Static).update(plain(problem))
            return
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(Dialog[bool]):
    """A yes/no question for anything that cannot be undone: ``y``/``enter`` or ``n``/``escape``."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, body: str, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.body, lines=True), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(f"{self.yes} (y)"), variant="primary", id="yes")
                yield Button(plain(f"{self.no} (n)"), id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
