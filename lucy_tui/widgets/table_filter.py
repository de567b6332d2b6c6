"""The filter bar above a list of rows (the firm's Failed queue, the History and the firm's
log): ``down`` goes back to the rows, ``escape`` clears the filter and goes back too."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input


class TableFilter(Input):
    """A filter for the screen's ``rows`` widget (its table); ``enter`` is the screen's."""

    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("down", "back_to_rows", "To the rows", show=False),
    ]

    def __init__(self, rows: type[Widget], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rows = rows

    def action_clear_filter(self) -> None:
        self.value = ""
        self.action_back_to_rows()

    def action_back_to_rows(self) -> None:
        self.screen.query_one(self._rows).focus()
