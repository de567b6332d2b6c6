"""The app's messages, and the one way its workers work.

Workers. Every call to the API runs in a Textual worker (``@work(exit_on_error=False)``),
never in a handler. A worker is an ``async`` method of the widget or screen whose data it
fetches: it awaits the API, catches ``LucyError`` and hands it to ``ctx.reporter``
(``quiet=True`` when it shows the error itself), then puts the result on screen with one
call to a method of its own widget (``show``, ``_show_rows``...). Async workers run on the
app's event loop, so that call is safe. A worker posts a message instead when what it
produces is for someone else (another screen, the client list) or arrives in parts (the
pages of the client list); the handler of that message owns the state it changes. Blocking
work (files, the keyring) runs in ``@work(thread=True)`` and comes back with
``app.call_from_thread``. Anything a worker did not expect ends in
``Worker.StateChanged``, which ``ctx.reporter.report_worker_state`` turns into a message
the user can read.

Messages are dataclasses: their fields are what they carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from lucy_tui.api.errors import LucyError

if TYPE_CHECKING:  # pydantic: not imported before the list's first paint
    from lucy_tui.api.models import ClientDetail, ClientDocumentCounts, ClientSummary
    from lucy_tui.clients.rows import ClientRow


@dataclass
class ClientsPageLoaded(Message):
    """One page of the client list arrived (``generation`` tells loads apart); ``changes``:
    the server's token for asking what changed since this load (``changed_since``)."""

    generation: int
    clients: list[ClientSummary]
    total: int
    done: bool
    changes: str | None = None
    # the compact transfer (/client-rows): the rows already built (``clients`` is empty),
    # and the first rows' JSON (for the next session's snapshot) on a load's first batch
    rows: list[ClientRow] | None = None
    wire: list[dict[str, Any]] | None = None


@dataclass
class ClientsChangesLoaded(Message):
    """What changed since the last load (a refresh): the changed clients' rows, the ids that
    left the list, and the next token; ``reset``: the server cannot tell, load it all."""

    generation: int
    clients: list[ClientSummary]
    removed: list[int]
    changes: str | None
    reset: bool


@dataclass
class ClientsLoadFailed(Message):
    """Loading the client list failed; what is shown stays as it was."""

    generation: int
    error: LucyError


@dataclass
class ClientChanged(Message):
    """A client was created or changed: its row must show the new state."""

    client: ClientSummary


@dataclass
class FavouriteToggled(Message):
    """A client was starred or unstarred (from the list or its detail)."""

    client_id: int
    name: str
    starred: bool


@dataclass
class OpenClient(Message):
    """Show this client's detail (the App opens it); ``tab`` and ``document_id``: open it on
    that tab with that document under the cursor (the Accounting Documents tab)."""

    client_id: int
    name: str
    tab: str | None = None
    document_id: int | None = None


@dataclass
class OpenFailedDocuments(Message):
    """Show the firm's Failed documents (the App opens the screen)."""


@dataclass
class ClientListLoaded(Message):
    """The whole client list is in (first load, or loaded again): what the app keeps."""


@dataclass
class ClientCountsChanged(Message):
    """A send or resend changed these clients' Inbox and Failed counts."""

    counts: list[ClientDocumentCounts]


@dataclass
class OpenPeppolReadiness(Message):
    """Show the firm's Peppol readiness (the App opens the screen)."""


@dataclass
class ConnectRequested(Message):
    """Not connected: try to reach the server and sign in again (ctrl+r)."""


@dataclass
class ReloadClient(Message):
    """A tab changed something the client's header and list row show: load it again."""


@dataclass
class ClientUpdated(Message):
    """A tab got the client's new state in an answer: show it everywhere."""

    client: ClientDetail
