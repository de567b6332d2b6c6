"""Sending and resending from a list of documents: the flow the documents tab and the firm's
Failed queue share.

The flow, wherever documents are listed: the selection (or, with none, the row under the
cursor) is planned and confirmed (:class:`~lucy_tui.screens.document_actions.ConfirmActionScreen`,
where the destination can be changed); the confirmed action is kept with its
Idempotency-Key until it is answered (:class:`PendingAction`), so that pressing the key again
after a network fault retries the same request and nothing is sent twice; one request at a
time runs in a worker, which posts :class:`ActionAnswered` or :class:`ActionFailed` to the
host (the tab or the screen), whose handlers show the results in their own way and hand the
action back to :meth:`ActionFlow.answered` / :meth:`ActionFlow.failed`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from textual.message import Message
from textual.widget import Widget

from lucy_tui.api.errors import (
    ConflictError,
    LucyError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UnreachableError,
)
from lucy_tui.api.models import (
    ActionOutcome,
    Document,
    DocumentActionResponse,
    DocumentActionResult,
    DocumentStatus,
)
from lucy_tui.context import Context
from lucy_tui.safe_text import printable
from lucy_tui.screens.document_actions import (
    ActionKind,
    ActionPlan,
    ConfirmActionScreen,
    DestinationChoice,
    PendingAction,
    plural,
)

D = TypeVar("D", bound=Document)

# Asks the server to perform an action (the tab: for its client; the queue: across clients).
Request = Callable[[PendingAction], Awaitable[DocumentActionResponse]]


@dataclass
class ActionAnswered(Message, bubble=False):
    """The server answered the action, document by document."""

    action: PendingAction
    response: DocumentActionResponse


@dataclass
class ActionFailed(Message, bubble=False):
    """The request itself failed (network, server): nothing is known to have happened."""

    action: PendingAction
    error: LucyError


def is_transient(error: LucyError) -> bool:
    """Whether the same request may be tried again: the server did not refuse it."""
    return isinstance(
        error, UnreachableError | ServerError | RateLimitedError | UnauthorizedError
    ) or (isinstance(error, ConflictError) and error.code == "idempotency_in_progress")


def updated_documents(
    before: Mapping[int, D], results: Sequence[DocumentActionResult], package: str | None = None
) -> list[D]:
    """The documents as the answer says they are now (a reload confirms it); a document
    sent goes where the answer says, else to ``package``, else where it went before."""
    updated: list[D] = []
    for result in results:
        document = before.get(result.document_id)
        if document is None or result.status is None:
            continue
        changes: dict[str, Any] = {"status": result.status}
        if result.outcome is ActionOutcome.FAILED:
            changes["failure_reason"] = result.message
        elif result.status is not DocumentStatus.FAILED:
            changes["failure_reason"] = None
        if result.outcome is ActionOutcome.SENT:
            changes["destination"] = result.destination or package or document.destination
        updated.append(document.model_copy(update=changes))
    return updated


class ActionFlow:
    """One host's sends and resends: what is confirmed, what runs, what awaits a retry."""

    def __init__(self, host: Widget, ctx: Context, request: Request, *, group: str) -> None:
        self.host = host
        self.ctx = ctx
        self.request = request
        self.group = group  # the worker group of the host's requests
        # A confirmed action that got no answer (network, server fault), by kind: a retry
        # of the same documents reuses its Idempotency-Key.
        self.pending: dict[ActionKind, PendingAction] = {}
        self.running: PendingAction | None = None

    def targets(self, selected: list[D], cursor: D | None) -> list[D] | None:
        """What an action acts on: the selection, else the cursor's row; None (said to the
        user) when another action still runs or there is nothing."""
        if self.running is not None:
            self.host.notify(
                f"{self.running.kind.doing} is still running: wait for its results.",
                severity="warning",
            )
            return None
        if selected:
            return selected
        if cursor is None:
            self.host.notify("There is no document here.", severity="warning")
            return None
        return [cursor]

    def confirm(
        self,
        kind: ActionKind,
        plan: Callable[[DestinationChoice], ActionPlan],
        choices: Sequence[DestinationChoice],
        start: Callable[[PendingAction, DestinationChoice], None],
    ) -> None:
        """Ask the user to confirm ``kind`` as ``plan`` makes it for a destination;
        ``choices[0]`` is the default (the accounting package). Once confirmed, ``start``
        shows that the action runs and calls :meth:`run`."""
        pending = self.pending.get(kind)

        def replan(choice: DestinationChoice) -> ActionPlan:
            planned = plan(choice)
            return replace(planned, retry=pending is not None and pending.same_as(planned))

        screen = ConfirmActionScreen(replan(choices[0]), list(choices), replan)

        def answered(confirmed: bool | None) -> None:
            if not confirmed:
                return
            chosen = screen.plan  # as confirmed, with the destination picked there
            action = pending if chosen.retry and pending is not None else None
            if action is None:
                destination = chosen.destination.id if chosen.destination else None
                action = PendingAction(kind, chosen.document_ids, destination=destination)
            self.pending[kind] = action
            start(action, chosen.destination or choices[0])

        self.host.app.push_screen(screen, answered)

    def run(self, action: PendingAction) -> None:
        """Send the request in a worker; the answer comes back to the host as a message."""
        self.running = action
        self.host.run_worker(self._request(action), group=self.group, exit_on_error=False)

    async def _request(self, action: PendingAction) -> None:
        try:
            response = await self.request(action)
        except LucyError as error:
            self.host.post_message(ActionFailed(action, error))
            return
        self.host.post_message(ActionAnswered(action, response))

    def answered(self, action: PendingAction) -> None:
        """The action was answered: its key has done its job."""
        self.running = None
        if self.pending.get(action.kind) is action:
            del self.pending[action.kind]

    def failed(self, action: PendingAction, error: LucyError) -> str:
        """The request failed: what to tell the user. A transient fault keeps the action
        (and its key) for a retry; a refusal spends it."""
        self.running = None
        kind, count = action.kind, plural(len(action.document_ids), "document")
        if is_transient(error):
            text = (
                f"{kind.doing} {count} did not complete: {error.message} Nothing is lost and "
                f"the selection is kept: press {kind.key} to try again (the retry reuses the "
                "same request key, so nothing is sent twice)."
            )
        else:
            self.pending.pop(kind, None)
            text = f"Lucy refused to {kind.value} the {count}: {error.message}"
        self.ctx.reporter.report_error(error, f"Could not {kind.value} the documents", quiet=True)
        if not isinstance(error, UnauthorizedError):
            self.host.notify(printable(text), severity="error", timeout=10, markup=False)
        return text
