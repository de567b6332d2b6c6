"""The firm's Failed documents as their screen shows them, without Textual.

:class:`FailedView` is the model of :class:`~lucy_tui.widgets.failed_table.FailedTable` (as
:class:`~lucy_tui.document_view.DocumentView` is a client's documents'): every loaded
document by id, the selection (a set of ids), the filter (free words plus ``client:``,
``reason:``, ``age:>7d``), the sort, the grouping by failure reason, and the shown rows in
order. Like the client list's view it keeps what filtering needs precomputed by position
(search text, client, reason, age), so that 20,000 documents filter in a few milliseconds:
one list comprehension per term over the shown positions.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from lucy_tui.api.folding import fold
from lucy_tui.api.models import DocumentStatus, FirmDocument
from lucy_tui.columns import FLEXIBLE, ColumnSpec
from lucy_tui.document_selection import DocumentSelection
from lucy_tui.document_view import format_amount, type_label

NO_REASON = "no reason given"
MEMO_SIZE = 64  # filters whose shown rows are remembered


class FailedColumn(StrEnum):
    MARK = "selected"
    CLIENT = "client"
    DATE = "date"
    COUNTERPARTY = "counterparty"
    TYPE = "type"
    AMOUNT = "amount"
    DESTINATION = "destination"
    STATUS = "status"
    AGE = "age"
    REASON = "reason"


COLUMNS: tuple[ColumnSpec[FailedColumn], ...] = (
    ColumnSpec(FailedColumn.MARK, "✓", 1),
    ColumnSpec(FailedColumn.CLIENT, "Client", 24),
    ColumnSpec(FailedColumn.DATE, "Date", 10),
    ColumnSpec(FailedColumn.COUNTERPARTY, "Supplier / customer", 22),
    ColumnSpec(FailedColumn.TYPE, "Type", 11),
    ColumnSpec(FailedColumn.AMOUNT, "Amount", 13, "right"),
    ColumnSpec(FailedColumn.DESTINATION, "Destination", 14),
    ColumnSpec(FailedColumn.STATUS, "Status", 8),
    ColumnSpec(FailedColumn.AGE, "Age", 5, "right"),
    ColumnSpec(FailedColumn.REASON, "Failure reason", FLEXIBLE),
)

FIELDS = ("client", "reason", "age")
_AGE = re.compile(r"^(>=|<=|>|<|=)?(\d+)d?$")
_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "=": operator.eq,
}


def reason_of(document: FirmDocument) -> str:
    return document.failure_reason or NO_REASON


@dataclass
class FailedFilter:
    """A parsed queue filter: free words and field terms, every one must match."""

    text: str = ""
    words: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    ages: list[Callable[[int], bool]] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


def _age_test(compare: Callable[[int, int], bool], days: int) -> Callable[[int], bool]:
    return lambda age: compare(age, days)


def parse_failed_filter(text: str) -> FailedFilter:
    result = FailedFilter(text=text)
    for token in fold(text).split():
        name, colon, value = token.partition(":")
        if not colon:
            result.words.append(token)
        elif name == "client":
            if value:
                result.clients.append(value)
            else:
                result.hints.append("client: part of a client's name, e.g. client:bakkerij")
        elif name == "reason":
            if value:
                result.reasons.append(value)
            else:
                result.hints.append("reason: part of the failure reason, e.g. reason:rejected")
        elif name == "age":
            match = _AGE.match(value)
            if match is None:
                result.hints.append("age: days since the document's date, e.g. age:>7d")
                continue
            result.ages.append(_age_test(_OPERATORS[match.group(1) or ">="], int(match.group(2))))
        else:
            result.hints.append(f"unknown field {name!r}; try {', '.join(FIELDS)}")
    return result


class FailedView(DocumentSelection[FirmDocument]):
    """Which Failed documents are loaded, selected and shown, in which order."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.documents: list[FirmDocument] = []  # by position, in the server's order
        self._position: dict[int, int] = {}  # document id -> position
        self._texts: list[str] = []  # folded: client, counterparty, reason, destination ...
        self._clients: list[str] = []  # folded client names
        self._reasons: list[str] = []  # folded reasons
        self._client_ids: list[int] = []
        self.ages: list[int] = []  # days since the document's date
        self.selected: set[int] = set()
        self.filter = FailedFilter()
        self.sort_column = FailedColumn.CLIENT
        self.sort_reverse = False
        self.group_by_reason = False
        self.order: list[int] = []  # positions of the shown documents, in display order
        self._sorted: list[int] | None = None  # every position in display order (cached)
        self._index: dict[int, int] | None = None  # position -> index in ``order`` (lazy)
        self._shown: set[int] | None = None  # shown positions (lazy)
        self._reason_counts: Counter[str] | None = None  # of the shown, by folded reason
        # The shown positions of the filters typed since the rows or the order last changed:
        # erasing what was typed shows again what was shown, without searching again.
        self._memo: dict[str, list[int]] = {}

    # --- data ---------------------------------------------------------------------------

    def clear(self) -> None:
        self.documents.clear()
        self._position.clear()
        self._texts.clear()
        self._clients.clear()
        self._reasons.clear()
        self._client_ids.clear()
        self.ages.clear()
        self._changed()

    def add(self, documents: Iterable[FirmDocument]) -> None:
        """Add or replace documents (by id); the selection keeps its ids. Then refresh."""
        today = self.today
        for document in documents:
            reason = reason_of(document)
            text = fold(
                " ".join(
                    (
                        document.client_name,
                        document.counterparty,
                        reason,
                        document.destination or "",
                        type_label(document),
                        format_amount(document.amount, document.currency),
                    )
                )
            )
            age = (today - document.date).days
            position = self._position.get(document.id)
            if position is None:
                self._position[document.id] = len(self.documents)
                self.documents.append(document)
                self._texts.append(text)
                self._clients.append(fold(document.client_name))
                self._reasons.append(fold(reason))
                self._client_ids.append(document.client_id)
                self.ages.append(age)
            else:
                self.documents[position] = document
                self._texts[position] = text
                self._clients[position] = fold(document.client_name)
                self._reasons[position] = fold(reason)
                self._client_ids[position] = document.client_id
                self.ages[position] = age
        self._changed()

    def _changed(self) -> None:
        self._sorted = None
        self._memo.clear()

    def get(self, document_id: int) -> FirmDocument | None:
        position = self._position.get(document_id)
        return None if position is None else self.documents[position]

    @property
    def total(self) -> int:
        return len(self.documents)

    @property
    def failed(self) -> int:
        return sum(1 for d in self.documents if d.status is DocumentStatus.FAILED)

    # --- the view -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.order)

    def row_at(self, index: int) -> FirmDocument:
        return self.documents[self.order[index]]

    def index_of(self, document_id: int) -> int | None:
        position = self._position.get(document_id)
        if position is None:
            return None
        if self._index is None:
            self._index = {p: i for i, p in enumerate(self.order)}
        return self._index.get(position)

    def is_shown(self, document_id: int) -> bool:
        position = self._position.get(document_id)
        if position is None:
            return False
        if self._shown is None:
            self._shown = set(self.order)
        return position in self._shown

    def set_filter(self, text: str) -> FailedFilter:
        previous, self.filter = self.filter, parse_failed_filter(text)
        known = self._memo.get(text) if self._sorted is not None else None
        if known is not None:
            self._show(known)
            return self.filter
        # More of the same free words only narrows what is shown: search only that.
        narrowing = (
            bool(previous.text)
            and text.startswith(previous.text)
            and ":" not in text
            and all(any(old in word for word in self.filter.words) for old in previous.words)
            and self._sorted is not None
        )
        self.refresh(within=self.order if narrowing else None)
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[text] = self.order
        return self.filter

    def set_sort(self, column: FailedColumn) -> None:
        """Sort by ``column``; the same column again reverses the order."""
        if column is self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, column is FailedColumn.AGE
        self._sorted = None
        self._memo.clear()
        self.refresh()

    def toggle_grouping(self) -> bool:
        self.group_by_reason = not self.group_by_reason
        self._sorted = None
        self._memo.clear()
        self.refresh()
        return self.group_by_reason

    def _sort_key(self, column: FailedColumn) -> Callable[[int], Any]:
        documents, clients, reasons, ages = self.documents, self._clients, self._reasons, self.ages
        keys: dict[FailedColumn, Callable[[int], Any]] = {
            FailedColumn.MARK: lambda p: (documents[p].id not in self.selected, clients[p]),
            FailedColumn.CLIENT: lambda p: (clients[p], -documents[p].date.toordinal()),
            FailedColumn.DATE: lambda p: (documents[p].date, documents[p].id),
            FailedColumn.COUNTERPARTY: lambda p: (fold(documents[p].counterparty), clients[p]),
            FailedColumn.TYPE: lambda p: (type_label(documents[p]), clients[p]),
            FailedColumn.AMOUNT: lambda p: documents[p].amount,
            FailedColumn.DESTINATION: lambda p: (documents[p].destination or "\uffff", clients[p]),
            FailedColumn.STATUS: lambda p: (documents[p].status.value, clients[p]),
            FailedColumn.AGE: lambda p: (ages[p], clients[p]),
            FailedColumn.REASON: lambda p: (reasons[p], clients[p]),
        }
        return keys[column]

    def _all_sorted(self) -> list[int]:
        if self._sorted is None:
            ordered = sorted(
                range(len(self.documents)),
                key=self._sort_key(self.sort_column),
                reverse=self.sort_reverse,
            )
            if self.group_by_reason:
                # The biggest cause first; the sort holds inside each group (stable sort).
                sizes = Counter(self._reasons)
                reasons = self._reasons
                ordered.sort(key=lambda p: (-sizes[reasons[p]], reasons[p]))
            self._sorted = ordered
        return self._sorted

    def refresh(self, within: list[int] | None = None) -> None:
        """Recompute the shown positions: one comprehension per term, on what is left."""
        order = self._all_sorted() if within is None else within
        flt = self.filter
        texts, clients, reasons, ages = self._texts, self._clients, self._reasons, self.ages
        for word in flt.words:
            order = [p for p in order if word in texts[p]]
        for name in flt.clients:
            order = [p for p in order if name in clients[p]]
        for reason in flt.reasons:
            order = [p for p in order if reason in reasons[p]]
        for age in flt.ages:
            order = [p for p in order if age(ages[p])]
        if order is self._sorted:
            order = list(order)
        self._show(order)

    def _show(self, order: list[int]) -> None:
        self.order = order
        self._index = None
        self._shown = None
        self._reason_counts = None

    def groups(self) -> list[tuple[str, int]]:
        """The failure reasons of the shown documents, the most frequent first."""
        counts = Counter(reason_of(self.documents[p]) for p in self.order)
        return counts.most_common()

    def group_size(self, reason: str) -> int:
        """How many shown documents failed for ``reason`` (counted once per view)."""
        if self._reason_counts is None:
            self._reason_counts = Counter(map(self._reasons.__getitem__, self.order))
        return self._reason_counts[fold(reason)]

    def shown_clients(self) -> int:
        """How many clients the shown documents belong to."""
        return len(set(map(self._client_ids.__getitem__, self.order)))

    # --- selection (the rest is DocumentSelection's) -------------------------------------

    def all_documents(self) -> Iterable[FirmDocument]:
        return self.documents

    def shown_ids(self) -> Iterable[int]:
        documents = self.documents
        return (documents[p].id for p in self.order)

    def select_reason(self, reason: str) -> int:
        """Select the shown documents that failed for ``reason``; how many that is."""
        key, reasons, documents = fold(reason), self._reasons, self.documents
        ids = [documents[p].id for p in self.order if reasons[p] == key]
        self.selected.update(ids)
        return len(ids)
