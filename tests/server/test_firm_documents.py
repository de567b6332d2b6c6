"""The firm's documents (issue 9): the lists across every visible client, send and resend
across clients in one request, destinations other than the accounting package, the
delivery history of a document, and the clients' Failed counts kept exact."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from lucy_server import db
from lucy_server.app import create_app
from lucy_server.migrations import migrate
from lucy_server.seed import add_documents
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import ValidationError
from lucy_tui.api.models import ActionOutcome, DocumentStatus, FirmDocument
from tests.conftest import SEED_TODAY, SeededFirm

from .conftest import API, bearer
from .premigration import premigration_firm
from .test_authorization_matrix import visible_ids


def engine_of(app: FastAPI):  # type: ignore[no-untyped-def]
    return app.state.lucy.engine


def failed_in_database(app: FastAPI) -> dict[int, int]:
    """Failed documents per client, counted from the documents themselves."""
    d = db.documents
    with db.read_tx(engine_of(app)) as conn:
        rows = conn.execute(
            select(d.c.client_id, func.count())
            .where(d.c.status == DocumentStatus.FAILED.value)
            .group_by(d.c.client_id)
        ).all()
    return {client_id: count for client_id, count in rows}


def status_of(app: FastAPI, document_id: int) -> str:
    with db.read_tx(engine_of(app)) as conn:
        return str(
            conn.scalar(select(db.documents.c.status).where(db.documents.c.id == document_id))
        )


def deliveries_of(app: FastAPI, document_id: int) -> int:
    with db.read_tx(engine_of(app)) as conn:
        query = select(func.count()).where(db.deliveries.c.document_id == document_id)
        return int(conn.scalar(query.select_from(db.deliveries)) or 0)


async def queue(client: LucyClient, status: DocumentStatus | None = DocumentStatus.FAILED):
    items: list[FirmDocument] = []
    totals = set()
    async for page in client.iter_firm_document_pages(100, status=status):
        items += page.items
        totals.add(page.total)
    assert len(totals) == 1 and totals == {len(items)}
    return items


# --- the lists ----------------------------------------------------------------------------


async def test_the_admins_queue_holds_every_failed_document_with_its_client(
    admin: LucyClient, server_app: FastAPI
) -> None:
    items = await queue(admin)
    assert [d.id for d in items] == sorted(d.id for d in items)  # id order: stable paging
    per_client: dict[int, int] = {}
    for document in items:
        assert document.status is DocumentStatus.FAILED and document.failure_reason
        per_client[document.client_id] = per_client.get(document.client_id, 0) + 1
    assert per_client == failed_in_database(server_app)
    names = {c.id: c.name async for c in admin.iter_clients()}
    assert all(d.client_name == names[d.client_id] for d in items)


@pytest.mark.parametrize("email", ["employee@demo-firm.be", "sofie@demo-firm.be"])
async def test_an_employees_queue_holds_only_visible_clients(
    server_app: FastAPI, firm: SeededFirm, email: str
) -> None:
    from .conftest import _typed, issue_token

    teams = {"employee@demo-firm.be": {"North"}, "sofie@demo-firm.be": {"South"}}[email]
    visible = visible_ids(engine_of(server_app), {firm.teams[t] for t in teams})
    async with _typed(server_app, issue_token(server_app, email)) as staff:
        for status in (DocumentStatus.FAILED, DocumentStatus.INBOX, None):
            items = await queue(staff, status)
            assert items and {d.client_id for d in items} <= visible
    expected = {c: n for c, n in failed_in_database(server_app).items() if c in visible}
    async with _typed(server_app, issue_token(server_app, email)) as staff:
        got: dict[int, int] = {}
        for document in await queue(staff):
            got[document.client_id] = got.get(document.client_id, 0) + 1
    assert got == expected
    assert firm.cases["hidden"] not in got and firm.cases["hidden_south"] not in got


async def test_the_lists_by_status(admin: LucyClient) -> None:
    for status in DocumentStatus:
        page = await admin.firm_documents_page(1, 50, status=status)
        assert page.items and all(d.status is status for d in page.items)
    everything = await admin.firm_documents_page(1, 1)
    parts = [(await admin.firm_documents_page(1, 1, status=s)).total for s in DocumentStatus]
    assert everything.total == sum(parts)


async def test_a_bad_status_is_refused(raw: httpx.AsyncClient, admin_token: str) -> None:
    response = await raw.get(f"{API}/documents?status=lost", headers=bearer(admin_token))
    assert response.status_code == 422


# --- resend across clients ------------------------------------------------------------------


async def test_one_resend_across_clients_answers_per_document_and_keeps_counts_exact(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    items = await queue(admin)
    by_client: dict[int, list[FirmDocument]] = {}
    for document in items:
        by_client.setdefault(document.client_id, []).append(document)
    assert len(by_client) >= 5
    chosen = [d.id for docs in by_client.values() for d in docs]
    response = await admin.resend_firm_documents(chosen)
    assert [r.document_id for r in response.results] == chosen
    owner = {d.id: d.client_id for d in items}
    assert all(r.client_id == owner[r.document_id] for r in response.results)
    outcomes = {r.outcome for r in response.results}
    assert outcomes == {ActionOutcome.SENT, ActionOutcome.FAILED}  # rejections fail again
    for result in response.results:
        assert status_of(server_app, result.document_id) == result.status
        assert deliveries_of(server_app, result.document_id) == 1
    # the counts the answer gives are the database's, and so are the list's
    counts = {c.client_id: c.failed_count for c in response.clients}
    assert set(counts) == set(by_client)
    database = failed_in_database(server_app)
    assert all(counts[c] == database.get(c, 0) for c in counts)
    summaries = {c.id: c async for c in admin.iter_clients()}
    assert all(s.failed_count == database.get(s.id, 0) for s in summaries.values())
    assert summaries[cases["many_failed"]].failed_count == 8  # 6 rejected, 2 without a type
    again = await admin.resend_firm_documents(chosen[:3])
    assert {r.outcome for r in again.results} <= {ActionOutcome.REFUSED, ActionOutcome.FAILED}


async def test_an_invisible_document_is_not_found_and_never_touched(
    employee: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    hidden = add_documents(engine_of(server_app), cases["hidden"], 1, today=SEED_TODAY)[0]
    south = add_documents(engine_of(server_app), cases["south_only"], 1, today=SEED_TODAY)[0]
    mine = (await queue(employee))[0]
    response = await employee.resend_firm_documents([hidden, mine.id, south, 2**53 - 1])
    refused = [r for r in response.results if r.document_id != mine.id]
    assert all(r.outcome is ActionOutcome.REFUSED for r in refused)
    assert all(r.message == f"Document {r.document_id} not found" for r in refused)
    assert all(r.client_id is None and r.status is None for r in refused)
    for document_id in (hidden, south):
        assert status_of(server_app, document_id) == "failed"
        assert deliveries_of(server_app, document_id) == 0
    assert {c.client_id for c in response.clients} <= {mine.client_id}


async def test_a_send_across_clients_sends_inbox_documents(
    admin: LucyClient, server_app: FastAPI
) -> None:
    inbox = (await admin.firm_documents_page(1, 40, status=DocumentStatus.INBOX)).items
    response = await admin.send_firm_documents([d.id for d in inbox])
    assert len({r.client_id for r in response.results}) > 3
    assert all(r.outcome is not ActionOutcome.REFUSED for r in response.results)
    summaries = {c.id: c async for c in admin.iter_clients()}
    for counts in response.clients:
        assert summaries[counts.client_id].inbox_count == counts.inbox_count


# --- destinations and the delivery history ---------------------------------------------------


async def test_a_copy_to_an_enabled_destination_keeps_the_status_and_is_never_doubled(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    rich = cases["rich"]  # Yuki, and the Dropbox archive enabled
    documents = [d async for p in admin.iter_document_pages(rich) for d in p.items]
    sent = next(d for d in documents if d.status is DocumentStatus.SENT)
    failed = next(d for d in documents if d.status is DocumentStatus.FAILED and d.type)
    response = await admin.send_documents(rich, [sent.id], destination="dropbox-archive")
    (result,) = response.results
    assert result.outcome is ActionOutcome.SENT and result.status is DocumentStatus.SENT
    assert result.destination == "Dropbox archive"
    again = await admin.send_documents(rich, [sent.id], destination="dropbox-archive")
    assert again.results[0].outcome is ActionOutcome.REFUSED
    assert again.results[0].message.startswith("Already delivered to Dropbox archive on")
    # a Failed document can get a copy and stays Failed for Yuki
    copy = await admin.resend_firm_documents([failed.id], destination="dropbox-archive")
    assert copy.results[0].outcome is ActionOutcome.SENT
    assert status_of(server_app, failed.id) == "failed"
    # the history, newest first: when, where, by whom, how
    detail = await admin.document(rich, sent.id)
    assert detail.id == sent.id and detail.status is DocumentStatus.SENT
    latest = detail.deliveries[0]
    assert latest.destination == "Dropbox archive" and latest.destination_id == "dropbox-archive"
    assert latest.success and latest.staff_name == "Ann Admin"
    assert latest.message == "Sent to Dropbox archive by API"


async def test_a_destination_that_is_not_enabled_is_refused_per_document(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    rich, ftp = cases["rich"], cases["ftp_package"]
    failed = [d for d in await queue(admin) if d.client_id in (rich, ftp) and d.type]
    response = await admin.resend_firm_documents(
        [d.id for d in failed], destination="dropbox-archive"
    )
    for document, result in zip(failed, response.results, strict=True):
        if document.client_id == rich:
            assert result.outcome is ActionOutcome.SENT
        else:
            assert result.outcome is ActionOutcome.REFUSED
            assert "Dropbox archive is not enabled for this client" in result.message
            assert deliveries_of(server_app, document.id) == 0
    # another package than the client's own is not where its documents go
    wrong = await admin.resend_firm_documents([failed[0].id], destination="octopus")
    assert wrong.results[0].outcome is ActionOutcome.REFUSED
    assert "Octopus is not this client's accounting software" in wrong.results[0].message
    own = await admin.resend_documents(
        ftp, [d.id for d in failed if d.client_id == ftp][:1], destination="expert-m"
    )
    assert own.results[0].outcome is ActionOutcome.SENT


async def test_an_unknown_destination_is_bad_input(admin: LucyClient) -> None:
    with pytest.raises(ValidationError):
        await admin.resend_firm_documents([1], destination="nowhere")


async def test_a_document_of_another_client_or_invisible_is_not_found(
    raw: httpx.AsyncClient,
    employee_token: str,
    admin_token: str,
    cases: dict[str, int],
    server_app: FastAPI,
) -> None:
    hidden = add_documents(engine_of(server_app), cases["hidden"], 1, today=SEED_TODAY)[0]
    for token, client in ((employee_token, cases["hidden"]), (admin_token, cases["rich"])):
        response = await raw.get(
            f"{API}/clients/{client}/documents/{hidden}", headers=bearer(token)
        )
        assert response.status_code == 404
    ok = await raw.get(
        f"{API}/clients/{cases['hidden']}/documents/{hidden}", headers=bearer(admin_token)
    )
    assert ok.status_code == 200 and ok.json()["deliveries"] == []


# --- the Failed count of an older database ---------------------------------------------------


@pytest.mark.sqlite_only("an earlier version's database: a SQLite file altered with sqlite3")
def test_an_older_database_gets_its_failed_counts(seeded_template: SeededFirm, tmp_path: Path):
    path = tmp_path / "old.db"
    # made before the migrations: no failed_count column, no ix_documents_status_id
    premigration_firm(path, seeded_template.path)
    engine = db.make_engine(path)
    migrate(engine)  # adopted by migration 0001, which adds the column and fills it in
    app = create_app(engine)
    assert failed_in_database(app)
    with db.read_tx(engine_of(app)) as conn:
        counts = dict(conn.execute(select(db.clients.c.id, db.clients.c.failed_count)).all())
        indexes = {i["name"] for i in conn.dialect.get_indexes(conn, "documents")}
    expected = failed_in_database(app)
    assert counts == {c: expected.get(c, 0) for c in counts}
    assert "ix_documents_status_id" in indexes
    engine_of(app).dispose()
