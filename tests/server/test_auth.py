"""Sign in, sign out, tokens and their expiry, the failed-login limit, who am I."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from lucy_server import db
from lucy_server.security import hash_password, token_digest, verify_password
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import RateLimitedError, UnauthorizedError
from lucy_tui.api.models import Role
from tests.conftest import SEED_NOW, FakeClock

from .conftest import ADMIN, API, EMPLOYEE, PASSWORD, bearer


async def test_login_gives_a_token_the_expiry_and_the_staff(anonymous: LucyClient) -> None:
    login = await anonymous.login(ADMIN, PASSWORD)
    assert login.token_type == "bearer"
    assert len(login.access_token) >= 43  # 32 random bytes, url-safe base64
    assert login.expires_at == SEED_NOW + timedelta(hours=12)
    assert login.staff.email == ADMIN
    assert login.staff.role is Role.ADMIN
    me = await anonymous.me()
    assert me.id == login.staff.id


async def test_login_is_case_insensitive_on_the_email(anonymous: LucyClient) -> None:
    login = await anonymous.login("Employee@Demo-Firm.be", PASSWORD)
    assert login.staff.role is Role.EMPLOYEE
    assert [t.name for t in login.staff.teams] == ["North"]


@pytest.mark.parametrize(("email", "password"), [(ADMIN, "wrong"), ("nobody@x.be", PASSWORD)])
async def test_wrong_credentials_answer_401(
    anonymous: LucyClient, email: str, password: str
) -> None:
    with pytest.raises(UnauthorizedError) as caught:
        await anonymous.login(email, password)
    assert caught.value.code == "unauthorized"
    assert caught.value.message == "Wrong email address or password"


async def test_only_the_token_digest_is_stored(server_app: FastAPI, anonymous: LucyClient) -> None:
    login = await anonymous.login(ADMIN, PASSWORD)
    with db.read_tx(server_app.state.lucy.engine) as conn:
        stored = conn.scalars(select(db.sessions.c.token_sha256)).all()
        hashes = conn.scalars(select(db.staff.c.password_hash)).all()
    assert token_digest(login.access_token) in stored
    assert login.access_token not in stored
    assert all(h.startswith("scrypt$16384$8$1$") for h in hashes)


def test_password_hashes_are_salted_and_verified() -> None:
    first, second = hash_password("secret"), hash_password("secret")
    assert first != second
    assert verify_password("secret", first)
    assert not verify_password("Secret", first)
    assert not verify_password("secret", "garbage")


async def test_failed_logins_are_limited_per_account(
    anonymous: LucyClient, clock: FakeClock
) -> None:
    for _ in range(5):
        with pytest.raises(UnauthorizedError):
            await anonymous.login(EMPLOYEE, "wrong")
    with pytest.raises(RateLimitedError) as caught:
        await anonymous.login(EMPLOYEE, PASSWORD)  # even the right password waits
    assert caught.value.status == 429
    assert caught.value.code == "too_many_attempts"
    # another account is not affected
    await anonymous.login(ADMIN, PASSWORD)
    clock.advance(seconds=61)
    login = await anonymous.login(EMPLOYEE, PASSWORD)
    assert login.staff.email == EMPLOYEE


async def test_rate_limit_answer_carries_retry_after(raw: httpx.AsyncClient) -> None:
    body = {"email": ADMIN, "password": "wrong"}
    for _ in range(5):
        assert (await raw.post(f"{API}/auth/login", json=body)).status_code == 401
    response = await raw.post(f"{API}/auth/login", json=body)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0


async def test_logout_revokes_the_token(anonymous: LucyClient, raw: httpx.AsyncClient) -> None:
    login = await anonymous.login(ADMIN, PASSWORD)
    await anonymous.logout()
    response = await raw.get(f"{API}/me", headers=bearer(login.access_token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_token_expires(admin: LucyClient, clock: FakeClock) -> None:
    await admin.me()
    clock.advance(hours=12, seconds=1)
    with pytest.raises(UnauthorizedError):
        await admin.me()


async def test_token_ttl_is_configurable(seeded_db: object, clock: FakeClock) -> None:
    from lucy_server.app import create_app

    app = create_app(str(seeded_db), clock=clock, token_ttl=timedelta(minutes=5))
    async with LucyClient(
        "http://lucy.test", transport=httpx.ASGITransport(app=app), retries=0
    ) as client:
        login = await client.login(ADMIN, PASSWORD)
        assert login.expires_at == clock.now + timedelta(minutes=5)
    app.state.lucy.engine.dispose()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}, bearer("not-a-token")],
)
async def test_missing_or_unknown_token_answers_401(
    raw: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await raw.get(f"{API}/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["message"]


async def test_every_endpoint_but_login_and_openapi_needs_a_token(
    server_app: FastAPI, raw: httpx.AsyncClient
) -> None:
    schema = (await raw.get("/openapi.json")).json()
    checked = 0
    for path, operations in schema["paths"].items():
        for method in operations:
            if path == f"{API}/auth/login":
                continue
            url = re.sub(r"\{[a-z_]+\}", "1", path)  # every id: 1
            response = await raw.request(method.upper(), url)
            assert response.status_code == 401, (method, path, response.text)
            checked += 1
    assert checked >= 27


async def test_me_reflects_the_staff_teams(employee: LucyClient) -> None:
    me = await employee.me()
    assert me.email == EMPLOYEE
    assert not me.is_admin
    assert [t.name for t in me.teams] == ["North"]
