"""The Integrations tab: Lucy's catalogue, the client's accounting package and destinations.

A client is linked to one accounting package at a time: linking another replaces it,
after a confirmation; unlinking is confirmed too. The other destinations (archives, an
expense tool) are the client's to set, in Lucy under Settings > Integrations: staff see
which are on, as in Lucy's web dashboard, and do not switch them. Every change is saved
with the resource's version, so an edit made meanwhile by someone else is never
overwritten.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lucy_tui.api.errors import LucyError, PreconditionFailedError
from lucy_tui.api.models import (
    ClientIntegrations,
    ClientIntegrationsUpdate,
    Integration,
    IntegrationCategory,
    IntegrationKind,
)
from lucy_tui.context import Context
from lucy_tui.messages import ReloadClient
from lucy_tui.safe_text import printable
from lucy_tui.screens.base import PaletteCommand
from lucy_tui.screens.detail.base import DetailTab

KIND_LABELS = {
    IntegrationKind.API: "by API",
    IntegrationKind.FTP: "by FTP",
    IntegrationKind.EMAIL: "by email",
}
HINT = "enter or l: link the highlighted accounting package (one at a time) · u: unlink it"
# The web dashboard's words: only the client sets its other destinations.
CLIENTS_OWN = "Only the client can set these up, in Lucy under Settings > Integrations."


class IntegrationsTab(DetailTab):
    title = "Integrations"

    BINDINGS = [
        Binding("l", "link", "Link package", id="integrations.link"),
        Binding("u", "unlink", "Unlink package", id="integrations.unlink"),
    ]

    def __init__(
        self, ctx: Context, client_id: int, client_name: str, *, id: str | None = None
    ) -> None:
        super().__init__(ctx, client_id, client_name, id=id)
        self.catalogue: dict[str, Integration] = {}
        self.current: ClientIntegrations | None = None
        self.saving = False

    def compose_tab(self) -> ComposeResult:
        yield Static("", id="integrations-summary")
        yield Static(HINT, id="integrations-hint")
        yield OptionList(id="integrations-list")

    # --- loading and showing --------------------------------------------------------------

    async def fetch(self) -> tuple[list[Integration], ClientIntegrations]:
        client = self.ctx.session.client
        catalogue, current = await asyncio.gather(
            client.integrations(), client.client_integrations(self.client_id)
        )
        return catalogue, current

    def show(self, data: tuple[list[Integration], ClientIntegrations]) -> None:
        catalogue, current = data
        self.catalogue = {integration.id: integration for integration in catalogue}
        self._show_current(current)

    def _show_current(self, current: ClientIntegrations) -> None:
        self.current = current
        options = self.query_one("#integrations-list", OptionList)
        highlighted = self._highlighted_id()
        options.clear_options()
        options.add_options(list(self._options(current)))
        ids = [option.id for option in options.options]
        if highlighted in ids:
            options.highlighted = ids.index(highlighted)
        elif current.accounting_package in ids:
            options.highlighted = ids.index(current.accounting_package)
        else:
            options.action_first()
        self.query_one("#integrations-summary", Static).update(self._summary(current))

    def _display_name(self, integration_id: str | None) -> str:
        """The integration's name as shown: the server's words, without control characters."""
        if integration_id is None:
            return ""
        integration = self.catalogue.get(integration_id)
        return printable(integration.name if integration else integration_id)

    def _summary(self, current: ClientIntegrations) -> Text:
        summary = Text("Accounting package: ", style="bold")
        package = current.accounting_package
        if package:
            how = self.catalogue.get(package)
            summary.append(self._display_name(package), style="bold green")
            if how:
                summary.append(f" ({KIND_LABELS[how.kind]})")
        else:
            summary.append("none linked", style="bold yellow")
            summary.append(": documents sent to the accountant fail until one is linked")
        summary.append("\nOther destinations: ", style="bold")
        names = [self._display_name(d) for d in current.destinations]
        summary.append(", ".join(names) if names else "none")
        summary.append(f"  ({CLIENTS_OWN})", style="dim")
        return summary

    def _groups(self) -> Iterator[tuple[str, list[Integration]]]:
        accounting = [
            i for i in self.catalogue.values() if i.category is IntegrationCategory.ACCOUNTING
        ]
        for kind, label in KIND_LABELS.items():
            group = [i for i in accounting if i.kind is kind]
            if group:
                yield f"Accounting packages {label}", group
        others = [
            i for i in self.catalogue.values() if i.category is IntegrationCategory.DESTINATION
        ]
        if others:
            yield "Other destinations, set by the client in Lucy (Settings > Integrations)", others

    def _options(self, current: ClientIntegrations) -> Iterator[Option]:
        for heading, group in self._groups():
            yield Option(Text(heading, style="bold"), id=f"heading:{heading}", disabled=True)
            for integration in group:
                yield Option(self._row(integration, current), id=integration.id)

    @staticmethod
    def _row(integration: Integration, current: ClientIntegrations) -> Text:
        accounting = integration.category is IntegrationCategory.ACCOUNTING
        if accounting:
            on = integration.id == current.accounting_package
            mark, state = ("●", "linked") if on else ("○", "")
        else:
            on = integration.id in current.destinations
            mark, state = ("[x]", "on") if on else ("[ ]", "")
        style = "bold green" if on else ""
        # packages are grouped by how they receive documents; destinations are not
        how = "" if accounting else KIND_LABELS.get(integration.kind, "")
        return Text.assemble(
            "  ",
            (f"{mark:<4}", style),
            (f"{printable(integration.name):<24}", style),
            (f"{state:<8}", style),
            (f"{how:<10}", "dim"),
            (printable(integration.description), "dim"),
        )

    # --- what is highlighted --------------------------------------------------------------

    def _highlighted_id(self) -> str | None:
        options = self.query_one("#integrations-list", OptionList)
        if options.highlighted is None or not options.option_count:
            return None
        return options.get_option_at_index(options.highlighted).id

    def _highlighted(self) -> Integration | None:
        integration_id = self._highlighted_id()
        return self.catalogue.get(integration_id) if integration_id else None

    def _ready(self) -> bool:
        """True when a change may start: loaded, and no save running."""
        if self.current is None:
            self.notify("The integrations are not loaded yet.", severity="warning")
            return False
        if self.saving:
            self.notify("A change is being saved; wait a moment.", severity="warning")
            return False
        return True

    # --- actions --------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#integrations-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_link()

    def action_link(self) -> None:
        """Link the highlighted package (a destination is the client's: say where it is set)."""
        integration = self._highlighted()
        if integration is None or not self._ready():
            return
        if integration.category is IntegrationCategory.DESTINATION:
            self.notify(
                f"{printable(integration.name)} is a destination. {CLIENTS_OWN}",
                severity="warning",
                markup=False,
            )
            return
        assert self.current is not None
        linked = self.current.accounting_package
        name = printable(integration.name)
        if linked == integration.id:
            self.notify(f"{name} is already the linked accounting package.", markup=False)
            return
        update = ClientIntegrationsUpdate(accounting_package=integration.id)
        client = printable(self.client_name)
        if linked is None:
            self._save(update, f"{name} is now {client}'s accounting package.")
            return
        from lucy_tui.screens.prompt import ConfirmScreen

        old = self._display_name(linked)
        version = self.current.version

        def answered(replace: bool | None) -> None:
            if replace:
                self._save(update, f"{name} replaces {old} for {client}.", version=version)

        self.app.push_screen(
            ConfirmScreen(
                f"Replace {old} with {name}?",
                "A client can be linked to one accounting package at a time. Documents "
                f"sent from now on go to {name}; those already sent to {old} stay there.",
                yes="Replace",
                no=f"Keep {old}",
            ),
            answered,
        )

    def action_unlink(self) -> None:
        if not self._ready():
            return
        assert self.current is not None
        linked = self.current.accounting_package
        if linked is None:
            self.notify("No accounting package is linked: there is nothing to unlink.")
            return
        from lucy_tui.screens.prompt import ConfirmScreen

        name, client = self._display_name(linked), printable(self.client_name)
        update = ClientIntegrationsUpdate(accounting_package=None)
        version = self.current.version
        kept = ", ".join(self._display_name(d) for d in self.current.destinations)
        destinations = f" The other destinations ({kept}) stay as they are." if kept else ""

        def answered(unlink: bool | None) -> None:
            if unlink:
                self._save(update, f"{name} is unlinked from {client}.", version=version)

        self.app.push_screen(
            ConfirmScreen(
                f"Unlink {name}?",
                f"{client} will have no accounting package: documents sent to the accountant "
                f"fail until another package is linked.{destinations}",
                yes="Unlink",
                no="Keep it",
            ),
            answered,
        )

    @work(group="integrations-save", exit_on_error=False)
    async def _save(
        self, update: ClientIntegrationsUpdate, done: str, *, version: int | None = None
    ) -> None:
        """Save ``update`` over the version the user saw (a confirmation may come later)."""
        assert self.current is not None
        self.saving = True
        hint = self.query_one("#integrations-hint", Static)
        hint.update("Saving…")
        try:
            saved = await self.ctx.session.client.set_client_integrations(
                self.client_id, update, self.current.version if version is None else version
            )
        except PreconditionFailedError:
            self.notify(
                "Someone else changed this client's integrations meanwhile. They are "
                "reloaded: check them, then try again.",
                severity="warning",
                timeout=10,
            )
            self.reload()
            return
        except LucyError as error:
            self.ctx.reporter.report_error(error, "Could not save the integrations")
            return
        finally:
            self.saving = False
            hint.update(HINT)
        self._show_current(saved)
        self.notify(done, markup=False)  # names from the server, made printable above
        self.post_message(ReloadClient())  # the header and the list show the integrations

    # --- palette --------------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            (
                "Integrations: link the highlighted package",
                "Link it as the accounting package; replaces the current one (enter, l)",
                self.action_link,
            ),
            (
                "Integrations: unlink the accounting package",
                "Unlink the current accounting package, after a confirmation",
                self.action_unlink,
            ),
            ("Integrations: reload", "Load the integrations again", self.reload),
        ]
