"""The signed-in session: who is signed in, on which server, and the API client to use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lucy_tui.api.errors import UnreachableError

if TYPE_CHECKING:  # httpx and pydantic: imported once the first rows are drawn
    from lucy_tui.api.client import LucyClient
    from lucy_tui.api.models import Staff


@dataclass
class Session:
    """A signed-in staff member on one server."""

    client: LucyClient
    staff: Staff
    server: str  # what favourites and tokens are keyed by
    # Embedded only: a new token from the in-process server (blocking: run in a thread).
    renew_token: Callable[[], str] | None = None


class CurrentSession:
    """The session screens call the API through; the app replaces it on sign-in.

    Screens are built before anyone has signed in (the dashboard shows "Connecting…"),
    so they hold this and ask it for the client when they need one.
    """

    def __init__(self) -> None:
        self._session: Session | None = None

    def begin(self, session: Session) -> None:
        self._session = session

    def end(self) -> None:
        """Nobody is signed in any more (signed out, or switching server)."""
        self._session = None

    @property
    def active(self) -> bool:
        return self._session is not None

    @property
    def current(self) -> Session:
        if self._session is None:
            raise UnreachableError("Not connected to a Lucy server yet.")
        return self._session

    @property
    def client(self) -> LucyClient:
        return self.current.client

    @property
    def staff(self) -> Staff:
        return self.current.staff
