"""One detail tab mounted alone against the reference server: no dashboard, no other tabs.

Most tests of a tab are about the tab. Through the whole app they would pay for the
client list of the demo firm and for composing all seven tabs before the first key; here
the tab gets the same injected ``Context`` the app gives it (a signed-in session on the
in-process reference server over the test's copy of the demo firm), inside a
``TabbedContent`` as in the client detail, and the harness plays the detail screen's part:
it loads the client, shows it to the tab, and answers the tab's ``ReloadClient`` and
``ClientUpdated``. Failures are reported as the app reports them: a toast.

    async with tab_harness(OverviewTab, AALTER_ID) as (pilot, tab):
        await pilot.press("s")

With ``transport=`` the tab reaches the server through that transport (a ``FaultyTransport``
over the reference server, tests/tui/faults.py) as a remote server, signed in with the demo
password; ``size=`` shows it in another terminal size.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
from textual import on, work
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from lucy_server.seed import DEMO_PASSWORD
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import LucyError
from lucy_tui.app import CSS_FILE
from lucy_tui.backend import DEMO_LOGINS, open_embedded_client
from lucy_tui.clients.store import ClientStore
from lucy_tui.context import RETRY_HINT, Context, error_notice
from lucy_tui.messages import ClientUpdated, ReloadClient
from lucy_tui.screens.detail.base import DetailTab
from lucy_tui.session import CurrentSession, Session

TabType = TypeVar("TabType", bound=DetailTab)
REMOTE = "http://lucy.test"  # the server reached through a test's transport


class TabHarness(App[None]):
    CSS_PATH = CSS_FILE

    def __init__(self, session: Session, today: date, tab_class: type[DetailTab], client_id: int):
        super().__init__()
        self.sessions = CurrentSession()
        self.sessions.begin(session)
        self.ctx = Context(self.sessions, self, ClientStore(), today)
        self.tab = tab_class(self.ctx, client_id, f"client {client_id}", id="tab")
        self.errors: list[tuple[str, LucyError]] = []

    @property
    def session(self) -> Session:
        return self.sessions.current

    def compose(self) -> ComposeResult:
        # The detail screen's lines around the tabs (its title; a line where its Footer
        # goes), so that the tab gets the room it has in the app, at 80x24 too.
        yield Static(f"client {self.tab.client_id}", id="detail-title")
        with TabbedContent(id="detail-tabs"), TabPane(self.tab.title, id="pane"):
            yield self.tab
        yield Static("", id="footer-line")

    def on_mount(self) -> None:
        self.load_client()
        self.tab.activate()

    @work(exclusive=True, group="client", exit_on_error=False)
    async def load_client(self) -> None:
        try:
            client = await self.ctx.session.client.client(self.tab.client_id)
        except LucyError as error:
            self.report_error(error, "Could not load the client")
            return
        self.tab.client_shown(client)

    @on(ReloadClient)
    def _reload(self) -> None:
        self.load_client()

    @on(ClientUpdated)
    def _updated(self, message: ClientUpdated) -> None:
        self.tab.client_shown(message.client)

    # --- the Reporter the tab reports to --------------------------------------------------

    def report_error(
        self, error: LucyError, context: str, *, quiet: bool = False, retry: str = RETRY_HINT
    ) -> None:
        self.errors.append((context, error))
        if not quiet:
            self.notify(error_notice(error, context, retry), severity="error", markup=False)

    def report_worker_state(self, worker: Worker[Any], state: WorkerState) -> None:
        if state is WorkerState.ERROR:
            self.notify(f"Something went wrong: {worker.error!r}", severity="error", markup=False)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        self.report_worker_state(event.worker, event.state)


HarnessFactory = Callable[..., AbstractAsyncContextManager[tuple[Pilot[None], Any]]]


def make_tab_harness(data_dir: Path, today: date, size: tuple[int, int]) -> HarnessFactory:
    """``tab_harness(TabClass, client_id, role="admin")``: the tab shown and loaded."""

    @asynccontextmanager
    async def tab_harness(
        tab_class: type[TabType],
        client: int | str,
        *,
        role: str = "admin",
        transport: httpx.AsyncBaseTransport | None = None,
        size: tuple[int, int] = size,
    ) -> AsyncIterator[tuple[Pilot[None], TabType]]:
        """``client``: its id, or its name as the demo firm has it. ``transport``: reach a
        remote server through it (a ``FaultyTransport``), signed in with the demo password,
        instead of the embedded server."""
        email = DEMO_LOGINS[role]
        if transport is None:
            api, _, renew = await asyncio.to_thread(open_embedded_client, data_dir, email)
            session_of = partial(Session, server="embedded", renew_token=renew)
        else:
            api = LucyClient(REMOTE, transport=transport)
            await api.login(email, DEMO_PASSWORD)
            session_of = partial(Session, server=REMOTE)
        staff = await api.me()
        client_id = client if isinstance(client, int) else await _id_of(api, client)
        session = session_of(api, staff)
        app = TabHarness(session, today, tab_class, client_id)
        async with api, app.run_test(size=size) as pilot:
            for _ in range(50):  # the tab's first load, and the client shown to it
                await app.workers.wait_for_complete()
                await pilot.pause()
                if not any(worker.is_running for worker in app.workers):
                    break
            tab = app.tab
            assert isinstance(tab, tab_class)
            yield pilot, tab

    return tab_harness


async def _id_of(api: LucyClient, name: str) -> int:
    page = await api.clients_page(1, 50, q=name)
    ids = [summary.id for summary in page.items if summary.name == name]
    assert len(ids) == 1, f"no single client named {name!r} in the demo firm"
    return ids[0]
