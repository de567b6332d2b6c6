"""The client detail screen (its seven tabs arrive with the client-detail issue)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from lucy_tui.screens.base import LucyScreen


class ClientDetailScreen(LucyScreen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back to the list")]

    def __init__(self, client_id: int, name: str) -> None:
        super().__init__()
        self.client_id, self.client_name = client_id, name

    def compose(self) -> ComposeResult:
        yield Static(f"{self.client_name}", classes="dialog-title", id="detail-title")
        yield Static("The client's tabs are not built yet. Press escape to return to the list.")
        yield Footer()
