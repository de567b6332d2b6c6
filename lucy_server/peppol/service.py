"""Looking clients up and keeping what was found: in the background, on demand, in bulk.

Lookups run on one event loop in a thread of their own (started at the first lookup), at
most ``settings.concurrency`` at a time for the whole server, so that neither a slow DNS
server nor a firm-wide re-check ever holds up a request that did not ask for it: a new
client's lookup is handed to that loop and the answer goes out at once.

Stored results (``db.peppol_lookups``): a good result (here, elsewhere, not registered)
replaces the last one and sets ``checked_at``; a failure only sets ``failed_at`` and its
reason, so the last good result stands, stale. The Peppol registration's
``registered_elsewhere`` and ``other_provider`` follow the last good result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import dns.asyncresolver
from sqlalchemy import literal, select, update
from sqlalchemy.engine import Connection, Engine

from lucy_server import audit, db
from lucy_server.peppol.lookup import LookupResult, lookup_company
from lucy_server.peppol.settings import PeppolSettings
from lucy_server.peppol.sml import make_resolver
from lucy_tui.api.models import AuditKind, PeppolLookup, PeppolLookupState

log = logging.getLogger("lucy_server.peppol")
T = TypeVar("T")

_l = db.peppol_lookups
_r = db.peppol_registrations
GOOD = frozenset(
    {
        PeppolLookupState.REGISTERED_HERE,
        PeppolLookupState.REGISTERED_ELSEWHERE,
        PeppolLookupState.NOT_REGISTERED,
    }
)


def lookup_model(row: Any | None) -> PeppolLookup:
    """A ``peppol_lookups`` row (None: never checked) as the wire's ``PeppolLookup``."""
    if row is None:
        return PeppolLookup()
    good = PeppolLookupState(row.state) if row.state else None
    failed = row.failed_at is not None
    return PeppolLookup(
        state=PeppolLookupState.LOOKUP_FAILED if failed else (good or PeppolLookupState.UNCHECKED),
        provider=row.provider,
        seat_id=row.seat_id,
        smp_host=row.smp_host,
        access_point_url=row.access_point_url,
        participant_id=row.participant_id,
        checked_at=row.checked_at,
        message=row.failure if failed else row.note,
        last_good_state=good,
        failed_at=row.failed_at,
    )


def read_lookup(conn: Connection, client_id: int) -> PeppolLookup:
    return lookup_model(conn.execute(select(_l).where(_l.c.client_id == client_id)).first())


def provider_name(result: LookupResult) -> str | None:
    """Who the client is registered with, as the warning names it."""
    if result.state is not PeppolLookupState.REGISTERED_ELSEWHERE:
        return None
    if result.provider:
        return result.provider
    if result.seat_id:
        return f"the provider with seat id {result.seat_id}"
    return f"the provider behind {result.smp_host}" if result.smp_host else "another provider"


def store_result(conn: Connection, client_id: int, result: LookupResult, now: datetime) -> None:
    """Keep a lookup's result (a failure keeps the last good result, stale)."""
    if result.state in GOOD:
        values: dict[str, Any] = {
            "state": result.state.value,
            "participant_id": result.participant_id,
            "provider": result.provider,
            "seat_id": result.seat_id,
            "smp_host": result.smp_host,
            "access_point_url": result.access_point_url,
            "note": result.message,
            "checked_at": now,
            "failed_at": None,
            "failure": None,
        }
    else:
        values = {"failed_at": now, "failure": result.message or "the lookup failed"}
    updated = conn.execute(update(_l).where(_l.c.client_id == client_id).values(**values))
    if not updated.rowcount:
        conn.execute(_l.insert().values(client_id=client_id, **values))
    if result.state not in GOOD:
        return
    elsewhere = result.state is PeppolLookupState.REGISTERED_ELSEWHERE
    provider = provider_name(result)
    registration = conn.execute(select(_r).where(_r.c.client_id == client_id)).first()
    if registration is not None and (
        registration.registered_elsewhere != elsewhere or registration.other_provider != provider
    ):
        conn.execute(
            update(_r)
            .where(_r.c.client_id == client_id)
            .values(
                registered_elsewhere=elsewhere,
                other_provider=provider,
                version=registration.version + 1,
            )
        )


SERVER = audit.Actor(None, "Lucy server")  # a lookup nobody asked for


def _audited(lookup: PeppolLookup) -> dict[str, Any]:
    """What a lookup's audit record says of the stored result."""
    return {
        "state": lookup.state.value,
        "provider": lookup.provider,
        "participant_id": lookup.participant_id,
        "message": lookup.message,
    }


class PeppolService:
    """The server's Peppol lookups (one per app)."""

    def __init__(
        self, engine: Engine, settings: PeppolSettings, clock: Callable[[], datetime]
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._semaphore: asyncio.Semaphore | None = None
        self._resolver: dns.asyncresolver.Resolver | None = None
        self._pending: set[Future[Any]] = set()
        self._pending_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.settings.lookup

    # --- the lookup loop --------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    self._semaphore = asyncio.Semaphore(max(1, self.settings.concurrency))
                    self._resolver = make_resolver(self.settings)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="peppol-lookups", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def _submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._ensure_loop())
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._pending_lock:
            self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("a Peppol lookup failed unexpectedly", exc_info=future.exception())

    def close(self) -> None:
        """Stop the lookup loop (lookups under way are abandoned)."""
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no lookup is under way (tests; a shutdown)."""
        with self._pending_lock:
            pending = list(self._pending)
        for future in pending:
            with contextlib.suppress(Exception):  # reported by _done
                future.result(timeout=timeout)

    # --- lookups ------------------------------------------------------------------------

    async def _lookup(self, enterprise_number: str) -> LookupResult:
        assert self._semaphore is not None
        async with self._semaphore:
            try:
                return await lookup_company(enterprise_number, self.settings, self._resolver)
            except Exception as exc:  # a bug or an answer nobody foresaw: a failed lookup
                log.exception("Peppol lookup of %s failed", enterprise_number)
                return LookupResult(
                    PeppolLookupState.LOOKUP_FAILED,
                    message=f"the lookup failed unexpectedly ({type(exc).__name__})",
                )

    def _now(self) -> datetime:
        value = self.clock()
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def _enterprise(self, client_id: int) -> str | None:
        with db.read_tx(self.engine) as conn:
            return conn.scalar(
                select(db.clients.c.enterprise_number).where(db.clients.c.id == client_id)
            )

    async def _check_and_store(
        self, client_id: int, enterprise_number: str, actor: audit.Actor | None
    ) -> LookupResult:
        result = await self._lookup(enterprise_number)
        await asyncio.to_thread(self._store, client_id, result, actor)
        return result

    def _store(self, client_id: int, result: LookupResult, actor: audit.Actor | None) -> None:
        """Keep the result and, with it, the audit record of who asked for the lookup."""
        with db.write_tx(self.engine) as conn:
            exists = conn.scalar(select(db.clients.c.id).where(db.clients.c.id == client_id))
            if exists is None:  # deleted meanwhile: nothing to keep
                return
            before = _audited(read_lookup(conn, client_id))
            now = self._now()
            store_result(conn, client_id, result, now)
            after = _audited(read_lookup(conn, client_id))
            audit.record(
                conn,
                actor or SERVER,
                AuditKind.PEPPOL_LOOKED_UP,
                client_id,
                before,
                after,
                now=now,
            )

    def check_in_background(
        self, client_id: int, enterprise_number: str, actor: audit.Actor | None = None
    ) -> None:
        """Look a client up without waiting for it (a new client)."""
        if self.enabled:
            self._submit(self._check_and_store(client_id, enterprise_number, actor))

    def check_now(
        self, client_id: int, enterprise_number: str, actor: audit.Actor | None = None
    ) -> LookupResult:
        """Look a client up now and keep the result (blocks the calling thread)."""
        return self._submit(self._check_and_store(client_id, enterprise_number, actor)).result()

    def check_many(
        self, clients: Sequence[tuple[int, str]], actor: audit.Actor | None = None
    ) -> dict[int, LookupResult]:
        """Look these clients up (at most ``concurrency`` at a time) and keep the results."""

        async def run_all() -> list[LookupResult]:
            # every lookup runs to its end (each kept in a transaction of its own, with its
            # audit record) before a failure of one is raised
            outcomes = await asyncio.gather(
                *(self._check_and_store(client_id, number, actor) for client_id, number in clients),
                return_exceptions=True,
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
            return [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]

        results = self._submit(run_all()).result()
        return {client_id: result for (client_id, _), result in zip(clients, results, strict=True)}

    def fresh(self, lookup: PeppolLookup, now: datetime) -> bool:
        """Whether a stored lookup is younger than the cache lifetime."""
        last = max(
            (moment for moment in (lookup.checked_at, lookup.failed_at) if moment is not None),
            default=None,
        )
        return last is not None and now - last < timedelta(seconds=self.settings.cache_seconds)


def backfill_lookups(conn: Connection) -> None:
    """Databases from before network lookups: a stored "registered elsewhere" becomes a
    lookup result (when checked unknown), so the list's filters and the warning agree."""
    conn.execute(
        _l.insert().from_select(
            ["client_id", "state", "provider"],
            select(
                _r.c.client_id,
                literal(PeppolLookupState.REGISTERED_ELSEWHERE.value),
                _r.c.other_provider,
            ).where(
                _r.c.registered_elsewhere.is_(True),
                ~select(_l.c.client_id).where(_l.c.client_id == _r.c.client_id).exists(),
            ),
        )
    )
