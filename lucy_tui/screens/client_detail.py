"""The client detail: a header and the seven tabs of DESIGN §1, switched with 1-7.

A tab is built the first time it is shown: opening a client composes the tab it opens on,
not all seven (the other six were ~40% of opening a client).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static, TabbedContent, TabPane

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import ClientDetail
from lucy_tui.context import Context
from lucy_tui.messages import ClientUpdated, ReloadClient
from lucy_tui.safe_text import plain
from lucy_tui.screens.base import LucyScreen, PaletteCommand
from lucy_tui.screens.detail.banking import BankingTab
from lucy_tui.screens.detail.base import DetailTab
from lucy_tui.screens.detail.documents import DocumentsTab
from lucy_tui.screens.detail.integrations import IntegrationsTab
from lucy_tui.screens.detail.invoice_settings import InvoiceSettingsTab
from lucy_tui.screens.detail.overview import OverviewTab
from lucy_tui.screens.detail.users import UsersTab
from lucy_tui.screens.detail.vault import VaultTab

TABS: tuple[tuple[str, str, type[DetailTab]], ...] = (
    ("overview", "1 Overview", OverviewTab),
    ("documents", "2 Accounting Documents", DocumentsTab),
    ("vault", "3 Vault", VaultTab),
    ("banking", "4 Banking", BankingTab),
    ("integrations", "5 Integrations", IntegrationsTab),
    ("users", "6 Users", UsersTab),
    ("invoice-settings", "7 Invoice Settings", InvoiceSettingsTab),
)


class ClientDetailScreen(LucyScreen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the list", id="detail.back"),
        Binding("f", "favourite", "Favourite", id="detail.favourite"),
        Binding("H", "history", "History", show=False, id="detail.history"),
        Binding("ctrl+r", "refresh", "Refresh", id="detail.refresh"),
        *(
            Binding(str(number), f"show_tab('{tab_id}')", title.split(" ", 1)[1], show=False)
            for number, (tab_id, title, _) in enumerate(TABS, start=1)
        ),
    ]

    def __init__(
        self,
        ctx: Context,
        client_id: int,
        name: str,
        *,
        tab: str | None = None,
        document_id: int | None = None,
    ) -> None:
        """``tab``: the tab to open on (the first by default); ``document_id``: open on the
        Accounting Documents tab with that document under the cursor."""
        super().__init__(ctx)
        self.client_id, self.client_name = client_id, name
        self.client: ClientDetail | None = None
        if document_id is not None:
            tab = "documents"
        self._initial_tab = tab if tab in {tab_id for tab_id, _, _ in TABS} else TABS[0][0]
        self._shown_tab = self._initial_tab  # the tab shown last, asked before it is left
        self._document_id = document_id

    def compose(self) -> ComposeResult:
        yield Static(plain(self.client_name), id="detail-title")
        with TabbedContent(id="detail-tabs", initial=self._initial_tab):
            for tab_id, title, _ in TABS:
                with TabPane(title, id=tab_id):
                    if tab_id == self._initial_tab:
                        yield self._new_tab(tab_id)
        yield Footer()

    def _new_tab(self, tab_id: str) -> DetailTab:
        tab_class = next(cls for known, _, cls in TABS if known == tab_id)
        return tab_class(self.ctx, self.client_id, self.client_name, id=f"{tab_id}-tab")

    @property
    def tabs(self) -> list[DetailTab]:
        """The tabs built so far (each the first time it was shown)."""
        return list(self.query(DetailTab))

    def on_mount(self) -> None:
        self.load_client()
        if self._document_id is not None:
            self.query_one(DocumentsTab).focus_document(self._document_id)

    # --- the client -----------------------------------------------------------------------

    @work(exclusive=True, group="client", exit_on_error=False)
    async def load_client(self) -> None:
        """(Re)load the client: the header, the Overview, and the dashboard's row."""
        try:
            client = await self.ctx.session.client.client(self.client_id)
        except LucyError as error:
            self.query_one("#detail-title", Static).update(
                plain(f"{self.client_name} — could not load: {error.message} (ctrl+r to retry)")
            )
            self.ctx.reporter.report_error(error, f"Could not load {self.client_name}", quiet=True)
            return
        self.client_changed(client)

    def client_changed(self, client: ClientDetail) -> None:
        """A newer state of the client: show it here and on the dashboard's row."""
        self.client = client
        self.client_name = client.name
        self._update_title()
        self.ctx.clients.client_changed(client)
        for tab in self.tabs:
            tab.client_shown(client)

    @on(ReloadClient)
    def _reload_client(self, message: ReloadClient) -> None:
        message.stop()
        self.load_client()

    @on(ClientUpdated)
    def _client_updated(self, message: ClientUpdated) -> None:
        message.stop()
        self.client_changed(message.client)

    def _update_title(self) -> None:
        client = self.client
        star = "★ " if self.ctx.clients.is_favourite(self.client_id) else ""
        if client is None:
            self.query_one("#detail-title", Static).update(plain(f"{star}{self.client_name}"))
            return
        hidden = "  · hidden from employees" if client.hidden else ""
        self.query_one("#detail-title", Static).update(
            plain(
                f"{star}{client.name}  ·  {client.enterprise_number}  ·  {client.status.label}"
                f"  ·  {client.plan.label}{hidden}"
            )
        )

    # --- tabs -----------------------------------------------------------------------------

    @property
    def current_tab(self) -> DetailTab:
        """The tab on screen (while a tab shown for the first time is built: the one before)."""
        return self.query_one(f"#{self._shown_tab}-tab", DetailTab)

    @on(TabbedContent.TabActivated)
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        tabs, left = self.query_one(TabbedContent), self._shown_tab
        chosen = tabs.active
        # The tab being left may hold unsaved changes: it stays shown and asks, and switches
        # again (``then``) if the user lets it go.
        if (
            left
            and left != chosen
            and not self.query_one(f"#{left}-tab", DetailTab).can_leave(
                lambda: self.action_show_tab(chosen)
            )
        ):
            tabs.active = left
            return
        pane = tabs.get_pane(chosen)
        if not pane.query(DetailTab):  # shown for the first time: built now
            tab = self._new_tab(chosen)
            await pane.mount(tab)
            if self.client is not None:
                tab.client_shown(self.client)
        self._shown_tab = chosen
        self.current_tab.activate()

    def action_show_tab(self, tab_id: str) -> None:
        self.query_one(TabbedContent).active = tab_id

    def action_refresh(self) -> None:
        self.load_client()
        self.current_tab.reload()

    def resume(self) -> None:
        """Signed in again after the session ended: load again what may have failed
        meanwhile, without asking about (or dropping) what the user typed in the tab."""
        self.load_client()
        tab = self.current_tab
        if not tab.has_unsaved_changes():
            tab.reload()

    def action_favourite(self) -> None:
        self.ctx.clients.toggle_favourite(self.client_id, self.client_name)
        self._update_title()

    def action_history(self) -> None:
        """The client's history: who changed what, when (DESIGN §5: ``H``)."""
        from lucy_tui.screens.history import ClientHistoryScreen

        self.app.push_screen(ClientHistoryScreen(self.ctx, self.client_id, self.client_name))

    def action_back(self) -> None:
        unsaved = [tab for tab in self.tabs if tab.has_unsaved_changes()]
        if not unsaved:
            self.dismiss()
            return
        from lucy_tui.screens.prompt import ConfirmScreen

        names = ", ".join(tab.title for tab in unsaved)

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss()

        self.app.push_screen(
            ConfirmScreen(
                "Leave without saving?",
                f"You have unsaved changes in {names}. Leave and lose them?",
                yes="Leave",
                no="Stay",
            ),
            answered,
        )

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            *self.current_tab.palette_commands(),
            *(
                (
                    f"Client: show {title.split(' ', 1)[1]}",
                    f"Switch to the tab ({title[0]})",
                    lambda tab_id=tab_id: self.action_show_tab(tab_id),
                )
                for tab_id, title, _ in TABS
            ),
            ("Client: toggle favourite", "Star or unstar this client", self.action_favourite),
            (
                "Client: history",
                "Who changed what in this client's file, when",
                self.action_history,
            ),
            ("Client: back to the list", "Return to the client list", self.action_back),
        ]
