"""``GET /clients?changed_since=``: every change of what a list row shows makes the client
count as changed, a client leaving someone's view is named to them (and only to those who
saw it), and the server says ``reset`` when it cannot answer from a token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from lucy_server import changes, db
from lucy_server.peppol.lookup import LookupResult
from lucy_server.peppol.service import store_result
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import ValidationError
from lucy_tui.api.models import (
    ClientIntegrationsUpdate,
    ClientPage,
    ClientUpdate,
    DocumentStatus,
    InvoiceSettingsUpdate,
    PeppolLookupState,
    Plan,
)
from tests.conftest import SEED_NOW, SMALL_FIRM


async def token_of(client: LucyClient) -> str:
    token = (await client.clients_page(page_size=1)).changes
    assert token
    return token


async def changed(client: LucyClient, token: str) -> ClientPage:
    return await client.clients_page(page_size=500, changed_since=token)


def engine(app: FastAPI) -> Engine:
    result: Engine = app.state.lucy.engine
    return result


async def test_nothing_changed_answers_no_row_and_the_same_token(admin: LucyClient) -> None:
    token = await token_of(admin)
    page = await changed(admin, token)
    assert (page.items, page.total, page.removed, page.reset) == ([], 0, [], False)
    assert page.changes == token


async def test_every_page_of_a_walk_gives_the_first_pages_token(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    first = await admin.clients_page(page_size=10)
    client = await admin.client(cases["rich"])
    await admin.update_client(client.id, ClientUpdate(name="Aalter Interieur NV"), client.version)
    second = await admin.clients_page(page_size=10, after=first.next)
    assert second.changes == first.changes  # the change after the first page is still news
    assert [c.id for c in (await changed(admin, first.changes or "")).items] == [client.id]


# --- what counts as a change ------------------------------------------------------------------


Change = Callable[[LucyClient, FastAPI, dict[str, int]], Awaitable[int]]


async def _rename(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    c = await admin.client(cases["rich"])
    await admin.update_client(c.id, ClientUpdate(name="Aalter Interieur NV"), c.version)
    return c.id


async def _plan(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    c = await admin.client(cases["rich"])
    await admin.update_client(c.id, ClientUpdate(plan=Plan.INBOX), c.version)
    return c.id


async def _contact(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    c = await admin.client(cases["rich"])
    await admin.update_client(c.id, ClientUpdate(contact_id=1), c.version)
    return c.id


async def _teams(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    c = await admin.client(cases["rich"])
    await admin.update_client(c.id, ClientUpdate(team_ids=[1, 2]), c.version)
    return c.id


async def _invite(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    await admin.invite_client(cases["created"])
    return cases["created"]


async def _peppol(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    client_id = cases["rich"]
    registration = await admin.peppol(client_id)
    await admin.set_peppol(client_id, sending=False, receiving=False, version=registration.version)
    return client_id


async def _send(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    client_id = cases["ftp_package"]
    inbox = await admin.documents_page(client_id, page_size=1, status=DocumentStatus.INBOX)
    await admin.send_documents(client_id, [inbox.items[0].id])  # the Inbox count
    return client_id


async def _resend(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    client_id = cases["many_failed"]
    failed = await admin.documents_page(client_id, page_size=1, status=DocumentStatus.FAILED)
    await admin.resend_documents(client_id, [failed.items[0].id])  # the Failed count
    return client_id


async def _package(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    client_id = cases["no_package"]
    current = await admin.client_integrations(client_id)
    await admin.set_client_integrations(
        client_id, ClientIntegrationsUpdate(accounting_package="yuki"), current.version
    )
    return client_id


async def _lookup(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    client_id = cases["created"]  # the Peppol network column
    result = LookupResult(PeppolLookupState.NOT_REGISTERED)
    with db.write_tx(engine(app)) as conn:
        store_result(conn, client_id, result, SEED_NOW)
    return client_id


async def _contact_renamed(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    """No endpoint renames staff yet; a rename in the database must still count."""
    with db.write_tx(engine(app)) as conn:
        conn.execute(update(db.staff).where(db.staff.c.id == 2).values(name="Eric Employé"))
    return cases["rich"]  # Eric is its contact


async def _team_renamed(admin: LucyClient, app: FastAPI, cases: dict[str, int]) -> int:
    with db.write_tx(engine(app)) as conn:
        conn.execute(update(db.teams).where(db.teams.c.id == 2).values(name="Zuid"))
    return cases["south_only"]


CHANGES: dict[str, Change] = {
    "name": _rename,
    "plan": _plan,
    "contact": _contact,
    "teams": _teams,
    "invitation": _invite,
    "peppol switches": _peppol,
    "send (inbox count)": _send,
    "resend (failed count)": _resend,
    "accounting package": _package,
    "peppol lookup": _lookup,
    "contact renamed": _contact_renamed,
    "team renamed": _team_renamed,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
async def test_every_change_of_a_list_row_counts(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int], change: Change
) -> None:
    token = await token_of(admin)
    client_id = await change(admin, server_app, cases)
    page = await changed(admin, token)
    rows = {c.id: c for c in page.items}
    assert client_id in rows
    whole = {c.id: c for c in (await admin.clients_page(1, 500)).items}
    assert rows[client_id] == whole[client_id]  # the row as the full list shows it now
    assert page.changes != token
    assert (await changed(admin, page.changes or "")).items == []


async def test_a_change_of_nothing_the_list_shows_does_not_count(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    """Another table's change (the invoice settings): no row is sent. (A
    write to the client's own row counts, whichever column: the allowed senders' version
    is one; that costs a row, never a missed change.)"""
    token = await token_of(admin)
    client_id = cases["rich"]
    current = await admin.invoice_settings(client_id)
    body = InvoiceSettingsUpdate.model_validate(
        current.model_dump(include=set(InvoiceSettingsUpdate.model_fields))
        | {"footer": "Betaalbaar binnen 30 dagen"}
    )
    await admin.save_invoice_settings(client_id, body, current.version)
    assert (await changed(admin, token)).items == []


# --- leaving the view ---------------------------------------------------------------------------


async def test_a_hidden_client_is_removed_for_employees_and_changed_for_admins(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    employee_token, admin_token = await token_of(employee), await token_of(admin)
    c = await admin.client(client_id)
    await admin.update_client(client_id, ClientUpdate(hidden=True), c.version)
    seen = await changed(employee, employee_token)
    assert (seen.items, seen.removed, seen.reset) == ([], [client_id], False)
    assert seen.total == 0
    admins = await changed(admin, admin_token)
    assert [(r.id, r.hidden) for r in admins.items] == [(client_id, True)]
    assert admins.removed == []
    # shown again: back in the employee's changes, and no longer removed
    c = await admin.client(client_id)
    await admin.update_client(client_id, ClientUpdate(hidden=False), c.version)
    again = await changed(employee, employee_token)
    assert [r.id for r in again.items] == [client_id] and again.removed == []


async def test_a_client_moved_to_another_team_is_removed(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]  # North; the employee is in North only
    token = await token_of(employee)
    c = await admin.client(client_id)
    await admin.update_client(client_id, ClientUpdate(team_ids=[2]), c.version)
    assert (await changed(employee, token)).removed == [client_id]


async def test_nothing_is_told_of_clients_the_employee_never_saw(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    token = await token_of(employee)
    for case in ("south_only", "hidden"):
        c = await admin.client(cases[case])
        await admin.update_client(c.id, ClientUpdate(name=c.name + " X"), c.version)
    c = await admin.client(cases["south_only"])  # hidden, then moved: never visible
    await admin.update_client(c.id, ClientUpdate(hidden=True), c.version)
    page = await changed(employee, token)
    assert (page.items, page.removed) == ([], [])


async def test_a_deleted_client_is_removed(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    token = await token_of(admin)
    client_id = cases["single_user"]
    with db.write_tx(engine(server_app)) as conn:
        row = conn.execute(select(db.clients).where(db.clients.c.id == client_id)).one()
        changes.record_exit(conn, client_id, team_key=row.team_key, hidden=row.hidden)
        conn.execute(delete(db.clients).where(db.clients.c.id == client_id))
    page = await changed(admin, token)
    assert (page.items, page.removed) == ([], [client_id])
    assert (await admin.clients_page(page_size=1)).total == SMALL_FIRM - 1


# --- when the server cannot tell ----------------------------------------------------------------


async def test_the_employees_teams_changed_wholesale_answers_reset(
    employee: LucyClient, server_app: FastAPI
) -> None:
    token = await token_of(employee)
    with db.write_tx(engine(server_app)) as conn:
        conn.execute(db.staff_teams.insert().values(staff_id=2, team_id=2))
    page = await changed(employee, token)
    assert (page.reset, page.items, page.removed, page.changes) == (True, [], [], None)


async def test_a_token_of_another_database_answers_reset(
    admin: LucyClient, server_app: FastAPI
) -> None:
    token = await token_of(admin)
    with db.write_tx(engine(server_app)) as conn:
        conn.execute(update(db.change_counter).values(database_id="another"))
    assert (await changed(admin, token)).reset


async def test_a_token_ahead_of_the_database_answers_reset(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    """A database restored from a backup older than the token."""
    c = await admin.client(cases["rich"])
    await admin.update_client(c.id, ClientUpdate(name="Aalter Interieur NV"), c.version)
    token = await token_of(admin)
    with db.write_tx(engine(server_app)) as conn:
        conn.execute(update(db.change_counter).values(value=db.change_counter.c.value - 1))
    assert (await changed(admin, token)).reset


async def test_a_token_older_than_the_kept_exits_answers_reset(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    token = await token_of(admin)
    c = await admin.client(cases["rich"])
    await admin.update_client(c.id, ClientUpdate(hidden=True), c.version)
    with db.write_tx(engine(server_app)) as conn:
        assert changes.prune_exits(conn, SEED_NOW + timedelta(days=3650)) == 1
    assert (await changed(admin, token)).reset
    assert not (await changed(admin, await token_of(admin))).reset


async def test_removals_older_than_kept_are_forgotten_when_a_new_one_is_recorded(
    admin: LucyClient, employee: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    old_token = await token_of(employee)
    c = await admin.client(cases["rich"])
    await admin.update_client(c.id, ClientUpdate(hidden=True), c.version)
    with db.write_tx(engine(server_app)) as conn:  # that removal, long ago
        conn.execute(update(db.client_exits).values(at=datetime.now(UTC) - changes.EXITS_KEPT * 2))
    token = await token_of(employee)
    assert (await changed(employee, old_token)).removed == [c.id]  # still kept
    c = await admin.client(cases["both_teams"])
    await admin.update_client(c.id, ClientUpdate(hidden=True), c.version)  # a new removal
    assert (await changed(employee, old_token)).reset  # older than what is kept
    page = await changed(employee, token)
    assert (page.reset, page.removed) == (False, [c.id])  # the new one is kept


@pytest.mark.parametrize("token", ["garbage", "c1.!!!", "c1.W10", "c1.eyJzIjotMX0"])
async def test_a_token_the_server_never_gave_is_refused(admin: LucyClient, token: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await changed(admin, token)
    assert caught.value.code == "invalid_changes_token"


async def test_a_token_of_another_version_answers_reset(admin: LucyClient) -> None:
    assert (await changed(admin, "c9.whatever")).reset


async def test_changed_since_does_not_take_filters(admin: LucyClient) -> None:
    token = await token_of(admin)
    with pytest.raises(ValidationError) as caught:
        await admin.clients_page(changed_since=token, q="aalter")
    assert "changed_since" in caught.value.field_errors


async def test_many_changes_page_by_cursor(admin: LucyClient, server_app: FastAPI) -> None:
    token = await token_of(admin)
    with db.write_tx(engine(server_app)) as conn:  # every client at once (a bulk switch)
        conn.execute(update(db.clients).values(peppol_sending=True))
    pages = [p async for p in admin.iter_client_changes(token, page_size=7)]
    ids = [c.id for p in pages for c in p.items]
    assert len(ids) == len(set(ids)) == SMALL_FIRM
    assert {p.changes for p in pages} == {pages[0].changes}
    assert all(p.total == SMALL_FIRM for p in pages)


async def test_a_write_past_the_tracking_counts_as_changed(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    """A row written outside db.write_tx has no number: it is sent every time, never lost."""
    token = await token_of(admin)
    with engine(server_app).begin() as conn:
        conn.execute(
            update(db.clients).where(db.clients.c.id == cases["rich"]).values(inbox_count=99)
        )
    for _ in range(2):
        page = await changed(admin, token)
        assert [c.id for c in page.items] == [cases["rich"]]
        token = page.changes or ""
