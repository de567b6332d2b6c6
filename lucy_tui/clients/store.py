"""What every screen shares about the firm's clients: the favourites and the latest changes.

The store keeps the favourites and tells its subscribers (the client list) when they or a
client change, with messages; the screen that changed something does not need to know
who shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.message_pump import MessagePump

from lucy_tui.messages import ClientChanged, ClientCountsChanged, FavouriteToggled

if TYPE_CHECKING:
    from lucy_tui.api.models import ClientDocumentCounts, ClientSummary


class ClientStore:
    def __init__(self) -> None:
        self.favourites: set[int] = set()
        self._subscribers: list[MessagePump] = []
        # the server's token for "what changed since the list was loaded" (a refresh asks
        # only for that); None: no whole list loaded yet in this session
        self.changes_token: str | None = None

    def subscribe(self, subscriber: MessagePump) -> None:
        """``subscriber`` gets ClientChanged, ClientCountsChanged and FavouriteToggled."""
        self._subscribers.append(subscriber)

    def set_favourites(self, favourites: Iterable[int]) -> None:
        self.favourites = set(favourites)

    def is_favourite(self, client_id: int) -> bool:
        return client_id in self.favourites

    def toggle_favourite(self, client_id: int, name: str) -> bool:
        """Star or unstar a client; True when it is a favourite now."""
        starred = client_id not in self.favourites
        if starred:
            self.favourites.add(client_id)
        else:
            self.favourites.discard(client_id)
        for subscriber in self._subscribers:
            subscriber.post_message(FavouriteToggled(client_id, name, starred))
        return starred

    def counts_changed(self, counts: list[ClientDocumentCounts]) -> None:
        """A send or resend changed these clients' document counts: the list shows them."""
        if counts:
            for subscriber in self._subscribers:
                subscriber.post_message(ClientCountsChanged(list(counts)))

    def client_changed(self, client: ClientSummary) -> None:
        """A client was created or changed: whoever shows it shows the new state."""
        for subscriber in self._subscribers:
            subscriber.post_message(ClientChanged(client))
