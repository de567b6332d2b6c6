"""``lucy-server``: seed a demo firm, migrate a database's schema, or serve the reference
backend over HTTP."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from fastapi import FastAPI

    from lucy_server.peppol.settings import PeppolSettings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lucy-server",
        description="The reference Lucy backend (FastAPI + SQLite) and its demo data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    seed = commands.add_parser("seed", help="fill an empty database with a demo firm")
    seed.add_argument("--db", required=True, help="SQLite file path or SQLAlchemy URL")
    seed.add_argument("--clients", type=int, default=150, help="number of clients (150)")
    seed.add_argument("--seed", type=int, default=0, help="random seed (0)")
    seed.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the demo's 'today' as YYYY-MM-DD (default: the real date)",
    )

    migrate = commands.add_parser(
        "migrate",
        help="upgrade the database's schema to this version's (back the database up first)",
    )
    migrate.add_argument("--db", required=True, help="SQLite file path or SQLAlchemy URL")

    serve = commands.add_parser(
        "serve", help="serve the API over HTTP with uvicorn (the database must be migrated)"
    )
    serve.add_argument("--db", required=True, help="SQLite file path or SQLAlchemy URL")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind ({DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="migrate and seed the default demo firm if the database is empty",
    )
    serve.add_argument("--log-level", default="info", help="uvicorn log level (info)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help=(
            "worker processes (1); they share everything through the database. On SQLite "
            "they write one at a time: use PostgreSQL for a firm's server"
        ),
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help=(
            "behind a reverse proxy: the proxy addresses (comma-separated, or *) whose "
            "X-Forwarded-For names the client's address; failed sign-ins are limited per "
            "client address. Default: none, X-Forwarded-For is ignored"
        ),
    )
    peppol = serve.add_argument_group(
        "Peppol lookups",
        "Where clients are looked up on the Peppol network (each flag overrides its "
        "LUCY_PEPPOL_* environment variable)",
    )
    peppol.add_argument(
        "--peppol-lookup",
        choices=("on", "off"),
        default=None,
        help="look clients up on the network (LUCY_PEPPOL_LOOKUP; default on)",
    )
    peppol.add_argument(
        "--peppol-sml-zone",
        default=None,
        metavar="ZONE",
        help=(
            "the SML's DNS zone (LUCY_PEPPOL_SML_ZONE; default the production network's "
            "edelivery.tech.ec.europa.eu; the test network's is acc.edelivery.tech.ec.europa.eu)"
        ),
    )
    peppol.add_argument(
        "--peppol-resolver",
        default=None,
        metavar="HOST:PORT",
        help="the DNS server to ask (LUCY_PEPPOL_RESOLVER; default the system's)",
    )
    peppol.add_argument(
        "--peppol-own-smp",
        default=None,
        metavar="HOST",
        help="the host name of Lucy's own SMP: registrations there are 'registered here' "
        "(LUCY_PEPPOL_OWN_SMP)",
    )
    peppol.add_argument(
        "--peppol-allow-http",
        action="store_const",
        const="on",
        default=None,
        help="tests only: accept SMPs over plain http (LUCY_PEPPOL_ALLOW_HTTP=1)",
    )
    peppol.add_argument(
        "--peppol-cache-seconds",
        default=None,
        metavar="SECONDS",
        help="a bulk re-check keeps results younger than this (LUCY_PEPPOL_CACHE_SECONDS; 900)",
    )
    return parser


def peppol_settings(args: argparse.Namespace) -> PeppolSettings:
    """The environment's Peppol settings with the command line's flags over them (lookups
    on unless switched off). Raises SettingError for a value that cannot be understood."""
    from lucy_server.peppol.settings import PeppolSettings

    return PeppolSettings.from_env(lookup_default=True).with_values(
        lookup=args.peppol_lookup,
        sml_zone=args.peppol_sml_zone,
        resolver=args.peppol_resolver,
        own_smp=args.peppol_own_smp,
        allow_http=args.peppol_allow_http,
        cache_seconds=args.peppol_cache_seconds,
    )


def _is_empty(engine: Engine) -> bool:
    """No firm in it: no schema yet, or no staff (changes nothing)."""
    from lucy_server import db
    from lucy_server.migrations import schema_status

    if schema_status(engine).empty:
        return True
    with db.read_tx(engine) as conn:
        if not inspect(conn).has_table(db.staff.name):
            return False  # not a database of ours
        return not conn.scalar(select(func.count()).select_from(db.staff))


def _migrate(args: argparse.Namespace) -> int:
    from alembic.util import CommandError

    from lucy_server.db import make_engine
    from lucy_server.migrations import SchemaNotCurrent, migrate

    engine = make_engine(args.db)
    try:
        done = migrate(engine)
    except SchemaNotCurrent as exc:  # a revision of a newer version of Lucy
        print(f"lucy-server: {exc}", file=sys.stderr)
        return 1
    except CommandError as exc:  # pragma: no cover - Alembic's own refusals
        print(f"lucy-server: {args.db}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if done.changed:
        print(f"Migrated {args.db} from {done.before.describe()} to {done.after}.")
    else:
        print(f"{args.db} is at {done.after}, the newest schema: nothing to do.")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from lucy_server.db import make_engine
    from lucy_server.seed import ADMIN_EMAIL, DEMO_PASSWORD, EMPLOYEE_EMAIL, seed_demo

    if args.clients < 0:
        print("lucy-server: --clients must be 0 or more", file=sys.stderr)
        return 2
    engine = make_engine(args.db)
    if not _is_empty(engine):
        print(f"lucy-server: {args.db} already holds a firm; use a new file", file=sys.stderr)
        return 1
    started = time.perf_counter()
    firm = seed_demo(engine, clients=args.clients, seed=args.seed, today=args.today)
    elapsed = time.perf_counter() - started
    print(
        f"Seeded {firm.clients} clients and {firm.documents} documents in {elapsed:.1f} s "
        f"into {args.db}.\nLogins: {ADMIN_EMAIL} (admin) and {EMPLOYEE_EMAIL} (employee), "
        f"password {DEMO_PASSWORD!r}."
    )
    return 0


def _several_workers(args: argparse.Namespace, engine: Engine, peppol: PeppolSettings) -> None:
    """Hand the database and the resolved settings to the workers through the environment,
    and say what several workers mean on SQLite."""
    from lucy_server.app import DATABASE_ENV

    os.environ[DATABASE_ENV] = args.db
    os.environ.update(peppol.as_environment())
    if engine.dialect.name == "sqlite":
        logging.getLogger("lucy_server").warning(
            "%d workers on SQLite: they read in parallel but write one at a time (each "
            "write waits for the database's lock, up to 30 s); a firm's server runs on "
            "PostgreSQL",
            args.workers,
        )
    engine.dispose()  # the workers open their own connections


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from lucy_server.app import FACTORY, create_app
    from lucy_server.db import make_engine
    from lucy_server.migrations import SchemaNotCurrent, check_current
    from lucy_server.peppol.settings import SettingError
    from lucy_server.seed import seed_demo

    try:
        peppol = peppol_settings(args)
    except SettingError as exc:
        print(f"lucy-server: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(args.db)
    if args.demo and _is_empty(engine):
        firm = seed_demo(engine)  # migrates the empty database first
        print(f"Seeded the demo firm ({firm.clients} clients) into {args.db}.", flush=True)
    try:
        check_current(engine, args.db)
    except SchemaNotCurrent as exc:
        print(f"lucy-server: {exc}", file=sys.stderr)
        return 1
    if args.workers < 1:
        print("lucy-server: --workers must be 1 or more", file=sys.stderr)
        return 2
    app: FastAPI | str = FACTORY
    if args.workers == 1:
        app = create_app(engine, peppol_settings=peppol)
    else:  # each worker makes its app from the environment it inherits (app_from_env)
        _several_workers(args, engine, peppol)
    print(peppol.describe(), flush=True)
    if peppol.lookup and not peppol.own_smp:
        logging.getLogger("lucy_server").warning(
            "LUCY_PEPPOL_OWN_SMP is not set: every client found registered on the Peppol "
            "network will count as registered with another provider"
        )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger("lucy_server").warning(
            "serving on %s: reachable from other machines; use HTTPS in front of it", args.host
        )
    # X-Forwarded-For is believed only from the proxies named: uvicorn's own default trusts
    # it from 127.0.0.1, where any local program could then pose as any address.
    proxies = args.forwarded_allow_ips
    uvicorn.run(
        app,
        factory=args.workers > 1,
        workers=args.workers,
        # the supervisor restarts a worker that does not answer its ping within this: uvicorn's
        # 5 s killed busy workers on a loaded machine (a worker restarted loses its requests)
        timeout_worker_healthcheck=30,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "seed":
        return _seed(args)
    if args.command == "migrate":
        return _migrate(args)
    return _serve(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

__all__ = ["main"]
