"""The answer of a send or resend as a virtual table: one row per document, the problems
first. A resend across the firm answers for thousands of documents; drawn as one text
widget they took seconds to lay out, drawn here only the rows on screen are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from textual.message import Message

from lucy_tui.api.models import ActionOutcome, Document, DocumentActionResult
from lucy_tui.columns import FLEXIBLE, ColumnSpec
from lucy_tui.document_view import format_amount, format_date
from lucy_tui.widgets.virtual_table import Cell, Part, VirtualTable, component_classes

OUTCOME_ORDER = {ActionOutcome.FAILED: 0, ActionOutcome.REFUSED: 1, ActionOutcome.SENT: 2}
OUTCOME_LABELS = {
    ActionOutcome.SENT: ("✓ Sent", "sent"),
    ActionOutcome.FAILED: ("✗ Failed again", "failed"),
    ActionOutcome.REFUSED: ("⊘ Refused", "refused"),
}


class ResultColumn(StrEnum):
    OUTCOME = "outcome"
    CLIENT = "client"
    DATE = "date"
    COUNTERPARTY = "counterparty"
    AMOUNT = "amount"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class ResultRow:
    position: int  # in the answer: the row's id
    result: DocumentActionResult
    document: Document | None  # as it was before the action (None: not loaded here)
    client_name: str | None = None


class ResultsView:
    """The results in the order shown: failed, then refused, then sent."""

    sort_column = ResultColumn.OUTCOME
    sort_reverse = False

    def __init__(self, rows: Sequence[ResultRow]) -> None:
        self.rows = sorted(rows, key=lambda r: OUTCOME_ORDER[r.result.outcome])
        self._index = {row.position: i for i, row in enumerate(self.rows)}

    def __len__(self) -> int:
        return len(self.rows)

    def row_at(self, index: int) -> ResultRow:
        return self.rows[index]

    def index_of(self, row_id: int) -> int | None:
        return self._index.get(row_id)


def outcome_label(result: DocumentActionResult, resend: bool) -> str:
    if result.outcome is ActionOutcome.FAILED and not resend:
        return "✗ Failed"
    return OUTCOME_LABELS[result.outcome][0]


def result_line(row: ResultRow, resend: bool) -> str:
    """One result as a line of text (the copyable form; tests read it too)."""
    parts = [f"{outcome_label(row.result, resend):<15}"]
    if row.client_name:
        parts.append(row.client_name)
    document = row.document
    if document is not None:
        parts += [
            format_date(document),
            document.counterparty,
            format_amount(document.amount, document.currency),
        ]
    else:
        parts.append(f"document {row.result.document_id}")
    if row.result.message:
        parts.append(row.result.message)
    return "  ".join(parts)


class ResultsTable(VirtualTable[ResultRow, ResultColumn]):
    DEFAULT_CSS = """
    ResultsTable {
        & > .results-table--sent { color: $text-success; text-style: bold; }
        & > .results-table--failed { color: $text-error; text-style: bold; }
        & > .results-table--refused { color: $text-warning; text-style: bold; }
        & > .results-table--dim { color: $text-muted; }
    }
    """
    COMPONENT_PREFIX = "results-table--"
    COMPONENT_CLASSES = component_classes(COMPONENT_PREFIX, "sent", "failed", "refused", "dim")

    view: ResultsView

    class CursorMoved(Message):
        """The cursor landed on another result."""

    def __init__(
        self, rows: Sequence[ResultRow], *, resend: bool, with_client: bool, id: str | None = None
    ) -> None:
        columns = [
            ColumnSpec(ResultColumn.OUTCOME, "Outcome", 14),
            *([ColumnSpec(ResultColumn.CLIENT, "Client", 22)] if with_client else []),
            ColumnSpec(ResultColumn.DATE, "Date", 10),
            ColumnSpec(ResultColumn.COUNTERPARTY, "Supplier / customer", 24),
            ColumnSpec(ResultColumn.AMOUNT, "Amount", 13, "right"),
            ColumnSpec(ResultColumn.MESSAGE, "What Lucy answered", FLEXIBLE),
        ]
        super().__init__(ResultsView(rows), columns, id=id)
        self.resend = resend

    def _row_id(self, row: ResultRow) -> int:
        return row.position

    def _cursor_moved(self, row: ResultRow | None) -> None:
        self.post_message(self.CursorMoved())

    def _shows_sort_marker(self, spec: ColumnSpec[ResultColumn]) -> bool:
        return False

    def _cell(self, row: ResultRow, column: ResultColumn) -> Cell:
        document = row.document
        if column is ResultColumn.OUTCOME:
            return Part(outcome_label(row.result, self.resend), row.result.outcome.value)
        if column is ResultColumn.CLIENT:
            return row.client_name or ""
        if column is ResultColumn.DATE:
            return format_date(document) if document else ""
        if column is ResultColumn.COUNTERPARTY:
            return (
                document.counterparty
                if document
                else Part(f"document {row.result.document_id}", "dim")
            )
        if column is ResultColumn.AMOUNT:
            return format_amount(document.amount, document.currency) if document else ""
        return (
            Part(row.result.message, "dim")
            if row.result.outcome is ActionOutcome.SENT
            else (row.result.message)
        )
