"""The selection of a list of documents: a set of ids, the same wherever documents are listed.

A client's documents (:class:`~lucy_tui.document_view.DocumentView`) and the firm's Failed
queue (:class:`~lucy_tui.failed_view.FailedView`) keep their documents differently (by id;
by position with precomputed search keys), but select alike: by document id, so that the
selection survives filtering, sorting and reloads. What they select with lives here once;
each view says which documents it has and which it shows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Generic, TypeVar

from lucy_tui.api.models import Document, DocumentStatus

D = TypeVar("D", bound=Document)


class DocumentSelection(ABC, Generic[D]):
    """The selected document ids of a view, and what the selection keys do with them."""

    selected: set[int]

    @abstractmethod
    def all_documents(self) -> Iterable[D]:
        """Every loaded document, in the server's order."""

    @abstractmethod
    def shown_ids(self) -> Iterable[int]:
        """The ids of the documents the filter shows."""

    @abstractmethod
    def get(self, document_id: int) -> D | None: ...

    @abstractmethod
    def is_shown(self, document_id: int) -> bool: ...

    def toggle(self, document_id: int) -> bool:
        """Select or unselect one document; True when it is now selected."""
        if document_id in self.selected:
            self.selected.discard(document_id)
            return False
        if self.get(document_id) is not None:
            self.selected.add(document_id)
            return True
        return False

    def select_shown(self) -> int:
        """Select every shown document; the number newly selected."""
        before = len(self.selected)
        self.selected.update(self.shown_ids())
        return len(self.selected) - before

    def select_status(self, status: DocumentStatus) -> int:
        """Select every document of ``status``, shown or not; how many that is."""
        ids = [d.id for d in self.all_documents() if d.status is status]
        self.selected.update(ids)
        return len(ids)

    def deselect(self, document_ids: Iterable[int]) -> None:
        self.selected.difference_update(document_ids)

    def clear_selection(self) -> None:
        self.selected.clear()

    @property
    def hidden_selected(self) -> int:
        """Selected documents that the filter hides."""
        return sum(1 for document_id in self.selected if not self.is_shown(document_id))

    def selected_documents(self) -> list[D]:
        """The selected documents, in the server's order."""
        return [d for d in self.all_documents() if d.id in self.selected]

    def selection_line(self) -> str:
        """ "N selected (M hidden by the filter)", the bracket only when M > 0."""
        hidden = self.hidden_selected
        line = f"{len(self.selected):,} selected"
        return f"{line} ({hidden:,} hidden by the filter)" if hidden else line
