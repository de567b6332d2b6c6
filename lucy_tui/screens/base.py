"""What every lucy-tui screen shares: failed workers become messages the user can read."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.screen import ModalScreen, Screen
from textual.worker import Worker

if TYPE_CHECKING:
    from lucy_tui.app import LucyApp

ResultType = TypeVar("ResultType")

# A command-palette entry of a screen or tab: (title "Area: verb", help, callback).
PaletteCommand = tuple[str, str, Callable[[], Any]]


class LucyScreen(Screen[ResultType]):
    app: LucyApp

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker state messages do not bubble: hand failures to the app's one handler.
        self.app.report_worker_state(event.worker, event.state)


class LucyModal(ModalScreen[ResultType]):
    app: LucyApp

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.report_worker_state(event.worker, event.state)
