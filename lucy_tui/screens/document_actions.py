"""Sending and resending documents: what an action will do, its confirmation, its results.

Before anything is sent the user sees exactly what will be sent and what is left out, and
why (the server's rules mirrored: only Inbox documents are sent, only Failed ones resent,
Sent ones never again). A confirmed action becomes a :class:`PendingAction` whose
Idempotency-Key is made once: a retry after a network fault reuses it, so the server never
performs the action twice. The confirmation lets the user pick where the documents go: the
accounting package (the default), or one of the other destinations, which gets a copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from lucy_tui.api.models import (
    MAX_BULK_DOCUMENTS,
    ActionOutcome,
    Document,
    DocumentActionResult,
    DocumentStatus,
)
from lucy_tui.columns import fit
from lucy_tui.document_view import format_amount, format_date
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import Dialog
from lucy_tui.widgets.results_table import ResultRow, ResultsTable, result_line

LISTED = 8  # documents named one by one in a confirmation; the rest are counted


class ActionKind(StrEnum):
    SEND = "send"  # Inbox documents, "the arrow" (enter)
    RESEND = "resend"  # Failed documents, "To accountant" (t)

    @property
    def accepts(self) -> DocumentStatus:
        return DocumentStatus.INBOX if self is ActionKind.SEND else DocumentStatus.FAILED

    @property
    def key(self) -> str:
        return "enter" if self is ActionKind.SEND else "t"

    @property
    def verb(self) -> str:
        return "Send" if self is ActionKind.SEND else "Resend"

    @property
    def doing(self) -> str:
        return "Sending" if self is ActionKind.SEND else "Resending"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def sent_explanation(package: str | None) -> str:
    software = package or "the accounting software"
    return (
        "Lucy never sends a document twice. To deliver one again, contact Lucy Support, or "
        f"ask the client to set {software}'s email address as a Multisender destination "
        "under Settings > Integrations (only the client can do that)."
    )


@dataclass(frozen=True)
class DestinationChoice:
    """Where an action sends: the accounting package (``id`` None), or another destination
    (an integration id), which gets a copy while the document keeps its status."""

    id: str | None
    name: str

    @property
    def copy(self) -> bool:
        return self.id is not None


@dataclass(frozen=True)
class Exclusion:
    status: DocumentStatus
    documents: list[Document]
    reason: str


@dataclass(frozen=True)
class ActionPlan:
    """What an action would do with the documents it was asked to act on."""

    kind: ActionKind
    eligible: list[Document]
    exclusions: list[Exclusion]
    hidden: int  # how many of the eligible documents the status filter hides
    package: str | None  # the linked accounting software's name, None when none
    package_known: bool  # False when it could not be read: say nothing about it
    retry: bool = False  # the same documents as an action that did not complete
    destination: DestinationChoice | None = None  # None: the package, as ``package`` says

    @property
    def document_ids(self) -> tuple[int, ...]:
        return tuple(document.id for document in self.eligible)

    @property
    def untyped(self) -> int:
        """Eligible documents without a type: the destination cannot book them."""
        return sum(1 for document in self.eligible if document.type is None)

    @property
    def too_many(self) -> bool:
        return len(self.eligible) > MAX_BULK_DOCUMENTS


def plan_action(
    kind: ActionKind,
    documents: Sequence[Document],
    *,
    hidden_ids: set[int],
    package: str | None,
    package_known: bool = True,
    destination: DestinationChoice | None = None,
) -> ActionPlan:
    """Split ``documents`` into those the action takes and those it leaves out, and why.

    A copy to another destination also takes Sent documents when sending (the server's
    rule: the status is about the accounting package)."""
    accepts = {kind.accepts}
    if destination is not None and destination.copy and kind is ActionKind.SEND:
        accepts.add(DocumentStatus.SENT)
    eligible = [d for d in documents if d.status in accepts]
    by_status: dict[DocumentStatus, list[Document]] = {}
    for document in documents:
        if document.status not in accepts:
            by_status.setdefault(document.status, []).append(document)

    def reason(status: DocumentStatus, count: int) -> str:
        them = "it" if count == 1 else "them"
        if status is DocumentStatus.SENT:
            return "already sent. " + sent_explanation(package)
        if status is DocumentStatus.FAILED:
            return f'failed earlier: use t ("To accountant") to resend {them}.'
        return f"not sent yet: use enter to send {them}."

    exclusions = [
        Exclusion(status, by_status[status], reason(status, len(by_status[status])))
        for status in (DocumentStatus.SENT, DocumentStatus.FAILED, DocumentStatus.INBOX)
        if status in by_status
    ]
    return ActionPlan(
        kind=kind,
        eligible=eligible,
        exclusions=exclusions,
        hidden=sum(1 for d in eligible if d.id in hidden_ids),
        package=package,
        package_known=package_known,
        destination=destination,
    )


@dataclass
class PendingAction:
    """A confirmed action, kept with its Idempotency-Key until it has been answered."""

    kind: ActionKind
    document_ids: tuple[int, ...]
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    destination: str | None = None  # an integration id; None: the accounting package

    def same_as(self, plan: ActionPlan) -> bool:
        """Whether ``plan`` asks for this very request (a retry reuses its key)."""
        chosen = plan.destination.id if plan.destination else None
        return self.document_ids == plan.document_ids and self.destination == chosen


# Pieces of a Content: plain text, or (text, Textual style) so theme variables work. Both
# are text, never markup; what came from the server also goes through printable().
Part = str | tuple[str, str]


def document_parts(document: Document) -> list[Part]:
    return [
        f"  {format_date(document)}  ",
        (fit(printable(document.counterparty), 32), "bold"),
        f" {printable(format_amount(document.amount, document.currency)):>15}\n",
    ]


def describe_plan(plan: ActionPlan) -> Content:
    """The confirmation's body: what will be sent, where, and what is left out and why."""
    kind, count = plan.kind, len(plan.eligible)
    target = plan.destination.name if plan.destination else plan.package
    destination = printable(f" to {target}") if target else ""
    parts: list[Part] = []
    if count:
        done = "sent" if kind is ActionKind.SEND else "resent"
        hidden = f" ({plan.hidden:,} of them hidden by the filter)" if plan.hidden else ""
        parts += [
            (plural(count, f"{kind.accepts.label} document"), "bold"),
            f" will be {done}{destination}{hidden}:\n",
        ]
        for document in plan.eligible[:LISTED]:
            parts += document_parts(document)
        if count > LISTED:
            parts.append((f"  … and {count - LISTED:,} more\n", "italic"))
    if plan.exclusions:
        if count:
            parts.append(("\nNot included:\n", "bold"))
        for exclusion in plan.exclusions:
            label = plural(len(exclusion.documents), f"{exclusion.status.label} document")
            parts += ["  • ", (label, "bold"), f": {printable(exclusion.reason)}\n"]
    if count and plan.destination is not None and plan.destination.copy:
        name = printable(plan.destination.name)
        parts.append(
            (
                f"\n{name} gets a copy: the documents keep their status, which is about the "
                f"accounting software. A client that has not enabled {name} is refused, each "
                "document with the reason; one already delivered there is not sent again.\n",
                "$text-muted",
            )
        )
    if plan.untyped and not (plan.destination and plan.destination.copy):
        has, it, they = ("has", "it", "it") if plan.untyped == 1 else ("have", "them", "they")
        parts.append(
            (
                f"\n⚠ {plan.untyped:,} of them {has} no type (invoice, credit note, receipt): "
                f"the accounting software cannot book {it}, so {they} will fail until the "
                f"client classifies {it} in Lucy.\n",
                "$text-warning",
            )
        )
    if count and plan.package_known and plan.package is None and not plan.destination:
        parts.append(
            (
                "\n⚠ No accounting software is linked to this client: Lucy will try, and the "
                "documents will fail with that reason. Link one under Integrations (5) first.\n",
                "bold $text-warning",
            )
        )
    if plan.too_many:
        parts.append(
            (
                f"\nAt most {MAX_BULK_DOCUMENTS:,} documents can go in one action: select "
                "fewer (the status filter and space help).\n",
                "bold $text-error",
            )
        )
    elif count:
        retry = (
            "This retries the request that did not complete, with the same key: "
            if plan.retry
            else "One request: "
        )
        parts.append(
            (f"\n{retry}Lucy never performs it twice, even when it is retried.", "$text-muted")
        )
    return Content.assemble(*parts).rstrip()


class ConfirmActionScreen(Dialog[bool]):
    """Asks before sending; with nothing to send it only explains (and has no yes).

    ``choices``: where the documents may go, the first (the package) chosen; ``d`` picks
    the next, and ``replan`` says what the action does with that destination. The chosen
    one is :attr:`choice` when the dialog answers yes.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
        Binding("d", "next_destination", "Destination", show=False),
    ]

    def __init__(
        self,
        plan: ActionPlan,
        choices: Sequence[DestinationChoice] = (),
        replan: Callable[[DestinationChoice], ActionPlan] | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.choices = list(choices)
        self.replan = replan
        self.choice: DestinationChoice | None = plan.destination or (
            self.choices[0] if self.choices else None
        )

    @property
    def can_proceed(self) -> bool:
        return bool(self.plan.eligible) and not self.plan.too_many

    def compose(self) -> ComposeResult:
        kind, count = self.plan.kind, len(self.plan.eligible)
        if not count:
            title = f"Nothing to {kind.value}"
        else:
            again = " (retry)" if self.plan.retry else ""
            target = self.plan.destination.name if self.plan.destination else self.plan.package
            destination = f" to {target}" if target else ""
            title = f"{kind.verb} {plural(count, 'document')}{destination}?{again}"
        with Vertical(classes="dialog", id="document-action-confirm"):
            yield Static(plain(title), classes="dialog-title", id="confirm-title")
            if len(self.choices) > 1:
                yield Static(self._choices_line(), id="confirm-destinations")
            with VerticalScroll(id="confirm-scroll"):
                yield Static(describe_plan(self.plan), id="confirm-body")
            with Horizontal(classes="dialog-buttons"):
                if self.can_proceed:
                    yield Button(f"{kind.verb} {count:,} (y)", variant="primary", id="yes")
                    yield Button("Cancel (n)", id="no")
                else:
                    yield Button("Close (escape)", variant="primary", id="no")

    def _choices_line(self) -> Content:
        parts: list[Part] = [("Destination (d): ", "bold")]
        for choice in self.choices:
            chosen = choice == self.choice
            parts.append(
                (f"{'●' if chosen else '○'} {printable(choice.name)}", "bold" if chosen else "")
            )
            parts.append("   ")
        return Content.assemble(*parts).rstrip()

    def on_mount(self) -> None:
        self.query_one("#yes" if self.can_proceed else "#no", Button).focus()

    def action_next_destination(self) -> None:
        if len(self.choices) < 2 or self.replan is None or self.choice is None:
            return
        position = self.choices.index(self.choice) if self.choice in self.choices else -1
        self.choice = self.choices[(position + 1) % len(self.choices)]
        self.plan = self.replan(self.choice)
        self.refresh(recompose=True)
        self.call_after_refresh(self.on_mount)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes and self.can_proceed)


def summarize_results(kind: ActionKind, results: Sequence[DocumentActionResult]) -> str:
    counts = dict.fromkeys(ActionOutcome, 0)
    for result in results:
        counts[result.outcome] += 1
    failed = "failed again" if kind is ActionKind.RESEND else "failed"
    parts = [f"{counts[ActionOutcome.SENT]:,} sent"]
    if counts[ActionOutcome.FAILED]:
        parts.append(f"{counts[ActionOutcome.FAILED]:,} {failed}")
    if counts[ActionOutcome.REFUSED]:
        parts.append(f"{counts[ActionOutcome.REFUSED]:,} refused")
    return ", ".join(parts)


class ActionResultsScreen(Dialog[None]):
    """The answer of a send or resend, document by document (a virtual table: thousands
    of results open at once); the line under it says all of the cursor row's answer."""

    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close", show=False)]

    def __init__(
        self,
        kind: ActionKind,
        results: Sequence[DocumentActionResult],
        documents: Mapping[int, Document],
        client_names: Mapping[int, str] | None = None,
    ) -> None:
        super().__init__()
        self.kind, self.results, self.documents = kind, list(results), documents
        self.client_names = client_names
        self.rows = [
            ResultRow(
                position,
                result,
                documents.get(result.document_id),
                client_names.get(result.client_id) if client_names and result.client_id else None,
            )
            for position, result in enumerate(self.results)
        ]

    def compose(self) -> ComposeResult:
        summary = summarize_results(self.kind, self.results)
        with Vertical(classes="dialog", id="document-action-results"):
            yield Static(
                plain(f"{self.kind.verb}: {summary}"), classes="dialog-title", id="results-title"
            )
            yield ResultsTable(
                self.rows,
                resend=self.kind is ActionKind.RESEND,
                with_client=self.client_names is not None,
                id="results-table",
            )
            yield Static("", id="results-cursor")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (escape)", variant="primary", id="close")

    def on_mount(self) -> None:
        table = self.query_one(ResultsTable)
        table.focus()
        self._show_cursor(table.cursor_item)

    @on(ResultsTable.CursorMoved)
    def _cursor_moved(self, message: ResultsTable.CursorMoved) -> None:
        self._show_cursor(self.query_one(ResultsTable).cursor_item)

    def _show_cursor(self, row: ResultRow | None) -> None:
        line = "" if row is None else result_line(row, self.kind is ActionKind.RESEND)
        self.query_one("#results-cursor", Static).update(plain(line))

    def as_text(self) -> str:
        """Every result as a line, in the order shown (the problems first)."""
        table = self.query_one(ResultsTable)
        resend = self.kind is ActionKind.RESEND
        return "\n".join(result_line(row, resend) for row in table.view.rows)

    @on(Button.Pressed)
    def _close(self) -> None:
        self.dismiss()
