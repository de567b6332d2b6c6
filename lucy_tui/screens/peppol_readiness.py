"""The firm's Peppol readiness: every client by what the Peppol network says (counts, then
the clients), re-checked on the network for a selection, and switched on for sending and/or
receiving for a selection in one idempotent request.

Since 1 January 2026 Belgian B2B invoices go over Peppol, so every client must be reachable
there, once, with one provider. Clients registered with another provider are skipped when
receiving is asked (the server says so, naming the provider).
"""

from __future__ import annotations

import uuid

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import (
    MAX_BULK_CLIENTS,
    ClientSummary,
    PeppolActivationOutcome,
    PeppolLookupOutcome,
    PeppolLookupState,
)
from lucy_tui.context import Context
from lucy_tui.messages import OpenClient
from lucy_tui.peppol_view import STATE_ORDER, ReadinessView
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import LucyScreen, PaletteCommand
from lucy_tui.widgets.readiness_table import ReadinessTable

CHECK_BATCH = 25  # clients re-checked per request (the server checks them concurrently)
NAMES_TOLD = 3  # skipped clients named in a toast


def _count(number: int, what: str) -> str:
    return f"{number:,} {what}{'' if number == 1 else 's'}"


class PeppolReadinessScreen(LucyScreen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="readiness.back"),
        Binding("c", "recheck", "Re-check", id="readiness.recheck"),
        Binding("r", "switch_on('receiving')", "Receiving on", id="readiness.receiving"),
        Binding("s", "switch_on('sending')", "Sending on", id="readiness.sending"),
        Binding("b", "switch_on('both')", "Both on", id="readiness.both"),
        Binding("ctrl+r", "refresh", "Refresh", id="readiness.refresh"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.view = ReadinessView()
        self.loaded = False
        self.busy = False  # a re-check or an activation is under way

    def compose(self) -> ComposeResult:
        yield Static("Peppol readiness of the firm", id="readiness-title")
        yield Static("Loading the clients…", id="readiness-counts")
        yield Static("", id="readiness-selection")
        yield ReadinessTable(self.view, id="readiness-table")
        yield Footer()

    @property
    def table(self) -> ReadinessTable:
        return self.query_one(ReadinessTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.action_refresh()

    # --- loading ----------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.table.loading = not self.view.rows
        self._load()

    @work(exclusive=True, group="readiness-load", exit_on_error=False)
    async def _load(self) -> None:
        clients: list[ClientSummary] = []
        try:
            async for client in self.ctx.session.client.iter_clients():
                clients.append(client)
        except LucyError as error:
            self.table.loading = False
            self.ctx.reporter.report_error(error, "Could not load the clients")
            return
        self._show_clients(clients)

    def _show_clients(self, clients: list[ClientSummary]) -> None:
        self.view.set_clients(clients)
        self.loaded = True
        self.table.loading = False
        self.table.view_changed()
        self._show_counts()

    def _show_counts(self) -> None:
        counts = self.view.counts()
        rows = self.view.rows.values()
        receiving = sum(row.client.peppol_receiving for row in rows)
        sending = sum(row.client.peppol_sending for row in rows)
        stale = sum(row.client.peppol_stale for row in rows)
        parts = [_count(len(self.view.rows), "client")]
        parts += [f"{state.label}: {counts.get(state, 0):,}" for state in STATE_ORDER]
        if stale:
            parts.append(f"stale: {stale:,}")
        parts.append(f"receiving on: {receiving:,}  sending on: {sending:,}")
        self.query_one("#readiness-counts", Static).update(plain("  ·  ".join(parts)))
        self._show_selection()

    def _show_selection(self, progress: str = "") -> None:
        view = self.view
        shown = view.state_filter.label if view.state_filter is not None else "all states"
        text = f"Showing {shown} ({len(view):,})  ·  {len(view.selected):,} selected"
        hidden = view.hidden_selected()
        if hidden:
            text += f" ({hidden:,} hidden by the state filter)"
        text += "  ·  space select, A all shown, v state, c re-check, r/s/b switch on"
        if progress:
            text = f"{progress}  ·  {text}"
        self.query_one("#readiness-selection", Static).update(plain(text))

    @on(ReadinessTable.Changed)
    def _table_changed(self) -> None:
        self._show_selection()

    @on(ReadinessTable.Opened)
    def _open(self, message: ReadinessTable.Opened) -> None:
        row = self.view.rows.get(message.client_id)
        if row is not None:
            self.post_message(OpenClient(row.id, row.client.name))

    def action_back(self) -> None:
        self.dismiss()

    # --- what to act on -------------------------------------------------------------------

    def _targets(self) -> list[int] | None:
        """The selection, or else the client under the cursor; None (told) when neither."""
        if self.busy:
            self.notify("The last action is still running; wait for its result.")
            return None
        if not self.loaded:
            self.notify("The clients are still loading; try again in a moment.")
            return None
        if self.view.selected:
            return sorted(self.view.selected)
        row = self.table.cursor_item
        if row is None:
            self.notify("No client to act on: select clients with space or A.")
            return None
        return [row.id]

    def _what(self, ids: list[int]) -> str:
        if len(ids) == 1:
            return printable(self.view.rows[ids[0]].client.name)
        hidden = len([i for i in ids if self.view.index_of(i) is None])
        note = f" ({hidden:,} of them hidden by the state filter)" if hidden else ""
        return f"{len(ids):,} clients{note}"

    # --- re-check -------------------------------------------------------------------------

    def action_recheck(self) -> None:
        ids = self._targets()
        if ids is None:
            return
        self.busy = True
        self._recheck(ids)

    @work(exclusive=True, group="readiness-action", exit_on_error=False)
    async def _recheck(self, ids: list[int]) -> None:
        api = self.ctx.session.client
        checked = cached = missing = 0
        off_message = ""
        try:
            for start in range(0, len(ids), CHECK_BATCH):
                self._show_selection(f"Checking the Peppol network: {start:,}/{len(ids):,}…")
                response = await api.check_peppol(ids[start : start + CHECK_BATCH])
                for result in response.results:
                    row = self.view.rows.get(result.client_id)
                    if result.outcome is PeppolLookupOutcome.OFF:
                        off_message = result.message
                        continue
                    if result.outcome is PeppolLookupOutcome.NOT_FOUND or row is None:
                        missing += 1
                        continue
                    checked += result.outcome is PeppolLookupOutcome.CHECKED
                    cached += result.outcome is PeppolLookupOutcome.CACHED
                    lookup = result.lookup
                    if lookup is not None:
                        updated = row.client.model_copy(
                            update={
                                "peppol_network": lookup.network_state,
                                "peppol_stale": lookup.stale,
                            }
                        )
                        self.view.update(updated)
                        self.ctx.clients.client_changed(updated)
                if off_message:
                    break
        except LucyError as error:
            self.ctx.reporter.report_error(
                error, "Could not check the Peppol network", retry="Press c to try again."
            )
        finally:
            self.busy = False
            self.view.refresh()
            self.table.view_changed()
            self._show_counts()
        if off_message:
            self.notify(off_message, title="Peppol network", severity="warning", timeout=8)
            return
        parts = [f"Checked {_count(checked, 'client')} on the Peppol network"]
        if cached:
            parts.append(f"{cached:,} checked recently (kept)")
        if missing:
            parts.append(f"{missing:,} no longer found")
        self.notify("; ".join(parts) + ".")

    # --- switch on ------------------------------------------------------------------------

    def action_switch_on(self, what: str) -> None:
        ids = self._targets()
        if ids is None:
            return
        if len(ids) > MAX_BULK_CLIENTS:
            self.notify(f"At most {MAX_BULK_CLIENTS:,} clients at once.", severity="warning")
            return
        sending = what in ("sending", "both")
        receiving = what in ("receiving", "both")
        label = {"sending": "sending", "receiving": "receiving", "both": "sending and receiving"}
        elsewhere = sum(
            1
            for i in ids
            if self.view.rows[i].state is PeppolLookupState.REGISTERED_ELSEWHERE
            and not self.view.rows[i].client.peppol_receiving
        )
        body = f"Switch Peppol {label[what]} on for {self._what(ids)}?"
        if receiving and elsewhere:
            body += (
                f" {_count(elsewhere, 'client')} registered with another provider will be "
                "skipped: receiving cannot be switched on here while they are."
            )
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self._activate(ids, sending, receiving, label[what])

        self.app.push_screen(
            ConfirmScreen(f"Switch Peppol {label[what]} on?", body, yes="Switch on"), answered
        )

    @work(exclusive=True, group="readiness-action", exit_on_error=False)
    async def _activate(self, ids: list[int], sending: bool, receiving: bool, label: str) -> None:
        self._show_selection(f"Switching Peppol {label} on for {_count(len(ids), 'client')}…")
        key = uuid.uuid4().hex  # one request, the same key on every retry: done once
        try:
            response = await self.ctx.session.client.activate_peppol(
                ids, sending=sending, receiving=receiving, idempotency_key=key
            )
        except LucyError as error:
            self.busy = False
            self._show_selection()
            self.ctx.reporter.report_error(
                error, f"Could not switch Peppol {label} on", retry="Try it again."
            )
            return
        changed = unchanged = missing = 0
        skipped: list[str] = []
        for result in response.results:
            row = self.view.rows.get(result.client_id)
            if result.outcome is PeppolActivationOutcome.NOT_FOUND or row is None:
                missing += 1
                continue
            if result.outcome is PeppolActivationOutcome.SKIPPED:
                provider = result.provider or "another provider"
                skipped.append(f"{row.client.name} ({provider})")
                continue
            changed += result.outcome is PeppolActivationOutcome.CHANGED
            unchanged += result.outcome is PeppolActivationOutcome.UNCHANGED
            if result.sending is not None and result.receiving is not None:
                updated = row.client.model_copy(
                    update={
                        "peppol_sending": result.sending,
                        "peppol_receiving": result.receiving,
                    }
                )
                self.view.update(updated)
                if result.outcome is PeppolActivationOutcome.CHANGED:
                    self.ctx.clients.client_changed(updated)
        self.busy = False
        self.view.refresh()
        self.table.view_changed()
        self._show_counts()
        parts = [f"Peppol {label} switched on for {_count(changed, 'client')}"]
        if unchanged:
            parts.append(f"{unchanged:,} already on")
        if missing:
            parts.append(f"{missing:,} no longer found")
        if skipped:
            names = ", ".join(skipped[:NAMES_TOLD])
            more = f" and {len(skipped) - NAMES_TOLD:,} more" if len(skipped) > NAMES_TOLD else ""
            parts.append(
                f"{len(skipped):,} skipped, registered with another provider: {names}{more}"
            )
        self.notify(
            "; ".join(parts) + ".", severity="warning" if skipped else "information", timeout=10
        )

    # --- command palette ------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            (
                "Peppol readiness: re-check on the network",
                "Ask the Peppol network about the selected clients (or the one under the cursor)",
                self.action_recheck,
            ),
            (
                "Peppol readiness: switch receiving on",
                "For the selected clients; those registered elsewhere are skipped",
                lambda: self.action_switch_on("receiving"),
            ),
            (
                "Peppol readiness: switch sending on",
                "For the selected clients",
                lambda: self.action_switch_on("sending"),
            ),
            (
                "Peppol readiness: switch sending and receiving on",
                "For the selected clients; receiving skips those registered elsewhere",
                lambda: self.action_switch_on("both"),
            ),
            ("Peppol readiness: refresh", "Load the clients again", self.action_refresh),
        ]
