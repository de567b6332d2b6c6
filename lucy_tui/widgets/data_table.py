"""A ``DataTable`` that answers the same movement keys as the virtual tables.

The client list and the documents move with ``j``/``k``, ``g``/``G``, ``home``/``end``
and ``h``/``l`` (:func:`~lucy_tui.widgets.virtual_table.cursor_bindings`); the small tables
of a client's tabs (Vault, Users, Banking) are Textual ``DataTable``s, which know only the
arrows. This one knows both, so every table of the app moves alike.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

CellType = TypeVar("CellType")


class KeyTable(DataTable[CellType]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("g,home", "scroll_top", "First", show=False),
        Binding("G,end", "scroll_bottom", "Last", show=False),
        Binding("h", "cursor_left", "Column left", show=False),
        Binding("l", "cursor_right", "Column right", show=False),
    ]
