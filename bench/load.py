"""Load test of the reference server (issue 13): several workers, 50 staff sessions at once.

``lucy-server serve --workers N`` runs as a real process on a free port of 127.0.0.1 (nothing
else is ever contacted), over a fresh copy of a seeded firm; ``--sessions`` staff sessions
(asyncio + httpx, each signed in as one of the demo firm's five staff members in turn) mix,
for ``--duration`` seconds:

- list pages (40 %): ``GET /clients`` pages of 50, walked by cursor (``after=``);
- detail reads (30 %): ``GET /clients/{id}`` of a client seen in a page;
- edits (20 %): ``GET`` a client then ``PATCH`` its name with ``If-Match``: among ten clients
  per staff member (their first page), so that sessions collide: 412 is a right answer;
- bulk resends (10 %): ``POST /documents/resend`` of 20 Failed documents drawn from the first
  500 the staff member sees (sessions resend the same documents at once), each with an
  ``Idempotency-Key``; a third are sent again with the same key and body, at once (two
  requests racing: one performs, the other gets 409 ``idempotency_in_progress`` and retries,
  or the replay) or afterwards (the replay).

Afterwards, checked against the database and the answers:

- no answer of 500 or more, and no status outside what each request may answer;
- no lost update: each accepted edit got its own version, and every client shows the edit of
  its highest accepted version;
- every document delivered exactly once: per document, the successful deliveries recorded
  during the run equal the ``sent`` results of the answers that performed (a replay performs
  nothing), at most one; the failed deliveries equal the ``failed`` results; a replay repeats
  the first answer.

``python -m bench.load --runs postgresql:4,postgresql:1,sqlite:1,sqlite:4`` runs them one after
the other and prints a table (figures go to bench/README.md). PostgreSQL: a throwaway cluster
(tests/pg.py: PostgreSQL's own binaries, run as the ``postgres`` user when root; fsync off),
seeded once with ``--clients``; each run gets a copy of the seeded database (``CREATE
DATABASE ... TEMPLATE``). SQLite: bench/.cache's seeded firm, copied for each run.
``tests/server/test_load.py`` (marker ``slow``) runs it shorter on PostgreSQL and checks it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

API = "/api/v1"
PASSWORD = "lucy-demo"
STAFF = (
    "admin@demo-firm.be",
    "employee@demo-firm.be",
    "sofie@demo-firm.be",
    "marc@demo-firm.be",
    "lotte@demo-firm.be",
)
MIX = (("list", 0.40), ("detail", 0.30), ("edit", 0.20), ("resend", 0.10))
PAGE = 50
HOT = 10  # clients per staff member that the edits go to
POOL = 500  # Failed documents per staff member that the resends draw from
RESEND = 20  # documents per resend
REPEAT = 0.33  # of the resends: the same key and body again
# what each kind of request may answer (anything else is an error of the run)
EXPECTED = {
    "login": {200},
    "list": {200},
    "detail": {200},
    "read": {200},  # the GET before an edit
    "edit": {200, 412},
    "resend": {200, 409},
}
_SUFFIX = re.compile(r" #\d+\.\d+$")


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(database: str, workers: int, log: Path) -> Iterator[str]:
    """``lucy-server serve --workers N`` over ``database`` on 127.0.0.1; yields its URL."""
    port = free_port()
    env = {**os.environ, "LUCY_PEPPOL_LOOKUP": "off", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "lucy_server.cli", "serve", "--db", database]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--log-level", "warning"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        ready = 0
        while ready < 2 * workers:  # answered a few times: every worker is likely up
            try:
                httpx.get(f"{url}/openapi.json", timeout=5).raise_for_status()
                ready += 1
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(
                        f"lucy-server serve did not start: {log.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the sessions --------------------------------------------------------------------------


@dataclass
class Shared:
    """What the sessions record, for the figures and the checks."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    # client id -> [(version, name)] of every accepted edit
    edits: dict[int, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    conflicts: int = 0
    # document id -> Counter of outcomes in the answers that performed the resend
    outcomes: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    first_answers: dict[str, Any] = field(default_factory=dict)  # idempotency key -> body
    replays: int = 0
    replay_mismatches: int = 0
    in_progress: int = 0
    requests: int = 0
    dropped: list[str] = field(default_factory=list)  # connections lost mid-request


class Session:
    def __init__(
        self, number: int, url: str, shared: Shared, pools: dict[str, list[int]], seed: int
    ) -> None:
        self.number = number
        self.email = STAFF[number % len(STAFF)]
        # idle connections dropped before uvicorn's 5 s keep-alive closes them (else a request
        # can race the close: a ReadError that is nobody's fault)
        limits = httpx.Limits(keepalive_expiry=2)
        self.http = httpx.AsyncClient(base_url=f"{url}{API}", timeout=120, limits=limits)
        self.shared = shared
        self.pool = pools[self.email]
        self.rng = random.Random(seed * 1000 + number)
        self.cursor: str | None = None
        self.seen: list[int] = []
        self.hot: list[int] = []
        self.edits = itertools.count(1)
        self.last_resend: tuple[str, dict[str, Any]] | None = None

    async def request(self, kind: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            # every request here may be sent again (a GET, a PATCH with If-Match, a POST with
            # its Idempotency-Key): counted, then tried once more
            self.shared.dropped.append(f"{kind} {method} {path}: {exc!r}")
            response = await self.http.request(method, path, **kwargs)
        self.shared.latencies[kind].append(time.perf_counter() - started)
        self.shared.requests += 1
        self.shared.statuses[kind, response.status_code] += 1
        if response.status_code not in EXPECTED[kind]:
            self.shared.unexpected.append(
                f"{kind} {method} {path}: {response.status_code} {response.text[:300]}"
            )
        return response

    async def sign_in(self) -> None:
        response = await self.request(
            "login", "POST", "/auth/login", json={"email": self.email, "password": PASSWORD}
        )
        response.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        await self.list_page()
        self.hot = self.seen[:HOT]

    async def run(self, deadline: float) -> None:
        kinds = [kind for kind, _ in MIX]
        weights = [weight for _, weight in MIX]
        while time.monotonic() < deadline:
            kind = self.rng.choices(kinds, weights)[0]
            await getattr(self, kind.replace("list", "list_page"))()

    async def list_page(self) -> None:
        params: dict[str, Any] = {"page_size": PAGE}
        if self.cursor:
            params["after"] = self.cursor
        response = await self.request("list", "GET", "/clients", params=params)
        if response.status_code == 200:
            page = response.json()
            self.cursor = page.get("next")  # None at the end: start again
            self.seen = [item["id"] for item in page["items"]] or self.seen

    async def detail(self) -> None:
        if self.seen:
            await self.request("detail", "GET", f"/clients/{self.rng.choice(self.seen)}")

    async def edit(self) -> None:
        if not self.hot:
            return
        client_id = self.rng.choice(self.hot)
        read = await self.request("read", "GET", f"/clients/{client_id}")
        if read.status_code != 200:
            return
        base = _SUFFIX.sub("", read.json()["name"])[:180]
        name = f"{base} #{self.number}.{next(self.edits)}"
        response = await self.request(
            "edit",
            "PATCH",
            f"/clients/{client_id}",
            json={"name": name},
            headers={"If-Match": read.headers["etag"]},
        )
        if response.status_code == 200:
            body = response.json()
            self.shared.edits[client_id].append((body["version"], body["name"]))
        elif response.status_code == 412:
            self.shared.conflicts += 1

    async def resend(self) -> None:
        if not self.pool:
            return
        if self.last_resend is not None and self.rng.random() < REPEAT:
            key, body = self.last_resend
            self.last_resend = None
            if self.rng.random() < 0.5:  # again, afterwards: the replay
                await self.post_resend(key, body)
                return
        else:
            key = uuid.uuid4().hex
            body = {"document_ids": self.rng.sample(self.pool, min(RESEND, len(self.pool)))}
            self.last_resend = (key, body)
        # at once, twice: one performs, the other waits (409) or replays
        await asyncio.gather(self.post_resend(key, body), self.post_resend(key, body))

    async def post_resend(self, key: str, body: dict[str, Any]) -> None:
        while True:
            response = await self.request(
                "resend", "POST", "/documents/resend", json=body, headers={"Idempotency-Key": key}
            )
            if response.status_code != 409:
                break
            self.shared.in_progress += 1
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        if response.status_code != 200:
            return
        answer = response.json()
        if response.headers.get("idempotent-replayed") == "true":
            self.shared.replays += 1
            first = self.shared.first_answers.get(key)
            if first is not None and first != answer:
                self.shared.replay_mismatches += 1
            return
        if key in self.shared.first_answers:  # performed twice: a broken idempotency
            self.shared.replay_mismatches += 1
        self.shared.first_answers[key] = answer
        for result in answer["results"]:
            self.shared.outcomes[result["document_id"]][result["outcome"]] += 1

    async def aclose(self) -> None:
        await self.http.aclose()


async def failed_pools(url: str) -> dict[str, list[int]]:
    """The first :data:`POOL` Failed documents each staff member sees."""
    pools: dict[str, list[int]] = {}
    async with httpx.AsyncClient(base_url=f"{url}{API}", timeout=120) as http:
        for email in STAFF:
            login = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            page = await http.get(
                "/documents", params={"status": "failed", "page_size": POOL}, headers=headers
            )
            page.raise_for_status()
            pools[email] = [item["id"] for item in page.json()["items"]]
    return pools


async def drive(url: str, sessions: int, duration: float, seed: int) -> tuple[Shared, float]:
    shared = Shared()
    pools = await failed_pools(url)
    clients = [Session(number, url, shared, pools, seed) for number in range(sessions)]
    try:
        await asyncio.gather(*(client.sign_in() for client in clients))
        shared.latencies.clear()  # the figures are of the mixed load, not the sign-ins
        shared.requests = 0
        started = time.monotonic()
        await asyncio.gather(*(client.run(started + duration) for client in clients))
        elapsed = time.monotonic() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return shared, elapsed


# --- the checks ----------------------------------------------------------------------------


def check(url: str, database: str, shared: Shared, deliveries_before: int) -> list[str]:
    """What went wrong (nothing: an empty list)."""
    problems = [f"unexpected answer: {line}" for line in shared.unexpected[:20]]
    errors = sum(count for (_, status), count in shared.statuses.items() if status >= 500)
    if errors:
        problems.append(f"{errors} answers of 500 or more")
    if shared.replay_mismatches:
        problems.append(f"{shared.replay_mismatches} replays differ from the first answer")
    # no lost update
    login = httpx.post(
        f"{url}{API}/auth/login", json={"email": STAFF[0], "password": PASSWORD}, timeout=60
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for client_id, accepted in shared.edits.items():
        versions = [version for version, _ in accepted]
        if len(set(versions)) != len(versions):
            problems.append(f"client {client_id}: two accepted edits got one version {versions}")
        final = httpx.get(f"{url}{API}/clients/{client_id}", headers=headers, timeout=60).json()
        version, name = max(accepted)
        if final["name"] != name or final["version"] < version:
            problems.append(
                f"client {client_id}: lost update: shows {final['name']!r} v{final['version']}, "
                f"the last accepted edit was {name!r} v{version}"
            )
    # every document delivered exactly once
    delivered = deliveries_since(database, deliveries_before)
    for document_id in set(delivered) | set(shared.outcomes):
        rows = delivered.get(document_id, Counter())
        said = shared.outcomes.get(document_id, Counter())
        if rows[True] > 1:
            problems.append(f"document {document_id} delivered {rows[True]} times")
        if (rows[True], rows[False]) != (said["sent"], said["failed"]):
            problems.append(
                f"document {document_id}: {rows[True]} deliveries and {rows[False]} failed "
                f"attempts recorded, the answers said sent {said['sent']}, failed {said['failed']}"
            )
    return problems


def _engine(database: str) -> Any:
    from lucy_server.db import make_engine

    return make_engine(database)


def deliveries_count(database: str) -> int:
    from sqlalchemy import func, select

    from lucy_server import db

    engine = _engine(database)
    try:
        with db.read_tx(engine) as conn:
            return int(conn.scalar(select(func.coalesce(func.max(db.deliveries.c.id), 0))) or 0)
    finally:
        engine.dispose()


def deliveries_since(database: str, after_id: int) -> dict[int, Counter[bool]]:
    from sqlalchemy import select

    from lucy_server import db

    engine = _engine(database)
    found: dict[int, Counter[bool]] = defaultdict(Counter)
    try:
        with db.read_tx(engine) as conn:
            rows = conn.execute(
                select(db.deliveries.c.document_id, db.deliveries.c.success).where(
                    db.deliveries.c.id > after_id
                )
            )
            for document_id, success in rows:
                found[document_id][bool(success)] += 1
    finally:
        engine.dispose()
    return found


# --- one run -------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    workers: int
    sessions: int
    duration: float
    requests: int
    throughput: float
    p50: float
    p95: float
    p99: float
    by_kind: dict[str, dict[str, float]]
    statuses: dict[str, int]
    accepted_edits: int
    conflicts: int
    documents_sent: int
    replays: int
    in_progress: int
    dropped: list[str]
    problems: list[str]

    def row(self) -> str:
        ms = 1000
        return (
            f"| {self.backend} | {self.workers} | {self.sessions} | {self.duration:.0f} s | "
            f"{self.requests:,} | {self.throughput:.0f}/s | {self.p50 * ms:.0f} ms | "
            f"{self.p95 * ms:.0f} ms | {self.p99 * ms:.0f} ms | {self.accepted_edits:,} / "
            f"{self.conflicts:,} | {self.documents_sent:,} | "
            f"{'none' if not self.problems else len(self.problems)} |"
        )


def quantiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        value = values[0] if values else 0.0
        return value, value, value
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def run(
    database: str,
    *,
    backend: str,
    workers: int,
    sessions: int = 50,
    duration: float = 60.0,
    seed: int = 0,
    log: Path | None = None,
) -> Result:
    """One load run over ``database`` (a fresh copy: the run changes it)."""
    before = deliveries_count(database)
    with tempfile.TemporaryDirectory() as scratch:
        log = log or Path(scratch) / "serve.log"
        with serve(database, workers, log) as url:
            shared, elapsed = asyncio.run(drive(url, sessions, duration, seed))
            problems = check(url, database, shared, before)
        text = log.read_text(errors="replace")
    if shared.dropped:
        problems.append(f"{len(shared.dropped)} connections lost mid-request: {shared.dropped[:3]}")
    if "died" in text or "was not ready" in text:
        problems.append("a worker died or was restarted")
    if "Traceback" in text:
        problems.append(f"the server logged an exception: {text[text.index('Traceback') :][:1500]}")
    every = [value for values in shared.latencies.values() for value in values]
    p50, p95, p99 = quantiles(every)
    by_kind = {}
    for kind, values in sorted(shared.latencies.items()):
        k50, k95, k99 = quantiles(values)
        by_kind[kind] = {"count": len(values), "p50": k50, "p95": k95, "p99": k99}
    return Result(
        backend=backend,
        workers=workers,
        sessions=sessions,
        duration=elapsed,
        requests=shared.requests,
        throughput=shared.requests / elapsed,
        p50=p50,
        p95=p95,
        p99=p99,
        by_kind=by_kind,
        statuses={f"{kind} {status}": n for (kind, status), n in sorted(shared.statuses.items())},
        accepted_edits=sum(len(accepted) for accepted in shared.edits.values()),
        conflicts=shared.conflicts,
        documents_sent=sum(outcome["sent"] for outcome in shared.outcomes.values()),
        replays=shared.replays,
        in_progress=shared.in_progress,
        dropped=shared.dropped,
        problems=problems,
    )


# --- the firms -----------------------------------------------------------------------------


class PostgresFirms:
    """A throwaway cluster (tests/pg.py) with the firm seeded once; a copy per run."""

    def __init__(self, clients: int, url: str | None = None, cluster: Any = None) -> None:
        """``url``: a seeded database to copy; else the firm is seeded into ``cluster`` (a
        tests/pg.py cluster: the tests'), or into a cluster started here and stopped by
        :meth:`close`."""
        self.own_cluster = url is None and cluster is None
        self.cluster = cluster
        self.numbers = itertools.count(1)
        if url is None:
            if cluster is None:
                sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
                from tests import pg

                self.cluster = pg.start()
            name = f"firm_{clients}_{os.getpid()}"
            url = self.cluster.url(name)
            self.url = url
            self._admin(f'CREATE DATABASE "{name}"')
            self.seconds = seed(url, clients)
        self.url = url
        self.migrate()
        self.analyze()

    def migrate(self) -> None:
        """A firm seeded by an earlier version, maybe: brought to this one's schema."""
        from lucy_server.db import make_engine
        from lucy_server.migrations import ensure_current

        engine = make_engine(self.url)
        try:
            ensure_current(engine)
        finally:
            engine.dispose()

    def analyze(self) -> None:
        """Gather the planner's statistics of the seeded firm (kept by each copy): the tests'
        cluster runs without autovacuum, and without statistics PostgreSQL planned a client's
        PATCH at 257 ms instead of 25 ms (a firm's server has autovacuum on)."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
        finally:
            engine.dispose()

    def _admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, make_url, text

        admin = make_url(self.url).set(database="postgres")
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def copy(self) -> str:
        from sqlalchemy import make_url

        template = make_url(self.url)
        name = f"load_{os.getpid()}_{next(self.numbers)}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}" STRATEGY FILE_COPY')
        return template.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        from sqlalchemy import make_url

        self._admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        if self.own_cluster:
            self.cluster.stop()


SEED = [sys.executable, "-m", "lucy_server.cli", "seed"]


def seed(database: str, clients: int) -> float:
    """``lucy-server seed`` of ``clients`` clients; the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [*SEED, "--db", database, "--clients", str(clients)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument(
        "--runs",
        default="postgresql:4,postgresql:1,sqlite:1,sqlite:4",
        help="backend:workers, comma-separated (postgresql:4,postgresql:1,sqlite:1,sqlite:4)",
    )
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per run (60)")
    parser.add_argument("--clients", type=int, default=50_000, help="the firm's size (50,000)")
    parser.add_argument("--pg-url", default=None, help="a seeded PostgreSQL database to copy")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--logs", type=Path, default=None, help="keep the servers' logs here")
    args = parser.parse_args(argv)
    runs = [
        (backend, int(workers)) for backend, workers in (r.split(":") for r in args.runs.split(","))
    ]
    results: list[Result] = []
    postgres: PostgresFirms | None = None
    try:
        for backend, workers in runs:
            if backend == "postgresql":
                if postgres is None:
                    started = time.perf_counter()
                    postgres = PostgresFirms(args.clients, args.pg_url)
                    print(f"PostgreSQL firm ready in {time.perf_counter() - started:.0f} s")
                database = postgres.copy()
            else:
                from bench.firms import firm

                scratch = Path(tempfile.mkdtemp(prefix="lucy-load-"))
                shutil.copy(firm(args.clients), scratch / "lucy.db")
                database = str(scratch / "lucy.db")
            try:
                result = run(
                    database,
                    backend=backend,
                    workers=workers,
                    sessions=args.sessions,
                    duration=args.duration,
                    log=args.logs / f"{backend}-{workers}.log" if args.logs else None,
                )
            finally:
                if backend == "postgresql" and postgres is not None:
                    postgres.drop(database)
                else:
                    shutil.rmtree(Path(database).parent, ignore_errors=True)
            results.append(result)
            print(result.row(), flush=True)
            for problem in result.problems[:10] + result.dropped[:10]:
                print("   ", problem)
    finally:
        if postgres is not None:
            postgres.close()
    print(
        "\n| backend | workers | sessions | duration | requests | throughput | p50 | p95 | p99 "
        "| edits accepted / 412 | documents sent | problems |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        print(result.row())
    if args.json:
        args.json.write_text(json.dumps([result.__dict__ for result in results], indent=2))
    return 1 if any(result.problems for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
