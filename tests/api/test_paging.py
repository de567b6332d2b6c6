"""Paged lists: the client and document iterators walk every page by its cursor (``after=``
the previous page's ``next``) with the right query, and the small lists (staff, teams,
vault, users, integrations) are gathered whole by page number."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import (
    MAX_PAGE_SIZE,
    ClientStatus,
    ClientSummary,
    ClientUser,
    Document,
    DocumentStatus,
    Integration,
    Plan,
    Staff,
    Team,
    VaultFile,
)

from .conftest import (
    API,
    Connect,
    PagedServer,
    Script,
    client_summary_json,
    client_user_json,
    document_json,
    integration_json,
    ok,
    page_json,
    staff_json,
    team_json,
    vault_file_json,
)

# total clients, page size, pages expected
WALKS = [
    (0, 3, 1),  # an empty firm: one request, no item
    (1, 3, 1),
    (3, 3, 1),  # exactly one full page: no extra request for an empty page 2
    (4, 3, 2),
    (6, 3, 2),
    (7, 3, 3),
    (10, 1, 10),
    (1001, MAX_PAGE_SIZE, 3),
]


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


@pytest.mark.parametrize(("total", "page_size", "pages"), WALKS)
async def test_iter_client_pages_walks_every_page_in_order(
    connect: Connect, total: int, page_size: int, pages: int
) -> None:
    server = PagedServer([client_summary_json(i) for i in range(1, total + 1)])
    client = connect(server)
    seen = [page async for page in client.iter_client_pages(page_size=page_size)]
    assert [page.page for page in seen] == list(range(1, pages + 1))
    assert server.asked() == [(n, page_size) for n in range(1, pages + 1)]
    assert all(request.url.path == f"{API}/clients" for request in server.requests)
    ids = [item.id for page in seen for item in page.items]
    assert ids == list(range(1, total + 1))
    assert all(page.total == total for page in seen)


@pytest.mark.parametrize(("total", "page_size", "pages"), WALKS)
async def test_iter_clients_yields_every_client_once(
    connect: Connect, total: int, page_size: int, pages: int
) -> None:
    server = PagedServer([client_summary_json(i) for i in range(1, total + 1)])
    client = connect(server)
    clients = [c async for c in client.iter_clients(page_size=page_size)]
    assert all(isinstance(c, ClientSummary) for c in clients)
    assert [c.id for c in clients] == list(range(1, total + 1))
    assert len(server.requests) == pages


async def test_the_default_page_size_is_the_largest_the_api_allows(connect: Connect) -> None:
    server = PagedServer([client_summary_json(i) for i in range(1, 4)])
    client = connect(server)
    assert len([c async for c in client.iter_clients()]) == 3
    assert server.asked() == [(1, MAX_PAGE_SIZE)]


async def test_every_page_carries_the_filters(connect: Connect) -> None:
    server = PagedServer([client_summary_json(i) for i in range(1, 6)])
    client = connect(server)
    clients = [
        c
        async for c in client.iter_clients(
            page_size=2,
            q="bakkerij claes",
            status=ClientStatus.ACTIVE,
            plan=Plan.BUSINESS_PRO,
            team_id=2,
        )
    ]
    assert len(clients) == 5
    filters = {"q": "bakkerij claes", "status": "active", "plan": "business_pro", "team_id": "2"}
    assert [query(r) for r in server.requests] == [
        {"page_size": "2", **filters},
        {"after": "@2", "page_size": "2", **filters},
        {"after": "@4", "page_size": "2", **filters},
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {}),
        ({"q": "0403.170.701"}, {"q": "0403.170.701"}),
        ({"status": ClientStatus.INVITED}, {"status": "invited"}),
        ({"plan": Plan.TRIAL}, {"plan": "trial"}),
        ({"team_id": 0}, {"team_id": "0"}),  # 0 is a value, not "no filter"
        ({"q": None, "status": None, "plan": None, "team_id": None}, {}),
    ],
    ids=["none", "q", "status", "plan", "team 0", "all None"],
)
async def test_clients_page_sends_only_the_filters_given(
    connect: Connect, filters: dict[str, Any], expected: dict[str, str]
) -> None:
    script = Script(then=ok(page_json([], 0, 4, 25)))
    client = connect(script)
    page = await client.clients_page(4, 25, **filters)
    assert page.items == [] and page.page == 4
    assert query(script.requests[0]) == {"page": "4", "page_size": "25", **expected}


async def test_the_walk_follows_the_page_size_the_server_answers(connect: Connect) -> None:
    """A server that caps the page size still has every client fetched."""
    server = PagedServer([client_summary_json(i) for i in range(1, 8)], cap=3)
    client = connect(server)
    clients = [c async for c in client.iter_clients(page_size=100)]
    assert [c.id for c in clients] == list(range(1, 8))
    assert [page for page, _size in server.asked()] == [1, 2, 3]


async def test_the_walk_stops_at_an_empty_page_even_if_total_says_more(
    connect: Connect,
) -> None:
    """Clients deleted while paging: an empty page ends the walk, whatever else it says."""
    script = Script(
        ok(page_json([client_summary_json(1), client_summary_json(2)], 10, 1, 2, "@2")),
        ok(page_json([], 10, 2, 2, "@4")),
    )
    client = connect(script)
    clients = [c async for c in client.iter_clients(page_size=2)]
    assert [c.id for c in clients] == [1, 2]
    assert script.attempts == 2


async def test_each_page_is_yielded_before_the_next_is_asked(connect: Connect) -> None:
    server = PagedServer([client_summary_json(i) for i in range(1, 10)])
    client = connect(server)
    requests_when_yielded = [
        len(server.requests) async for _page in client.iter_client_pages(page_size=3)
    ]
    assert requests_when_yielded == [1, 2, 3]


async def test_iter_document_pages_walks_with_the_status_filter(connect: Connect) -> None:
    server = PagedServer([document_json(i, client_id=7) for i in range(1, 6)])
    client = connect(server)
    pages = [
        p async for p in client.iter_document_pages(7, page_size=2, status=DocumentStatus.FAILED)
    ]
    assert [d.id for p in pages for d in p.items] == [1, 2, 3, 4, 5]
    assert all(isinstance(d, Document) for p in pages for d in p.items)
    assert [query(r) for r in server.requests] == [
        {"page_size": "2", "status": "failed"},
        {"after": "@2", "page_size": "2", "status": "failed"},
        {"after": "@4", "page_size": "2", "status": "failed"},
    ]
    assert {r.url.path for r in server.requests} == {f"{API}/clients/7/documents"}


# --- small lists, gathered whole --------------------------------------------------------------

LISTS: dict[str, tuple[Callable[[LucyClient], Awaitable[list[Any]]], str, Any, type[BaseModel]]] = {
    "staff": (lambda c: c.staff(), "/staff", staff_json, Staff),
    "teams": (lambda c: c.teams(), "/teams", team_json, Team),
    "vault_files": (lambda c: c.vault_files(7), "/clients/7/vault", vault_file_json, VaultFile),
    "client_users": (
        lambda c: c.client_users(7),
        "/clients/7/users",
        client_user_json,
        ClientUser,
    ),
    "integrations": (lambda c: c.integrations(), "/integrations", integration_json, Integration),
}


@pytest.mark.parametrize(("call", "path", "make", "model"), LISTS.values(), ids=LISTS.keys())
@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (500, 1), (501, 2), (1201, 3)])
async def test_a_small_list_gathers_every_page(
    connect: Connect,
    call: Callable[[LucyClient], Awaitable[list[Any]]],
    path: str,
    make: Callable[[int], Any],
    model: type[BaseModel],
    total: int,
    pages: int,
) -> None:
    server = PagedServer([make(i) for i in range(1, total + 1)])
    client = connect(server)
    items = await call(client)
    assert len(items) == total
    assert all(isinstance(item, model) for item in items)
    assert items == [model.model_validate(make(i)) for i in range(1, total + 1)]
    assert server.asked() == [(n, MAX_PAGE_SIZE) for n in range(1, pages + 1)]
    assert {r.url.path for r in server.requests} == {API + path}


@pytest.mark.parametrize(("call", "path", "make", "model"), LISTS.values(), ids=LISTS.keys())
async def test_a_small_list_follows_a_capped_page_size(
    connect: Connect,
    call: Callable[[LucyClient], Awaitable[list[Any]]],
    path: str,
    make: Callable[[int], Any],
    model: type[BaseModel],
) -> None:
    server = PagedServer([make(i) for i in range(1, 8)], cap=2)
    client = connect(server)
    items = await call(client)
    assert len(items) == 7
    assert [page for page, _size in server.asked()] == [1, 2, 3, 4]
