"""The firm's Peppol readiness as a model (no Textual): every client by what the Peppol
network says, counts per state, a state filter and a selection kept by client id.

:class:`~lucy_tui.widgets.readiness_table.ReadinessTable` draws it; the readiness screen
fills it from the client list and changes it with the results of re-checks and activations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from lucy_tui.api.folding import fold
from lucy_tui.api.models import ClientSummary, PeppolLookupState
from lucy_tui.columns import FLEXIBLE, ColumnSpec


class ReadinessColumn(StrEnum):
    MARK = "mark"
    NAME = "name"
    NETWORK = "network"
    SENDING = "sending"
    RECEIVING = "receiving"


COLUMNS: tuple[ColumnSpec[ReadinessColumn], ...] = (
    ColumnSpec(ReadinessColumn.MARK, "✓", 1, pinned=True),
    ColumnSpec(ReadinessColumn.NAME, "Client", FLEXIBLE, pinned=True),
    ColumnSpec(ReadinessColumn.NETWORK, "On the Peppol network", 30),
    ColumnSpec(ReadinessColumn.SENDING, "Sending", 8),
    ColumnSpec(ReadinessColumn.RECEIVING, "Receiving", 9),
)

# The order the states are listed in: what needs attention first.
STATE_ORDER = (
    PeppolLookupState.REGISTERED_ELSEWHERE,
    PeppolLookupState.NOT_REGISTERED,
    PeppolLookupState.UNCHECKED,
    PeppolLookupState.LOOKUP_FAILED,
    PeppolLookupState.REGISTERED_HERE,
)
_RANK = {state: index for index, state in enumerate(STATE_ORDER)}


@dataclass
class ReadinessRow:
    client: ClientSummary

    @property
    def id(self) -> int:
        return self.client.id

    @property
    def state(self) -> PeppolLookupState:
        return self.client.peppol_network

    @property
    def network_label(self) -> str:
        label = self.state.label
        return f"{label} (stale)" if self.client.peppol_stale else label


class ReadinessView:
    """The rows in state order (then by name), filtered by one state or none."""

    sort_column = ReadinessColumn.NETWORK
    sort_reverse = False

    def __init__(self) -> None:
        self.rows: dict[int, ReadinessRow] = {}
        self.order: list[int] = []
        self._index: dict[int, int] = {}
        self.state_filter: PeppolLookupState | None = None
        self.selected: set[int] = set()

    # --- TableView -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.order)

    def row_at(self, index: int) -> ReadinessRow:
        return self.rows[self.order[index]]

    def index_of(self, row_id: int, /) -> int | None:
        return self._index.get(row_id)

    # --- data ------------------------------------------------------------------------------

    def set_clients(self, clients: Iterable[ClientSummary]) -> None:
        self.rows = {client.id: ReadinessRow(client) for client in clients}
        self.selected &= set(self.rows)
        self.refresh()

    def update(self, client: ClientSummary) -> None:
        """A client's new state (a re-check, an activation)."""
        if client.id in self.rows:
            self.rows[client.id] = ReadinessRow(client)

    def refresh(self) -> None:
        rows = [
            row
            for row in self.rows.values()
            if self.state_filter is None or row.state is self.state_filter
        ]
        rows.sort(key=lambda row: (_RANK[row.state], fold(row.client.name), row.id))
        self.order = [row.id for row in rows]
        self._index = {row_id: index for index, row_id in enumerate(self.order)}

    def counts(self) -> Counter[PeppolLookupState]:
        return Counter(row.state for row in self.rows.values())

    def cycle_filter(self) -> PeppolLookupState | None:
        """All, then each state in turn."""
        states: list[PeppolLookupState | None] = [None, *STATE_ORDER]
        self.state_filter = states[(states.index(self.state_filter) + 1) % len(states)]
        self.refresh()
        return self.state_filter

    # --- selection -------------------------------------------------------------------------

    def toggle(self, client_id: int) -> None:
        if client_id in self.selected:
            self.selected.discard(client_id)
        elif client_id in self.rows:
            self.selected.add(client_id)

    def select_shown(self) -> None:
        self.selected |= set(self.order)

    def clear_selection(self) -> None:
        self.selected.clear()

    def hidden_selected(self) -> int:
        """Selected clients the filter hides."""
        return len(self.selected - set(self.order))

    def selected_rows(self) -> list[ReadinessRow]:
        return [self.rows[i] for i in sorted(self.selected) if i in self.rows]
