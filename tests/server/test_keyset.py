"""Keyset paging (``after=`` the previous page's ``next``): the client list and the two
documents lists walk by cursor, rows added meanwhile neither shift nor repeat the rest,
and a cursor is valid only for the list, order and filters it was made for."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from lucy_server.paging import Order, SortKey
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import ValidationError
from lucy_tui.api.models import ClientCreate, ClientSummary, DocumentStatus, FirmDocument, Plan
from tests.conftest import SMALL_FIRM

from .conftest import API, bearer


async def test_the_client_list_walks_by_cursor_in_the_list_order(admin: LucyClient) -> None:
    whole = [c.id for c in (await admin.clients_page(1, 500)).items]
    pages = [page async for page in admin.iter_client_pages(page_size=7)]
    assert [c.id for page in pages for c in page.items] == whole
    assert [page.page for page in pages] == [1, 2, 3, 4, 5]
    assert all(page.total == SMALL_FIRM for page in pages)
    assert all(page.next for page in pages[:-1]) and pages[-1].next is None
    # the same walk with page numbers (older callers) gives the same rows
    numbered = [c.id for n in range(1, 6) for c in (await admin.clients_page(n, 7)).items]
    assert numbered == whole


async def test_a_client_added_while_paging_neither_shifts_nor_repeats_rows(
    admin: LucyClient,
) -> None:
    first = await admin.clients_page(page_size=10)
    # sorts before every row of the first page: an offset would repeat its last row
    await admin.create_client(
        ClientCreate(
            name="AAA Eerste BV",
            enterprise_number="0403.170.701",
            email="eerste@example.be",
            plan=Plan.BUSINESS,
        )
    )
    rest = [c async for c in _walk(admin, first.next)]
    seen = [c.id for c in first.items] + [c.id for c in rest]
    assert len(seen) == len(set(seen)) == SMALL_FIRM  # the new one sorts before the cursor
    assert (await admin.clients_page(page_size=1)).total == SMALL_FIRM + 1


async def _walk(client: LucyClient, after: str | None) -> AsyncIterator[ClientSummary]:
    while after is not None:
        page = await client.clients_page(page_size=10, after=after)
        for item in page.items:
            yield item
        after = page.next


async def test_the_filters_page_by_cursor_too(admin: LucyClient) -> None:
    whole = [c.id for c in (await admin.clients_page(1, 500, plan=Plan.BUSINESS_PRO)).items]
    walked = [c.id async for c in admin.iter_clients(page_size=2, plan=Plan.BUSINESS_PRO)]
    assert walked == whole and len(whole) > 2


@pytest.mark.parametrize(
    ("other", "code"),
    [
        ({"plan": "trial"}, "cursor_mismatch"),  # made without a filter, used with one
        ({"q": "a"}, "cursor_mismatch"),
    ],
)
async def test_a_cursor_is_refused_with_other_filters(
    raw: httpx.AsyncClient, admin_token: str, other: dict[str, str], code: str
) -> None:
    first = (await raw.get(f"{API}/clients?page_size=2", headers=bearer(admin_token))).json()
    answer = await raw.get(
        f"{API}/clients",
        params={"page_size": 2, "after": first["next"], **other},
        headers=bearer(admin_token),
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["details"][0]["field"] == "after"


async def test_a_cursor_of_another_list_is_refused(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    clients = await admin.clients_page(page_size=2)
    documents = await admin.documents_page(cases["rich"], page_size=2)
    firm = await admin.firm_documents_page(page_size=2)
    assert clients.next and documents.next and firm.next
    with pytest.raises(ValidationError) as caught:
        await admin.documents_page(cases["rich"], page_size=2, after=clients.next)
    assert caught.value.code == "cursor_mismatch"
    with pytest.raises(ValidationError) as caught:
        await admin.firm_documents_page(page_size=2, after=documents.next)
    assert caught.value.code == "cursor_mismatch"
    with pytest.raises(ValidationError) as caught:  # another client's documents
        await admin.documents_page(cases["many_failed"], page_size=2, after=documents.next)
    assert caught.value.code == "cursor_mismatch"
    with pytest.raises(ValidationError) as caught:  # made unfiltered, used filtered
        await admin.firm_documents_page(page_size=2, after=firm.next, status=DocumentStatus.SENT)
    assert caught.value.code == "cursor_mismatch"


@pytest.mark.parametrize(
    "after",
    [
        "k1.not-base64!",
        "k1." + "eyJvIjoibmFtZSJ9",  # {"o":"name"}: no filter digest
        "nonsense",
        "k1.W10",  # []
        "k1." + "x" * 2000,
    ],
    ids=["not base64", "no digest", "no prefix", "not an object", "too long"],
)
async def test_a_broken_cursor_is_refused_by_name(
    raw: httpx.AsyncClient, admin_token: str, after: str
) -> None:
    answer = await raw.get(f"{API}/clients", params={"after": after}, headers=bearer(admin_token))
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] in {"invalid_cursor", "cursor_mismatch", "validation_error"}
    assert error["details"][0]["field"] == "after"


async def test_a_forged_key_of_the_wrong_type_is_refused(
    raw: httpx.AsyncClient, admin_token: str
) -> None:
    import base64
    import json

    first = (await raw.get(f"{API}/clients?page_size=2", headers=bearer(admin_token))).json()
    body = first["next"][3:]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["k"] = [12, "x"]  # a number for the name, a text for the id
    forged = "k1." + base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    answer = await raw.get(f"{API}/clients", params={"after": forged}, headers=bearer(admin_token))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "key",
    [["a", 2**70], ["a", -1], ["a\x00b", 3], ["a", True], [None, 3]],
    ids=["id past 64 bits", "negative id", "NUL in the name", "a boolean", "null"],
)
async def test_a_forged_key_out_of_range_is_refused_not_a_server_error(
    raw: httpx.AsyncClient, admin_token: str, key: list[object]
) -> None:
    import base64
    import json

    first = (await raw.get(f"{API}/clients?page_size=2", headers=bearer(admin_token))).json()
    body = first["next"][3:]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["k"] = key
    forged = "k1." + base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    answer = await raw.get(f"{API}/clients", params={"after": forged}, headers=bearer(admin_token))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_cursor"


async def test_page_and_after_together_are_refused(
    raw: httpx.AsyncClient, admin_token: str
) -> None:
    first = (await raw.get(f"{API}/clients?page_size=2", headers=bearer(admin_token))).json()
    answer = await raw.get(
        f"{API}/clients", params={"page": 2, "after": first["next"]}, headers=bearer(admin_token)
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "after"


async def test_a_clients_documents_walk_by_cursor_newest_first(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    whole = (await admin.documents_page(client_id, 1, 500)).items
    assert len(whole) > 5
    keys = [(d.date, d.id) for d in whole]
    assert keys == sorted(keys, reverse=True)
    pages = [p async for p in admin.iter_document_pages(client_id, page_size=3)]
    assert [d.id for p in pages for d in p.items] == [d.id for d in whole]
    assert pages[-1].next is None
    failed = [
        p async for p in admin.iter_document_pages(client_id, 2, status=DocumentStatus.FAILED)
    ]
    expected = (await admin.documents_page(client_id, 1, 500, status=DocumentStatus.FAILED)).items
    assert [d.id for p in failed for d in p.items] == [d.id for d in expected]


async def test_the_firms_documents_walk_by_cursor_in_id_order(admin: LucyClient) -> None:
    whole = (await admin.firm_documents_page(1, 500)).items
    walked = [d.id for p in [p async for p in admin.iter_firm_document_pages(97)] for d in p.items]
    assert walked == [d.id for d in whole] == sorted(d.id for d in whole)


async def test_the_employees_firm_documents_walk_only_visible_clients(
    admin: LucyClient, employee: LucyClient
) -> None:
    seen = {d.client_id async for d in _documents(employee)}
    visible = {c.id async for c in employee.iter_clients()}
    assert seen and seen <= visible


async def _documents(client: LucyClient) -> AsyncIterator[FirmDocument]:
    async for page in client.iter_firm_document_pages(50):
        for document in page.items:
            yield document


def test_an_order_of_mixed_directions_expands_to_ors() -> None:
    from sqlalchemy import column, select
    from sqlalchemy.types import Integer, String

    name, number = column("name", String), column("id", Integer)
    order = Order("mixed", (SortKey(name, "name"), SortKey(number, "id", descending=True)))
    sql = str(select(name).where(order.after(["b", 3])).compile())
    assert "name > " in sql and "name = " in sql and "id < " in sql
