"""The FastAPI application of the reference Lucy backend (DESIGN §4)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import Depends, FastAPI
from sqlalchemy.engine import Engine
from starlette.routing import BaseRoute

from lucy_server import db, idempotency, instances, openapi
from lucy_server.catalogue import install_catalogue
from lucy_server.errors import install_error_handlers
from lucy_server.limits import BodySizeLimitMiddleware
from lucy_server.migrations import check_current
from lucy_server.peppol.service import backfill_lookups
from lucy_server.peppol.settings import PeppolSettings
from lucy_server.query import only_declared_query_parameters
from lucy_server.routes import (
    audit,
    auth,
    banking,
    clients,
    directory,
    documents,
    integrations,
    invoice_settings,
    peppol,
    users,
    vault,
)
from lucy_server.state import ServerState, utc_now

API_PREFIX = "/api/v1"
LOGIN_PATH = f"{API_PREFIX}/auth/login"
ROUTERS = (
    auth,
    directory,
    clients,
    peppol,
    documents,
    vault,
    banking,
    integrations,
    users,
    invoice_settings,
    audit,
)
# The routes of ROUTERS as the first app of this process included them (see _include_routers).
_included: list[BaseRoute] | None = None


def _include_routers(app: FastAPI) -> None:
    """The API's routes, built once per process and shared by every app made in it.

    FastAPI builds an included router's routes for each app (their request and response
    models, their dependencies), on the first request that passes them: about 100 ms for
    this API, paid again by each new app. A server makes one app; the tests make one per
    test (a fresh database each), where it was most of a server test's time. What is built
    holds nothing of the app's own: a request reaches its state through ``request.app``.
    (It does hold the first app as its ``dependency_overrides`` provider: no app here
    overrides a dependency.)
    """
    global _included
    if _included is None:
        before = len(app.router.routes)
        for module in ROUTERS:
            app.include_router(module.router, prefix=API_PREFIX)
        _included = app.router.routes[before:]
        return
    app.router.routes.extend(_included)
    mark_changed = getattr(app.router, "_mark_routes_changed", None)
    if mark_changed is not None:  # FastAPI's cache of the routes' order
        mark_changed()


def create_app(
    database: str | os.PathLike[str] | Engine,
    *,
    clock: Callable[[], datetime] | None = None,
    token_ttl: timedelta = timedelta(hours=12),
    peppol_settings: PeppolSettings | None = None,
) -> FastAPI:
    """The API over ``database`` (an Engine, a SQLAlchemy URL or a SQLite file path).

    The database must be migrated to the newest schema (``lucy-server migrate``,
    :func:`lucy_server.migrations.migrate`): raises
    :class:`~lucy_server.migrations.SchemaNotCurrent` otherwise, and changes no schema
    itself. The integrations catalogue is installed here, not in a lifespan handler, so
    the app works under ``httpx.ASGITransport`` (which runs no lifespan).

    ``peppol_settings``: how clients are looked up on the Peppol network; None: not at all (the
    stored results only; ``lucy-server serve`` reads the settings from the environment).
    """
    engine = database if isinstance(database, Engine) else db.make_engine(database)
    check_current(engine)
    with db.write_tx(engine) as conn:
        install_catalogue(conn)
        backfill_lookups(conn)

    app = FastAPI(
        title="Lucy API",
        version="1.0",
        description="The reference backend of Lucy for accountants.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(only_declared_query_parameters)],
    )
    clock = clock or utc_now
    state = ServerState(
        engine=engine,
        clock=clock,
        token_ttl=token_ttl,
        instance=instances.register(engine, clock()),
        peppol_settings=peppol_settings or PeppolSettings(),
    )
    app.state.lucy = state
    install_error_handlers(app)
    _include_routers(app)
    idempotency.install(app, lambda: state, frozenset({LOGIN_PATH}))
    openapi.install(app, exempt_posts=frozenset({LOGIN_PATH}))
    app.add_middleware(BodySizeLimitMiddleware)
    return app


# ``lucy-server serve --workers N``: each worker process makes its own app from these (the
# command puts them in the environment, which the workers inherit)
DATABASE_ENV = "LUCY_SERVER_DB"
FACTORY = "lucy_server.app:app_from_env"


def app_from_env() -> FastAPI:
    """The app of one worker of ``lucy-server serve --workers N`` (uvicorn's app factory):
    the database of ``LUCY_SERVER_DB`` and the Peppol settings of the ``LUCY_PEPPOL_*``
    variables, as the command resolved them. Everything the workers share lives in that
    database (sessions, idempotency claims, login limits: docs/reliability.md)."""
    database = os.environ.get(DATABASE_ENV, "")
    if not database:
        raise RuntimeError(f"{DATABASE_ENV} is not set: start the workers with lucy-server serve")
    return create_app(database, peppol_settings=PeppolSettings.from_env(lookup_default=True))
