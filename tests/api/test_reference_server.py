"""The client against the reference server in-process (ASGI): paging and filters reach the
server as it expects them, its errors arrive typed, and a retried POST action whose first
answer was lost is performed once (the server replays the first answer to the same key)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from lucy_server import db
from lucy_server.catalogue import CATALOGUE
from lucy_server.seed import ADMIN_EMAIL, DEMO_PASSWORD, EMPLOYEE_EMAIL, STAFF
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PreconditionFailedError,
    UnauthorizedError,
    ValidationError,
)
from lucy_tui.api.models import (
    ActionOutcome,
    ClientCreate,
    ClientStatus,
    ClientSummary,
    ClientUpdate,
    ClientUserCreate,
    DocumentActionResponse,
    DocumentStatus,
    Plan,
    VaultCategory,
)
from tests.conftest import SMALL_FIRM, SeededFirm

from .conftest import BASE_URL, LosingTransport

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def count(app: FastAPI, table: str) -> int:
    with db.read_tx(app.state.lucy.engine) as conn:
        return int(conn.scalar(select(func.count()).select_from(db.metadata.tables[table])) or 0)


@pytest.fixture
def cases(seeded_template: SeededFirm) -> dict[str, int]:
    return seeded_template.cases


@pytest.fixture
def wire(server_app: FastAPI) -> LosingTransport:
    """The admin's line to the server: every exchange recorded, answers lost on demand."""
    return LosingTransport(httpx.ASGITransport(app=server_app))


@pytest.fixture
async def admin(wire: LosingTransport) -> AsyncIterator[LucyClient]:
    async with LucyClient(BASE_URL, transport=wire, retries=2, backoff=0) as client:
        await client.login(ADMIN_EMAIL, DEMO_PASSWORD)
        yield client


@pytest.fixture
async def employee(server_app: FastAPI) -> AsyncIterator[LucyClient]:
    transport = httpx.ASGITransport(app=server_app)
    async with LucyClient(BASE_URL, transport=transport, retries=0, backoff=0) as client:
        await client.login(EMPLOYEE_EMAIL, DEMO_PASSWORD)
        yield client


async def everyone(client: LucyClient) -> list[ClientSummary]:
    return [c async for c in client.iter_clients()]


# --- paging and filters -----------------------------------------------------------------------


async def test_iter_clients_fetches_the_whole_firm_whatever_the_page_size(
    admin: LucyClient, server_app: FastAPI
) -> None:
    with db.read_tx(server_app.state.lucy.engine) as conn:
        ids = set(conn.scalars(select(db.clients.c.id)).all())
    assert len(ids) == SMALL_FIRM
    walks = {size: [c.id async for c in admin.iter_clients(page_size=size)] for size in (1, 7, 30)}
    walks[500] = [c.id for c in await everyone(admin)]
    for walk in walks.values():
        assert len(walk) == SMALL_FIRM
        assert set(walk) == ids
    assert walks[1] == walks[7] == walks[30] == walks[500]  # the same order, page by page


async def test_an_employee_walk_matches_the_total_and_skips_what_is_hidden(
    employee: LucyClient, cases: dict[str, int]
) -> None:
    total = (await employee.clients_page(page_size=1)).total
    clients = [c async for c in employee.iter_clients(page_size=4)]
    ids = [c.id for c in clients]
    assert len(ids) == len(set(ids)) == total < SMALL_FIRM
    assert cases["hidden"] not in ids
    assert cases["south_only"] not in ids


async def test_the_status_and_plan_filters_reach_the_server(admin: LucyClient) -> None:
    all_clients = await everyone(admin)
    for status in ClientStatus:
        got = [c.id async for c in admin.iter_clients(page_size=3, status=status)]
        assert got, status
        assert sorted(got) == sorted(c.id for c in all_clients if c.status is status)
    for plan in Plan:
        got = [c.id async for c in admin.iter_clients(page_size=3, plan=plan)]
        assert sorted(got) == sorted(c.id for c in all_clients if c.plan is plan)
    both = [
        c.id
        async for c in admin.iter_clients(page_size=2, status=ClientStatus.ACTIVE, plan=Plan.TRIAL)
    ]
    expected = [
        c.id for c in all_clients if c.status is ClientStatus.ACTIVE and c.plan is Plan.TRIAL
    ]
    assert both and sorted(both) == sorted(expected)


async def test_the_team_and_text_filters_reach_the_server(admin: LucyClient) -> None:
    all_clients = await everyone(admin)
    teams = await admin.teams()
    assert teams
    for team in teams:
        got = [c async for c in admin.iter_clients(page_size=2, team_id=team.id)]
        assert got and all(team.name in c.team_names for c in got)
        assert sorted(c.id for c in got) == sorted(
            c.id for c in all_clients if team.name in c.team_names
        )
    found = [c async for c in admin.iter_clients(page_size=1, q="bakkerij")]
    assert found
    assert sorted(c.id for c in found) == sorted(
        c.id for c in all_clients if "bakkerij" in c.name.casefold()
    )


async def test_the_small_lists_come_whole_from_the_server(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    staff = await admin.staff()
    assert sorted(s.email for s in staff) == sorted(email for email, *_ in STAFF)
    assert sorted(t.name for t in await admin.teams()) == ["North", "South"]
    assert sorted(i.id for i in await admin.integrations()) == sorted(e.id for e in CATALOGUE)
    assert len(await admin.vault_files(cases["rich"])) == 3
    assert len(await admin.client_users(cases["rich"])) == 3


# --- errors from the real server ----------------------------------------------------------------


async def test_the_server_errors_arrive_typed(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    with pytest.raises(NotFoundError) as not_found:
        await admin.client(999_999)
    assert (not_found.value.status, not_found.value.code) == (404, "not_found")

    with pytest.raises(NotFoundError):
        await employee.client(cases["hidden"])

    with pytest.raises(ForbiddenError) as forbidden:
        await employee.update_client(
            cases["rich"], ClientUpdate(hidden=True), (await employee.client(cases["rich"])).version
        )
    assert forbidden.value.status == 403

    detail = await admin.client(cases["rich"])
    with pytest.raises(ValidationError) as invalid:
        await admin.update_client(detail.id, ClientUpdate(team_ids=[999]), detail.version)
    assert invalid.value.status == 422
    assert invalid.value.field_errors == {"team_ids": "Unknown team 999"}

    changed = await admin.update_client(
        detail.id, ClientUpdate(name="Aalter Nieuw BV"), detail.version
    )
    assert changed.name == "Aalter Nieuw BV" and changed.version > detail.version
    with pytest.raises(PreconditionFailedError) as stale:
        await admin.update_client(detail.id, ClientUpdate(name="Too late BV"), detail.version)
    assert stale.value.status == 412

    duplicate = ClientCreate(
        name="Copy BV", enterprise_number=detail.enterprise_number, email="copy@copy.be"
    )
    with pytest.raises(ConflictError) as conflict:
        await admin.create_client(duplicate)
    assert conflict.value.code == "duplicate_enterprise_number"
    assert "enterprise_number" in conflict.value.field_errors


async def test_login_and_logout_against_the_server(server_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=server_app)
    async with LucyClient(BASE_URL, transport=transport, retries=0) as client:
        with pytest.raises(UnauthorizedError):
            await client.me()
        login = await client.login(ADMIN_EMAIL, DEMO_PASSWORD)
        assert client.token == login.access_token
        assert (await client.me()).email == ADMIN_EMAIL
        await client.logout()
        assert client.token is None
        with pytest.raises(UnauthorizedError):
            await client.me()
    async with LucyClient(
        BASE_URL, token=login.access_token, transport=transport, retries=0
    ) as revoked:
        with pytest.raises(UnauthorizedError):
            await revoked.me()


# --- a lost answer: the retry replays, nothing is done twice ---------------------------------


async def failed_ids(client: LucyClient, client_id: int) -> list[int]:
    page = await client.documents_page(client_id, page_size=500, status=DocumentStatus.FAILED)
    assert page.total == len(page.items) > 0
    return [d.id for d in page.items]


async def test_a_resend_whose_answer_was_lost_is_delivered_once(
    admin: LucyClient, wire: LosingTransport, server_app: FastAPI, cases: dict[str, int]
) -> None:
    client_id = cases["many_failed"]
    ids = await failed_ids(admin, client_id)
    deliveries = count(server_app, "deliveries")
    start = len(wire.exchanges)
    wire.lose = 1
    result = await admin.resend_documents(client_id, ids)

    (first, first_answer), (retry, replayed) = wire.since(start)
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    assert "idempotent-replayed" not in first_answer.headers
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == first_answer.content
    assert result == DocumentActionResponse.model_validate_json(first_answer.content)
    assert sorted(r.document_id for r in result.results) == sorted(ids)
    assert count(server_app, "deliveries") == deliveries + len(ids)

    # A new call is a new key: the documents still Failed are tried again.
    still_failed = [r.document_id for r in result.results if r.outcome is ActionOutcome.FAILED]
    assert still_failed
    again = await admin.resend_documents(client_id, ids)
    assert count(server_app, "deliveries") == deliveries + len(ids) + len(still_failed)
    refused = {r.document_id for r in again.results if r.outcome is ActionOutcome.REFUSED}
    assert refused == set(ids) - set(still_failed)  # the Sent ones are never resent


async def test_the_same_explicit_key_twice_performs_once(
    admin: LucyClient, wire: LosingTransport, server_app: FastAPI, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    ids = await failed_ids(admin, client_id)
    deliveries = count(server_app, "deliveries")
    first = await admin.resend_documents(client_id, ids, idempotency_key="resend-rich-1")
    second = await admin.resend_documents(client_id, ids, idempotency_key="resend-rich-1")
    assert first == second
    assert wire.exchanges[-1][1].headers["idempotent-replayed"] == "true"
    assert count(server_app, "deliveries") == deliveries + len(ids)


async def test_a_create_whose_answer_was_lost_creates_one_client(
    admin: LucyClient, wire: LosingTransport, server_app: FastAPI
) -> None:
    clients = count(server_app, "clients")
    wire.lose = 2
    created = await admin.create_client(
        ClientCreate(name="Verloren Antwoord BV", enterprise_number="0403170701", email="a@b.be")
    )
    assert created.name == "Verloren Antwoord BV"
    assert count(server_app, "clients") == clients + 1
    answers = [response for _request, response in wire.exchanges[-3:]]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [a.headers.get("idempotent-replayed") for a in answers] == [None, "true", "true"]


async def test_an_upload_and_a_new_user_whose_answers_were_lost_are_made_once(
    admin: LucyClient, wire: LosingTransport, server_app: FastAPI, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    files = count(server_app, "vault_files")
    users = count(server_app, "client_users")
    wire.lose = 1
    stored = await admin.upload_vault_file(
        client_id, "jaarrekening.pdf", PDF, category=VaultCategory.REPORT
    )
    wire.lose = 1
    user = await admin.add_client_user(client_id, ClientUserCreate(email="nieuw@aalter.be"))
    assert count(server_app, "vault_files") == files + 1
    assert count(server_app, "client_users") == users + 1
    assert stored.name == "jaarrekening.pdf" and stored.category is VaultCategory.REPORT
    assert user.email == "nieuw@aalter.be"
    assert await admin.download_vault_file(client_id, stored.id) == PDF
