"""The Accounting Documents tab: the client's inbox, send (Inbox) and resend (Failed).

Every page of documents is loaded in a worker into a :class:`DocumentTable`. ``enter``
sends the selected Inbox documents (the seed's arrow), ``t`` resends the selected Failed
ones ("To accountant"); with nothing selected both act on the row under the cursor. Each
asks first (saying what is left out and why), makes one request with an Idempotency-Key
kept until the action is answered, then shows the result of every document and updates
the rows in place. What succeeded leaves the selection; what did not stays selected.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import ProgressBar, Static

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import (
    MAX_PAGE_SIZE,
    ActionOutcome,
    ClientDetail,
    Document,
    DocumentActionResponse,
    DocumentActionResult,
    DocumentStatus,
)
from lucy_tui.context import Context
from lucy_tui.document_view import (
    FILTER_CYCLE,
    format_date,
    status_filter_label,
    type_label,
)
from lucy_tui.messages import ReloadClient
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.action_flow import ActionAnswered, ActionFailed, ActionFlow, updated_documents
from lucy_tui.screens.base import PaletteCommand
from lucy_tui.screens.detail.base import DetailTab
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
from lucy_tui.screens.document_detail import DocumentDetailScreen
from lucy_tui.widgets.document_table import DocumentTable


@dataclass(frozen=True)
class DocumentsData:
    documents: list[Document]
    package: str | None  # the linked accounting software's name
    package_known: bool  # False when the integrations could not be read
    destinations: list[DestinationChoice]  # the client's other destinations


@dataclass(frozen=True)
class Linked:
    """Where this client's documents can go."""

    package: str | None
    known: bool
    destinations: list[DestinationChoice]


@dataclass(frozen=True)
class LastResults:
    kind: ActionKind
    results: list[DocumentActionResult]
    documents: dict[int, Document]  # as they were before the action, to name them


class DocumentsTab(DetailTab):
    title = "Accounting Documents"

    BINDINGS = [
        Binding("enter", "send", "Send →", id="documents.send"),
        Binding("t", "resend", "To accountant", id="documents.resend"),
        Binding("o", "open_document", "Open", show=False, id="documents.open"),
    ]

    # Posted by the tab's workers to the tab itself.
    class DocumentsRefreshed(Message, bubble=False):
        def __init__(self, documents: list[Document], error: LucyError | None = None) -> None:
            super().__init__()
            self.documents, self.error = documents, error

    class PackageRead(Message, bubble=False):
        def __init__(self, linked: Linked) -> None:
            super().__init__()
            self.linked = linked

    def __init__(
        self, ctx: Context, client_id: int, client_name: str, *, id: str | None = None
    ) -> None:
        super().__init__(ctx, client_id, client_name, id=id)
        self.package: str | None = None
        self.package_known = False
        self.destinations: list[DestinationChoice] = []  # the client's other destinations
        self._wanted_document: int | None = None  # to put under the cursor once loaded
        self._outcome_text = ""  # the line under the table
        self._outcome_counts_selection = False  # ...ends with the documents still selected
        self.lucy_email: str | None = None
        self.actions = ActionFlow(self, ctx, self._request, group="documents-action")
        self.last_results: LastResults | None = None
        self._catalogue: dict[str, str] | None = None  # integration id -> name

    def compose_tab(self) -> ComposeResult:
        yield Static("", id="documents-summary")
        yield DocumentTable(id="documents-table", empty_message=self._empty_message())
        yield Static("", id="documents-cursor")
        with Horizontal(id="documents-progress"):
            yield ProgressBar(
                total=None, show_eta=False, show_percentage=False, id="documents-progress-bar"
            )
            yield Static("", id="documents-progress-label")
        with Horizontal(id="documents-status"):
            yield Static("0 selected", id="documents-selection")
            yield Static("", id="documents-hint")
        yield Static("", id="documents-outcome")

    @property
    def table(self) -> DocumentTable:
        return self.query_one(DocumentTable)

    # --- loading ------------------------------------------------------------------------

    def focus_content(self) -> None:
        """The table: selection and actions are keys on it."""
        self.table.focus()

    async def fetch(self) -> DocumentsData:
        documents = await self._all_documents()
        linked = await self._linked()
        return DocumentsData(documents, linked.package, linked.known, linked.destinations)

    async def _all_documents(self) -> list[Document]:
        documents: list[Document] = []
        pages = self.ctx.session.client.iter_document_pages(self.client_id, MAX_PAGE_SIZE)
        async for page in pages:
            documents.extend(page.items)
        return documents

    async def _linked(self) -> Linked:
        """The accounting software's name, to say where documents go (None: none linked),
        and the client's other destinations, which the confirmation offers."""
        client = self.ctx.session.client
        try:
            linked = await client.client_integrations(self.client_id)
            if linked.accounting_package is None and not linked.destinations:
                return Linked(None, True, [])
            if self._catalogue is None:
                self._catalogue = {i.id: i.name for i in await client.integrations()}
        except LucyError:
            return Linked(None, False, [])  # only a nicety of the confirmation
        names = self._catalogue
        package = linked.accounting_package
        return Linked(
            names.get(package, package) if package else None,
            True,
            [DestinationChoice(d, names.get(d, d)) for d in linked.destinations],
        )

    def show(self, data: DocumentsData) -> None:
        self.package, self.package_known = data.package, data.package_known
        self.destinations = data.destinations
        self.table.set_documents(data.documents)
        self._update_lines()
        self._show_wanted_document()

    def focus_document(self, document_id: int) -> None:
        """Put ``document_id`` under the cursor (now, or as soon as the documents arrive)."""
        self._wanted_document = document_id
        if self.loaded:
            self._show_wanted_document()

    def _show_wanted_document(self) -> None:
        wanted, self._wanted_document = self._wanted_document, None
        if wanted is None:
            return
        table = self.table
        if table.view.get(wanted) is None:
            self.notify("That document is no longer in this client's list.", severity="warning")
            return
        if not table.view.is_shown(wanted):
            table.set_filter(None)
        table.move_to(wanted)

    def client_shown(self, client: ClientDetail) -> None:
        super().client_shown(client)
        self.lucy_email = client.lucy_email
        self.table.set_empty_message(self._empty_message())
        if self.loaded:  # the link may have changed on the Integrations tab
            self._read_package()

    @work(exclusive=True, group="documents-package", exit_on_error=False)
    async def _read_package(self) -> None:
        self.post_message(self.PackageRead(await self._linked()))

    @on(PackageRead)
    def _package_read(self, message: PackageRead) -> None:
        linked = message.linked
        self.package, self.package_known = linked.package, linked.known
        self.destinations = linked.destinations
        self._update_lines()

    def _empty_message(self) -> str:
        address = f"by email to {self.lucy_email}" if self.lucy_email else "by email"
        return (
            "No documents yet. They arrive in the client's Lucy inbox "
            f"{address}, by upload, over Peppol or from the mobile app."
        )

    # --- what the lines around the table say ----------------------------------------------

    @on(DocumentTable.Changed)
    def _table_changed(self) -> None:
        self._update_lines()
        self._show_selection_left()

    @on(DocumentTable.CursorMoved)
    def _cursor_moved(self) -> None:
        self._update_cursor_line()

    def _update_lines(self) -> None:
        view = self.table.view
        parts: list[str | tuple[str, str]] = ["Status (v): "]
        for status in FILTER_CYCLE:
            count = view.total if status is None else view.counts[status]
            label = f" {status_filter_label(status)} {count:,} "
            parts.append((label, "reverse bold") if status is view.status_filter else label)
            parts.append(" ")
        direction = "▼" if view.sort_reverse else "▲"
        parts.append(("  ·  sort (s): ", "$text-muted"))
        parts.append(f"{view.sort_column.value} {direction}")
        parts.append(("  ·  accounting software: ", "$text-muted"))
        if self.package:
            parts.append((printable(self.package), "bold"))
        elif self.package_known:
            parts.append(("none linked", "bold $text-warning"))
        else:
            parts.append("unknown")
        self.query_one("#documents-summary", Static).update(Content.assemble(*parts))
        self.query_one("#documents-selection", Static).update(view.selection_line())
        hint = (
            "  ·  enter sends the selected Inbox documents, t resends the selected Failed ones"
            if view.selected
            else "  ·  space selects, A all shown, F all Failed; enter (send) and t (resend) "
            "act on the row under the cursor"
        )
        self.query_one("#documents-hint", Static).update(hint)
        self._update_cursor_line()

    def _update_cursor_line(self) -> None:
        document = self.table.cursor_document
        line = self.query_one("#documents-cursor", Static)
        if document is None:
            line.update("")
            return
        heading = printable(
            f"{type_label(document)} · {document.counterparty} · {format_date(document)}: "
        )
        if document.status is DocumentStatus.FAILED:
            reason = printable(document.failure_reason or "no reason given")
            line.update(
                Content.assemble(
                    heading,
                    ("Failed: ", "bold $text-error"),
                    reason,
                    ("  (t resends it, o shows its deliveries)", "$text-muted"),
                )
            )
        elif document.status is DocumentStatus.SENT:
            where = f" to {printable(document.destination)}" if document.destination else ""
            when = f" on {document.sent_at:%d/%m/%Y}" if document.sent_at else ""
            line.update(
                Content.assemble(
                    heading,
                    ("Sent", "bold $text-success"),
                    f"{where}{when}. ",
                    ("Lucy never sends a document twice.", "$text-muted"),
                )
            )
        else:
            to = f" to {printable(self.package)}" if self.package else ""
            line.update(
                Content.assemble(
                    heading,
                    ("In the client's inbox", "bold $text-primary"),
                    (f"  (enter sends it{to})", "$text-muted"),
                )
            )

    def _show_outcome(self, text: str, *, error: bool = False) -> None:
        """The line under the table, as plain text (it quotes the server's messages)."""
        self._outcome_text = text
        self._outcome_counts_selection = False
        outcome = self.query_one("#documents-outcome", Static)
        outcome.update(plain(text))
        outcome.set_class(error, "-error")
        outcome.display = bool(text)

    def _show_selection_left(self) -> None:
        """After a send or resend, the outcome line says how many documents are still
        selected: as many as are selected now (``x`` clears them, the line follows)."""
        if not self._outcome_counts_selection:
            return
        kept = len(self.table.view.selected)
        still = f" {plural(kept, 'document')} still selected." if kept else ""
        self.query_one("#documents-outcome", Static).update(plain(self._outcome_text + still))

    # --- send and resend ----------------------------------------------------------------

    def action_send(self) -> None:
        self.start_action(ActionKind.SEND)

    def action_resend(self) -> None:
        self.start_action(ActionKind.RESEND)

    def start_action(self, kind: ActionKind) -> None:
        """Confirm what ``kind`` would do with the selection (or the cursor's row)."""
        if not self.loaded:
            self.notify("The documents are still loading.", severity="warning")
            return
        view = self.table.view
        targets = self.actions.targets(view.selected_documents(), self.table.cursor_document)
        if targets is None:
            return
        hidden_ids = {d.id for d in targets if not view.is_shown(d.id)}

        def plan(choice: DestinationChoice) -> ActionPlan:
            return plan_action(
                kind,
                targets,
                hidden_ids=hidden_ids,
                package=self.package,
                package_known=self.package_known,
                destination=choice if choice.copy else None,
            )

        package = DestinationChoice(None, self.package or "the accounting software")
        self.actions.confirm(kind, plan, [package, *self.destinations], self._perform)

    def _perform(self, action: PendingAction, choice: DestinationChoice) -> None:
        target = choice.name if choice.copy else self.package
        to = f" to {target}" if target else ""
        self.query_one("#documents-progress-label", Static).update(
            plain(f"{action.kind.doing} {plural(len(action.document_ids), 'document')}{to}…")
        )
        self.query_one("#documents-progress").add_class("-running")
        self._show_outcome("")
        self.actions.run(action)

    async def _request(self, action: PendingAction) -> DocumentActionResponse:
        client = self.ctx.session.client
        call = client.send_documents if action.kind is ActionKind.SEND else client.resend_documents
        return await call(
            self.client_id,
            list(action.document_ids),
            destination=action.destination,
            idempotency_key=action.idempotency_key,
        )

    @on(ActionAnswered)
    def _action_answered(self, message: ActionAnswered) -> None:
        action, results = message.action, message.response.results
        self.actions.answered(action)
        self.query_one("#documents-progress").remove_class("-running")
        view = self.table.view
        before = {r.document_id: d for r in results if (d := view.get(r.document_id))}
        if action.destination is None:  # a copy elsewhere leaves the documents as they are
            self.table.update_documents(updated_documents(before, results, self.package))
        self.table.deselect(r.document_id for r in results if r.outcome is ActionOutcome.SENT)
        self.last_results = LastResults(action.kind, list(results), before)
        summary = summarize_results(action.kind, results)
        self._show_outcome(f"{action.kind.verb}: {summary}.")
        self._outcome_counts_selection = True
        self._show_selection_left()
        self.app.push_screen(ActionResultsScreen(action.kind, results, before))
        self._refresh_documents()
        self.post_message(ReloadClient())  # the Inbox count in the header and the list

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.query_one("#documents-progress").remove_class("-running")
        self._show_outcome(self.actions.failed(message.action, message.error), error=True)

    @work(exclusive=True, group="documents-refresh", exit_on_error=False)
    async def _refresh_documents(self) -> None:
        try:
            documents = await self._all_documents()
        except LucyError as error:
            self.post_message(self.DocumentsRefreshed([], error))
            return
        self.post_message(self.DocumentsRefreshed(documents))

    @on(DocumentsRefreshed)
    def _documents_refreshed(self, message: DocumentsRefreshed) -> None:
        if message.error is not None:
            self.ctx.reporter.report_error(
                message.error, "Could not refresh the documents", quiet=True
            )
            self.notify(
                printable(
                    f"Could not refresh the documents: {message.error.message} The rows show "
                    "what Lucy answered; press ctrl+r to reload them."
                ),
                severity="warning",
                markup=False,
            )
            return
        self.table.set_documents(message.documents)

    def action_open_document(self) -> None:
        """Open the document under the cursor: its details and delivery history."""
        document = self.table.cursor_document
        if document is None:
            self.notify("There is no document here.", severity="warning")
            return
        self.app.push_screen(DocumentDetailScreen(self.ctx, self.client_id, document.id))

    def action_show_last_results(self) -> None:
        last = self.last_results
        if last is None:
            self.notify("No send or resend yet on this client.")
            return
        self.app.push_screen(ActionResultsScreen(last.kind, last.results, last.documents))

    # --- command palette ----------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        table = self.table
        commands: list[PaletteCommand] = [
            (
                "Documents: send selected",
                "Send the selected Inbox documents to the accounting software",
                self.action_send,
            ),
            (
                "Documents: resend selected (to accountant)",
                "Resend the selected Failed documents",
                self.action_resend,
            ),
            (
                "Documents: open the document",
                "Its details and delivery history",
                self.action_open_document,
            ),
            (
                "Documents: select all failed",
                "Select every Failed document, whatever the filter",
                table.action_select_failed,
            ),
            (
                "Documents: select all shown",
                "Select every shown document",
                table.action_select_shown,
            ),
            (
                "Documents: clear selection",
                "Unselect every document",
                table.action_clear_selection,
            ),
            (
                "Documents: cycle status filter",
                "All, Inbox, Sent, Failed",
                table.action_cycle_filter,
            ),
            *(
                (
                    f"Documents: show {status_filter_label(status).lower()}",
                    f"Status filter: {status_filter_label(status)}",
                    lambda status=status: table.set_filter(status),
                )
                for status in FILTER_CYCLE
            ),
            ("Documents: sort by current column", "Sort; again to reverse", table.action_sort),
        ]
        if self.last_results is not None:
            commands.append(
                (
                    "Documents: show the last results",
                    "What the last send or resend did, document by document",
                    self.action_show_last_results,
                )
            )
        return commands
