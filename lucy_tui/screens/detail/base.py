"""What every tab of the client detail shares: lazy loading, errors with retry, commands.

A tab loads its data the first time it is shown (``load``, run in a worker), shows a
loading indicator meanwhile, and on failure a readable message with the key to retry
(``ctrl+r``). Subclasses implement ``fetch`` (the API calls) and ``show`` (the widgets).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent, TextArea
from textual.worker import Worker, WorkerState

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import ClientDetail
from lucy_tui.context import Context
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import PaletteCommand

if TYPE_CHECKING:
    from rich.console import JustifyMethod


def cell(text: object, style: str = "", justify: JustifyMethod | None = None) -> Text:
    """A DataTable cell holding text from outside: never markup, no control characters.

    A Rich ``Text``, not a ``Content``: the table measures a ``Text`` for its column width.
    """
    return Text(printable(text), style=style, justify=justify)


class DetailTab(Vertical, can_focus=True):
    """One tab's content. ``client_id`` is the client shown.

    The tab itself can take focus, so its key bindings work as soon as it is shown.
    """

    DEFAULT_CSS = """
    DetailTab {
        height: 1fr;
        padding: 0 1;
    }
    DetailTab > .tab-error {
        color: $error;
        padding: 1 0;
        display: none;
    }
    DetailTab.-failed > .tab-error {
        display: block;
    }
    """

    title = ""  # shown in the tab bar

    def __init__(
        self, ctx: Context, client_id: int, client_name: str, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.ctx = ctx
        self.client_id, self.client_name = client_id, client_name
        self.client: ClientDetail | None = None  # once the screen has loaded it
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static("", classes="tab-error")
        yield from self.compose_tab()

    def compose_tab(self) -> ComposeResult:
        """The tab's own widgets (shown under the error line)."""
        yield from ()

    # --- loading ------------------------------------------------------------------------

    @property
    def is_shown(self) -> bool:
        """This tab is the one shown, on the screen in front (no modal over it)."""
        if self.screen is not self.app.screen:
            return False
        pane = self.parent
        tabs = self.query_ancestor(TabbedContent)
        return pane is not None and tabs.active == pane.id

    def client_shown(self, client: ClientDetail) -> None:
        """The screen (re)loaded the client; tabs that show some of it override this."""
        self.client, self.client_name = client, client.name

    def activate(self) -> None:
        """Called each time the tab is shown: loads the data the first time, and focuses."""
        if self.loaded:
            self.focus_content()
        else:
            self.reload()

    def reload(self) -> None:
        self.loading = True
        self.remove_class("-failed")
        self._load()

    @work(exclusive=True, group="tab-load", exit_on_error=False)
    async def _load(self) -> None:
        try:
            data = await self.fetch()
        except LucyError as error:
            self.loading = False
            self.show_failure(error, "Could not load this tab")
            return
        self.loading = False
        self.loaded = True
        self.show(data)
        if self.is_shown:  # a loading widget could not take the focus when it was shown
            self.focus_content()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker messages do not bubble: a tab's unexpected failure reaches the app's one
        # handler too, and a load that broke stops spinning and says how to retry.
        if event.state is WorkerState.ERROR and event.worker.group == "tab-load":
            self.loading = False
            self.add_class("-failed")
            self.query_one(".tab-error", Static).update(
                "Could not load this tab: something went wrong.  Press ctrl+r to try again."
            )
        self.ctx.reporter.report_worker_state(event.worker, event.state)

    async def fetch(self) -> Any:
        """The tab's data, from the API (runs in a worker)."""
        return None

    def show(self, data: Any) -> None:
        """Put freshly fetched data on screen."""

    def show_failure(self, error: LucyError, context: str) -> None:
        """A readable message in the tab, with the key to retry; a lost session signs in."""
        self.add_class("-failed")
        self.query_one(".tab-error", Static).update(
            plain(f"{context}: {error.message}  Press ctrl+r to try again.")
        )
        self.ctx.reporter.report_error(error, context, quiet=True)

    # --- what the screen asks of a tab ----------------------------------------------------

    def focus_content(self) -> None:
        """Put the focus where the tab's keys work: its first table or control, else itself.

        Text fields are skipped: typing a tab number there would type, not switch tabs.
        """
        for widget in self.query("*"):
            if (
                widget.focusable
                and not isinstance(widget, Input | TextArea)
                and self._displayed(widget)
            ):
                widget.focus()
                return
        self.focus()

    def _displayed(self, widget: Widget) -> bool:
        """Not hidden (``display: none``), nor inside a hidden part of the tab."""
        node: Widget | None = widget
        while node is not None and node is not self:
            if not node.display:
                return False
            node = node.parent if isinstance(node.parent, Widget) else None
        return True

    def has_unsaved_changes(self) -> bool:
        """True when leaving now would lose something the user typed."""
        return False

    def can_leave(self, then: Callable[[], None]) -> bool:
        """May the user switch away from this tab now? If not, the tab asks the user and
        calls ``then`` (which switches again) once leaving is fine."""
        return True

    def palette_commands(self) -> list[PaletteCommand]:
        """The tab's actions for the command palette, named "Tab: verb"."""
        return []
