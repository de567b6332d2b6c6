"""The Banking tab: the client's bank accounts connected through Codabox.

Banking comes with Lucy Business Pro (and trials). The server says which of three states
the client is in; each gets its own screen: the accounts, or an empty state that says
what the client has to do, or what the plan would bring.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from lucy_tui.api.models import (
    AccountType,
    BankAccount,
    BankConnection,
    BankingStatus,
    ClientDetail,
    MandateStatus,
    Plan,
)
from lucy_tui.api.validation import format_iban
from lucy_tui.context import Context
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import PaletteCommand
from lucy_tui.screens.detail.base import DetailTab, cell
from lucy_tui.widgets.data_table import KeyTable

ACCOUNT_TYPES = {AccountType.CURRENT: "Current", AccountType.SAVINGS: "Savings"}
MANDATE_STYLES = {
    MandateStatus.ACTIVE: "green",
    MandateStatus.PENDING: "yellow",
    MandateStatus.EXPIRED: "red",
}

BUSINESS_PRO_BRINGS = (
    "its banks connected through Codabox: one mandate per bank, signed by the client in Lucy",
    "its CODA bank statements delivered to your firm every working day, no more chasing them",
    "payments matched with its invoices in Lucy",
    "here, for each account: the IBAN, the bank, the mandate and the last statement date",
)
CODABOX_DOES = (
    "Codabox collects the client's CODA bank statements straight from its banks and "
    "delivers them to your firm every working day, ready for the bookkeeping."
)


def _day(value: date | datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _paragraphs(title: str, *parts: str | Text) -> Group:
    """An empty state: a bold title, then paragraphs separated by a blank line.

    ``title`` and ``str`` parts may carry the server's words: shown as text, without control
    characters. ``Text`` parts are the app's own (they may span several lines).
    """
    lines: list[Text] = [Text(printable(title), style="bold")]
    for part in parts:
        lines.append(Text(""))
        lines.append(part if isinstance(part, Text) else Text(printable(part)))
    return Group(*lines)


def _bullets(items: tuple[str, ...]) -> Text:
    return Text("\n".join(f"  • {item}" for item in items))


class BankingTab(DetailTab):
    title = "Banking"

    BINDINGS = [Binding("y", "copy_iban", "Copy IBAN", id="banking.copy_iban")]

    def __init__(
        self, ctx: Context, client_id: int, client_name: str, *, id: str | None = None
    ) -> None:
        super().__init__(ctx, client_id, client_name, id=id)
        self.connection: BankConnection | None = None
        self._plan: Plan | None = None

    def compose_tab(self) -> ComposeResult:
        yield Static("", id="banking-summary")
        table: DataTable[Any] = KeyTable(id="banking-table", cursor_type="row", zebra_stripes=True)
        table.add_column("IBAN", key="iban")
        table.add_column("Bank", key="bank")
        table.add_column("Holder", key="holder")
        table.add_column("Type", key="type")
        table.add_column("Mandate", key="mandate")
        table.add_column("Last statement", key="last_statement")
        yield table
        yield Static("", id="banking-note")
        yield Static("", id="banking-empty")

    def on_mount(self) -> None:
        for selector in ("#banking-table", "#banking-note", "#banking-empty"):
            self.query_one(selector).display = False

    def client_shown(self, client: ClientDetail) -> None:
        super().client_shown(client)
        # A plan change (to or from Business Pro) changes what this tab shows.
        changed = self._plan is not None and client.plan is not self._plan
        self._plan = client.plan
        if changed and self.loaded:
            self.reload()

    # --- loading and showing --------------------------------------------------------------

    async def fetch(self) -> BankConnection:
        return await self.ctx.session.client.banking(self.client_id)

    def show(self, data: BankConnection) -> None:
        self.connection = data
        table = self.query_one("#banking-table", DataTable)
        table.clear()
        has_accounts = data.status is BankingStatus.CONNECTED and bool(data.accounts)
        table.display = has_accounts
        self.query_one("#banking-summary").display = has_accounts
        self.query_one("#banking-empty").display = not has_accounts
        self.query_one("#banking-note").display = False
        if has_accounts:
            self._show_accounts(data)
        else:
            self.query_one("#banking-empty", Static).update(self._empty_state(data))
        self.refresh_bindings()

    def _show_accounts(self, data: BankConnection) -> None:
        table = self.query_one("#banking-table", DataTable)
        for index, account in enumerate(data.accounts):
            table.add_row(
                cell(format_iban(account.iban)),
                cell(account.bank),
                cell(account.holder),
                cell(ACCOUNT_TYPES.get(account.account_type, str(account.account_type))),
                self._mandate(account),
                _day(account.last_statement_date) or Text("none yet", style="dim"),
                key=str(index),
            )
        count = len(data.accounts)
        since = f" since {_day(data.connected_at)}" if data.connected_at else ""
        self.query_one("#banking-summary", Static).update(
            plain(
                f"{count} bank account{'s' if count != 1 else ''} connected through "
                f"{data.provider}{since}; their CODA statements reach your firm every "
                "working day."
            )
        )
        note = self._mandate_note(data.accounts)
        if note:
            self.query_one("#banking-note", Static).update(note)
            self.query_one("#banking-note").display = True

    @staticmethod
    def _mandate(account: BankAccount) -> Text:
        status = account.mandate_status
        label = status.value.capitalize()
        if account.mandate_date and status is not MandateStatus.EXPIRED:
            label += f" since {_day(account.mandate_date)}"
        return Text(label, style=MANDATE_STYLES.get(status, ""))

    @staticmethod
    def _mandate_note(accounts: list[BankAccount]) -> str:
        pending = sum(a.mandate_status is MandateStatus.PENDING for a in accounts)
        expired = sum(a.mandate_status is MandateStatus.EXPIRED for a in accounts)
        notes = []
        if pending:
            notes.append(
                f"{pending} mandate{'s are' if pending > 1 else ' is'} pending: statements "
                "start once the bank confirms it; the client may need to approve it in its "
                "online banking."
            )
        if expired:
            notes.append(
                f"{expired} mandate{'s have' if expired > 1 else ' has'} expired: no more "
                "statements arrive until the client signs it again in Lucy (Settings > "
                "Banking)."
            )
        return "\n".join(notes)

    @staticmethod
    def _empty_state(data: BankConnection) -> Group:
        provider = data.provider or "Codabox"
        if data.status is BankingStatus.PLAN_REQUIRED:
            return _paragraphs(
                "What Lucy Business Pro would bring",
                data.message,
                Text("With Lucy Business Pro, the client would get:"),
                _bullets(BUSINESS_PRO_BRINGS),
            )
        if data.status is BankingStatus.NOT_CONNECTED:
            return _paragraphs(
                f"No bank connected through {provider} yet",
                CODABOX_DOES,
                data.message
                or "The client connects its banks from Lucy, under Settings > Banking.",
                Text(
                    "Nothing is needed from your firm: the accounts appear here once the "
                    "banks confirm the mandates."
                ),
            )
        since = f" (since {_day(data.connected_at)})" if data.connected_at else ""
        return _paragraphs(
            f"{provider} is connected{since}, but no bank account is linked yet",
            "Statements appear here after the bank confirms the mandate.",
            Text(
                "What the client has to do: approve the mandate its bank sends (in its online "
                "banking, or at the branch). A bank usually confirms within a few working "
                "days; an account then shows here with its first statement."
            ),
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_iban":  # only offered when there is an account to copy from
            return self.connection is not None and bool(self.connection.accounts)
        return True

    def _highlighted_account(self) -> BankAccount | None:
        table = self.query_one("#banking-table", DataTable)
        if self.connection is None or not table.display or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return self.connection.accounts[int(key)] if key is not None else None

    def action_copy_iban(self) -> None:
        account = self._highlighted_account()
        if account is None:
            self.notify("There is no bank account to copy an IBAN from.", severity="warning")
            return
        # What is copied is what is shown: a control character pasted into a shell runs.
        self.app.copy_to_clipboard(printable(account.iban))
        self.notify(
            printable(f"Copied {format_iban(account.iban)} to the clipboard."), markup=False
        )

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            (
                "Banking: copy IBAN",
                "Copy the highlighted account's IBAN to the clipboard",
                self.action_copy_iban,
            ),
            ("Banking: reload", "Load the bank connection again", self.reload),
        ]
