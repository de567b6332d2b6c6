"""The dashboard: the firm's clients, filtered as you type, sorted, exported."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Footer, Input, Static

from lucy_tui.api.enums import ClientStatus
from lucy_tui.api.errors import LucyError, NotFoundError
from lucy_tui.clients.rows import COLUMNS, CSV_HEADER, TRIAL_SOON_DAYS, ClientRow, csv_record
from lucy_tui.clients.view import ClientView
from lucy_tui.context import Context
from lucy_tui.local.favourites import FavouritesStore
from lucy_tui.local.list_snapshot import SNAPSHOT_ROWS, ListSnapshot
from lucy_tui.local.paths import documents_dir
from lucy_tui.messages import (
    ClientChanged,
    ClientCountsChanged,
    ClientListLoaded,
    ClientsChangesLoaded,
    ClientsLoadFailed,
    ClientsPageLoaded,
    ConnectRequested,
    FavouriteToggled,
    OpenClient,
    OpenFailedDocuments,
    OpenPeppolReadiness,
)
from lucy_tui.safe_text import plain
from lucy_tui.screens.base import PaletteCommand
from lucy_tui.screens.csv_export import CsvExport
from lucy_tui.widgets.client_table import ClientTable

if TYPE_CHECKING:  # pydantic: imported once the first rows are drawn
    from lucy_tui.api.models import ClientSummary

FILTER_PLACEHOLDER = (
    "Filter: words, or status:active team:north plan:pro peppol:off inbox:>0 failed:>0 "
    "trial:<30d fav"
)
REFRESH_THROTTLE = 0.12  # seconds between repaints while pages stream in


class FilterInput(Input):
    """The filter bar: ``enter`` goes back to the list, ``escape`` clears the filter.

    ``on_change`` is called with the new value as soon as it changes, within the
    keystroke, not later with ``Input.Changed``: the list is filtered and repainted in
    the same frame as the bar, one screen update per keystroke instead of two.

    Its ``virtual_size`` (the text's width, which Textual's ``Input`` sets at every change)
    is kept without a layout: the bar's size never depends on it, and a layout per
    keystroke re-rendered the whole screen and the list's scrollbar a second time (about
    a third of a keystroke's CPU at 50,000 clients). Scrolling a long filter still works:
    the Input reads its own ``virtual_size``.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("down", "back_to_list", "To the list", show=False),
    ]

    def __init__(self, on_change: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_change = on_change

    def watch_value(self, value: str) -> None:
        self._on_change(value)

    def action_clear_filter(self) -> None:
        self.value = ""
        self.screen.query_one(ClientTable).focus()

    def action_back_to_list(self) -> None:
        self.screen.query_one(ClientTable).focus()


class DashboardScreen(CsvExport):
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="clients.filter"),
        Binding("f", "favourite", "Favourite", id="clients.favourite"),
        Binding("n", "new_client", "New client", id="clients.new"),
        Binding("i", "invite", "Invite", id="clients.invite"),
        Binding("s", "sort", "Sort", id="clients.sort"),
        Binding("e", "export", "Export CSV", id="clients.export"),
        Binding(
            "number_sign", "toggle_numbers", "Enterprise no.", show=False, id="clients.numbers"
        ),
        Binding("F", "failed_documents", "Failed documents", id="clients.failed"),
        Binding("P", "peppol_readiness", "Peppol readiness", id="clients.peppol"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("ctrl+r", "refresh", "Refresh", id="clients.refresh"),
    ]

    def __init__(
        self,
        ctx: Context,
        snapshot: list[ClientRow] | None = None,
        snapshot_store: ListSnapshot | None = None,
    ) -> None:
        """``snapshot``: the top of the list from the last session, shown (dimmed, and said
        in the status line) until the live list arrives; ``snapshot_store`` keeps this
        session's first page for the next."""
        super().__init__(ctx)
        self.view = ClientView(ctx.today)
        self.snapshot_store = snapshot_store
        self.favourites_file: FavouritesStore | None = None
        self.total = 0
        self.loading_done = False
        self._generation = 0
        self._refresh_pending = False
        self._pending_rows: list[ClientRow] = []  # a refresh's rows, until all arrived
        self._snapshot = snapshot  # the top of the list from the last session
        self._showing_snapshot = False
        self._connection = ""  # what the connection says while the last session's rows show
        self._status_text = "Connecting…"
        self._first_page_pending = False  # the next page is a load's first: snapshot it
        self._replacing = False
        self._shown_hints = ""
        self._trials_soon = 0  # trials ending soon among the shown rows
        self._trials_counted_for: list[int] | None = None  # the view order they were counted in
        self._failed_shown = 0  # Failed documents of the shown clients (counted with the trials)
        self._favourites_unsaved = False  # the last save failed, and the user was told

    def compose(self) -> ComposeResult:
        yield Static("", id="banner")
        with Horizontal(id="filter-bar"):
            yield FilterInput(self._filter_changed, placeholder=FILTER_PLACEHOLDER, id="filter")
        yield Static("", id="filter-hint")
        yield ClientTable(self.view, id="clients")
        yield Static("Connecting…", id="status-line")
        yield Footer()

    @property
    def table(self) -> ClientTable:
        return self.query_one(ClientTable)

    def on_mount(self) -> None:
        self.table.focus()
        if self._snapshot:
            self.view.add_rows(self._snapshot)
            self._show_last_session(True)
            self._apply_view()

    @property
    def showing_last_session(self) -> bool:
        """The rows shown are the last session's, not yet the live list."""
        return self._showing_snapshot

    def _show_last_session(self, shown: bool) -> None:
        self._showing_snapshot = shown
        self.table.set_class(shown, "-last-session")

    def drop_last_session(self) -> None:
        """Stop showing the last session's rows (they are not the signed-in user's)."""
        if self._showing_snapshot:
            self._show_last_session(False)
            self.view.clear()
            self._apply_view()

    # --- loading ------------------------------------------------------------------------

    def start_loading(self) -> None:
        """Load (or reload) the whole list, page by page, in a worker."""
        self._generation += 1
        self.loading_done = False
        self._pending_rows = []
        # A refresh keeps the list as it was until every page has arrived.
        self._replacing = bool(self.view.rows) and not self._showing_snapshot
        self._first_page_pending = True
        self._connection = ""  # connected: the status says the list is refreshing
        self.table.loading = not self.view.rows
        self._update_status()
        self._load_clients(self._generation)

    @work(exclusive=True, group="clients", exit_on_error=False)
    async def _load_clients(self, generation: int) -> None:
        client = self.ctx.session.client
        loaded = 0
        try:
            # Over the network the whole list comes in one compact answer, its rows shown
            # as they arrive. In-process (the embedded default) an answer is handed over
            # whole, buffered twice by httpx's ASGI transport: the pages keep the peak
            # memory at 50,000 clients under 150 MB (143 MB; 164 MB compact).
            if client.streams:
                try:
                    await self._load_compact(generation)
                    return
                except NotFoundError:
                    pass  # a server older than /client-rows: walk the list's pages
            async for page in client.iter_client_pages():
                loaded += len(page.items)
                done = page.next is None or not page.items
                self.post_message(
                    ClientsPageLoaded(generation, page.items, page.total, done, page.changes)
                )
        except LucyError as error:
            self.post_message(ClientsLoadFailed(generation, error))
            return
        if not loaded:
            self.post_message(ClientsPageLoaded(generation, [], 0, True))

    async def _load_compact(self, generation: int) -> None:
        """Post each batch of ``/client-rows`` as its rows arrive (checked by
        ``ClientRow.wire_reader``, no pydantic per row); the first rows' JSON goes along
        for the next session's snapshot."""
        wire: list[dict[str, Any]] = []

        def reader(columns: Sequence[str]) -> Callable[[list[Any]], ClientRow]:
            read = ClientRow.wire_reader(columns)

            def keep(values: list[Any]) -> ClientRow:
                row = read(values)
                if len(wire) < SNAPSHOT_ROWS:
                    wire.append(dict(zip(columns, values, strict=True)))
                return row

            return keep

        first = True
        async for batch in self.ctx.session.client.iter_client_rows(reader):
            if not batch.rows and not batch.done:
                continue
            message = ClientsPageLoaded(
                generation, [], batch.total, batch.done, batch.changes, rows=batch.rows
            )
            if first:
                first, message.wire = False, list(wire)
            self.post_message(message)

    @on(ClientsLoadFailed)
    def _load_failed(self, message: ClientsLoadFailed) -> None:
        if message.generation != self._generation:
            return
        self.table.loading = False
        self._pending_rows = []
        self.loading_done = True  # what is shown stays as it was
        self._apply_view()
        self.show_status(  # beside the last session's rows, if they are what is shown
            f"Could not load the clients: {message.error.message} Press ctrl+r to try again."
        )
        self.ctx.reporter.report_error(message.error, "Could not load the clients")

    @on(ClientsPageLoaded)
    def _page_loaded(self, message: ClientsPageLoaded) -> None:
        if message.generation != self._generation:
            return
        self.total = message.total
        if message.done:  # the next refresh asks only for what changed since this load
            self.ctx.clients.changes_token = message.changes
        if self._first_page_pending:
            self._first_page_pending = False
            if self.snapshot_store is not None:
                self._save_snapshot(message.wire if message.wire is not None else message.clients)
        rows = (
            message.rows
            if message.rows is not None
            else [ClientRow.from_summary(c) for c in message.clients]
        )
        if self._replacing:
            self._pending_rows.extend(rows)
            if message.done:
                self.view.clear()
                self.view.add_rows(self._pending_rows)
                self._pending_rows = []
                self._finish_loading()
            else:
                self._update_status(loaded=len(self._pending_rows))
            return
        if self._showing_snapshot:  # the live list takes over from last session's
            self._show_last_session(False)
            self.view.clear()
        first = not self.view.rows
        self.view.add_rows(rows)
        if message.done:
            self._finish_loading()
        elif first:
            self._apply_view()
            self.table.loading = False
        else:
            self._schedule_view_refresh()

    def _finish_loading(self) -> None:
        self.loading_done = True
        self.table.loading = False
        self._apply_view()
        self.post_message(ClientListLoaded())
        # The footer may have been composed before the list took the focus (it was loading):
        # show the list's keys (enter: Open) now that it can act on them.
        self.refresh_bindings()

    @work(thread=True, group="snapshot", exit_on_error=False)
    def _save_snapshot(self, clients: Sequence[ClientSummary | Mapping[str, Any]]) -> None:
        snapshot = self.snapshot_store
        if snapshot is not None:
            with contextlib.suppress(OSError):  # only a head start for next time
                snapshot.save(clients)

    def _schedule_view_refresh(self) -> None:
        if not self._refresh_pending:
            self._refresh_pending = True
            self.set_timer(REFRESH_THROTTLE, self._apply_view)

    def _apply_view(self) -> None:
        self._refresh_pending = False
        self.view.refresh()
        self.table.view_changed()
        self._update_status()

    def _update_status(self, loaded: int | None = None) -> None:
        view = self.view
        shown, count = len(view), len(view.rows)
        parts = [f"{shown:,} of {max(self.total, count):,} clients"]
        # The column and the sort first: on a narrow terminal the line is cut on the right.
        parts.append(f"column: {COLUMNS[self.table.cursor_column].title}")
        parts.append(f"sort: {view.sort_column.value}{' ↓' if view.sort_reverse else ''}")
        if self._showing_snapshot:
            parts.append(
                f"from your last session, not live yet: {self._connection or 'refreshing…'}"
            )
        elif not self.loading_done:
            parts.append(f"loading {loaded if loaded is not None else count:,}/{self.total:,}…")
        if view.favourites:
            parts.append(f"★ {len(view.favourites):,} favourites")
        if self._trials_counted_for is not view.order:  # counted once per view, not per move
            self._trials_counted_for = view.order
            self._trials_soon = view.trials_ending_soon()
            self._failed_shown = view.failed_documents()
        soon = self._trials_soon
        if soon:
            parts.append(f"{soon} trial(s) end within {TRIAL_SOON_DAYS} days")
        if view.filter.text.strip():
            parts.append(f"filter: {view.filter.text.strip()}")
        if self._failed_shown:
            parts.append(f"{self._failed_shown:,} Failed documents (F)")
        self._set_status("  ·  ".join(parts))

    def show_status(self, text: str) -> None:
        """Say something about the connection in the status line (until the list says more)."""
        if self._showing_snapshot:  # beside the last session's rows, which stay in sight
            self._connection = text
            self._update_status()
            return
        self._set_status(text)

    def _set_status(self, text: str) -> None:
        """The status line is one line high whatever it says: a repaint, never a layout
        (a layout at every keystroke of the filter repainted the whole screen)."""
        if text != self._status_text:
            self._status_text = text
            self.query_one("#status-line", Static).update(plain(text), layout=False)

    def set_banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(plain(text))
        banner.display = bool(text)

    # --- filter -------------------------------------------------------------------------

    def _filter_changed(self, value: str) -> None:
        parsed = self.view.set_filter(value)
        hints = "  ".join(f"⚠ {h}" for h in parsed.hints)
        hint = self.query_one("#filter-hint", Static)
        if hints != self._shown_hints:  # a repaint of the hint costs a layout: skip it
            self._shown_hints = hints
            hint.update(plain(hints))
            hint.display = bool(hints)
        self.table.view_changed()
        self._update_status()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.table.focus()

    @on(ClientTable.CursorMoved)
    def _cursor_moved(self) -> None:
        self._update_status()

    # --- actions ------------------------------------------------------------------------

    def action_sort(self) -> None:
        self.view.set_sort(self.table.current_column)
        self.table.view_changed()
        self._update_status()

    def action_toggle_numbers(self) -> None:
        self.table.show_enterprise_number = not self.table.show_enterprise_number

    def action_favourite(self) -> None:
        row = self.table.cursor_client
        if row is not None:
            self.ctx.clients.toggle_favourite(row.id, row.name)

    def favourites_loaded(self, file: FavouritesStore) -> None:
        """The signed-in user's favourites were read from ``file`` (where they are saved)."""
        self.favourites_file = file
        self.view.set_favourites(self.ctx.clients.favourites)

    @on(FavouriteToggled)
    def _favourite_toggled(self, message: FavouriteToggled) -> None:
        """A client was starred or unstarred (here or in its detail): show it, save it."""
        self.view.set_favourites(self.ctx.clients.favourites)
        self.table.view_changed()
        self._update_status()
        self._save_favourites(set(self.ctx.clients.favourites))
        name = message.name
        self.notify(
            f"★ Added {name} to favourites"
            if message.starred
            else f"Removed {name} from favourites",
            timeout=2,
        )

    @work(thread=True, group="favourites", exit_on_error=False)
    def _save_favourites(self, favourites: set[int]) -> None:
        file = self.favourites_file
        if file is None:  # not signed in yet: nothing to save them under
            return
        try:
            file.save(favourites)
        except OSError as exc:
            if self._favourites_unsaved:
                return  # said once already: the data dir has not changed since
            self._favourites_unsaved = True
            self.app.call_from_thread(
                self.notify,
                f"Could not save favourites in {file.path.parent} "
                f"({exc.strerror or exc}); they are kept for this session only.",
                severity="warning",
                timeout=10,
            )
        else:
            self._favourites_unsaved = False

    def action_new_client(self) -> None:
        from lucy_tui.screens.new_client import NewClientScreen

        self.app.push_screen(NewClientScreen(self.ctx), self._client_created)

    def _client_created(self, client: ClientSummary | None) -> None:
        if client is None:
            return
        self.post_message(ClientChanged(client))
        self.notify(f"Created {client.name}. Press i to send the invitation.")

    @on(ClientChanged)
    def _client_changed(self, message: ClientChanged) -> None:
        self.view.replace(message.client)
        self.total = max(self.total, len(self.view.rows))
        self.table.view_changed()
        if not self.table.move_to(message.client.id):
            self.notify("The client is hidden by the current filter.", timeout=3)
        self._update_status()

    def action_invite(self) -> None:
        row = self.table.cursor_client
        if row is None:
            return
        if row.status is ClientStatus.ACTIVE:
            self.notify(f"{row.name} is already active: no invitation needed.", severity="warning")
            return
        self._invite(row.id, row.name, resend=row.status is ClientStatus.INVITED)

    @work(group="invite", exit_on_error=False)
    async def _invite(self, client_id: int, name: str, resend: bool) -> None:
        try:
            client = await self.ctx.session.client.invite_client(client_id)
        except LucyError as exc:
            self.ctx.reporter.report_error(
                exc, f"Could not invite {name}", retry="Press i to try again."
            )
            return
        self.post_message(ClientChanged(client))
        until = client.invitation_expires_at
        valid = f" It is valid until {until:%d/%m/%Y}." if until else ""
        self.notify(f"Invitation {'sent again' if resend else 'sent'} to {name}.{valid}")

    def action_export(self) -> None:
        favourites = set(self.view.favourites)
        self.export_csv(
            "Export the shown clients to CSV",
            documents_dir() / f"lucy-clients-{self.view.today.isoformat()}.csv",
            CSV_HEADER,
            [csv_record(row, row.id in favourites) for row in self.view.shown()],
            "clients",
        )

    def action_refresh(self) -> None:
        if not self.ctx.session.active:
            self.post_message(ConnectRequested())
        elif self.ctx.clients.changes_token and self.loading_done and not self._showing_snapshot:
            self.refresh_changes(self.ctx.clients.changes_token)
        else:
            self.start_loading()

    def refresh_changes(self, token: str) -> None:
        """Ask only for what changed since the list was loaded (nothing changed: no row
        moves); the list stays as it is until the answer is in."""
        self._generation += 1
        self._connection = ""
        self._load_changes(self._generation, token)

    @work(exclusive=True, group="clients", exit_on_error=False)
    async def _load_changes(self, generation: int, token: str) -> None:
        client = self.ctx.session.client
        changed: list[ClientSummary] = []
        removed: list[int] = []
        latest: str | None = None
        try:
            async for page in client.iter_client_changes(token):
                if page.reset:
                    self.post_message(ClientsChangesLoaded(generation, [], [], None, True))
                    return
                changed += page.items
                removed += page.removed
                latest = page.changes
        except LucyError as error:
            self.post_message(ClientsLoadFailed(generation, error))
            return
        self.post_message(ClientsChangesLoaded(generation, changed, removed, latest, False))

    @on(ClientsChangesLoaded)
    def _changes_loaded(self, message: ClientsChangesLoaded) -> None:
        if message.generation != self._generation:
            return
        if message.reset:  # the server cannot tell what changed: the whole list again
            self.ctx.clients.changes_token = None
            self.start_loading()
            return
        self.ctx.clients.changes_token = message.changes
        if message.clients:
            self.view.add(message.clients)
        gone = self.view.remove(message.removed)
        self.total = len(self.view.rows)
        if message.clients or gone:
            self._apply_view()
        else:
            self._update_status()
        if message.clients or gone:
            self.notify(f"Refreshed: {len(message.clients):,} changed, {gone:,} gone.", timeout=3)

    @on(ClientTable.Opened)
    def _open_client(self, message: ClientTable.Opened) -> None:
        row = self.view.get(message.client_id)
        if row is not None:
            self.post_message(OpenClient(row.id, row.name))

    def action_peppol_readiness(self) -> None:
        self.post_message(OpenPeppolReadiness())

    # --- command palette ----------------------------------------------------------------

    def action_failed_documents(self) -> None:
        self.post_message(OpenFailedDocuments())

    @on(ClientCountsChanged)
    def _counts_changed(self, message: ClientCountsChanged) -> None:
        """A send or resend elsewhere changed clients' Inbox and Failed counts."""
        changed = []
        for counts in message.counts:
            row = self.view.get(counts.client_id)
            if row is not None:
                changed.append(
                    replace(row, inbox_count=counts.inbox_count, failed_count=counts.failed_count)
                )
        if changed:
            self.view.add_rows(changed)
            self.view.refresh()
            self.table.view_changed()
            self._update_status()

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            (
                "Clients: the firm's failed documents",
                "Every Failed document of the clients you see, to resend across clients",
                self.action_failed_documents,
            ),
            ("Clients: new client", "Add a client file", self.action_new_client),
            (
                "Clients: send invitation",
                "Invite the client under the cursor",
                self.action_invite,
            ),
            (
                "Clients: toggle favourite",
                "Star the client under the cursor",
                self.action_favourite,
            ),
            (
                "Clients: export CSV",
                "Write the shown clients to a CSV file",
                self.action_export,
            ),
            ("Clients: sort by current column", "Sort; again to reverse", self.action_sort),
            ("Clients: filter", "Focus the filter bar", self.action_focus_filter),
            (
                "Clients: show enterprise numbers",
                "Toggle the numbers in the list",
                self.action_toggle_numbers,
            ),
            (
                "Peppol: the firm's readiness",
                "Every client by what the Peppol network says; re-check and switch on in bulk",
                self.action_peppol_readiness,
            ),
            ("Clients: refresh", "Reload the list from the server", self.action_refresh),
        ]
