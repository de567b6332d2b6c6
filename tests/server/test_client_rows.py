"""The whole client list in one compact answer (``GET /client-rows``, issue 14): the same
clients, fields, order and visibility as the paged list, its ``changes`` token and total,
gzip when asked, unknown parameters refused."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest

from lucy_server.routes import clients as client_routes
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import ServerError
from lucy_tui.api.models import ClientUpdate
from lucy_tui.clients.rows import WIRE_COLUMNS, ClientRow
from tests.conftest import SMALL_FIRM

from .conftest import API, bearer


async def _compact(client: LucyClient) -> tuple[list[dict[str, Any]], Any]:
    batches = [batch async for batch in client.iter_client_rows()]
    assert batches[-1].done and not batches[-1].rows
    assert not any(b.done for b in batches[:-1])
    return [row for batch in batches for row in batch.rows], batches[-1]


async def _paged(client: LucyClient) -> list[dict[str, Any]]:
    rows = []
    async for page in client.iter_client_pages(page_size=7):
        rows += [c.model_dump(mode="json", exclude={"contact_id"}) for c in page.items]
    return rows


@pytest.mark.parametrize("who", ["admin", "employee"])
async def test_the_compact_list_has_the_paged_lists_rows_and_fields(
    who: str, admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    client = admin if who == "admin" else employee
    rows, last = await _compact(client)
    paged = await _paged(client)
    assert rows == paged  # same clients, order and fields (all but contact_id)
    assert last.total == len(rows)
    assert last.columns == list(client_routes.ROW_COLUMNS) == list(WIRE_COLUMNS)
    ids = {row["id"] for row in rows}
    if who == "admin":
        assert len(rows) == SMALL_FIRM and cases["hidden"] in ids
    else:  # hidden clients and those of other teams are left out, as in the list
        assert len(rows) < SMALL_FIRM
        assert not ids & {cases[c] for c in ("hidden", "south_only", "hidden_south")}


async def test_the_rows_are_read_without_pydantic_as_the_paged_list_gives_them(
    admin: LucyClient,
) -> None:
    built = [r async for b in admin.iter_client_rows(ClientRow.wire_reader) for r in b.rows]
    paged = [ClientRow.from_summary(c) async for c in admin.iter_clients()]
    assert built == paged
    # the same as from_wire makes of each row's JSON
    rows, _ = await _compact(admin)
    assert [ClientRow.from_wire(row) for row in rows] == paged


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("id", True),
        ("id", "7"),
        ("name", None),
        ("status", "gone"),
        ("plan", 3),
        ("team_names", ["a", 1]),
        ("trial_ends_on", "31/12/2026"),
        ("inbox_count", 1.5),
        ("peppol_stale", 0),
    ],
)
async def test_a_row_of_wrong_types_is_refused(admin_token: str, column: str, value: Any) -> None:
    columns = list(client_routes.ROW_COLUMNS)
    good = [1, "A BV", "0403.170.701", "BE0403170701", None, [], "active", [], False, False]
    good += ["unchecked", False, 0, 0, "business", None, False, 1]
    ClientRow.wire_reader(columns)(good)  # a good row passes
    bad = list(good)
    bad[columns.index(column)] = value
    header = json.dumps({"columns": columns, "total": 1, "changes": None})

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=f"{header}\n{json.dumps([bad])}\n".encode())

    async with LucyClient(
        "http://t", token=admin_token, transport=httpx.MockTransport(reply)
    ) as client:
        with pytest.raises(ServerError) as caught:
            async for _ in client.iter_client_rows(ClientRow.wire_reader):
                pass
    assert caught.value.code == "bad_response"


async def test_the_compact_list_streams_in_batches_of_the_first_screen_first(
    admin: LucyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_routes, "FIRST_ROWS", 4)
    monkeypatch.setattr(client_routes, "ROWS_BATCH", 10)
    rows, _ = await _compact(admin)
    assert rows == await _paged(admin)


async def test_its_changes_token_serves_changed_since(admin: LucyClient) -> None:
    _, last = await _compact(admin)
    assert last.changes
    nothing = await admin.clients_page(changed_since=last.changes)
    assert nothing.items == [] and not nothing.reset
    first = await admin.client((await admin.clients_page(page_size=1)).items[0].id)
    await admin.update_client(first.id, ClientUpdate(name="Renamed BV"), first.version)
    changed = await admin.clients_page(changed_since=last.changes)
    assert [c.id for c in changed.items] == [first.id]


async def test_gzip_when_asked_and_plain_otherwise(
    raw: httpx.AsyncClient, admin_token: str
) -> None:
    headers = bearer(admin_token)
    zipped = await raw.get(f"{API}/client-rows", headers={**headers, "Accept-Encoding": "gzip"})
    assert zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith("application/x-ndjson")
    plain = await raw.get(f"{API}/client-rows", headers={**headers, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert len(zipped.read()) > 0 and zipped.text == plain.text  # httpx decoded the gzip
    async with raw.stream(
        "GET", f"{API}/client-rows", headers={**headers, "Accept-Encoding": "gzip"}
    ) as streamed:
        body = b"".join([part async for part in streamed.aiter_raw()])
    assert len(body) < len(plain.content)
    lines = gzip.decompress(body).decode().splitlines()
    header = json.loads(lines[0])
    rows = [row for line in lines[1:] for row in json.loads(line)]  # a batch per line
    assert header["total"] == SMALL_FIRM == len(rows)
    assert all(len(row) == len(header["columns"]) for row in rows)


async def test_unknown_parameters_and_anonymous_callers_are_refused(
    raw: httpx.AsyncClient, admin_token: str
) -> None:
    answer = await raw.get(f"{API}/client-rows", params={"q": "x"}, headers=bearer(admin_token))
    assert answer.status_code == 422
    assert (await raw.get(f"{API}/client-rows")).status_code == 401


async def test_a_truncated_answer_is_an_error(admin_token: str) -> None:
    header = json.dumps({"columns": ["id"], "total": 3, "changes": None})

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=f"{header}\n[[1]]\n[[2]]\n".encode())

    async with LucyClient(
        "http://t", token=admin_token, transport=httpx.MockTransport(reply)
    ) as client:
        with pytest.raises(ServerError, match="ended after 2"):
            async for _ in client.iter_client_rows():
                pass
