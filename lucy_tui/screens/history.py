"""Who changed what, when: a client's History (``H`` on the client detail) and, for admins,
the firm's log (the command palette's "Audit: the firm's log").

Both load the records page by page from the server (newest first, by cursor) into one
:class:`~lucy_tui.audit_view.AuditView`, drawn by an
:class:`~lucy_tui.widgets.audit_table.AuditTable`; ``/`` filters what was loaded as the
other lists do, ``e`` writes the shown records to a CSV file, ``enter`` shows one whole.
"""

from __future__ import annotations

import json
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Static

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import MAX_PAGE_SIZE, AuditEntry, AuditPage
from lucy_tui.audit_view import (
    CSV_HEADER,
    FIRM_COLUMNS,
    HISTORY_COLUMNS,
    AuditView,
    kind_label,
)
from lucy_tui.context import Context
from lucy_tui.local.paths import documents_dir
from lucy_tui.safe_text import plain
from lucy_tui.screens.base import Dialog, PaletteCommand
from lucy_tui.screens.csv_export import CsvExport
from lucy_tui.widgets.audit_table import AuditTable
from lucy_tui.widgets.table_filter import TableFilter

FILTER_PLACEHOLDER = "Filter: words, or who:an what:peppol client:bakkerij since:2026-11-01"
HELP = """\
Filter (/): words match who, what, the client and the change; every word must match.
  who:an   what:hidden   client:bakkerij   since:2026-11-01   until:2026-11-30
e writes the shown records to a CSV file; enter shows a record whole (before and after)."""


class AuditRecordScreen(Dialog[None]):
    """One record whole: who, when, what, and every field before and after."""

    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, entry: AuditEntry, change: str) -> None:
        super().__init__()
        self.entry, self.change = entry, change

    def compose(self) -> ComposeResult:
        entry = self.entry
        lines = [
            f"When: {entry.at:%d/%m/%Y %H:%M:%S} UTC",
            f"Who: {entry.staff_name}",
            f"What: {kind_label(entry.kind)} ({entry.kind.value})",
        ]
        if entry.client_name or entry.client_id is not None:
            lines.append(f"Client: {entry.client_name or ''} ({entry.client_id})")
        lines += ["", f"Change: {self.change}", ""]
        for side, fields in (("Before", entry.before), ("After", entry.after)):
            if fields:
                lines.append(f"{side}:")
                lines += [
                    f"  {key}: {json.dumps(value, ensure_ascii=False)}"
                    for key, value in fields.items()
                ]
        with Vertical(classes="dialog"):
            yield Static("Audit record", classes="dialog-title")
            with VerticalScroll(id="audit-record-scroll"):
                yield Static(plain("\n".join(lines), lines=True), id="audit-record")

    def action_close(self) -> None:
        self.dismiss(None)


class AuditScreen(CsvExport):
    """Records of the audit trail, loaded by :meth:`fetch` (a subclass says which)."""

    DEFAULT_CSS = """
    AuditScreen {
        #audit-title { height: 1; padding: 0 1; text-style: bold; background: $panel; }
        #audit-filter-bar { height: 3; }
        #audit-filter { width: 1fr; }
        #audit-hint { height: auto; padding: 0 1; color: $warning; display: none; }
        #audit-table { height: 1fr; }
        #audit-status { height: 1; padding: 0 1; color: $text-muted; }
    }
    AuditRecordScreen #audit-record-scroll { height: auto; max-height: 30; }
    """
    HELP_EXTRA = HELP
    BINDINGS = [
        Binding("escape", "back", "Back", id="audit.back"),
        Binding("slash", "focus_filter", "Filter", id="audit.filter"),
        Binding("e", "export", "Export CSV", id="audit.export"),
        Binding("ctrl+r", "refresh", "Refresh", id="audit.refresh"),
    ]
    COLUMNS: ClassVar = HISTORY_COLUMNS
    NOUN = "records"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.view = AuditView()
        self.total = 0
        self.loading_done = False
        self._generation = 0
        self._shown_hints = ""

    # --- what a subclass says -------------------------------------------------------------

    def title_text(self) -> str:
        raise NotImplementedError

    async def fetch(self, after: int | None) -> AuditPage:
        raise NotImplementedError

    def export_name(self) -> str:
        raise NotImplementedError

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(plain(self.title_text()), id="audit-title")
        with Vertical(id="audit-filter-bar"):
            yield TableFilter(AuditTable, placeholder=FILTER_PLACEHOLDER, id="audit-filter")
        yield Static("", id="audit-hint")
        yield AuditTable(self.view, self.COLUMNS, id="audit-table")
        yield Static("Loading…", id="audit-status")
        yield Footer()

    @property
    def table(self) -> AuditTable:
        return self.query_one(AuditTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.action_refresh()

    # --- loading --------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._generation += 1
        self.loading_done = False
        self._load(self._generation)

    @work(exclusive=True, group="audit-load", exit_on_error=False)
    async def _load(self, generation: int) -> None:
        after: int | None = None
        first = True
        while True:
            try:
                page = await self.fetch(after)
            except LucyError as error:
                self.query_one("#audit-status", Static).update(
                    plain(f"Could not load the records: {error.message} (ctrl+r to retry)")
                )
                self.ctx.reporter.report_error(error, "Could not load the records", quiet=True)
                return
            if generation != self._generation:
                return
            if first:  # a reload replaces what was shown once its first page is here
                self.view.clear()
                first = False
            self.total = page.total
            self.view.add(page.items)
            self.table.view_changed()
            if page.next is None or not page.items:
                break
            self._update_status()
            after = page.next
        self.loading_done = True
        self._update_status()

    def _update_status(self) -> None:
        loaded = len(self.view.entries)
        text = f"{len(self.view):,} shown of {loaded:,} records"
        if not self.loading_done:
            text += f" · loading ({loaded:,} of {self.total:,})…"
        text += "  ·  / filter  e export  enter details"
        self.query_one("#audit-status", Static).update(plain(text))

    # --- filter ---------------------------------------------------------------------------

    @on(Input.Changed, "#audit-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        parsed = self.view.set_filter(event.value)
        hints = "  ".join(f"⚠ {hint}" for hint in parsed.hints)
        if hints != self._shown_hints:
            self._shown_hints = hints
            hint = self.query_one("#audit-hint", Static)
            hint.update(plain(hints))
            hint.display = bool(hints)
        self.table.view_changed()
        self._update_status()

    @on(Input.Submitted, "#audit-filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_focus_filter(self) -> None:
        self.query_one("#audit-filter", Input).focus()

    # --- actions --------------------------------------------------------------------------

    @on(AuditTable.Opened)
    def _open(self, message: AuditTable.Opened) -> None:
        entry = message.entry
        self.app.push_screen(AuditRecordScreen(entry, self.view.changes.get(entry.id, "")))

    def action_export(self) -> None:
        self.export_csv(
            f"Export the shown {self.NOUN} to CSV",
            documents_dir() / self.export_name(),
            CSV_HEADER,
            self.view.csv_records(),
            self.NOUN,
        )

    def action_back(self) -> None:
        self.dismiss()

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            ("Audit: filter", "Focus the filter", self.action_focus_filter),
            ("Audit: export CSV", "Write the shown records to a CSV file", self.action_export),
            ("Audit: refresh", "Load the records again", self.action_refresh),
            ("Audit: back", "Close this view", self.action_back),
        ]


class ClientHistoryScreen(AuditScreen):
    """A client's history (``H`` on the client detail): every record of this client."""

    COLUMNS = HISTORY_COLUMNS

    def __init__(self, ctx: Context, client_id: int, name: str) -> None:
        super().__init__(ctx)
        self.client_id, self.client_name = client_id, name

    def title_text(self) -> str:
        return f"History of {self.client_name}: who changed what, when"

    async def fetch(self, after: int | None) -> AuditPage:
        return await self.ctx.session.client.client_history(
            self.client_id, after=after, page_size=MAX_PAGE_SIZE
        )

    def export_name(self) -> str:
        return f"lucy-history-{self.client_id}-{self.ctx.today.isoformat()}.csv"


class FirmAuditScreen(AuditScreen):
    """The whole firm's log (admins): every record, with the client it concerns."""

    COLUMNS = FIRM_COLUMNS

    def title_text(self) -> str:
        return "The firm's audit log: who changed what, when"

    async def fetch(self, after: int | None) -> AuditPage:
        return await self.ctx.session.client.audit_page(after=after, page_size=MAX_PAGE_SIZE)

    def export_name(self) -> str:
        return f"lucy-audit-{self.ctx.today.isoformat()}.csv"
