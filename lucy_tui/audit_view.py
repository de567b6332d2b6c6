"""The audit trail as a model (no Textual): records newest first, a filter, CSV records.

:class:`~lucy_tui.widgets.audit_table.AuditTable` draws it; the History screen (a client's)
and the firm's log (admins) fill it page by page from the server. The filter runs over what
was loaded, as the other lists' filters do: free words match who, what, the client and the
change; ``who:``, ``what:``, ``client:`` narrow one field each; ``since:`` and ``until:``
take a day (``since:2026-11-01``, ``until:2026-11-30``, both days included).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from lucy_tui.api.folding import fold
from lucy_tui.api.models import AuditEntry, AuditKind, PeppolLookupState
from lucy_tui.columns import FLEXIBLE, ColumnSpec


class AuditColumn(StrEnum):
    WHEN = "when"
    WHO = "who"
    WHAT = "what"
    CLIENT = "client"
    CHANGE = "change"


HISTORY_COLUMNS: tuple[ColumnSpec[AuditColumn], ...] = (
    ColumnSpec(AuditColumn.WHEN, "When", 16, pinned=True),
    ColumnSpec(AuditColumn.WHO, "Who", 20),
    ColumnSpec(AuditColumn.WHAT, "What", 24),
    ColumnSpec(AuditColumn.CHANGE, "Change", FLEXIBLE),
)
FIRM_COLUMNS: tuple[ColumnSpec[AuditColumn], ...] = (
    ColumnSpec(AuditColumn.WHEN, "When", 16, pinned=True),
    ColumnSpec(AuditColumn.WHO, "Who", 20),
    ColumnSpec(AuditColumn.WHAT, "What", 24),
    ColumnSpec(AuditColumn.CLIENT, "Client", 28),
    ColumnSpec(AuditColumn.CHANGE, "Change", FLEXIBLE),
)

KIND_LABELS: dict[AuditKind, str] = {
    AuditKind.SIGNED_IN: "Signed in",
    AuditKind.SIGNED_OUT: "Signed out",
    AuditKind.CLIENT_CREATED: "Client created",
    AuditKind.CLIENT_UPDATED: "Client renamed",
    AuditKind.CLIENT_PLAN_CHANGED: "Plan changed",
    AuditKind.CLIENT_TEAMS_CHANGED: "Teams changed",
    AuditKind.CLIENT_CONTACT_CHANGED: "Contact changed",
    AuditKind.CLIENT_HIDDEN: "Hidden from employees",
    AuditKind.CLIENT_UNHIDDEN: "Shown to employees",
    AuditKind.CLIENT_INVITED: "Invitation sent",
    AuditKind.PEPPOL_SWITCHED: "Peppol switched",
    AuditKind.PEPPOL_LOOKED_UP: "Peppol looked up",
    AuditKind.SENDERS_UPDATED: "Allowed senders changed",
    AuditKind.USER_ADDED: "User added",
    AuditKind.USER_REMOVED: "User removed",
    AuditKind.INTEGRATIONS_UPDATED: "Accounting software",
    AuditKind.INVOICE_SETTINGS_UPDATED: "Invoice settings changed",
    AuditKind.VAULT_UPLOADED: "Vault upload",
    AuditKind.VAULT_DELETED: "Vault file deleted",
    AuditKind.DOCUMENTS_SENT: "Documents sent",
    AuditKind.DOCUMENTS_RESENT: "Documents resent",
}

FIELDS = ("who:", "what:", "client:", "since:", "until:")
CSV_HEADER = (
    "When (UTC)",
    "Who",
    "What",
    "Kind",
    "Client id",
    "Client",
    "Change",
    "Before",
    "After",
)
MAX_IDS_SHOWN = 8  # document ids written out in the change column, the rest counted


def kind_label(kind: AuditKind) -> str:
    return KIND_LABELS.get(kind, kind.value)


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value) if value else "none"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _ids(ids: list[Any]) -> str:
    shown = ", ".join(str(i) for i in ids[:MAX_IDS_SHOWN])
    more = len(ids) - MAX_IDS_SHOWN
    return shown + (f" and {more:,} more" if more > 0 else "")


def _state(value: Any) -> str:
    """A Peppol lookup state as the app names it elsewhere."""
    try:
        return PeppolLookupState(value).label
    except ValueError:
        return _value(value)


def describe(entry: AuditEntry) -> str:
    """What changed, in one line: ``name: Old → New; plan: trial → inbox``."""
    before, after = entry.before or {}, entry.after or {}
    kind = entry.kind
    if kind in (AuditKind.DOCUMENTS_SENT, AuditKind.DOCUMENTS_RESENT):
        ids = list(after.get("document_ids", []))
        failed = list(after.get("failed", []))
        where = _value(after.get("destinations")) if after.get("destinations") else ""
        text = f"{len(ids):,} document{'s' if len(ids) != 1 else ''} ({_ids(ids)})"
        if where:
            text += f" to {where}"
        if failed:
            text += f"; {len(failed):,} failed ({_ids(failed)})"
        return text
    if kind is AuditKind.PEPPOL_LOOKED_UP:
        state, was = _state(after.get("state")), _state(before.get("state"))
        provider = after.get("provider")
        text = f"network: {was} → {state}" if was != state else f"network: {state}"
        return text + (f" ({provider})" if provider else "")
    if kind in (AuditKind.CLIENT_TEAMS_CHANGED,):
        return f"teams: {_value(before.get('teams'))} → {_value(after.get('teams'))}"
    if kind is AuditKind.CLIENT_CONTACT_CHANGED:
        return f"contact: {_value(before.get('contact'))} → {_value(after.get('contact'))}"
    if not before and after:  # something made: what it is
        return "; ".join(f"{key}: {_value(value)}" for key, value in after.items())
    if before and not after:  # something removed: what it was
        return "; ".join(f"{key}: {_value(value)}" for key, value in before.items())
    keys = list(dict.fromkeys([*before, *after]))
    return "; ".join(f"{key}: {_value(before.get(key))} → {_value(after.get(key))}" for key in keys)


def when_text(entry: AuditEntry) -> str:
    return entry.at.strftime("%d/%m/%Y %H:%M")


@dataclass
class AuditFilter:
    """A parsed filter: every word and term must match."""

    text: str = ""
    words: list[str] = field(default_factory=list)
    who: list[str] = field(default_factory=list)
    what: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)
    since: date | None = None
    until: date | None = None
    hints: list[str] = field(default_factory=list)


def parse_audit_filter(text: str) -> AuditFilter:
    result = AuditFilter(text=text)
    for token in fold(text).split():
        name, colon, value = token.partition(":")
        if not colon:
            result.words.append(token)
            continue
        if name in ("since", "until"):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                result.hints.append(f"{name}: a day, e.g. {name}:2026-11-01")
                continue
            setattr(result, name, day)
            continue
        target = {"who": result.who, "what": result.what, "client": result.clients}.get(name)
        if target is None:
            result.hints.append(f"unknown field {name!r}; try {', '.join(FIELDS)}")
        elif value:
            target.append(value)
        else:
            result.hints.append(f"{name}: part of the {name}, e.g. {name}:…")
    return result


@dataclass(frozen=True)
class _Searchable:
    who: str
    what: str
    client: str
    change: str

    @property
    def everything(self) -> str:
        return f"{self.who}\n{self.what}\n{self.client}\n{self.change}"


class AuditView:
    """Records newest first (by id), filtered; the model of an :class:`AuditTable`."""

    sort_column = AuditColumn.WHEN
    sort_reverse = True

    def __init__(self) -> None:
        self.entries: dict[int, AuditEntry] = {}
        self.changes: dict[int, str] = {}  # each record's change, described once
        self._search: dict[int, _Searchable] = {}
        self._all: list[int] = []  # every id, newest first
        self.order: list[int] = []  # the shown ids
        self._index: dict[int, int] = {}
        self.filter = AuditFilter()

    # --- TableView ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.order)

    def row_at(self, index: int) -> AuditEntry:
        return self.entries[self.order[index]]

    def index_of(self, entry_id: int, /) -> int | None:
        return self._index.get(entry_id)

    # --- rows -----------------------------------------------------------------------------

    def clear(self) -> None:
        self.entries.clear()
        self.changes.clear()
        self._search.clear()
        self._all = []
        self._show([])

    def add(self, entries: Iterable[AuditEntry]) -> None:
        """Records of a page (older than those already here, or a reload's)."""
        for entry in entries:
            if entry.id not in self.entries:
                self._all.append(entry.id)
            self.entries[entry.id] = entry
            change = describe(entry)
            self.changes[entry.id] = change
            self._search[entry.id] = _Searchable(
                fold(entry.staff_name),
                fold(f"{kind_label(entry.kind)} {entry.kind.value}"),
                fold(entry.client_name or ""),
                fold(change),
            )
        self._all.sort(reverse=True)
        self.refresh()

    def shown(self) -> list[AuditEntry]:
        return [self.entries[entry_id] for entry_id in self.order]

    # --- filter ---------------------------------------------------------------------------

    def set_filter(self, text: str) -> AuditFilter:
        self.filter = parse_audit_filter(text)
        self.refresh()
        return self.filter

    def _matches(self, entry_id: int) -> bool:
        f = self.filter
        search = self._search[entry_id]
        if f.words and not all(word in search.everything for word in f.words):
            return False
        if f.who and not all(term in search.who for term in f.who):
            return False
        if f.what and not all(term in search.what for term in f.what):
            return False
        if f.clients and not all(term in search.client for term in f.clients):
            return False
        day = self.entries[entry_id].at.date()
        if f.since is not None and day < f.since:
            return False
        return f.until is None or day <= f.until

    def refresh(self) -> None:
        f = self.filter
        if f.words or f.who or f.what or f.clients or f.since or f.until:
            self._show([entry_id for entry_id in self._all if self._matches(entry_id)])
        else:
            self._show(list(self._all))

    def _show(self, order: list[int]) -> None:
        self.order = order
        self._index = {entry_id: index for index, entry_id in enumerate(order)}

    # --- export ---------------------------------------------------------------------------

    def csv_records(self) -> list[tuple[str, ...]]:
        """The shown records as CSV rows (see CSV_HEADER), the newest first."""
        return [
            (
                entry.at.isoformat(),
                entry.staff_name,
                kind_label(entry.kind),
                entry.kind.value,
                str(entry.client_id) if entry.client_id is not None else "",
                entry.client_name or "",
                self.changes[entry.id],
                _json(entry.before),
                _json(entry.after),
            )
            for entry in self.shown()
        ]


def _json(fields: dict[str, Any] | None) -> str:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True) if fields else ""
