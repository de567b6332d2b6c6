"""Columns of the virtual tables, independent of how they are drawn (no Textual here).

A :class:`ColumnSpec` says what a column shows (its key, an enum of the table's model),
its title, its width and its alignment. The client list (``client_rows.COLUMNS``) and a
client's documents (``document_view.COLUMNS``) are both described this way and drawn by
:class:`~lucy_tui.widgets.virtual_table.VirtualTable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Literal, TypeVar

from rich.cells import cell_len, set_cell_size

K = TypeVar("K", bound=StrEnum)

FLEXIBLE = 0  # a column of this width shares what the fixed columns leave


@dataclass(frozen=True, slots=True)
class ColumnSpec(Generic[K]):
    column: K
    title: str
    width: int  # cells; FLEXIBLE (0): takes the remaining width
    align: Literal["left", "right"] = "left"
    # Stays on screen when the table is too wide for it and scrolls sideways.
    pinned: bool = False

    @property
    def flexible(self) -> bool:
        return self.width == FLEXIBLE


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells, cut with an ellipsis when too long."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)
