"""What every request can reach: the engine, the clock, the token lifetime, the login limits
(kept in the database, see :mod:`lucy_server.ratelimit`), and this server instance (see
:mod:`lucy_server.instances`). Nothing here holds state that another worker would need: see
docs/reliability.md, "Several workers"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from fastapi import Request
from sqlalchemy.engine import Engine

from lucy_server.instances import Instance, this_process
from lucy_server.peppol.service import PeppolService
from lucy_server.peppol.settings import PeppolSettings
from lucy_server.ratelimit import LoginLimits


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServerState:
    engine: Engine
    clock: Callable[[], datetime] = utc_now
    token_ttl: timedelta = timedelta(hours=12)
    instance: Instance = field(default_factory=this_process)
    peppol_settings: PeppolSettings = field(default_factory=PeppolSettings)
    peppol: PeppolService = field(init=False)
    limiter: LoginLimits = field(init=False)  # in the database: shared by every worker

    def __post_init__(self) -> None:
        self.limiter = LoginLimits(self.engine)
        self.peppol = PeppolService(self.engine, self.peppol_settings, self.clock)

    def now(self) -> datetime:
        """The current time, aware and in UTC (a naive clock is taken as UTC)."""
        value = self.clock()
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def today(self) -> date:
        return self.now().date()


def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.lucy
    return state
