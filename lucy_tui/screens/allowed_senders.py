"""The allowed senders of a client: the addresses whose mail reaches its Lucy inbox.

A modal list edited locally and saved at once with the list's version. The edit is kept
as the user's additions and removals on top of the server's list, so when someone else
saved meanwhile (412) a reload shows their list with the user's unsaved changes still
applied and marked. Nothing typed is lost on a refusal or a network fault.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError as ModelValidationError
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from lucy_tui.api import validation
from lucy_tui.api.errors import LucyError, PreconditionFailedError, ValidationError
from lucy_tui.api.models import MAX_ALLOWED_SENDERS, AllowedSenders
from lucy_tui.context import Context
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import LucyModal

LIMIT_MESSAGE = (
    f"The list is full: a client can have at most {MAX_ALLOWED_SENDERS} allowed senders. "
    "Remove one to add another."
)
STALE_MESSAGE = (
    "Someone else changed the allowed senders since you opened this list. Press ctrl+r "
    "(Reload) to see their list with your unsaved changes kept, then save again."
)


def _key(address: str) -> str:
    """What the server tells addresses apart by (``straße@`` and ``STRASSE@`` are one)."""
    return validation.email_key(address)


class SendersEdit:
    """The server's list and version, and the user's unsaved additions and removals."""

    def __init__(self) -> None:
        self.base: list[str] = []
        self.version: int | None = None
        self.added: list[str] = []
        self.removed: set[str] = set()  # keys of base addresses the user removed

    def load(self, senders: AllowedSenders) -> None:
        """Take the server's list; keep the user's changes that still mean something."""
        self.base, self.version = list(senders.senders), senders.version
        base_keys = {_key(address) for address in self.base}
        self.added = [address for address in self.added if _key(address) not in base_keys]
        self.removed &= base_keys

    @property
    def result(self) -> list[str]:
        """The list as it would be saved."""
        kept = [address for address in self.base if _key(address) not in self.removed]
        return kept + self.added

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def contains(self, address: str) -> bool:
        return any(_key(address) == _key(other) for other in self.result)

    def add(self, address: str) -> None:
        """Add a checked address (or take back its removal); raises ValueError to explain."""
        key = _key(address)
        if self.contains(address):
            raise ValueError(f"{address} is already in the list")
        if key in self.removed:
            self.removed.discard(key)
            return
        if len(self.result) >= MAX_ALLOWED_SENDERS:
            raise ValueError(LIMIT_MESSAGE)
        self.added.append(address)

    def toggle_removal(self, key: str) -> None:
        """Remove an address; an address removed (not yet saved) is taken back."""
        if any(_key(address) == key for address in self.added):
            self.added = [address for address in self.added if _key(address) != key]
        elif key in self.removed:
            self.removed.discard(key)
        elif any(_key(address) == key for address in self.base):
            self.removed.add(key)

    def rows(self) -> list[tuple[str, str, str]]:
        """(key, address, state) for display: state is "", "added" or "removed"."""
        rows = [
            (_key(address), address, "removed" if _key(address) in self.removed else "")
            for address in self.base
        ]
        rows += [(_key(address), address, "added") for address in self.added]
        return rows


class SenderInput(Input):
    """The address field. ``enter`` adds the address as it is at that key: keys typed right
    after it go to the next address, never onto this one (the add runs here, before the
    input reads its next key, not later in a handler of ``Submitted``). Pasting several
    lines adds each line."""

    def __init__(self, add: Callable[[list[str]], object], *, placeholder: str, id: str) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self._add = add

    async def _on_key(self, event: events.Key) -> None:
        # ``enter`` as a binding would run only once the key has bubbled up to the App,
        # after the input has taken the keys typed next: take it here, in turn.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._add([self.value])

    async def action_submit(self) -> None:
        self._add([self.value])

    def _on_paste(self, event: events.Paste) -> None:
        lines = [line for line in event.text.splitlines() if line.strip()]
        if len(lines) > 1:
            event.stop()
            event.prevent_default()  # Input's own handler would type the first line
            if self.value.strip():  # what was typed before the paste is an address too
                lines.insert(0, self.value)
            self._add(lines)
        # One line: Input's own handler (called after this one) types it into the field.


class AllowedSendersScreen(LucyModal[AllowedSenders | None]):
    """Dismisses with the saved list, or None when closed without saving."""

    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+r", "reload", "Reload"),
        Binding("delete", "remove", "Remove / take back"),
    ]

    def __init__(
        self, ctx: Context, client_id: int, client_name: str, lucy_email: str = ""
    ) -> None:
        super().__init__(ctx)
        self.client_id, self.client_name, self.lucy_email = client_id, client_name, lucy_email
        self.edit = SendersEdit()
        self.saving = False
        self._typing_problem = False  # the error line shows the typed address's problem
        self._explained = ""  # a pasted line put back in the field: the line says why

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="allowed-senders-dialog"):
            yield Static(
                plain(f"Configure allowed senders for your client — {self.client_name}"),
                classes="dialog-title",
            )
            inbox = f" ({self.lucy_email})" if self.lucy_email else ""
            yield Static(
                plain(
                    f"Mail from these addresses reaches the client's Lucy inbox{inbox}. "
                    f"At most {MAX_ALLOWED_SENDERS}."
                ),
                classes="dialog-body",
            )
            yield OptionList(id="sender-list")
            yield Static("", id="sender-count", classes="muted")
            yield SenderInput(
                self._add_typed,
                placeholder="Type an address and press enter to add it",
                id="sender-input",
            )
            yield Static("", id="sender-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add (enter)", id="add")
                yield Button("Remove (delete)", id="remove")
                yield Button("Reload (ctrl+r)", id="reload")
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#sender-input", Input).focus()
        self.action_reload()

    # --- loading --------------------------------------------------------------------------

    @on(Button.Pressed, "#reload")
    def action_reload(self) -> None:
        if self.saving:
            return
        self.query_one("#sender-list", OptionList).loading = True
        self._load()

    @work(exclusive=True, group="senders-load", exit_on_error=False)
    async def _load(self) -> None:
        first = self.edit.version is None
        try:
            senders = await self.ctx.session.client.allowed_senders(self.client_id)
        except LucyError as error:
            self.query_one("#sender-list", OptionList).loading = False
            self._error(f"Could not load the allowed senders: {error.message} ctrl+r to retry.")
            self.ctx.reporter.report_error(error, "Could not load the allowed senders", quiet=True)
            return
        self.query_one("#sender-list", OptionList).loading = False
        self.edit.load(senders)
        self._show_rows()
        if not first and self.edit.changed:
            self._error(
                "Reloaded the current list. Your unsaved changes are kept and marked; "
                "press ctrl+s to save them.",
            )
        else:
            self._error("")
        self.query_one("#reload", Button).variant = "default"

    # --- display --------------------------------------------------------------------------

    def _show_rows(self) -> None:
        options = self.query_one("#sender-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for key, outside_address, state in self.edit.rows():
            address = printable(outside_address)
            if state == "removed":
                prompt = Text.assemble((address, "strike dim"), ("   removed · unsaved", "italic"))
            elif state == "added":
                prompt = Text.assemble((address, "bold"), ("   added · unsaved", "italic"))
            else:
                prompt = Text(address)
            options.add_option(Option(prompt, id=key))
        if options.option_count:
            options.highlighted = min(highlighted or 0, options.option_count - 1)
        count = len(self.edit.result)
        text = f"{count} of {MAX_ALLOWED_SENDERS} addresses"
        if self.edit.changed:
            text += f" · {len(self.edit.added)} added, {len(self.edit.removed)} removed, unsaved"
        if count > MAX_ALLOWED_SENDERS:
            text += f" · remove {count - MAX_ALLOWED_SENDERS} before saving"
        self.query_one("#sender-count", Static).update(plain(text))

    def _error(self, message: str, *, typing: bool = False) -> None:
        """The line under the field; ``typing``: it is about what is in the field now."""
        self._typing_problem = typing and bool(message)
        self.query_one("#sender-error", Static).update(plain(message))

    # --- adding and removing --------------------------------------------------------------

    @on(Input.Changed, "#sender-input")
    def _check_as_typed(self, event: Input.Changed) -> None:
        message = self._problem(event.value) if event.value.strip() else ""
        event.input.set_class(bool(message), "-invalid")
        if self._explained and event.value == self._explained:
            return  # the paste's summary already says what is wrong with it
        self._explained = ""
        # Only the field's own problem comes and goes as the user types: the field emptied
        # by an add must not wipe what a save meanwhile said.
        if message or self._typing_problem:
            self._error(message, typing=True)

    def _problem(self, typed: str) -> str:
        """What is wrong with the typed address, or "" when it can be added."""
        try:
            address = validation.email(typed)
        except ValueError as exc:
            return str(exc)
        if self.edit.contains(address):
            return f"{address} is already in the list"
        restoring = _key(address) in self.edit.removed
        if not restoring and len(self.edit.result) >= MAX_ALLOWED_SENDERS:
            return LIMIT_MESSAGE
        return ""

    @on(Button.Pressed, "#add")
    def action_add(self) -> bool:
        """Add the typed address; True when there is nothing left in the field."""
        return self._add_typed([self.query_one("#sender-input", Input).value])

    def _add_typed(self, entries: list[str]) -> bool:
        """Add each of ``entries`` (typed, or pasted lines); True when all were added.

        What could not be added stays in the field (the first of them) with its reason;
        of a pasted list the line says how many were added and which were not.
        """
        field = self.query_one("#sender-input", Input)
        field.focus()
        added, refused = 0, []
        for entry in entries:
            if not entry.strip():
                continue
            try:
                self.edit.add(validation.email(entry))
            except ValueError as exc:
                refused.append((entry.strip(), str(exc)))
            else:
                added += 1
        if added:
            self._show_rows()
        if not refused:
            field.value = ""
            self._error(f"Added {added} addresses." if added > 1 else "")
            return True
        field.value = refused[0][0]
        field.add_class("-invalid")
        if len(entries) == 1:
            self._error(refused[0][1], typing=True)
        else:
            reasons = "; ".join(f"{entry}: {reason}" for entry, reason in refused)
            self._explained = field.value
            self._error(f"Added {added} of {added + len(refused)}. Not added: {reasons}")
        return False

    @on(Button.Pressed, "#remove")
    def action_remove(self) -> None:
        options = self.query_one("#sender-list", OptionList)
        if options.highlighted is None:
            self._error("Choose an address in the list first (arrow keys), then press delete.")
            return
        key = options.get_option_at_index(options.highlighted).id
        if key is not None:
            self.edit.toggle_removal(key)
            self._show_rows()
            self._error("")

    # --- saving ---------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving:
            return
        if self.edit.version is None:
            self._error("The list has not loaded yet: press ctrl+r to try again.")
            return
        if not self.action_add():  # an address still in the field is meant to be added
            return
        if len(self.edit.result) > MAX_ALLOWED_SENDERS:
            self._error(
                f"At most {MAX_ALLOWED_SENDERS} allowed senders: remove "
                f"{len(self.edit.result) - MAX_ALLOWED_SENDERS} before saving."
            )
            return
        self.saving = True
        self.query_one("#save", Button).disabled = True
        self._error("Saving…")
        self._save(self.edit.result, self.edit.version)

    @work(exclusive=True, group="senders-save", exit_on_error=False)
    async def _save(self, senders: list[str], version: int) -> None:
        try:
            saved = await self.ctx.session.client.set_allowed_senders(
                self.client_id, senders, version
            )
        except PreconditionFailedError:
            self._error(STALE_MESSAGE)
            self.query_one("#reload", Button).variant = "warning"
        except ValidationError as error:
            fields = "; ".join(f"{k}: {v}" for k, v in error.field_errors.items())
            self._error(f"The server refused the list: {fields or error.message}")
        except ModelValidationError as error:
            self._error(f"The list cannot be saved: {error.errors()[0]['msg']}")
        except LucyError as error:
            self._error(
                f"Could not save: {error.message} Your changes are kept; press ctrl+s to try again."
            )
            self.ctx.reporter.report_error(error, "Could not save the allowed senders", quiet=True)
        else:
            self.app.notify(f"Saved {len(saved.senders)} allowed sender(s) for {self.client_name}.")
            self.dismiss(saved)
            return
        finally:
            self.saving = False
        self.query_one("#save", Button).disabled = False

    # --- leaving --------------------------------------------------------------------------

    def has_unsaved_changes(self) -> bool:
        return self.edit.changed or bool(self.query_one("#sender-input", Input).value.strip())

    @on(Button.Pressed, "#close")
    def action_cancel(self) -> None:
        if not self.has_unsaved_changes():
            self.dismiss(None)
            return
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Discard your changes?",
                "The allowed senders have unsaved changes. Close and lose them?",
                yes="Discard",
                no="Keep editing",
            ),
            answered,
        )
