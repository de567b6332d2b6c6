"""What every lucy-tui screen shares: its context, and failed workers made readable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual import events, on
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer
from textual.worker import Worker

from lucy_tui.context import Context

ResultType = TypeVar("ResultType")

# A command-palette entry of a screen or tab: (title "Area: verb", help, callback).
PaletteCommand = tuple[str, str, Callable[[], Any]]


class LucyScreen(Screen[ResultType]):
    def __init__(self, ctx: Context, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.ctx = ctx

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker state messages do not bubble: hand failures to the one reporter.
        self.ctx.reporter.report_worker_state(event.worker, event.state)


class LucyModal(ModalScreen[ResultType]):
    def __init__(self, ctx: Context, *, classes: str | None = "dialog-screen") -> None:
        super().__init__(classes=classes)
        self.ctx = ctx

    @on(events.Mount)
    def _own_footer(self) -> None:
        add_footer(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.ctx.reporter.report_worker_state(event.worker, event.state)


class Dialog(ModalScreen[ResultType]):
    """A modal that only asks or shows what it is given: no API, no workers, no context."""

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    @on(events.Mount)
    def _own_footer(self) -> None:
        add_footer(self)


def add_footer(modal: ModalScreen[Any]) -> None:
    """A modal's own footer, over the one of the screen beneath: it shows the keys that
    work now (the modal's), not those of the list underneath, which do not."""
    if not modal.query(Footer):
        modal.mount(Footer())
