"""Security of the reference server: password hashes, session tokens, logs, the failed-login
limit, and where ``lucy-server serve`` listens.

Covered elsewhere and referenced in docs/reliability.md: the scrypt prefix and a salted
``hash_password`` (tests/server/test_auth.py), the sessions table holding the digest
(test_auth.py), 5 failures -> 429 with Retry-After and another account unaffected
(test_auth.py), the fallback token file 0600 in a 0700 directory (tests/unit/test_tokens.py,
tests/tui/test_sign_in.py).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select

from lucy_server import auth as server_auth
from lucy_server import db, security
from lucy_server.app import create_app
from lucy_server.cli import DEFAULT_HOST, _parser, main
from lucy_server.ratelimit import MAX_SOURCE_FAILURES, LoginLimits, Refusal
from lucy_server.seed import STAFF
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import RateLimitedError, UnauthorizedError
from tests.conftest import FakeClock, SeededFirm

from .conftest import ADMIN, API, EMPLOYEE, PASSWORD, bearer
from .test_idempotency_faults import lucy_server

WRONG = "not-the-password-7f3a"


async def login(raw: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await raw.post(f"{API}/auth/login", json={"email": email, "password": password})


async def token_of(raw: httpx.AsyncClient, email: str = ADMIN) -> str:
    response = await login(raw, email, PASSWORD)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def every_value(app: FastAPI) -> str:
    """Every value of every row of every table, as text."""
    parts: list[str] = []
    with db.read_tx(app.state.lucy.engine) as conn:
        for table in db.metadata.tables.values():
            for row in conn.execute(select(table)).all():
                parts.extend(
                    value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    for value in row
                )
    return "\n".join(parts)


# --- passwords --------------------------------------------------------------------------------


def test_every_staff_password_is_its_own_salted_scrypt_hash(server_app: FastAPI) -> None:
    with db.read_tx(server_app.state.lucy.engine) as conn:
        hashes = conn.scalars(select(db.staff.c.password_hash)).all()
    assert len(hashes) == len(STAFF)  # every demo account has the same password ...
    assert len(set(hashes)) == len(hashes)  # ... and yet its own hash (its own salt)
    for stored in hashes:
        assert PASSWORD not in stored
        prefix, n, r, p, salt_b64, digest_b64 = stored.split("$")
        salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        assert prefix == "scrypt" and int(n) >= 2**14 and int(r) >= 8
        assert len(salt) >= 16 and len(digest) >= 32
        expected = hashlib.scrypt(
            PASSWORD.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(digest)
        )
        assert digest == expected  # scrypt of the password, nothing weaker


async def test_passwords_are_compared_in_constant_time(
    raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    assert (await login(raw, ADMIN, WRONG)).status_code == 401
    assert (await login(raw, "nobody@demo-firm.be", WRONG)).status_code == 401
    assert (await login(raw, ADMIN, PASSWORD)).status_code == 200
    # a scrypt digest compared each time, an unknown account included (same time taken)
    assert len(compared) == 3
    assert all(len(a) == len(b) == 32 for a, b in compared)


# --- tokens -----------------------------------------------------------------------------------


async def test_tokens_are_random_256_bits_and_never_repeat(raw: httpx.AsyncClient) -> None:
    tokens = [await token_of(raw) for _ in range(4)]  # the same account, the same instant
    tokens += [await token_of(raw, EMPLOYEE) for _ in range(2)]
    tokens += [security.new_token() for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens[:6]:
        raw_bytes = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw_bytes) * 8 >= 256  # at least 128 bits asked; 256 given
    # the bits look random: every base64url symbol turns up across the tokens
    assert len(set("".join(tokens))) == 64


async def test_the_database_never_holds_a_raw_token(
    raw: httpx.AsyncClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    token = await token_of(raw)
    action = await raw.post(
        f"{API}/clients/{cases['rich']}/invite",
        headers={**bearer(token), "Idempotency-Key": "security-invite"},
    )
    assert action.status_code == 409  # an active client; the answer is stored for the key
    stored = every_value(server_app)
    assert security.token_digest(token) in stored  # the sessions table has the digest
    assert token not in stored and PASSWORD not in stored


async def test_tokens_are_found_by_their_digest_only(
    raw: httpx.AsyncClient, server_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await token_of(raw)
    digested: list[str] = []
    real = server_auth.token_digest

    def spy(value: str) -> str:
        digested.append(value)
        return real(value)

    monkeypatch.setattr(server_auth, "token_digest", spy)
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append(f"{statement} {parameters!r}")

    engine = server_app.state.lucy.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert (await raw.get(f"{API}/me", headers=bearer(token))).status_code == 200
        near_miss = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert (await raw.get(f"{API}/me", headers=bearer(near_miss))).status_code == 401
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert digested == [token, near_miss]
    queries = "\n".join(sent)
    assert real(token) in queries  # the lookup is an equality on the sha256 digest ...
    assert token not in queries and near_miss not in queries  # ... never the token itself


# --- logs ---------------------------------------------------------------------------------------


async def test_neither_passwords_nor_tokens_are_logged(
    raw: httpx.AsyncClient, cases: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, and the SQL statements with their parameters:
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # (SQLAlchemy keeps its own at WARN)
    assert (await login(raw, ADMIN, WRONG)).status_code == 401
    token = await token_of(raw)
    headers = bearer(token)
    assert (await raw.get(f"{API}/me", headers=headers)).status_code == 200
    sent = await raw.post(
        f"{API}/clients/{cases['ftp_package']}/documents/send",
        json={"document_ids": [1]},
        headers={**headers, "Idempotency-Key": "logged-or-not"},
    )
    assert sent.status_code == 200
    assert (await raw.post(f"{API}/auth/logout", headers=headers)).status_code == 204
    assert (await raw.get(f"{API}/me", headers=headers)).status_code == 401

    logged = caplog.text + "\n".join(str(record.__dict__) for record in caplog.records)
    assert any(record.name.startswith("sqlalchemy.engine") for record in caplog.records)
    assert security.token_digest(token) in logged  # the queries were logged, with parameters
    for secret in (token, PASSWORD, WRONG):
        assert secret not in logged


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp* show them) listening on ``port``."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.sqlite_only("the access log and address: not the database's doing")
def test_the_served_access_log_holds_no_secret_and_only_loopback_listens(
    seeded_template: SeededFirm, tmp_path: Path
) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux's /proc/net/tcp to see where the server listens")
    database = tmp_path / "lucy.db"
    database.write_bytes(seeded_template.path.read_bytes())
    log = tmp_path / "serve.log"
    with lucy_server(database, log, "--log-level", "debug") as base:  # no --host given
        port = int(base.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
        with httpx.Client(base_url=base, timeout=30) as client:
            wrong = client.post(f"{API}/auth/login", json={"email": ADMIN, "password": WRONG})
            assert wrong.status_code == 401
            answer = client.post(f"{API}/auth/login", json={"email": ADMIN, "password": PASSWORD})
            token = answer.json()["access_token"]
            assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
            assert client.post(f"{API}/auth/logout", headers=bearer(token)).status_code == 204
    text = log.read_text(errors="replace")
    assert '"POST /api/v1/auth/login HTTP/1.1" 401' in text  # the access log is on
    assert '"GET /api/v1/me HTTP/1.1" 200' in text
    for secret in (token, PASSWORD, WRONG):
        assert secret not in text


# --- the failed-login limit ------------------------------------------------------------------


async def test_a_success_resets_the_count_of_failures(raw: httpx.AsyncClient) -> None:
    for _ in range(4):
        assert (await login(raw, EMPLOYEE, WRONG)).status_code == 401
    assert (await login(raw, EMPLOYEE, PASSWORD)).status_code == 200
    for _ in range(4):  # four more: counted from zero again
        assert (await login(raw, EMPLOYEE, WRONG)).status_code == 401
    assert (await login(raw, EMPLOYEE, PASSWORD)).status_code == 200


async def test_the_lock_out_counts_down_and_ends_with_its_window(
    raw: httpx.AsyncClient, clock: FakeClock
) -> None:
    for _ in range(5):
        assert (await login(raw, ADMIN, WRONG)).status_code == 401
    locked = await login(raw, ADMIN, PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "60"
    assert locked.json()["error"]["details"] == {"retry_after": 60}
    clock.advance(seconds=45)
    again = await login(raw, ADMIN, WRONG)  # a try while locked is not counted
    assert (again.status_code, again.headers["retry-after"]) == (429, "15")
    clock.advance(seconds=15)
    assert (await login(raw, ADMIN, PASSWORD)).status_code == 200


async def test_the_account_is_the_normalised_email(raw: httpx.AsyncClient) -> None:
    for variant in ("admin@demo-firm.be", "ADMIN@demo-firm.be", " Admin@Demo-Firm.be ") * 2:
        if (await login(raw, variant, WRONG)).status_code == 429:
            break
    else:
        pytest.fail("spelling the address differently escaped the limit")
    assert (await login(raw, ADMIN, PASSWORD)).status_code == 429
    assert (await login(raw, EMPLOYEE, PASSWORD)).status_code == 200  # another account


async def test_unknown_accounts_are_limited_alike_so_the_limit_reveals_nothing(
    raw: httpx.AsyncClient,
) -> None:
    answers = {}
    for email in (ADMIN, "nobody@demo-firm.be"):
        answers[email] = [(await login(raw, email, WRONG)).status_code for _ in range(6)]
    assert answers[ADMIN] == answers["nobody@demo-firm.be"] == [401] * 5 + [429]


def test_a_spray_of_other_names_does_not_lift_a_lock_out(server_app: FastAPI) -> None:
    engine = server_app.state.lucy.engine
    limits = LoginLimits(engine, max_rows=50)

    def fail(account: str, source: str, now: datetime) -> Refusal | None:
        with db.write_tx(engine) as conn:
            return limits.settle(conn, account, source, now, ok=False)

    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    for _ in range(5):
        assert fail("admin@demo-firm.be", "203.0.113.1", now) is None
    fail("employee@demo-firm.be", "203.0.113.1", now)
    for number in range(200):  # far more names, from as many addresses, than the table keeps
        fail(f"spray-{number}@example.com", f"198.51.100.{number}", now)
    assert limits.check("admin@demo-firm.be", "203.0.113.1", now) == Refusal(60, False)
    with db.read_tx(engine) as conn:
        assert limits.failures(conn) <= 51  # the table stays bounded
    later = now + timedelta(minutes=2)
    for number in range(60):  # old failures are what goes first
        fail(f"later-{number}@example.com", f"192.0.2.{number}", later)
    assert limits.check("admin@demo-firm.be", "203.0.113.1", later) is None
    fail("admin@demo-firm.be", "203.0.113.1", later + timedelta(minutes=6))
    with db.read_tx(engine) as conn:
        assert limits.failures(conn) == 1  # older than both windows: gone


# --- where the server listens -----------------------------------------------------------------


def migrated(path: Path) -> str:
    """A new database at the newest schema (serve refuses one that is not)."""
    assert main(["migrate", "--db", str(path)]) == 0
    return str(path)


def test_serve_binds_loopback_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "address to bind (127.0.0.1)" in " ".join(capsys.readouterr().out.split())
    args = _parser().parse_args(["serve", "--db", str(tmp_path / "x.db")])
    assert args.host == DEFAULT_HOST == "127.0.0.1"

    import uvicorn

    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: runs.append(kwargs))
    assert main(["serve", "--db", migrated(tmp_path / "a.db")]) == 0
    assert runs[-1]["host"] == "127.0.0.1"


def test_another_address_only_when_asked_and_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import uvicorn

    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: runs.append(kwargs))
    assert main(["serve", "--db", migrated(tmp_path / "b.db"), "--host", "0.0.0.0"]) == 0
    assert runs[-1]["host"] == "0.0.0.0"
    assert "reachable from other machines" in caplog.text


# --- the lock-out is no weapon (issue 15) ------------------------------------------------------


def typed_from(app: FastAPI, address: str) -> LucyClient:
    """A typed client whose requests come from ``address`` (as the ASGI server reports it)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return LucyClient("http://lucy.test", transport=transport, retries=0)


async def test_failures_from_one_address_do_not_keep_the_account_out_elsewhere(
    server_app: FastAPI,
) -> None:
    """Staff addresses are listed by /staff: five wrong passwords a minute from anywhere used
    to lock any colleague out. Now the lock is per (account, source address)."""
    async with typed_from(server_app, "203.0.113.9") as attacker:
        for _ in range(5):
            with pytest.raises(UnauthorizedError):
                await attacker.login(ADMIN, WRONG)
        with pytest.raises(RateLimitedError) as caught:
            await attacker.login(ADMIN, PASSWORD)  # locked for this account from there
        assert "for this account" in caught.value.message
    async with typed_from(server_app, "198.51.100.20") as colleague:
        signed_in = await colleague.login(ADMIN, PASSWORD)
    assert signed_in.staff.email == ADMIN


async def test_spraying_accounts_from_one_address_is_limited_per_address(
    server_app: FastAPI,
) -> None:
    async with typed_from(server_app, "203.0.113.10") as sprayer:
        for number in range(MAX_SOURCE_FAILURES):  # 1 try per name: no pair is ever locked
            with pytest.raises(UnauthorizedError):
                await sprayer.login(f"guess-{number}@demo-firm.be", WRONG)
        with pytest.raises(RateLimitedError) as caught:
            await sprayer.login(EMPLOYEE, PASSWORD)  # even a right one, from there
        assert "from your network address" in caught.value.message
    async with typed_from(server_app, "198.51.100.21") as elsewhere:
        assert (await elsewhere.login(EMPLOYEE, PASSWORD)).staff.email == EMPLOYEE


async def test_two_workers_over_one_database_share_the_limit(
    seeded_db: Path | str, clock: FakeClock
) -> None:
    """Two apps over one database are two workers (``lucy-server serve --workers 2``): the
    failures counted by one lock the account out at the other too."""
    first, second = create_app(seeded_db, clock=clock), create_app(seeded_db, clock=clock)
    try:
        async with (
            typed_from(first, "203.0.113.30") as one,
            typed_from(second, "203.0.113.30") as other,
        ):
            for worker in (one, other, one, other, one):
                with pytest.raises(UnauthorizedError):
                    await worker.login(ADMIN, WRONG)
            for worker in (one, other):
                with pytest.raises(RateLimitedError) as caught:
                    await worker.login(ADMIN, PASSWORD)
                assert caught.value.message.endswith("try again in 60 s")
            clock.advance(seconds=60)
            assert (await other.login(ADMIN, PASSWORD)).staff.email == ADMIN
    finally:
        for app in (first, second):
            app.state.lucy.engine.dispose()


async def test_concurrent_tries_at_two_workers_never_let_a_sixth_through(
    seeded_db: Path | str, clock: FakeClock
) -> None:
    """Each try's outcome is counted and checked in one write transaction: of 12 wrong
    passwords at once, shared by two workers, 5 are answered 401, the other 7 wait; and a
    right password racing them opens no session once the count is full."""
    apps = [create_app(seeded_db, clock=clock) for _ in range(2)]

    async def sign_in(app: FastAPI, email: str, password: str) -> int:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.31", 40000)),
            base_url="http://lucy.test",
        ) as raw:
            return (await login(raw, email, password)).status_code

    try:
        answers = await asyncio.gather(*(sign_in(apps[n % 2], EMPLOYEE, WRONG) for n in range(12)))
        assert sorted(answers) == [401] * 5 + [429] * 7
        assert await sign_in(apps[0], EMPLOYEE, PASSWORD) == 429
    finally:
        for app in apps:
            app.state.lucy.engine.dispose()


async def test_an_office_behind_one_address_signs_in_at_once(
    seeded_db: Path | str, clock: FakeClock
) -> None:
    """Sign-ins that succeed count nothing: 40 at once from one address (more than both
    limits), the five staff members over and over, at two workers, all get in."""
    apps = [create_app(seeded_db, clock=clock) for _ in range(2)]

    async def sign_in(number: int) -> int:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apps[number % 2], client=("203.0.113.32", 1)),
            base_url="http://lucy.test",
        ) as raw:
            email = STAFF[number % len(STAFF)][0]
            return (await login(raw, email, PASSWORD)).status_code

    try:
        answers = await asyncio.gather(*(sign_in(number) for number in range(40)))
    finally:
        for app in apps:
            app.state.lucy.engine.dispose()
    assert answers == [200] * 40


@pytest.mark.sqlite_only("the proxy's address rule: not the database's doing")
def test_the_address_behind_a_proxy_is_taken_from_the_proxy_only_when_told(
    seeded_template: SeededFirm, tmp_path: Path
) -> None:
    """By default X-Forwarded-For is ignored (anyone can write it): a guesser varying it is
    still one source. With --forwarded-allow-ips naming the proxy, it is the client's address."""
    database = tmp_path / "lucy.db"
    database.write_bytes(seeded_template.path.read_bytes())

    def tries(base: str, forwarded: list[str]) -> list[int]:
        with httpx.Client(base_url=base, timeout=30) as client:
            return [
                client.post(
                    f"{API}/auth/login",
                    json={"email": ADMIN, "password": WRONG},
                    headers={"X-Forwarded-For": address},
                ).status_code
                for address in forwarded
            ]

    spoofed = [f"192.0.2.{n}" for n in range(6)]
    with lucy_server(database, tmp_path / "plain.log") as base:
        assert tries(base, spoofed) == [401] * 5 + [429]
    with lucy_server(
        database, tmp_path / "proxied.log", "--forwarded-allow-ips", "127.0.0.1"
    ) as base:
        assert tries(base, ["192.0.2.50"] * 6) == [401] * 5 + [429]
        assert tries(base, ["192.0.2.51"]) == [401]  # another client behind the proxy


def test_serve_ignores_forwarded_headers_unless_given_proxies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: runs.append(kwargs))
    assert main(["serve", "--db", migrated(tmp_path / "c.db")]) == 0
    assert runs[-1]["proxy_headers"] is False
    assert (
        main(["serve", "--db", migrated(tmp_path / "d.db"), "--forwarded-allow-ips", "10.0.0.5"])
        == 0
    )
    assert (runs[-1]["proxy_headers"], runs[-1]["forwarded_allow_ips"]) == (True, "10.0.0.5")
