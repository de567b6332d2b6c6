"""Idempotency-Key on POST actions: one performance per key, the first answer replayed."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from lucy_server import db
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import ValidationError
from lucy_tui.api.models import ClientCreate

from .conftest import API, bearer


def count(app: FastAPI, table: str) -> int:
    with db.read_tx(app.state.lucy.engine) as conn:
        return int(conn.scalar(select(func.count()).select_from(db.metadata.tables[table])) or 0)


NEW_CLIENT = {"name": "Idem BV", "enterprise_number": "0403170701", "email": "a@idem.be"}


async def test_repeat_returns_the_first_answer_and_does_nothing(
    raw: httpx.AsyncClient, admin_token: str, server_app: FastAPI
) -> None:
    headers = {**bearer(admin_token), "Idempotency-Key": "create-1"}
    before = count(server_app, "clients")
    first = await raw.post(f"{API}/clients", json=NEW_CLIENT, headers=headers)
    second = await raw.post(f"{API}/clients", json=NEW_CLIENT, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"]
    assert "idempotent-replayed" not in first.headers
    assert count(server_app, "clients") == before + 1


async def test_errors_are_replayed_too(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> None:
    headers = {**bearer(admin_token), "Idempotency-Key": "invite-active"}
    url = f"{API}/clients/{cases['rich']}/invite"
    first = await raw.post(url, headers=headers)
    second = await raw.post(url, headers=headers)
    assert first.status_code == second.status_code == 409
    assert first.json() == second.json()


async def test_same_key_on_another_path_is_422(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> None:
    headers = {**bearer(admin_token), "Idempotency-Key": "reused"}
    assert (await raw.post(f"{API}/clients/{cases['created']}/invite", headers=headers)).is_success
    response = await raw.post(f"{API}/clients/{cases['invited']}/invite", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"


async def test_same_key_with_another_body_is_422_and_performs_nothing(
    admin: LucyClient, server_app: FastAPI
) -> None:
    """Issue 15: the second client used to get the first client's 201 replayed, as if made."""
    first = await admin.create_client(
        ClientCreate.model_validate(NEW_CLIENT), idempotency_key="one-key"
    )
    before = count(server_app, "clients")
    other = {**NEW_CLIENT, "name": "Another BV", "enterprise_number": "0417497106"}
    with pytest.raises(ValidationError) as caught:
        await admin.create_client(ClientCreate.model_validate(other), idempotency_key="one-key")
    assert caught.value.status == 422
    assert caught.value.code == "idempotency_key_reused"
    assert "new key" in caught.value.message
    assert count(server_app, "clients") == before
    # the same request again is still the first one's replay
    again = await admin.create_client(
        ClientCreate.model_validate(NEW_CLIENT), idempotency_key="one-key"
    )
    assert again.id == first.id


async def test_the_fingerprint_reads_json_as_data_and_ignores_the_multipart_boundary(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> None:
    headers = {**bearer(admin_token), "Idempotency-Key": "same-data"}
    url = f"{API}/clients/{cases['rich']}/documents/resend"
    first = await raw.post(
        url,
        content=b'{"document_ids": [1, 2]}',
        headers={**headers, "Content-Type": "application/json"},
    )
    spaced = await raw.post(
        url,
        content=b'{ "document_ids" :[1,2] }',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert spaced.headers["idempotent-replayed"] == "true"
    assert spaced.content == first.content
    reordered = await raw.post(url, json={"document_ids": [2, 1]}, headers=headers)
    assert reordered.status_code == 422  # another list: another request
    # an upload retried by httpx draws a new multipart boundary: still the same request
    upload = f"{API}/clients/{cases['rich']}/vault"
    key = {**bearer(admin_token), "Idempotency-Key": "same-file"}
    files = {"file": ("note.txt", b"hello", "text/plain")}
    made = await raw.post(upload, files=files, headers=key)
    again = await raw.post(upload, files=files, headers=key)
    assert made.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    changed = await raw.post(
        upload, files={"file": ("note.txt", b"other", "text/plain")}, headers=key
    )
    assert changed.status_code == 422


async def test_keys_are_per_staff_member(
    raw: httpx.AsyncClient, admin_token: str, employee_token: str, server_app: FastAPI
) -> None:
    before = count(server_app, "client_users")
    for token, email in ((admin_token, "one@x.be"), (employee_token, "two@x.be")):
        response = await raw.post(
            f"{API}/clients/1/users",
            json={"email": email},
            headers={**bearer(token), "Idempotency-Key": "same-key"},
        )
        assert response.status_code == 201
    assert count(server_app, "client_users") == before + 2


async def test_invalid_key_is_400(raw: httpx.AsyncClient, admin_token: str) -> None:
    for key in ("", "x" * 256, "has space"):
        response = await raw.post(
            f"{API}/clients",
            json=NEW_CLIENT,
            headers={**bearer(admin_token), "Idempotency-Key": key},
        )
        assert response.status_code == 400, key


async def test_without_token_the_key_is_ignored_and_401(raw: httpx.AsyncClient) -> None:
    response = await raw.post(f"{API}/clients", json=NEW_CLIENT, headers={"Idempotency-Key": "k"})
    assert response.status_code == 401


async def test_concurrent_requests_with_one_key_perform_once(
    server_app: FastAPI, admin_token: str, cases: dict[str, int]
) -> None:
    client_id = cases["many_failed"]
    failed = select(db.documents.c.id).where(
        db.documents.c.client_id == client_id, db.documents.c.status == "failed"
    )
    with db.read_tx(server_app.state.lucy.engine) as conn:
        ids = list(conn.scalars(failed).all())
    transport = httpx.ASGITransport(app=server_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lucy.test") as client:
        headers = {**bearer(admin_token), "Idempotency-Key": "bulk-1"}
        url = f"{API}/clients/{client_id}/documents/resend"
        responses = await asyncio.gather(
            *(client.post(url, json={"document_ids": ids}, headers=headers) for _ in range(6))
        )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}
    bodies = {r.content for r in responses if r.status_code == 200}
    assert len(bodies) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert count(server_app, "deliveries") == len(ids)


async def test_typed_client_reuses_its_key(admin: LucyClient, server_app: FastAPI) -> None:
    body = ClientCreate.model_validate(NEW_CLIENT)
    first = await admin.create_client(body, idempotency_key="typed-1")
    second = await admin.create_client(body, idempotency_key="typed-1")
    assert first == second
    assert count(server_app, "idempotency_records") == 1


async def test_login_is_not_idempotent(raw: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "login"}
    body = {"email": "admin@demo-firm.be", "password": "lucy-demo"}
    first = await raw.post(f"{API}/auth/login", json=body, headers=headers)
    second = await raw.post(f"{API}/auth/login", json=body, headers=headers)
    assert first.json()["access_token"] != second.json()["access_token"]


async def test_a_request_still_in_progress_answers_409(
    raw: httpx.AsyncClient, admin_token: str, server_app: FastAPI, monkeypatch: object
) -> None:
    from lucy_server import idempotency

    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST", 0.1)  # type: ignore[attr-defined]
    store = idempotency.IdempotencyStore(server_app.state.lucy)
    path = f"{API}/clients"
    body = json.dumps(NEW_CLIENT).encode()
    request = idempotency.Request(
        "POST", path, idempotency.fingerprint("POST", path, 1, "application/json", body)
    )
    claim = store.claim(1, "slow-key", request)  # as if a request were running
    assert claim.kind == "claimed"
    before = count(server_app, "clients")
    response = await raw.post(
        f"{API}/clients",
        json=NEW_CLIENT,
        headers={**bearer(admin_token), "Idempotency-Key": "slow-key"},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert response.headers["retry-after"] == "1"
    assert count(server_app, "clients") == before


async def test_a_server_error_releases_the_key(
    server_app: FastAPI, admin_token: str, monkeypatch: object
) -> None:
    from lucy_server.routes import clients as clients_route

    original = clients_route.insert_client
    calls = []

    def failing_once(*args: object, **kwargs: object) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(clients_route, "insert_client", failing_once)  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=server_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://lucy.test") as client:
        headers = {**bearer(admin_token), "Idempotency-Key": "retry-after-500"}
        first = await client.post(f"{API}/clients", json=NEW_CLIENT, headers=headers)
        assert first.status_code == 500
        assert first.json()["error"]["code"] == "server_error"
        assert "disk on fire" not in first.text
        second = await client.post(f"{API}/clients", json=NEW_CLIENT, headers=headers)
        assert second.status_code == 201
    assert len(calls) == 2
