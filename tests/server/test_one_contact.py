"""One contact person, and names in the order people read them (issue 11).

The list's contact column and the client file's Client-Facing Contact Person are one field,
``contact_id``, which only an admin changes; a database written by an earlier version, with
two fields, keeps every client's contact (the client-facing one wins where both were set).
Names sort and search without accents or case.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lucy_server import db
from lucy_server.app import create_app
from lucy_server.migrations import migrate
from lucy_tui.api.client import LucyClient
from lucy_tui.api.folding import fold
from lucy_tui.api.models import ClientCreate
from tests.conftest import FakeClock, SeededFirm

from .conftest import ADMIN, _typed, issue_token
from .premigration import premigration_firm


def old_database(path: Path, template: Path) -> dict[str, tuple[int | None, int | None]]:
    """The demo firm as an earlier version (before the migrations) left it: two contact
    fields, names sorted by casefold only. Returns the (contact_id, client_contact_id) set
    per client."""
    premigration_firm(path, template)
    two_fields = {1: (1, 2), 2: (3, None), 3: (None, 4), 4: (None, None), 5: (2, 2)}
    connection = sqlite3.connect(path)
    with connection:
        for client_id, (contact, client_facing) in two_fields.items():
            connection.execute(
                "UPDATE clients SET contact_id = ?, client_contact_id = ? WHERE id = ?",
                (contact, client_facing, client_id),
            )
        connection.execute(
            "UPDATE clients SET name = ?, sort_name = ? WHERE id = 6",
            ("Électricité Dubois", "électricité dubois"),
        )
    connection.close()
    return two_fields


@pytest.mark.sqlite_only("an earlier version's database: a SQLite file altered with sqlite3")
async def test_an_older_database_keeps_every_contact_and_sorts_by_the_new_key(
    seeded_template: SeededFirm, tmp_path: Path, clock: FakeClock
) -> None:
    database = tmp_path / "old.db"
    two_fields = old_database(database, seeded_template.path)
    engine = db.make_engine(database)
    assert migrate(engine).before.revision is None  # adopted: the data upgraded (0001)
    app = create_app(engine, clock=clock)
    async with _typed(app, issue_token(app, ADMIN)) as admin:
        rows = {c.id: c for c in (await admin.clients_page(1, 500)).items}
        for client_id, (contact, client_facing) in two_fields.items():
            wanted = client_facing if client_facing is not None else contact
            assert rows[client_id].contact_id == wanted, client_id
            detail = await admin.client(client_id)
            assert detail.contact_id == wanted
        names = [c.name for c in (await admin.clients_page(1, 500)).items]
        keys = [fold(name) for name in names]
        assert keys == sorted(keys)  # "Électricité" among the E's, not after the Z's
        assert names[-1] != "Électricité Dubois"
        found = await admin.clients_page(1, 50, q="electricite")
        assert [c.name for c in found.items] == ["Électricité Dubois"]
    with db.read_tx(app.state.lucy.engine) as conn:  # the old field is emptied, once
        assert (
            conn.execute(
                db.clients.select().where(db.clients.c.client_contact_id.is_not(None))
            ).first()
            is None
        )
    versions = {c.id: c.version for c in rows.values()}
    assert not migrate(engine).changed  # a second migrate changes nothing more
    again = create_app(database, clock=clock)
    async with _typed(again, issue_token(again, ADMIN)) as admin:
        assert {c.id: c.version for c in (await admin.clients_page(1, 500)).items} == versions
    app.state.lucy.engine.dispose()
    again.state.lucy.engine.dispose()


async def test_a_new_client_sorts_and_is_found_without_accents(admin: LucyClient) -> None:
    await admin.create_client(
        ClientCreate(name="Écolage Zénith SRL", enterprise_number="0417.497.106", email="a@b.be"),
        idempotency_key="new-accented",
    )
    page = await admin.clients_page(1, 500)
    names = [c.name for c in page.items]
    position = names.index("Écolage Zénith SRL")
    assert names[position - 1].casefold() < "ecolage" < names[position + 1].casefold()
    assert [c.name for c in (await admin.clients_page(1, 50, q="ZENITH")).items] == [
        "Écolage Zénith SRL"
    ]
