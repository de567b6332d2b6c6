"""The lucy-tui application: connection, session, screens, and the shared error handling.

First rows fast: this module and what it imports at the top draw the client list (the
last session's rows, when there are any) without httpx or pydantic; the API client, the
wire models and, embedded, the in-process server are imported in a thread once the
screen is drawn (``connect``). tests/tui/test_first_paint.py keeps it so.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
from collections.abc import Iterable
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.terminal_theme import TerminalTheme
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from lucy_tui.api.errors import (
    LucyError,
    UnauthorizedError,
    UnreachableError,
)
from lucy_tui.backend import DEMO_LOGINS, open_embedded_client
from lucy_tui.clients.store import ClientStore
from lucy_tui.context import RETRY_HINT, Context, error_notice
from lucy_tui.hangup import watch_terminal
from lucy_tui.local.config import Settings, server_refusal
from lucy_tui.local.favourites import FavouritesStore
from lucy_tui.local.list_snapshot import ListSnapshot
from lucy_tui.local.tokens import TokenStore, last_user, remember_user
from lucy_tui.memory import keep_long_lived
from lucy_tui.messages import (
    ClientListLoaded,
    ConnectRequested,
    OpenClient,
    OpenFailedDocuments,
    OpenPeppolReadiness,
)
from lucy_tui.safe_text import printable
from lucy_tui.screens.dashboard import DashboardScreen
from lucy_tui.session import CurrentSession, Session

if TYPE_CHECKING:  # httpx and pydantic: imported once the screen is drawn
    import httpx

    from lucy_tui.api.client import LucyClient
    from lucy_tui.api.models import LoginResponse

CSS_FILE = str(files("lucy_tui.styles").joinpath("app.tcss"))


class LucyApp(App[None]):
    TITLE = "Lucy for accountants"
    CSS_PATH = CSS_FILE
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        # Known to all, listed in help: the footer's room goes to the screen's keys.
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
    ]

    def __init__(
        self,
        *,
        config_dir: Path,
        data_dir: Path,
        settings: Settings | None = None,
        server: str | None = None,
        role: str = "admin",
        insecure_storage: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        today: date | None = None,
    ) -> None:
        super().__init__()
        self.config_dir, self.data_dir = config_dir, data_dir
        self.settings = settings or Settings()
        self.server_url = server or self.settings.server
        self.role = role
        self.transport = transport
        self.today = today or date.today()
        self.tokens = TokenStore(config_dir, insecure_storage=insecure_storage)
        self.sessions = CurrentSession()
        self.clients = ClientStore()
        # What every screen, tab and dialog gets instead of reaching for the App.
        self.ctx = Context(self.sessions, self, self.clients, self.today)
        self.favourites = FavouritesStore(data_dir, "", "")
        self._signing_in = False
        self._undone: list[str] = []  # what a lost session prevented, told after signing in
        self._client: LucyClient | None = None
        # The last session's first rows, per server and user (see on_mount and _begin).
        self.snapshot: ListSnapshot | None = None
        self._painted = asyncio.Event()  # the first screen is drawn: connect may import
        self._ansi_theme: tuple[tuple[object, ...], TerminalTheme] | None = None

    # --- drawing ------------------------------------------------------------------------

    @property
    def ansi_theme(self) -> TerminalTheme:
        """Textual's, kept per theme: Textual reads it for every line it draws, and finds it
        by copying its registry of themes twice each time (a fifth of redrawing the client
        list at a filter keystroke)."""
        key = (self.theme, self.ansi_theme_dark, self.ansi_theme_light)
        if self._ansi_theme is None or self._ansi_theme[0] != key:
            self._ansi_theme = (key, super().ansi_theme)
        return self._ansi_theme[1]

    # --- session ------------------------------------------------------------------------

    @property
    def session(self) -> Session:
        return self.sessions.current

    @property
    def connected(self) -> bool:
        return self.sessions.active

    @property
    def embedded(self) -> bool:
        return self.server_url is None

    @property
    def dashboard(self) -> DashboardScreen:
        screen = self.get_screen("dashboard")
        assert isinstance(screen, DashboardScreen)
        return screen

    def on_mount(self) -> None:
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        if self.settings.notice:
            self.notify(self.settings.notice, severity="warning", timeout=10)
        # Paint first: the list of the last session of whoever signed in last here (read
        # without httpx or pydantic), then connect once the screen is drawn.
        user = DEMO_LOGINS[self.role] if self.embedded else last_user(self.data_dir, self.server)
        self.snapshot = ListSnapshot(self.data_dir, self.server, user) if user else None
        snapshot = self.snapshot.load() if self.snapshot is not None else []
        if self.snapshot is not None and self.snapshot.notice:
            self.notify(self.snapshot.notice, severity="warning", timeout=10)
        dashboard = DashboardScreen(self.ctx, snapshot, self.snapshot)
        self.clients.subscribe(dashboard)
        self.install_screen(dashboard, "dashboard")
        self.push_screen("dashboard")
        self.call_after_refresh(self._painted.set)
        self.connect()
        stdin = sys.__stdin__
        if not self.is_headless and stdin is not None and os.isatty(stdin.fileno()):
            watch_terminal(stdin.fileno())  # a closed terminal window ends the app

    @property
    def server(self) -> str:
        """What sessions, tokens, favourites and list snapshots are kept under."""
        return self.server_url or "embedded"

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self) -> None:
        """Reach the backend and sign in (asking for a password if needed); then load.

        Not before the first screen is drawn: connecting imports httpx and pydantic (and,
        embedded, the in-process server), which the first paint does without.
        """
        await self._painted.wait()
        self.dashboard.show_status("Connecting…")
        if self.embedded:
            self._begin(await self._open_embedded())
            return
        assert self.server_url is not None
        server = self.server_url
        # httpx and pydantic: in a thread, so the screen already drawn stays live meanwhile
        await asyncio.to_thread(importlib.import_module, "lucy_tui.api.client")
        from lucy_tui.api.client import LucyClient

        client = self._client = LucyClient(server, transport=self.transport)
        email = last_user(self.data_dir, server)
        if email or self.tokens.env_token:
            token = await asyncio.to_thread(self.tokens.get, server, email)
            self._tell_token_notice()  # a damaged token file, say
            if token:
                client.token = token
                try:
                    staff = await client.me()
                except UnauthorizedError:
                    client.token = None
                else:
                    self._begin(Session(client, staff, server=server))
                    return

        def signed_in(login: LoginResponse | None) -> None:
            if login is not None:
                self._begin(Session(client, login.staff, server=server))

        self.push_screen(self._sign_in_screen(email or ""), signed_in)

    @work(exclusive=True, group="session", exit_on_error=False)
    async def _begin(self, session: Session) -> None:
        """A staff member is signed in: load their favourites, then the client list."""
        self.sessions.begin(session)
        who = f"{session.staff.name} ({session.staff.role.value})"
        if self.embedded:
            self.sub_title = printable(who)
        else:  # who is signed in to which server, always in sight (the demo has its banner)
            self.sub_title = printable(f"{who} on {session.server}")
            self.dashboard.set_banner(
                f"Signed in as {who} on {session.server}. "
                "Sign out or switch server: ctrl+p, Session."
            )
        snapshot = ListSnapshot(self.data_dir, session.server, session.staff.email)
        if self.snapshot is None or snapshot.path != self.snapshot.path:
            self.dashboard.drop_last_session()  # another user's rows: not under this name
        self.snapshot = self.dashboard.snapshot_store = snapshot
        if not self.embedded:  # whose list to paint at the next start (LUCY_TOKEN too)
            await asyncio.to_thread(self._remember_user, session.server, session.staff.email)
        self.favourites = FavouritesStore(self.data_dir, session.server, session.staff.email)
        favourites = await asyncio.to_thread(self.favourites.load)
        if self.favourites.notice:
            self.notify(self.favourites.notice, severity="warning", timeout=10)
        self.clients.set_favourites(favourites)
        self.dashboard.favourites_loaded(self.favourites)
        self.dashboard.start_loading()

    async def _open_embedded(self) -> Session:
        email = DEMO_LOGINS[self.role]
        client, created, renew = await asyncio.to_thread(open_embedded_client, self.data_dir, email)
        staff = await client.me()
        self.dashboard.set_banner(
            f"Embedded demo firm — signed in as {staff.name} ({staff.role.value}). "
            "Use lucy-tui --server URL for a real Lucy server."
        )
        if created:
            self.notify(f"Created the demo firm in {self.data_dir}.", timeout=6)
        return Session(client, staff, server="embedded", renew_token=renew)

    def _sign_in_screen(self, email: str, reason: str = "") -> Screen[LoginResponse]:
        from lucy_tui.screens.sign_in import SignInScreen

        return SignInScreen(
            self.ctx, self.server_url or "the demo firm", email, reason, login=self.login
        )

    async def login(self, email: str, password: str) -> LoginResponse:
        """Sign in on the current server and keep the token (the sign-in screen calls this)."""
        client = self.sessions.client if self.sessions.active else self._client
        if client is None:
            raise UnreachableError("Not connected to a Lucy server yet.")
        login = await client.login(email, password)
        server = self.server_url or "embedded"
        await asyncio.to_thread(self._store_token, server, login.staff.email, login.access_token)
        self._tell_token_notice()
        return login

    def _tell_token_notice(self) -> None:
        """What the token store had to say (the fallback file, a damaged file), once."""
        if self.tokens.notice:
            self.notify(self.tokens.notice, severity="warning", timeout=12)
            self.tokens.notice = None

    def _store_token(self, server: str, email: str, token: str) -> None:
        try:
            remember_user(self.data_dir, server, email)
            self.tokens.set(server, email, token)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            self.call_from_thread(
                self.notify,
                f"Could not keep your session ({where}{exc.strerror or exc}); you will sign in "
                "again next time.",
                severity="warning",
                timeout=10,
            )

    def _remember_user(self, server: str, email: str) -> None:
        with contextlib.suppress(OSError):  # only a head start for next time
            if last_user(self.data_dir, server) != email:
                remember_user(self.data_dir, server, email)

    def session_expired(self, undone: str | None = None) -> None:
        """The server no longer accepts the token: sign in again, then carry on where we were.

        ``undone`` says what did not happen because of it; it is told once signed in again.
        """
        if not self.sessions.active:
            return
        if undone:
            self._undone.append(undone)
        if self._signing_in:
            return
        if self.embedded:
            self._relogin_embedded()
            return
        self._signing_in = True
        reason = "Your session has ended. Sign in again to carry on where you were."

        def signed_in(login: LoginResponse | None) -> None:
            self._signing_in = False
            if login is not None and self.sessions.active:
                self.session.staff = login.staff
                self._resume()

        self.push_screen(self._sign_in_screen(self.session.staff.email, reason), signed_in)

    def _resume(self) -> None:
        """Signed in again: reload what the screen shows, and tell what was not done."""
        self.refresh_current_screen()
        undone, self._undone = self._undone, []
        for message in dict.fromkeys(undone):
            self.notify(message, severity="warning", timeout=10)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def _relogin_embedded(self) -> None:
        renew = self.session.renew_token
        assert renew is not None
        self.session.client.token = await asyncio.to_thread(renew)
        self._resume()

    def refresh_current_screen(self) -> None:
        """Load again what the current screen shows (``resume`` keeps unsaved edits)."""
        screen = self.screen
        refresh = getattr(screen, "resume", None) or getattr(screen, "action_refresh", None)
        if callable(refresh):
            refresh()

    # --- signing out, switching server ---------------------------------------------------

    @work(exclusive=True, group="session-change", exit_on_error=False)
    async def sign_out(self) -> None:
        """End the session on the server, forget its stored token, and ask to sign in."""
        if self.embedded or not self.sessions.active:
            return
        session = self.session
        email, server = session.staff.email, session.server
        told = ""
        try:
            await session.client.logout()
        except LucyError as exc:
            told = f" The server could not be told ({exc.message}); the token is forgotten here."
        try:
            await asyncio.to_thread(self.tokens.delete, server, email)
        except OSError as exc:
            told += f" The stored token could not be removed: {exc.strerror or exc}."
        with contextlib.suppress(OSError):  # nor their list, painted at the next start
            await asyncio.to_thread(ListSnapshot(self.data_dir, server, email).forget)
        self.snapshot = None
        self._tell_token_notice()
        await self._start_over()
        await session.client.aclose()
        self.notify(f"Signed out {email} from {server}.{told}", timeout=8)
        self.connect()

    def ask_server(self) -> None:
        """Ask for another server's address (checked as settings check it), then go there."""
        from lucy_tui.screens.prompt import PromptScreen

        def chosen(url: str | None) -> None:
            if url:
                self.switch_server(url)

        current = self.server_url or "the embedded demo firm"
        self.push_screen(
            PromptScreen(
                "Switch server",
                f"Connected to {current}. The address of the Lucy server to use instead:",
                check=server_refusal,
                placeholder="https://lucy.your-firm.be",
            ),
            chosen,
        )

    @work(exclusive=True, group="session-change", exit_on_error=False)
    async def switch_server(self, url: str) -> None:
        """Leave this server (its stored session is kept, to come back to) and connect to
        ``url``: its stored session, or its sign-in."""
        previous = self.sessions.current if self.sessions.active else None
        self.server_url = url
        self.snapshot = None  # the next server's is known once signed in there
        await self._start_over()
        if previous is not None:
            await previous.client.aclose()
        self.connect()

    async def _start_over(self) -> None:
        """Nothing of the last session stays: its screens and dialogs close, its list, its
        favourites and its client state go; a fresh client list waits for the next."""
        self.workers.cancel_group(self, "connect")
        self.workers.cancel_group(self, "session")
        self.sessions.end()
        self._signing_in = False
        self._undone = []
        self.sub_title = ""
        old = self.dashboard
        while len(self.screen_stack) > 1 and self.screen is not old:
            await self.pop_screen()
        self.clients = ClientStore()
        self.ctx = Context(self.sessions, self, self.clients, self.today)
        self.favourites = FavouritesStore(self.data_dir, "", "")
        dashboard = DashboardScreen(self.ctx, [], self.snapshot)
        self.clients.subscribe(dashboard)
        self.workers.cancel_node(old)
        if self.screen is old:
            await self.switch_screen(dashboard)
        else:
            await self.push_screen(dashboard)
        self.uninstall_screen("dashboard")
        self.install_screen(dashboard, "dashboard")
        await old.remove()

    # --- messages to the user -----------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast; every toast of this app is plain text, whatever ``markup`` says.

        Toasts carry names, server messages and paths, so none is ever read as markup and
        each loses its control characters here, the one place all of them pass.
        """
        super().notify(
            printable(message),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # --- errors -------------------------------------------------------------------------

    def report_error(
        self,
        error: LucyError,
        context: str,
        *,
        quiet: bool = False,
        retry: str = RETRY_HINT,
    ) -> None:
        """Tell the user what failed and what to do; an expired session asks to sign in.

        ``retry`` says how to try again (the action's key), for faults that may pass.
        ``quiet``: the caller shows the error itself (a form's error line, say).
        """
        if isinstance(error, UnauthorizedError):
            undone = None if quiet else f"{context}: your session had ended. {retry}"
            self.session_expired(undone)
            return
        if quiet:
            return
        self.notify(error_notice(error, context, retry), severity="error", timeout=8)

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_state(event.worker, event.state)

    def report_worker_state(self, worker: Worker[Any], state: WorkerState) -> None:
        """One place turns any failed worker into a message the user can read.

        ``state`` is the one the message announced: by the time it is handled the worker
        may have moved on, and each of its messages would otherwise report the failure.
        """
        if state is not WorkerState.ERROR:
            return
        error = worker.error
        if isinstance(error, LucyError):
            connecting = worker.group in ("connect", "session") and not self.sessions.active
            where = self.server_url or "the demo firm"
            self.report_error(
                error, f"Could not connect to {where}" if connecting else "The request failed"
            )
            if connecting:
                self.dashboard.show_status(
                    f"Not connected: {error.message} Press ctrl+r to try again."
                )
        else:
            self.log.error("worker failed", worker=worker.name, error=repr(error))
            self.notify(
                f"Something went wrong: {error!r}. Your work is kept; try again.",
                severity="error",
                timeout=10,
            )

    # --- what screens ask for ------------------------------------------------------------

    @on(OpenClient)
    def _open_client(self, message: OpenClient) -> None:
        from lucy_tui.screens.client_detail import ClientDetailScreen

        self.push_screen(
            ClientDetailScreen(
                self.ctx,
                message.client_id,
                message.name,
                tab=message.tab,
                document_id=message.document_id,
            )
        )

    @on(OpenFailedDocuments)
    def _open_failed_documents(self) -> None:
        from lucy_tui.screens.failed_documents import FailedDocumentsScreen

        self.push_screen(FailedDocumentsScreen(self.ctx))

    @on(ClientListLoaded)
    def _client_list_loaded(self) -> None:
        keep_long_lived()  # no collector pause of ~80 ms at 50,000 clients mid-keystroke

    @on(OpenPeppolReadiness)
    def _open_peppol_readiness(self) -> None:
        from lucy_tui.screens.peppol_readiness import PeppolReadinessScreen

        self.push_screen(PeppolReadinessScreen(self.ctx))

    @on(ConnectRequested)
    def _connect_requested(self) -> None:
        self.connect()

    # --- actions ------------------------------------------------------------------------

    def action_help(self) -> None:
        from lucy_tui.screens.help import FILTER_HELP, HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        # a screen with a filter of its own says how it works (HELP_EXTRA)
        extra = (
            FILTER_HELP
            if isinstance(self.screen, DashboardScreen)
            else str(getattr(self.screen, "HELP_EXTRA", ""))
        )
        self.push_screen(HelpScreen(self.screen, extra))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            keys = self._keys_by_action(screen)
            for title, help_text, callback in commands():
                name = getattr(callback, "__name__", "")
                key = keys.get(name.removeprefix("action_")) or keys.get(name)
                yield SystemCommand(title, f"{help_text} ({key})" if key else help_text, callback)
        yield from self._session_commands()
        yield from self._audit_commands()
        yield from super().get_system_commands(screen)

    def _audit_commands(self) -> Iterable[SystemCommand]:
        """The firm's audit log, for admins (the server refuses it to anyone else)."""
        if self.sessions.active and self.session.staff.is_admin:
            yield SystemCommand(
                "Audit: the firm's log",
                "Who changed what, when, in every client's file (admins)",
                self.open_firm_audit,
            )

    def open_firm_audit(self) -> None:
        from lucy_tui.screens.history import FirmAuditScreen

        self.push_screen(FirmAuditScreen(self.ctx))

    def _session_commands(self) -> Iterable[SystemCommand]:
        if not self.embedded and self.sessions.active:
            staff, server = self.session.staff, self.session.server
            yield SystemCommand(
                "Session: sign out",
                printable(
                    f"Sign {staff.email} out of {server}: the session ends on the server and "
                    "the stored token is forgotten"
                ),
                self.sign_out,
            )
        yield SystemCommand(
            "Session: switch server",
            printable(
                f"Connect to another Lucy server instead of {self.server_url or 'the demo firm'}"
            ),
            self.ask_server,
        )

    def _keys_by_action(self, screen: Screen[Any]) -> dict[str, str]:
        """The key of each action active on ``screen``, as the user's keymap has it now."""
        keys: dict[str, str] = {}
        for active in screen.active_bindings.values():
            action = active.binding.action.split("(", 1)[0]
            keys.setdefault(action, self.get_key_display(active.binding))
        # A tab's "reload" is the screen's refresh (ctrl+r loads the client and the tab).
        if "refresh" in keys:
            keys.setdefault("reload", keys["refresh"])
        return keys
