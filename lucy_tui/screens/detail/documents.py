"""The Accounting Documents tab of the client detail (not built yet: a placeholder)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from lucy_tui.screens.detail.base import DetailTab


class DocumentsTab(DetailTab):
    title = "Accounting Documents"

    def compose_tab(self) -> ComposeResult:
        yield Static("This tab is not built yet.")
