"""The firm's Failed documents: every client the user sees, in one queue (``F``).

The queue loads page by page in a worker into a :class:`FailedTable` (the first page shows
at once). It filters as the user types (free words, ``client:``, ``reason:``, ``age:>7d``),
sorts by any column (``s``), groups by failure reason (``r``) so that one cause can be
handled at once (``R`` selects the cursor's group), and selects with the Accounting
Documents tab's keys. ``t`` resends the selection "To accountant" in one request across
clients, after the same confirmation (what is sent, what is excluded and why, where it
goes: ``d`` picks another destination), with an Idempotency-Key kept until it is answered;
the results come per document, the rows change in place, and the client list's counts
follow. ``enter`` opens the document's client on its Accounting Documents tab with the
document under the cursor; ``o`` opens the document with its delivery history.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Input, Static

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import (
    MAX_PAGE_SIZE,
    ActionOutcome,
    DocumentActionResponse,
    DocumentStatus,
    FirmDocument,
    IntegrationCategory,
)
from lucy_tui.context import Context
from lucy_tui.document_view import format_date, type_label
from lucy_tui.failed_view import FailedView, reason_of
from lucy_tui.messages import OpenClient
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.action_flow import ActionAnswered, ActionFailed, ActionFlow, updated_documents
from lucy_tui.screens.base import LucyScreen, PaletteCommand
from lucy_tui.screens.document_actions import (
    ActionKind,
    ActionPlan,
    ActionResultsScreen,
    DestinationChoice,
    PendingAction,
    plan_action,
    plural,
    summarize_results,
)
from lucy_tui.widgets.failed_table import FailedTable
from lucy_tui.widgets.table_filter import TableFilter

FILTER_PLACEHOLDER = "Filter: words, or client:bakkerij reason:rejected age:>7d"
REFRESH_THROTTLE = 0.12  # seconds between repaints while pages stream in
PACKAGE = DestinationChoice(None, "each client's accounting software")


class FailedDocumentsScreen(LucyScreen[None]):
    HELP_EXTRA = """\
Filter (/): words match client, supplier or customer, failure reason, destination, type.
  client:bakkerij   reason:rejected   age:>7d (days since the document's date)
r groups by failure reason (the biggest first), R selects the cursor's group; t resends the
selection to each client's accounting software in one request (d in the confirmation picks
another destination); enter opens the client at the document, o the document's history."""
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the list", id="failed.back"),
        Binding("slash", "focus_filter", "Filter", id="failed.filter"),
        Binding("t", "resend", "To accountant", id="failed.resend"),
        Binding("enter", "open_client", "Client", tooltip="Open the client", id="failed.open"),
        Binding(
            "o",
            "open_document",
            "Document",
            tooltip="Open the document in its client",
            show=False,  # in help (?) and the palette: the footer has no room left at 160
            id="failed.document",
        ),
        Binding("ctrl+r", "refresh", "Refresh", id="failed.refresh"),
    ]

    # Posted by the screen's workers to the screen itself.
    @dataclass
    class PageLoaded(Message, bubble=False):
        generation: int
        documents: list[FirmDocument]
        total: int
        done: bool

    @dataclass
    class LoadFailed(Message, bubble=False):
        generation: int
        error: LucyError

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.view = FailedView(ctx.today)
        self.total = 0
        self.loading_done = False
        self._generation = 0
        self._pending: list[FirmDocument] | None = None  # a reload's pages, until all arrived
        self._refresh_pending = False
        self.destinations: list[DestinationChoice] = []  # the catalogue's other destinations
        self.actions = ActionFlow(self, ctx, self._request, group="failed-action")
        self.last_results: ActionResultsScreen | None = None
        self._shown_hints = ""
        self._counted_for: list[int] | None = None  # the view order the clients were counted in
        self._clients_shown = 0
        self._lines: dict[str, object] = {}  # what each line shows now: unchanged, not redrawn

    def compose(self) -> ComposeResult:
        yield Static("The firm's Failed documents", id="failed-title")
        with Horizontal(id="failed-filter-bar"):
            yield TableFilter(FailedTable, placeholder=FILTER_PLACEHOLDER, id="failed-filter")
        yield Static("", id="failed-hint")
        yield Static("", id="failed-summary")
        yield FailedTable(self.view, id="failed-table")
        yield Static("", id="failed-cursor")
        yield Static("", id="failed-progress")
        with Horizontal(id="failed-status"):
            yield Static("0 selected", id="failed-selection")
            yield Static("", id="failed-keys")
        yield Static("", id="failed-outcome")
        yield Footer()

    @property
    def table(self) -> FailedTable:
        return self.query_one(FailedTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.start_loading()

    # --- loading ------------------------------------------------------------------------

    def start_loading(self) -> None:
        """Load (or reload) the queue; a reload keeps what is shown until all has arrived."""
        self._generation += 1
        self.loading_done = False
        self._pending = [] if self.view.total else None
        self._update_lines()
        self._load(self._generation)

    @work(exclusive=True, group="failed-load", exit_on_error=False)
    async def _load(self, generation: int) -> None:
        client = self.ctx.session.client
        try:
            pages = client.iter_firm_document_pages(MAX_PAGE_SIZE, status=DocumentStatus.FAILED)
            async for page in pages:
                done = page.next is None or not page.items  # the walk's end, whatever total
                self.post_message(self.PageLoaded(generation, page.items, page.total, done))
        except LucyError as error:
            self.post_message(self.LoadFailed(generation, error))
            return
        if not self.destinations:
            try:
                catalogue = await client.integrations()
            except LucyError:
                return  # only the package is offered: the default
            self.destinations = [
                DestinationChoice(i.id, i.name)
                for i in catalogue
                if i.category is IntegrationCategory.DESTINATION
            ]

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        if message.generation != self._generation:
            return
        self.total = message.total
        if self._pending is not None:  # a reload: replace everything at once
            self._pending.extend(message.documents)
            if message.done:
                self.view.clear()
                self.view.add(self._pending)
                self._pending = None
                self._finish_loading()
            return
        first = not self.view.total
        self.view.add(message.documents)
        if message.done:
            self._finish_loading()
        elif first:
            self._apply_view()
        elif not self._refresh_pending:
            self._refresh_pending = True
            self.set_timer(REFRESH_THROTTLE, self._apply_view)

    def _finish_loading(self) -> None:
        self.loading_done = True
        self.table.set_empty_message(
            "No Failed documents among the clients you can see: nothing to resend."
        )
        self._apply_view()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        if message.generation != self._generation:
            return
        self.loading_done = True
        self._pending = None
        text = f"Could not load the Failed documents: {message.error.message}"
        self.table.set_empty_message(f"{text} Press ctrl+r to try again.")
        self._show_outcome(f"{text} Press ctrl+r to try again.", error=True)
        self.ctx.reporter.report_error(message.error, "Could not load the Failed documents")

    def _apply_view(self) -> None:
        self._refresh_pending = False
        self.view.refresh()
        self.table.view_changed()
        self._update_lines()

    def action_refresh(self) -> None:
        self.start_loading()

    # --- the lines around the table -----------------------------------------------------

    @on(FailedTable.Changed)
    def _table_changed(self) -> None:
        self._update_lines()

    @on(FailedTable.CursorMoved)
    def _cursor_moved(self) -> None:
        self._update_cursor_line()

    def _set_line(self, line_id: str, content: str | Content) -> None:
        """Show ``content`` in a line, unless it shows it already (each update costs the
        screen a layout pass: a keystroke in the filter should pay for what changed)."""
        if self._lines.get(line_id) != content:
            self._lines[line_id] = content
            self.query_one(f"#{line_id}", Static).update(content)

    def _update_lines(self) -> None:
        view = self.view
        if self._counted_for is not view.order:  # once per view, not per cursor move
            self._counted_for = view.order
            self._clients_shown = view.shown_clients()
        clients = self._clients_shown
        parts: list[str | tuple[str, str]] = [
            (f"{len(view):,}", "bold"),
            f" of {max(self.total, view.total):,} Failed documents, ",
            (f"{clients:,}", "bold"),
            " clients",
        ]
        if not self.loading_done:
            parts.append((f"  ·  loading {view.total:,}/{self.total:,}…", "$text-muted"))
        direction = "▼" if view.sort_reverse else "▲"
        parts += [("  ·  sort (s): ", "$text-muted"), f"{view.sort_column.value} {direction}"]
        parts.append(("  ·  by reason (r): ", "$text-muted"))
        if view.group_by_reason:
            groups = view.groups()
            parts.append((f"{len(groups):,} reasons", "bold"))
        else:
            parts.append("off")
        self._set_line("failed-summary", Content.assemble(*parts))
        selected = len(view.selected)
        self._set_line("failed-selection", view.selection_line())
        keys = (
            "  ·  t resends the selection to each client's accounting software"
            if selected
            else "  ·  space selects, A all shown, F all, R this reason; t resends, "
            "enter opens the client, o the document"
        )
        self._set_line("failed-keys", keys)
        self._update_cursor_line()

    def _update_cursor_line(self) -> None:
        document = self.table.cursor_document
        if document is None:
            self._set_line("failed-cursor", "")
            return
        heading = printable(
            f"{document.client_name} · {type_label(document)} · {document.counterparty} · "
            f"{format_date(document)}: "
        )
        if document.status is DocumentStatus.FAILED:
            reason = reason_of(document)
            size = self.view.group_size(reason)
            self._set_line(
                "failed-cursor",
                Content.assemble(
                    heading,
                    ("Failed: ", "bold $text-error"),
                    printable(reason),
                    (
                        f"  ({plural(size, 'document')} shown failed so: R selects them)",
                        "$text-muted",
                    ),
                ),
            )
        else:
            self._set_line(
                "failed-cursor",
                Content.assemble(
                    heading,
                    (document.status.label, "bold $text-success"),
                    (f" to {printable(document.destination or '')}", ""),
                    ("  (ctrl+r reloads the queue)", "$text-muted"),
                ),
            )

    def _show_outcome(self, text: str, *, error: bool = False) -> None:
        outcome = self.query_one("#failed-outcome", Static)
        outcome.update(plain(text))
        outcome.set_class(error, "-error")
        outcome.display = bool(text)

    # --- filter -------------------------------------------------------------------------

    @on(Input.Changed, "#failed-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        parsed = self.view.set_filter(event.value)
        hints = "  ".join(f"⚠ {h}" for h in parsed.hints)
        if hints != self._shown_hints:
            self._shown_hints = hints
            hint = self.query_one("#failed-hint", Static)
            hint.update(plain(hints))
            hint.display = bool(hints)
        self.table.view_changed()

    @on(Input.Submitted, "#failed-filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_focus_filter(self) -> None:
        self.query_one("#failed-filter", Input).focus()

    # --- open ---------------------------------------------------------------------------

    def action_open_client(self) -> None:
        document = self.table.cursor_document
        if document is not None:
            self.post_message(
                OpenClient(
                    document.client_id,
                    document.client_name,
                    tab="documents",
                    document_id=document.id,
                )
            )

    def action_open_document(self) -> None:
        from lucy_tui.screens.document_detail import DocumentDetailScreen

        document = self.table.cursor_document
        if document is not None:
            self.app.push_screen(
                DocumentDetailScreen(
                    self.ctx, document.client_id, document.id, document.client_name
                )
            )

    def action_back(self) -> None:
        self.dismiss()

    # --- resend across clients ----------------------------------------------------------

    def action_resend(self) -> None:
        """Confirm resending the selection (or the cursor's row) "To accountant"."""
        view = self.view
        targets = self.actions.targets(view.selected_documents(), self.table.cursor_document)
        if targets is None:
            return
        hidden_ids = {d.id for d in targets if not view.is_shown(d.id)}

        def plan(choice: DestinationChoice) -> ActionPlan:
            return plan_action(
                ActionKind.RESEND,
                targets,
                hidden_ids=hidden_ids,
                package=None,
                package_known=False,
                destination=choice,
            )

        self.actions.confirm(ActionKind.RESEND, plan, [PACKAGE, *self.destinations], self._perform)

    def _perform(self, action: PendingAction, choice: DestinationChoice) -> None:
        progress = self.query_one("#failed-progress", Static)
        progress.update(
            plain(f"Resending {plural(len(action.document_ids), 'document')} to {choice.name}…")
        )
        progress.add_class("-running")
        self._show_outcome("")
        self.actions.run(action)

    async def _request(self, action: PendingAction) -> DocumentActionResponse:
        return await self.ctx.session.client.resend_firm_documents(
            list(action.document_ids),
            destination=action.destination,
            idempotency_key=action.idempotency_key,
        )

    @on(ActionAnswered)
    def _action_answered(self, message: ActionAnswered) -> None:
        action, response = message.action, message.response
        self.actions.answered(action)
        self.query_one("#failed-progress", Static).remove_class("-running")
        view = self.view
        before = {r.document_id: d for r in response.results if (d := view.get(r.document_id))}
        if action.destination is None:  # a copy elsewhere leaves the documents as they are
            view.add(updated_documents(before, response.results))
            view.refresh()
        view.deselect(r.document_id for r in response.results if r.outcome is ActionOutcome.SENT)
        self.table.view_changed()
        self.ctx.clients.counts_changed(response.clients)
        summary = summarize_results(ActionKind.RESEND, response.results)
        kept = len(view.selected)
        still = f" {plural(kept, 'document')} still selected." if kept else ""
        self._show_outcome(f"Resend: {summary}.{still} ctrl+r reloads the queue.")
        names = {d.client_id: d.client_name for d in before.values()}
        results = ActionResultsScreen(ActionKind.RESEND, response.results, before, names)
        self.last_results = results
        self.app.push_screen(results)

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.query_one("#failed-progress", Static).remove_class("-running")
        self._show_outcome(self.actions.failed(message.action, message.error), error=True)

    def action_show_last_results(self) -> None:
        last = self.last_results
        if last is None:
            self.notify("No resend yet on this screen.")
            return
        self.app.push_screen(
            ActionResultsScreen(last.kind, last.results, last.documents, last.client_names)
        )

    # --- command palette ----------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        table = self.table
        commands: list[PaletteCommand] = [
            (
                "Failed: resend selected (to accountant)",
                "Resend the selected documents across clients, in one request",
                self.action_resend,
            ),
            ("Failed: select all", "Select every Failed document", table.action_select_failed),
            ("Failed: select all shown", "Select every shown document", table.action_select_shown),
            (
                "Failed: select this reason",
                "Select the shown documents that failed for the cursor's reason",
                table.action_select_reason,
            ),
            ("Failed: clear selection", "Unselect every document", table.action_clear_selection),
            (
                "Failed: group by reason",
                "Order by failure reason, the biggest first",
                table.action_group,
            ),
            ("Failed: sort by current column", "Sort; again to reverse", table.action_sort),
            ("Failed: filter", "Focus the filter", self.action_focus_filter),
            (
                "Failed: open the client",
                "On its Accounting Documents tab, at this document",
                self.action_open_client,
            ),
            ("Failed: open the document", "Its delivery history", self.action_open_document),
            ("Failed: reload", "Load the queue again", self.action_refresh),
            ("Failed: back to the client list", "Close this screen", self.action_back),
        ]
        if self.last_results is not None:
            commands.append(
                (
                    "Failed: show the last results",
                    "What the last resend did, document by document",
                    self.action_show_last_results,
                )
            )
        return commands
