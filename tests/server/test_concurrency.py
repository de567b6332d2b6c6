"""Concurrent requests (thread pool over one SQLite file): rules hold under races."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import ClientUserCreate

from .conftest import API, BASE_URL, bearer


async def test_one_of_many_concurrent_edits_of_one_version_wins(
    server_app: FastAPI, admin_token: str, cases: dict[str, int]
) -> None:
    transport = httpx.ASGITransport(app=server_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        headers = {**bearer(admin_token), "If-Match": '"1"'}
        responses = await asyncio.gather(
            *(
                client.patch(
                    f"{API}/clients/{cases['rich']}", json={"name": f"Name {i}"}, headers=headers
                )
                for i in range(8)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [412] * 7
        final = await client.get(f"{API}/clients/{cases['rich']}", headers=bearer(admin_token))
    winner = next(r for r in responses if r.status_code == 200).json()["name"]
    assert final.json()["name"] == winner and final.json()["version"] == 2


async def test_concurrent_removals_never_remove_the_last_user(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    client_id = cases["single_user"]
    await admin.add_client_user(client_id, ClientUserCreate(email="second@example.be"))
    users = await admin.client_users(client_id)
    assert len(users) == 2
    results = await asyncio.gather(
        *(admin.remove_client_user(client_id, u.id) for u in users), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and getattr(failures[0], "code", None) == "last_user"
    assert len(await admin.client_users(client_id)) == 1


async def test_concurrent_sends_deliver_each_document_once(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    from lucy_tui.api.models import ActionOutcome, DocumentStatus

    from .test_documents import by_status, deliveries

    client_id = cases["many_failed"]
    ids = [d.id for d in (await by_status(admin, client_id))[DocumentStatus.FAILED]]
    responses = await asyncio.gather(*(admin.resend_documents(client_id, ids) for _ in range(4)))
    sent = [
        r.document_id for resp in responses for r in resp.results if r.outcome is ActionOutcome.SENT
    ]
    assert len(sent) == len(set(sent))  # no document delivered twice
    attempted = [
        r.document_id
        for resp in responses
        for r in resp.results
        if r.outcome is not ActionOutcome.REFUSED
    ]
    assert deliveries(server_app, client_id) == len(attempted)
