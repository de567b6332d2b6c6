"""Accounting documents: the paged list, send (Inbox), resend (Failed), deliveries."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from lucy_server import db
from lucy_server.delivery import NO_PACKAGE_REASON, NO_TYPE_REASON
from lucy_server.seed import add_documents
from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import (
    ActionOutcome,
    ClientIntegrationsUpdate,
    Document,
    DocumentStatus,
)
from tests.conftest import SEED_NOW, SEED_TODAY

from .conftest import API, bearer


def deliveries(app: FastAPI, client_id: int | None = None) -> int:
    query = select(func.count()).select_from(db.deliveries)
    if client_id is not None:
        query = query.where(db.deliveries.c.client_id == client_id)
    with db.read_tx(app.state.lucy.engine) as conn:
        return int(conn.scalar(query) or 0)


async def all_documents(client: LucyClient, client_id: int) -> list[Document]:
    documents: list[Document] = []
    async for page in client.iter_document_pages(client_id, 100):
        documents += page.items
    return documents


async def by_status(client: LucyClient, client_id: int) -> dict[DocumentStatus, list[Document]]:
    result: dict[DocumentStatus, list[Document]] = {s: [] for s in DocumentStatus}
    for document in await all_documents(client, client_id):
        result[document.status].append(document)
    return result


# --- list ---------------------------------------------------------------------------------


async def test_list_is_paged_newest_first(admin: LucyClient, cases: dict[str, int]) -> None:
    first = await admin.documents_page(cases["rich"], 1, 5)
    assert first.total == 15 and len(first.items) == 5
    documents = await all_documents(admin, cases["rich"])
    assert len(documents) == 15
    keys = [(d.date, d.id) for d in documents]
    assert keys == sorted(keys, reverse=True)
    assert all(d.client_id == cases["rich"] for d in documents)


async def test_status_filter(admin: LucyClient, cases: dict[str, int]) -> None:
    counts = {}
    for status in DocumentStatus:
        page = await admin.documents_page(cases["rich"], 1, 100, status=status)
        assert all(d.status is status for d in page.items)
        counts[status] = page.total
    assert counts == {DocumentStatus.INBOX: 5, DocumentStatus.SENT: 6, DocumentStatus.FAILED: 4}


async def test_documents_carry_what_the_tab_shows(admin: LucyClient, cases: dict[str, int]) -> None:
    groups = await by_status(admin, cases["rich"])
    sent = groups[DocumentStatus.SENT][0]
    assert sent.destination == "Yuki" and sent.sent_at is not None and sent.type is not None
    failed = groups[DocumentStatus.FAILED]
    assert all(d.failure_reason for d in failed)
    assert any(d.type is None for d in failed)
    assert all(d.amount > 0 and d.currency == "EUR" for d in groups[DocumentStatus.INBOX])
    assert all(d.date <= SEED_TODAY for d in groups[DocumentStatus.INBOX])


# --- send ---------------------------------------------------------------------------------


async def test_send_inbox_documents(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    inbox = (await by_status(admin, client_id))[DocumentStatus.INBOX]
    assert (await admin.client(client_id)).inbox_count == len(inbox) == 5
    ids = [d.id for d in inbox]
    response = await admin.send_documents(client_id, ids)
    assert [r.document_id for r in response.results] == ids
    outcomes = {r.document_id: r for r in response.results}
    untyped = [d.id for d in inbox if d.type is None]
    for document in inbox:
        result = outcomes[document.id]
        if document.id in untyped:
            assert result.outcome is ActionOutcome.FAILED
            assert result.status is DocumentStatus.FAILED
            assert result.message == NO_TYPE_REASON
        else:
            assert result.outcome is ActionOutcome.SENT
            assert result.status is DocumentStatus.SENT
            assert result.message == "Sent to Yuki by API"
    assert deliveries(server_app, client_id) == 5
    assert (await admin.client(client_id)).inbox_count == 0
    row = next(c for c in (await admin.clients_page(1, 500)).items if c.id == client_id)
    assert row.inbox_count == 0
    after = {d.id: d for d in await all_documents(admin, client_id)}
    sent = after[ids[0]] if ids[0] not in untyped else after[ids[1]]
    assert sent.status is DocumentStatus.SENT
    assert sent.sent_at == SEED_NOW and sent.destination == "Yuki"
    assert after[untyped[0]].failure_reason == NO_TYPE_REASON


async def test_send_refuses_what_is_not_in_the_inbox(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    groups = await by_status(admin, client_id)
    sent = groups[DocumentStatus.SENT][0]
    failed = groups[DocumentStatus.FAILED][0]
    response = await admin.send_documents(client_id, [sent.id, failed.id, 987654])
    first, second, third = response.results
    assert first.outcome is ActionOutcome.REFUSED and first.status is DocumentStatus.SENT
    assert "Support" in first.message and "Multisender" in first.message
    assert second.outcome is ActionOutcome.REFUSED and second.status is DocumentStatus.FAILED
    assert "To accountant" in second.message
    assert third.outcome is ActionOutcome.REFUSED and third.status is None
    assert "not found" in third.message
    assert deliveries(server_app) == 0


async def test_documents_of_another_client_are_not_found(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    other = (await by_status(admin, cases["ftp_package"]))[DocumentStatus.INBOX][0]
    response = await admin.send_documents(cases["rich"], [other.id])
    assert response.results[0].outcome is ActionOutcome.REFUSED
    assert "not found" in response.results[0].message
    unchanged = await admin.documents_page(cases["ftp_package"], status=DocumentStatus.INBOX)
    assert other.id in {d.id for d in unchanged.items}


async def test_each_id_gets_one_result_in_order(admin: LucyClient, cases: dict[str, int]) -> None:
    inbox = (await by_status(admin, cases["ftp_package"]))[DocumentStatus.INBOX]
    ids = [inbox[1].id, 5, inbox[0].id, inbox[1].id]
    response = await admin.send_documents(cases["ftp_package"], ids)
    assert [r.document_id for r in response.results] == ids
    assert response.results[0].outcome is ActionOutcome.SENT
    assert response.results[0].message == "Uploaded to Expert/M by FTP"
    assert response.results[2].outcome is ActionOutcome.SENT
    assert response.results[3].outcome is ActionOutcome.REFUSED
    assert response.results[3].status is DocumentStatus.SENT


async def test_email_package_delivery(admin: LucyClient, cases: dict[str, int]) -> None:
    inbox = (await by_status(admin, cases["email_package"]))[DocumentStatus.INBOX]
    response = await admin.send_documents(cases["email_package"], [d.id for d in inbox])
    assert response.results[0].message == "Emailed to Clearfacts"


async def test_without_a_package_delivery_fails_and_says_why(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    client_id = cases["no_package"]
    groups = await by_status(admin, client_id)
    assert all(d.failure_reason == NO_PACKAGE_REASON for d in groups[DocumentStatus.FAILED])
    response = await admin.send_documents(client_id, [groups[DocumentStatus.INBOX][0].id])
    assert response.results[0].outcome is ActionOutcome.FAILED
    assert response.results[0].message == NO_PACKAGE_REASON
    assert deliveries(server_app, client_id) == 1
    # linking a package makes the resend succeed
    await admin.set_client_integrations(
        client_id, ClientIntegrationsUpdate(accounting_package="octopus"), 1
    )
    failed = [d.id for d in (await by_status(admin, client_id))[DocumentStatus.FAILED]]
    resent = await admin.resend_documents(client_id, failed)
    assert all(r.outcome is ActionOutcome.SENT for r in resent.results)
    assert {r.message for r in resent.results} == {"Emailed to Octopus"}


# --- resend -------------------------------------------------------------------------------


async def test_resend_failed_documents(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    failed = (await by_status(admin, client_id))[DocumentStatus.FAILED]
    assert len(failed) == 4
    response = await admin.resend_documents(client_id, [d.id for d in failed])
    outcomes = [r.outcome for r in response.results]
    assert outcomes.count(ActionOutcome.SENT) == 2  # the transient failures
    assert outcomes.count(ActionOutcome.FAILED) == 2  # rejected by Yuki, and untyped
    messages = [r.message for r in response.results if r.outcome is ActionOutcome.FAILED]
    assert any(m.startswith("Yuki rejected the document: ") for m in messages)
    assert NO_TYPE_REASON in messages
    assert deliveries(server_app, client_id) == 4
    # the permanent failures fail again, the sent ones are never resent
    again = await admin.resend_documents(client_id, [d.id for d in failed])
    assert [r.outcome for r in again.results].count(ActionOutcome.FAILED) == 2
    assert [r.outcome for r in again.results].count(ActionOutcome.REFUSED) == 2
    assert deliveries(server_app, client_id) == 6
    assert (await admin.client(client_id)).inbox_count == 5  # resend leaves the inbox alone


async def test_sent_documents_are_never_resent(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    sent = (await by_status(admin, cases["rich"]))[DocumentStatus.SENT][0]
    response = await admin.resend_documents(cases["rich"], [sent.id])
    result = response.results[0]
    assert result.outcome is ActionOutcome.REFUSED and result.status is DocumentStatus.SENT
    assert "Already sent to Yuki" in result.message
    assert "contact Lucy Support" in result.message
    assert "Multisender destination under Settings > Integrations" in result.message
    assert "only the client" in result.message
    assert deliveries(server_app) == 0


async def test_resend_refuses_inbox_documents(admin: LucyClient, cases: dict[str, int]) -> None:
    inbox = (await by_status(admin, cases["rich"]))[DocumentStatus.INBOX][0]
    response = await admin.resend_documents(cases["rich"], [inbox.id])
    assert response.results[0].outcome is ActionOutcome.REFUSED
    assert response.results[0].status is DocumentStatus.INBOX
    assert "send it" in response.results[0].message


async def test_employee_can_send(employee: LucyClient, cases: dict[str, int]) -> None:
    inbox = (await by_status(employee, cases["ftp_package"]))[DocumentStatus.INBOX]
    response = await employee.send_documents(cases["ftp_package"], [inbox[0].id])
    assert response.results[0].outcome is ActionOutcome.SENT


@pytest.mark.parametrize("body", [{"document_ids": []}, {"document_ids": list(range(5001))}])
async def test_id_list_is_bounded(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], body: object
) -> None:
    response = await raw.post(
        f"{API}/clients/{cases['rich']}/documents/send", json=body, headers=bearer(admin_token)
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "document_ids"


async def test_bulk_resend_of_a_thousand_in_one_request(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    client_id = cases["many_failed"]
    engine = server_app.state.lucy.engine
    new = add_documents(engine, client_id, 1000, DocumentStatus.FAILED, today=SEED_TODAY)
    assert len(new) == 1000
    started = time.perf_counter()
    response = await admin.resend_documents(client_id, new)
    elapsed = time.perf_counter() - started
    assert len(response.results) == 1000
    assert all(r.outcome is ActionOutcome.SENT for r in response.results)
    assert deliveries(server_app, client_id) == 1000
    assert elapsed < 2.0, f"bulk resend of 1,000 took {elapsed:.2f} s"
    failed = await admin.documents_page(client_id, status=DocumentStatus.FAILED)
    assert failed.total == 28  # the seeded ones remain


async def test_add_documents_keeps_the_inbox_count(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    before = (await admin.client(cases["single_user"])).inbox_count
    add_documents(server_app.state.lucy.engine, cases["single_user"], 7, "inbox")
    assert (await admin.client(cases["single_user"])).inbox_count == before + 7


async def test_add_documents_rejected(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    ids = add_documents(
        server_app.state.lucy.engine, cases["rich"], 3, DocumentStatus.FAILED, rejected=True
    )
    response = await admin.resend_documents(cases["rich"], ids)
    assert all(r.outcome is ActionOutcome.FAILED for r in response.results)
