"""Server-test helpers: signed-in typed clients and a raw HTTP client over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from lucy_server import db
from lucy_server.security import new_token, token_digest
from lucy_tui.api.client import LucyClient
from tests.conftest import SeededFirm

BASE_URL = "http://lucy.test"
API = "/api/v1"
ADMIN = "admin@demo-firm.be"
EMPLOYEE = "employee@demo-firm.be"
PASSWORD = "lucy-demo"


def issue_token(app: FastAPI, email: str, ttl: timedelta = timedelta(hours=12)) -> str:
    """A session for ``email`` made directly in the database (fixtures skip scrypt)."""
    state = app.state.lucy
    now = state.now()
    token = new_token()
    with db.write_tx(state.engine) as conn:
        staff_id = conn.execute(db.staff.select().where(db.staff.c.email == email)).one().id
        conn.execute(
            db.sessions.insert().values(
                token_sha256=token_digest(token),
                staff_id=staff_id,
                created_at=now,
                expires_at=now + ttl,
            )
        )
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def firm(seeded_template: SeededFirm) -> SeededFirm:
    return seeded_template


@pytest.fixture
def cases(seeded_template: SeededFirm) -> dict[str, int]:
    """Showcase client ids by case name (see lucy_server.seed.SHOWCASE)."""
    return seeded_template.cases


@pytest.fixture
def admin_token(server_app: FastAPI) -> str:
    return issue_token(server_app, ADMIN)


@pytest.fixture
def employee_token(server_app: FastAPI) -> str:
    return issue_token(server_app, EMPLOYEE)


@pytest.fixture
async def raw(server_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client over ASGI, for headers and error bodies."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server_app), base_url=BASE_URL
    ) as client:
        yield client


def _typed(app: FastAPI, token: str | None) -> LucyClient:
    return LucyClient(BASE_URL, token=token, transport=httpx.ASGITransport(app=app), retries=0)


@pytest.fixture
async def anonymous(server_app: FastAPI) -> AsyncIterator[LucyClient]:
    async with _typed(server_app, None) as client:
        yield client


@pytest.fixture
async def admin(server_app: FastAPI, admin_token: str) -> AsyncIterator[LucyClient]:
    async with _typed(server_app, admin_token) as client:
        yield client


@pytest.fixture
async def employee(server_app: FastAPI, employee_token: str) -> AsyncIterator[LucyClient]:
    async with _typed(server_app, employee_token) as client:
        yield client
