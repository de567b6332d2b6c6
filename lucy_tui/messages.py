"""Messages that workers post; handlers on screens own every state change."""

from __future__ import annotations

from textual.message import Message

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import ClientSummary


class ClientsPageLoaded(Message):
    """One page of the client list arrived (``generation`` tells loads apart)."""

    def __init__(
        self, generation: int, clients: list[ClientSummary], total: int, done: bool
    ) -> None:
        super().__init__()
        self.generation = generation
        self.clients = clients
        self.total = total
        self.done = done


class ClientsLoadFailed(Message):
    """Loading the client list failed; what is shown stays as it was."""

    def __init__(self, generation: int, error: LucyError) -> None:
        super().__init__()
        self.generation = generation
        self.error = error


class ClientChanged(Message):
    """A client was created or changed: its row must show the new state."""

    def __init__(self, client: ClientSummary) -> None:
        super().__init__()
        self.client = client
