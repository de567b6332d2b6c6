"""One document, opened (``o``): what it is, where it stands, and its delivery history:
every attempt to deliver it (when, where, by whom, how it went, and why not)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from lucy_tui.api.errors import LucyError
from lucy_tui.api.models import DocumentDetail, DocumentStatus
from lucy_tui.context import Context
from lucy_tui.document_view import (
    DIRECTION_LABELS,
    SOURCE_LABELS,
    format_amount,
    format_date,
    type_label,
)
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import LucyModal

Part = str | tuple[str, str]


def describe_document(document: DocumentDetail, client_name: str | None = None) -> Content:
    """The document's facts and its delivery history, newest first; all of it as text."""
    parts: list[Part] = []
    if client_name:
        parts += [("Client: ", "bold"), printable(client_name), "\n"]
    parts += [
        ("Date: ", "bold"),
        format_date(document),
        ("   Type: ", "bold"),
        type_label(document),
        ("   ", ""),
        DIRECTION_LABELS[document.direction],
        ("   Amount: ", "bold"),
        printable(format_amount(document.amount, document.currency)),
        ("   Source: ", "bold"),
        SOURCE_LABELS[document.source],
        "\n",
        ("Supplier / customer: ", "bold"),
        printable(document.counterparty),
        "\n",
        ("Status: ", "bold"),
    ]
    style = {
        DocumentStatus.INBOX: "bold $text-primary",
        DocumentStatus.SENT: "bold $text-success",
        DocumentStatus.FAILED: "bold $text-error",
    }[document.status]
    parts.append((document.status.label, style))
    if document.destination:
        parts.append(f" ({printable(document.destination)})")
    if document.status is DocumentStatus.FAILED and document.failure_reason:
        parts += [": ", (printable(document.failure_reason), "$text-error")]
    parts.append("\n\n")
    parts.append(("Delivery history", "bold underline"))
    parts.append("\n")
    if not document.deliveries:
        parts.append(("No delivery has been tried yet.", "italic $text-muted"))
    for delivery in document.deliveries:
        where = printable(delivery.destination or "no accounting software linked")
        who = printable(delivery.staff_name or "Lucy")
        mark, mark_style = (
            ("✓", "bold $text-success") if delivery.success else ("✗", "bold $text-error")
        )
        parts += [
            (mark, mark_style),
            f" {delivery.performed_at:%d/%m/%Y %H:%M}  ",
            (where, "bold"),
            f"  by {who}\n",
            (f"    {printable(delivery.message)}\n", "$text-muted"),
        ]
    return Content.assemble(*parts).rstrip()


class DocumentDetailScreen(LucyModal[None]):
    """A document and its delivery history, loaded when opened."""

    BINDINGS = [Binding("escape,q,o", "dismiss", "Close", show=False)]

    def __init__(
        self, ctx: Context, client_id: int, document_id: int, client_name: str | None = None
    ) -> None:
        super().__init__(ctx)
        self.client_id, self.document_id, self.client_name = client_id, document_id, client_name
        self.document: DocumentDetail | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="document-detail"):
            yield Static(
                plain(f"Document {self.document_id}"), classes="dialog-title", id="document-title"
            )
            with VerticalScroll(id="document-scroll"):
                yield Static("Loading…", id="document-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (escape)", variant="primary", id="close")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()
        self.load()

    @work(exclusive=True, group="document", exit_on_error=False)
    async def load(self) -> None:
        try:
            document = await self.ctx.session.client.document(self.client_id, self.document_id)
        except LucyError as error:
            self.ctx.reporter.report_error(error, "Could not open the document", quiet=True)
            self.query_one("#document-body", Static).update(
                plain(f"Could not open the document: {error.message}")
            )
            return
        self.show(document)

    def show(self, document: DocumentDetail) -> None:
        self.document = document
        self.query_one("#document-title", Static).update(
            plain(f"{type_label(document).capitalize()} · {document.counterparty}")
        )
        self.query_one("#document-body", Static).update(
            describe_document(document, self.client_name)
        )

    def on_button_pressed(self) -> None:
        self.dismiss()
