"""What a screen or tab gets from the app, injected: it never reaches for the App itself.

The App builds one ``Context`` and hands it to every screen, tab and dialog it shows.
Through it a screen calls the API (``session.client``), reports failures
(``reporter``), reads and changes the shared client state (``clients``) and knows the
day; everything else goes back up as messages, which the App routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from textual.worker import Worker, WorkerState

from lucy_tui.api.errors import LucyError, RateLimitedError, ServerError, UnreachableError
from lucy_tui.clients.store import ClientStore
from lucy_tui.session import CurrentSession

RETRY_HINT = "Press ctrl+r to try again."


def error_notice(error: LucyError, context: str, retry: str = RETRY_HINT) -> str:
    """What the user reads when an action failed: what, why, and for a fault that may pass
    (the server away or busy, a rate limit) the key that tries again."""
    hint = ""
    if isinstance(error, UnreachableError | ServerError | RateLimitedError):
        hint = f" {retry}"
    return f"{context}: {error.message}{hint}"


class Reporter(Protocol):
    """Turns failures into something the user can read and act on."""

    def report_error(
        self, error: LucyError, context: str, *, quiet: bool = False, retry: str = RETRY_HINT
    ) -> None:
        """Tell what failed and how to retry; an ended session asks to sign in again.

        ``quiet``: the caller shows the error itself (a form's error line, say).
        """

    def report_worker_state(self, worker: Worker[Any], state: WorkerState) -> None:
        """A worker failed in a way nobody expected: say so, once."""


@dataclass(frozen=True)
class Context:
    session: CurrentSession
    reporter: Reporter
    clients: ClientStore
    today: date
