"""The Overview tab: Peppol switches, visibility, contact, inbox address and the client's facts.

Every rule shown here (receiving blocked while registered elsewhere, admin-only hiding and
contact) is enforced by the server too; the tab shows it as a disabled control with its
reason so nobody discovers it by failing. Switching Peppol off, hiding and unhiding ask
first; every change reloads the client so the header and the dashboard row follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Static, Switch

from lucy_tui.api.errors import (
    ConflictError,
    LucyError,
    NotFoundError,
    PreconditionFailedError,
)
from lucy_tui.api.models import (
    MAX_ALLOWED_SENDERS,
    AllowedSenders,
    ClientDetail,
    ClientUpdate,
    PeppolLookup,
    PeppolLookupState,
    PeppolRegistration,
)
from lucy_tui.context import Context
from lucy_tui.messages import ClientUpdated, ReloadClient
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import PaletteCommand
from lucy_tui.screens.detail.base import DetailTab

ONLY_ADMINS_HIDE = "Only admins can hide a client from employees."
ONLY_ADMINS_CONTACT = "Only admins can change the Client-Facing Contact Person."
SENDERS_SHOWN = 4  # addresses listed on the tab; the modal shows them all


def _day(value: date | datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else "—"


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def _moment(value: datetime | None) -> str:
    """A lookup's time, in UTC (the same on every machine)."""
    if value is None:
        return "at an unknown time"
    return value.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")


def _found(lookup: PeppolLookup, state: PeppolLookupState) -> str:
    """What a good result says (``state``: the result in force)."""
    checked = f"checked {_moment(lookup.checked_at)}"
    if state is PeppolLookupState.REGISTERED_HERE:
        return f"Registered here, with Lucy (SMP {lookup.smp_host or '?'}) · {checked}"
    if state is PeppolLookupState.REGISTERED_ELSEWHERE:
        parts = [f"Registered with {lookup.provider or 'a provider whose name is not given'}"]
        if lookup.seat_id:
            parts.append(f"seat id {lookup.seat_id}")
        if lookup.smp_host:
            parts.append(f"SMP {lookup.smp_host}")
        if lookup.access_point_url:
            parts.append(f"access point {lookup.access_point_url}")
        return " · ".join([*parts, checked])
    return f"Not registered on the Peppol network · {checked}"


def lookup_lines(lookup: PeppolLookup) -> tuple[str, str]:
    """The Overview's line about the Peppol network, and a note (stale, failed, unread)."""
    state = lookup.state
    if state is PeppolLookupState.UNCHECKED:
        return "Not checked yet. Press p to ask the network now.", ""
    if state is PeppolLookupState.LOOKUP_FAILED:
        reason = lookup.message or "no reason given"
        failed = f"The latest check failed {_moment(lookup.failed_at)}: {reason}."
        if lookup.last_good_state is None:
            return "Could not be checked yet.", f"⚠ {failed} Press p to try again."
        return (
            _found(lookup, lookup.last_good_state),
            f"⚠ Stale: {failed} The result above may no longer hold. Press p to try again.",
        )
    note = f"Note: {lookup.message}." if lookup.message else ""
    return _found(lookup, state), note


@dataclass
class OverviewData:
    peppol: PeppolRegistration
    senders: AllowedSenders


class OverviewTab(DetailTab, can_focus=True):
    """Focusable itself, so its keys work as soon as the tab is shown."""

    title = "Overview"

    BINDINGS = [
        # Short words for the footer; the tooltip is what help says.
        Binding("s", "toggle_sending", "Sending", tooltip="Peppol sending", id="overview.sending"),
        Binding(
            "r",
            "toggle_receiving",
            "Receiving",
            tooltip="Peppol receiving",
            id="overview.receiving",
        ),
        Binding("h", "toggle_hidden", "Hide", tooltip="Hide from employees", id="overview.hide"),
        Binding(
            "c",
            "choose_contact",
            "Contact",
            tooltip="Edit client-facing contact",
            id="overview.contact",
        ),
        Binding(
            "a",
            "allowed_senders",
            "Senders",
            tooltip="Configure allowed senders",
            id="overview.senders",
        ),
        Binding("e", "edit_plan_and_teams", "Plan & teams", id="overview.plan_teams"),
        Binding(
            "y", "copy_address", "Copy address", tooltip="Copy inbox address", id="overview.copy"
        ),
        Binding(
            "p",
            "recheck_peppol",
            "Re-check",
            tooltip="Re-check Peppol on the network",
            id="overview.recheck",
        ),
    ]

    ADMIN_ACTIONS = frozenset({"toggle_hidden", "choose_contact"})

    def __init__(
        self, ctx: Context, client_id: int, client_name: str, *, id: str | None = None
    ) -> None:
        super().__init__(ctx, client_id, client_name, id=id)
        self.peppol: PeppolRegistration | None = None
        self.senders: AllowedSenders | None = None
        self._saving = False  # one change at a time: each needs the version the last returned
        self._checking = False  # a Peppol lookup is under way

    # --- widgets --------------------------------------------------------------------------

    def compose_tab(self) -> ComposeResult:
        with VerticalScroll(id="overview-body"):
            yield Static("Peppol network", classes="overview-section")
            with Horizontal(classes="overview-row"):
                yield Label("Participant id", classes="overview-key")
                yield Static("…", id="peppol-participant", classes="overview-value")
            with Horizontal(classes="overview-row", id="peppol-lookup-row"):
                yield Label("On the network (p)", classes="overview-key")
                yield Static("…", id="peppol-lookup", classes="overview-value")
            yield Static("", id="peppol-lookup-note", classes="overview-reason")
            with Horizontal(classes="overview-switch-row"):
                yield Switch(id="peppol-sending")
                yield Label("Sending (s)", id="peppol-sending-label")
            with Horizontal(classes="overview-switch-row"):
                yield Switch(id="peppol-receiving")
                yield Label("Receiving (r)", id="peppol-receiving-label")
            yield Static("", id="peppol-elsewhere", classes="overview-warning")
            yield Static("", id="peppol-receiving-reason", classes="overview-reason")

            yield Static("Access", classes="overview-section")
            with Horizontal(classes="overview-switch-row"):
                yield Switch(id="hidden-switch")
                yield Label("Hide from employees (h)", id="hidden-label")
            yield Static("", id="hidden-reason", classes="overview-reason")
            with Horizontal(classes="overview-row"):
                yield Label("Client-Facing Contact Person", classes="overview-key")
                yield Static("…", id="client-contact", classes="overview-value")
                yield Button("Change (c)", id="contact-button", compact=True)
            yield Static("", id="contact-reason", classes="overview-reason")

            yield Static("Lucy inbox", classes="overview-section")
            with Horizontal(classes="overview-row"):
                yield Label("Inbox address", classes="overview-key")
                yield Static("…", id="lucy-email", classes="overview-value")
                yield Button("Copy (y)", id="copy-button", compact=True)
            with Horizontal(classes="overview-row"):
                yield Label("Allowed senders", classes="overview-key")
                yield Static("…", id="allowed-senders", classes="overview-value")
                yield Button("Configure (a)", id="senders-button", compact=True)

            yield Static("Client", classes="overview-section")
            for key, widget_id in (
                ("Status", "client-status"),
                ("Plan", "client-plan"),
                ("Enterprise number", "client-enterprise"),
                ("VAT number", "client-vat"),
                ("Address", "client-address"),
                ("Teams", "client-teams"),
            ):
                with Horizontal(classes="overview-row"):
                    yield Label(key, classes="overview-key")
                    yield Static("…", id=widget_id, classes="overview-value")

    def focus_content(self) -> None:
        """The tab itself: its keys (s, r, h, c, a, y) are bindings on it."""
        self.focus()

    @property
    def is_admin(self) -> bool:
        return self.ctx.session.staff.is_admin

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Employees are not offered the admin-only keys (the footer leaves them out; the
        tab still says why the switch and the button are disabled)."""
        admin_only = action in self.ADMIN_ACTIONS
        return not (admin_only and self.ctx.session.active and not self.is_admin)

    # --- data -----------------------------------------------------------------------------

    async def fetch(self) -> OverviewData:
        api = self.ctx.session.client
        return OverviewData(
            peppol=await api.peppol(self.client_id),
            senders=await api.allowed_senders(self.client_id),
        )

    def show(self, data: Any) -> None:
        assert isinstance(data, OverviewData)
        self.peppol, self.senders = data.peppol, data.senders
        self._show_peppol()
        self._show_senders()
        if self.client is not None:
            self.client_shown(self.client)

    def client_shown(self, client: ClientDetail) -> None:
        """The screen (re)loaded the client: visibility, contact, inbox and facts."""
        super().client_shown(client)
        admin = self.is_admin
        self._set_switch("#hidden-switch", client.hidden, disabled=not admin)
        key = " (h)" if admin else ""  # employees are not offered h
        self.query_one("#hidden-label", Label).update(
            f"Hide from employees{key}: {_on_off(client.hidden)}"
        )
        self._line("#hidden-reason", "" if admin else ONLY_ADMINS_HIDE)
        # One contact person: the list's column and the client file's field (issue 11).
        contact = client.contact_name or "Nobody yet"
        self.query_one("#client-contact", Static).update(plain(contact))
        self.query_one("#contact-button", Button).disabled = not admin
        self._line("#contact-reason", "" if admin else ONLY_ADMINS_CONTACT)
        self.query_one("#lucy-email", Static).update(plain(client.lucy_email))

        self.query_one("#client-status", Static).update(plain(self._status_text(client)))
        self.query_one("#client-plan", Static).update(plain(self._plan_text(client)))
        self.query_one("#client-enterprise", Static).update(plain(client.enterprise_number))
        self.query_one("#client-vat", Static).update(plain(client.vat_number))
        address = client.address
        parts = [address.street, f"{address.postal_code} {address.city}".strip(), address.country]
        self.query_one("#client-address", Static).update(
            plain(", ".join(part for part in parts if part) or "—")
        )
        teams = ", ".join(team.name for team in client.teams)
        self.query_one("#client-teams", Static).update(
            plain(teams or "No team (visible to all staff)")
        )

    def _status_text(self, client: ClientDetail) -> str:
        text = f"{client.status.label} · created {_day(client.created_at)}"
        if client.invited_at is not None:
            text += f" · invited {_day(client.invited_at)}"
            if client.activated_at is None and client.invitation_expires_at is not None:
                expires = client.invitation_expires_at
                verb = "expired" if expires.date() < self.ctx.today else "valid until"
                text += f" ({verb} {_day(expires)})"
        if client.activated_at is not None:
            text += f" · activated {_day(client.activated_at)}"
        return text

    def _plan_text(self, client: ClientDetail) -> str:
        if client.trial_ends_on is None:
            return client.plan.label
        days = (client.trial_ends_on - self.ctx.today).days
        if days < 0:
            left = f"ended {-days} day(s) ago"
        elif days == 0:
            left = "ends today"
        else:
            left = f"{days} day(s) left"
        return f"{client.plan.label} · trial ends {_day(client.trial_ends_on)} ({left})"

    def _line(self, selector: str, text: str) -> None:
        """A warning or reason line, as plain text: shown only when there is something to say."""
        line = self.query_one(selector, Static)
        line.update(plain(text))
        line.display = bool(text)

    def _set_switch(self, selector: str, value: bool, *, disabled: bool = False) -> None:
        """Show the server's state without it counting as the user flipping the switch."""
        switch = self.query_one(selector, Switch)
        with switch.prevent(Switch.Changed):
            switch.value = value
        switch.disabled = disabled

    def _show_peppol(self) -> None:
        peppol = self.peppol
        if peppol is None:
            return
        self.query_one("#peppol-participant", Static).update(plain(peppol.participant_id))
        blocked = self._receiving_blocked()
        self._set_switch("#peppol-sending", peppol.sending)
        self._set_switch("#peppol-receiving", peppol.receiving, disabled=blocked is not None)
        self.query_one("#peppol-sending-label", Label).update(
            f"Sending (s): {_on_off(peppol.sending)}"
        )
        self.query_one("#peppol-receiving-label", Label).update(
            f"Receiving (r): {_on_off(peppol.receiving)}"
        )
        elsewhere = ""
        if peppol.registered_elsewhere:
            provider = peppol.other_provider or "another provider"
            elsewhere = (
                f"⚠ This participant is registered to receive Peppol invoices with {provider}."
            )
        self._line("#peppol-elsewhere", elsewhere)
        self._line("#peppol-receiving-reason", blocked or "")
        self._show_lookup()

    def _show_lookup(self) -> None:
        """What the Peppol network said, when, and whether that is stale or failed."""
        if self.peppol is None:
            return
        if self._checking:
            self.query_one("#peppol-lookup", Static).update("Checking the Peppol network…")
            return
        text, note = lookup_lines(self.peppol.lookup)
        self.query_one("#peppol-lookup", Static).update(plain(text))
        self._line("#peppol-lookup-note", note)

    def _receiving_blocked(self) -> str | None:
        """Why receiving cannot be switched on, or None (the server's rule, mirrored)."""
        peppol = self.peppol
        if peppol is None or peppol.receiving or not peppol.registered_elsewhere:
            return None
        provider = peppol.other_provider or "another provider"
        return (
            f"Receiving cannot be switched on here while the participant is registered with "
            f"{provider}: the client has to unsubscribe there first."
        )

    def _show_senders(self) -> None:
        senders = self.senders
        if senders is None:
            return
        count = len(senders.senders)
        if not count:
            text = f"None yet (at most {MAX_ALLOWED_SENDERS})"
        else:
            shown = ", ".join(senders.senders[:SENDERS_SHOWN])
            more = f" and {count - SENDERS_SHOWN} more" if count > SENDERS_SHOWN else ""
            text = f"{count} of {MAX_ALLOWED_SENDERS}: {shown}{more}"
        self.query_one("#allowed-senders", Static).update(plain(text))

    # --- Peppol ---------------------------------------------------------------------------

    def _ready(self) -> bool:
        if self._saving:
            self.notify("A change is still being saved; try again in a moment.")
            return False
        if self.peppol is None or self.client is None:
            self.notify("The overview is still loading; try again in a moment.")
            return False
        return True

    def action_toggle_sending(self) -> None:
        if not self._ready():
            return
        assert self.peppol is not None
        self._request_peppol("sending", not self.peppol.sending)

    def action_toggle_receiving(self) -> None:
        if not self._ready():
            return
        assert self.peppol is not None
        blocked = self._receiving_blocked()
        if blocked is not None:
            self.notify(
                printable(blocked),
                title="Peppol receiving",
                severity="warning",
                timeout=8,
                markup=False,
            )
            return
        self._request_peppol("receiving", not self.peppol.receiving)

    @on(Switch.Changed, "#peppol-sending")
    def _sending_flipped(self, event: Switch.Changed) -> None:
        # A click or space asks for the change; the switch shows the server's state.
        event.stop()
        self._show_peppol()
        self.action_toggle_sending()

    @on(Switch.Changed, "#peppol-receiving")
    def _receiving_flipped(self, event: Switch.Changed) -> None:
        event.stop()
        self._show_peppol()
        self.action_toggle_receiving()

    def _request_peppol(self, what: str, switch_on: bool) -> None:
        """Switch ``what`` ("sending"/"receiving"); switching off asks first."""
        assert self.peppol is not None
        sending = switch_on if what == "sending" else self.peppol.sending
        receiving = switch_on if what == "receiving" else self.peppol.receiving
        if switch_on:
            self._save_peppol(what, sending, receiving)
            return
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._save_peppol(what, sending, receiving)

        self.app.push_screen(
            ConfirmScreen(
                f"Switch Peppol {what} off?",
                f"Unsubscribe {printable(self.client_name)} from the Peppol network for {what}? "
                + (
                    "Invoices will no longer be sent over Peppol from Lucy."
                    if what == "sending"
                    else "Suppliers will no longer be able to deliver Peppol invoices to Lucy."
                ),
                yes="Unsubscribe",
                no="Keep it on",
            ),
            answered,
        )

    @work(group="overview-save", exit_on_error=False)
    async def _save_peppol(self, what: str, sending: bool, receiving: bool) -> None:
        assert self.peppol is not None
        self._saving = True
        try:
            self.peppol = await self.ctx.session.client.set_peppol(
                self.client_id, sending=sending, receiving=receiving, version=self.peppol.version
            )
        except PreconditionFailedError:
            self.notify(
                "Someone else changed the Peppol registration meanwhile; it has been reloaded. "
                "Check it and try again.",
                severity="warning",
                timeout=8,
            )
            self.reload()
            return
        except LucyError as error:
            key = "s" if what == "sending" else "r"
            self.ctx.reporter.report_error(
                error, f"Could not switch Peppol {what}", retry=f"Press {key} to try again."
            )
            if isinstance(error, ConflictError | NotFoundError):
                self.reload()  # the server's view differs from ours: show it
            return
        finally:
            self._saving = False
        state = _on_off(sending if what == "sending" else receiving)
        self.notify(
            printable(f"Peppol {what} is now {state} for {self.client_name}."), markup=False
        )
        self._show_peppol()
        self.post_message(ReloadClient())

    # --- the Peppol network ---------------------------------------------------------------

    def action_recheck_peppol(self) -> None:
        if self._checking:
            self.notify("The Peppol network is being checked; the result follows shortly.")
            return
        if not self._ready():
            return
        self._checking = True
        self._show_lookup()
        self._recheck_peppol()

    @work(group="overview-lookup", exit_on_error=False)
    async def _recheck_peppol(self) -> None:
        try:
            registration = await self.ctx.session.client.lookup_peppol(self.client_id)
        except ConflictError as error:
            self._checking = False
            self._show_lookup()
            if error.code == "peppol_lookup_off":
                self.notify(
                    printable(error.message), title="Peppol network", severity="warning", timeout=8
                )
            else:
                self.ctx.reporter.report_error(error, "Could not check the Peppol network")
            return
        except LucyError as error:
            self._checking = False
            self._show_lookup()
            self.ctx.reporter.report_error(
                error, "Could not check the Peppol network", retry="Press p to try again."
            )
            return
        self._checking = False
        self.peppol = registration
        self._show_peppol()
        lookup = registration.lookup
        if lookup.state is PeppolLookupState.LOOKUP_FAILED:
            self.notify(
                printable(f"The Peppol check failed: {lookup.message or 'no reason given'}"),
                severity="warning",
                timeout=8,
            )
        else:
            self.notify(
                printable(f"Peppol network checked for {self.client_name}: {lookup.state.label}.")
            )
        self.post_message(ReloadClient())  # the list row's Peppol state follows

    # --- hide from employees --------------------------------------------------------------

    def action_toggle_hidden(self) -> None:
        if not self.is_admin:
            self.notify(ONLY_ADMINS_HIDE, severity="warning")
            return
        if not self._ready():
            return
        assert self.client is not None
        hide = not self.client.hidden
        name = printable(self.client_name)
        if hide:
            title, body, yes = (
                "Hide from employees?",
                f"Hide {name} from employees? Only admins will see it, everywhere in Lucy.",
                "Hide",
            )
        else:
            title, body, yes = (
                "Show to employees again?",
                f"Show {name} to employees again? The members of its teams will see it.",
                "Show",
            )
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                done = "hidden from employees" if hide else "visible to employees again"
                self._save_client(ClientUpdate(hidden=hide), f"{name} is now {done}.")

        self.app.push_screen(ConfirmScreen(title, body, yes=yes, no="Cancel"), answered)

    @on(Switch.Changed, "#hidden-switch")
    def _hidden_flipped(self, event: Switch.Changed) -> None:
        event.stop()
        if self.client is not None:
            self._set_switch("#hidden-switch", self.client.hidden, disabled=not self.is_admin)
        self.action_toggle_hidden()

    # --- client-facing contact ------------------------------------------------------------

    @on(Button.Pressed, "#contact-button")
    def action_choose_contact(self) -> None:
        if not self.is_admin:
            self.notify(ONLY_ADMINS_CONTACT, severity="warning")
            return
        if not self._ready():
            return
        assert self.client is not None
        from lucy_tui.screens.staff_picker import StaffChoice, StaffPickerScreen

        current = self.client.contact_id

        def chosen(choice: StaffChoice | None) -> None:
            if choice is None or choice.staff_id == current:
                return
            who = choice.name if choice.staff_id is not None else "nobody"
            self._save_client(
                ClientUpdate(contact_id=choice.staff_id),
                printable(f"The Client-Facing Contact Person of {self.client_name} is now {who}."),
            )

        self.app.push_screen(
            StaffPickerScreen(
                self.ctx,
                printable(f"Client-Facing Contact Person of {self.client_name}"),
                current,
                none_label="Nobody (no Client-Facing Contact Person)",
            ),
            chosen,
        )

    def action_edit_plan_and_teams(self) -> None:
        if not self._ready():
            return
        assert self.client is not None
        from lucy_tui.screens.plan_and_teams import PlanAndTeamsScreen

        def chosen(changes: ClientUpdate | None) -> None:
            if changes is not None:
                self._save_client(
                    changes, printable(f"Saved the plan and teams of {self.client_name}.")
                )

        self.app.push_screen(PlanAndTeamsScreen(self.ctx, self.client), chosen)

    @work(group="overview-save", exit_on_error=False)
    async def _save_client(self, changes: ClientUpdate, done: str) -> None:
        assert self.client is not None
        self._saving = True
        try:
            updated = await self.ctx.session.client.update_client(
                self.client_id, changes, self.client.version
            )
        except PreconditionFailedError:
            self.notify(
                "Someone else changed this client meanwhile; it has been reloaded. "
                "Check it and try again.",
                severity="warning",
                timeout=8,
            )
            self.post_message(ReloadClient())
            return
        except LucyError as error:
            self.ctx.reporter.report_error(
                error, "Could not change the client", retry="Try it again."
            )
            return
        finally:
            self._saving = False
        self.notify(printable(done), markup=False)
        # The answer is the client's new state: header, dashboard row and this tab follow.
        self.post_message(ClientUpdated(updated))

    # --- inbox address and allowed senders ------------------------------------------------

    @on(Button.Pressed, "#copy-button")
    def action_copy_address(self) -> None:
        if self.client is None:
            self.notify("The overview is still loading; try again in a moment.")
            return
        # What is copied is what is shown: a control character pasted into a shell runs.
        address = printable(self.client.lucy_email)
        self.app.copy_to_clipboard(address)
        self.notify(f"Copied {address} to the clipboard.", markup=False)

    @on(Button.Pressed, "#senders-button")
    def action_allowed_senders(self) -> None:
        from lucy_tui.screens.allowed_senders import AllowedSendersScreen

        address = self.client.lucy_email if self.client is not None else ""

        def closed(saved: AllowedSenders | None) -> None:
            if saved is not None:
                self.senders = saved
                self._show_senders()
                self.post_message(ReloadClient())

        self.app.push_screen(
            AllowedSendersScreen(self.ctx, self.client_id, self.client_name, address), closed
        )

    # --- command palette ------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        commands: list[PaletteCommand] = [
            (
                "Overview: switch Peppol sending on or off",
                "Register or unsubscribe the client for sending over Peppol",
                self.action_toggle_sending,
            ),
            (
                "Overview: switch Peppol receiving on or off",
                "Register or unsubscribe the client for receiving over Peppol",
                self.action_toggle_receiving,
            ),
            (
                "Overview: re-check the Peppol registration",
                "Ask the Peppol network now who the client is registered with",
                self.action_recheck_peppol,
            ),
            (
                "Overview: configure allowed senders for your client",
                "The addresses whose mail reaches the client's Lucy inbox",
                self.action_allowed_senders,
            ),
            (
                "Overview: change the plan and teams",
                "The client's subscription plan and the teams that see it",
                self.action_edit_plan_and_teams,
            ),
            (
                "Overview: copy the Lucy inbox address",
                "Copy the client's Lucy email address to the clipboard",
                self.action_copy_address,
            ),
        ]
        if self.is_admin:
            commands += [
                (
                    "Overview: hide from employees or show again",
                    "Admins only: hidden clients are invisible to employees",
                    self.action_toggle_hidden,
                ),
                (
                    "Overview: edit client-facing contact",
                    "Admins only: choose the staff member the client deals with",
                    self.action_choose_contact,
                ),
            ]
        return commands
