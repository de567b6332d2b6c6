"""What the server promises alike on SQLite and on PostgreSQL (each test here runs on both).

The rest of the server suite runs on both backends too (tests/conftest.py); these tests are
about what differs between the two databases themselves: how text is ordered, what an
integer column holds, the ids the seed inserted, and the tests' own PostgreSQL fixture.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lucy_server import db
from lucy_tui.api.client import LucyClient
from lucy_tui.api.folding import fold
from lucy_tui.api.models import ActionOutcome, ClientCreate, Plan
from tests import pg

# Names whose sort keys a language's collation (PostgreSQL's default, and the tests' cluster's:
# ICU en-US) orders otherwise than by code point: it ranks "-" before "(" before "&" before
# " ", and "_" "." "+" before letters; the list orders by code point ("C") on every backend.
NAMES = [
    "Smit & Zonen BV",
    "Smit - Zonen BV",
    "Smit_Zonen BV",
    "Smit (Zonen) BV",
    "Smit+Zonen BV",
    "Smit.Zonen BV",
    "Smitzonen BV",
    "Smit Zonen BV",
]


def enterprise_number(n: int) -> str:
    """A valid enterprise number no seeded client has (the seed draws from 02000000 up)."""
    base = 1_000_000 + n
    digits = f"{base:08d}{97 - base % 97:02d}"
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


async def test_the_client_list_orders_names_by_code_point_on_every_backend(
    admin: LucyClient,
) -> None:
    made = {}
    for n, name in enumerate(NAMES):
        client = await admin.create_client(
            ClientCreate(
                name=name,
                enterprise_number=enterprise_number(n),
                email=f"smit{n}@example.be",
                plan=Plan.BUSINESS,
            )
        )
        made[client.id] = name
    wanted = sorted(made, key=lambda client_id: (fold(made[client_id]), client_id))
    listed = [c.id for c in (await admin.clients_page(1, 500)).items if c.id in made]
    assert listed == wanted
    # a walk by cursor, one row a page: each cursor compares sort keys as the order does
    walked = []
    async for page in admin.iter_client_pages(page_size=1, q="smit"):
        walked += [c.id for c in page.items if c.id in made]
    assert walked == wanted


async def test_a_new_row_after_the_seed_gets_the_next_id(
    admin: LucyClient, seeded_db: Path | str
) -> None:
    """The seed inserts its rows with their ids; PostgreSQL's sequences must be moved past
    them (db.sync_sequences), or the first new client collides with client 1."""
    engine = db.make_engine(seeded_db)
    try:
        with db.read_tx(engine) as conn:
            highest = conn.scalar(select(func.max(db.clients.c.id)))
    finally:
        engine.dispose()
    client = await admin.create_client(
        ClientCreate(
            name="Nieuw BV",
            enterprise_number=enterprise_number(50),
            email="nieuw@example.be",
            plan=Plan.BUSINESS,
        )
    )
    assert highest is not None and client.id == highest + 1


@pytest.mark.parametrize("client_id", [2**31, 2**53 - 1])
async def test_an_id_past_an_integer_column_is_not_found_not_a_server_error(
    admin: LucyClient, client_id: int, cases: dict[str, int]
) -> None:
    """PostgreSQL's INTEGER holds up to 2**31 - 1; the API takes ids up to 2**53 - 1."""
    from lucy_tui.api.errors import NotFoundError

    with pytest.raises(NotFoundError):
        await admin.client(client_id)
    answer = await admin.send_documents(cases["rich"], [client_id])
    assert [(r.document_id, r.outcome) for r in answer.results] == [
        (client_id, ActionOutcome.REFUSED)
    ]


def test_the_seeded_database_is_put_back_before_each_test(
    pg_firm: pg.SeededDatabase,
) -> None:
    """The PostgreSQL fixture's restore: rows changed, added and removed come back as seeded,
    and so does the id sequence."""
    pg_firm.restore()
    engine = db.make_engine(pg_firm.url)
    clients = db.clients

    def state() -> tuple[object, ...]:
        with db.read_tx(engine) as conn:
            return (
                conn.execute(select(clients).order_by(clients.c.id)).all(),
                conn.scalar(select(func.count()).select_from(db.documents)),
            )

    try:
        seeded = state()
        with db.write_tx(engine) as conn:
            conn.execute(clients.update().where(clients.c.id == 1).values(name="Changed"))
            conn.execute(db.documents.delete())
        pg_firm.restore()  # also closes this engine's connections: the pool makes new ones
        assert state() == seeded
        with db.write_tx(engine) as conn:
            new_id = db.inserted_id(
                conn.execute(db.teams.insert().values(name="A team of the test"))
            )
        pg_firm.restore()
        with db.write_tx(engine) as conn:
            again = db.inserted_id(conn.execute(db.teams.insert().values(name="Another")))
        assert again == new_id  # the sequence came back too
    finally:
        engine.dispose()
        pg_firm.restore()


def test_writes_run_one_at_a_time_and_each_sees_the_writes_before_it(
    seeded_db: Path | str,
) -> None:
    """The guarantee every read-modify-write of the server stands on (a version check and
    its update, an idempotency claim, a send): SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory
    write lock. Without it, READ COMMITTED loses most of these increments."""
    clients = db.clients
    engine = db.make_engine(seeded_db)

    def count() -> int:
        with db.read_tx(engine) as conn:
            return int(conn.scalar(select(clients.c.inbox_count).where(clients.c.id == 1)) or 0)

    def bump(_: int) -> None:
        with db.write_tx(engine) as conn:
            value = conn.scalar(select(clients.c.inbox_count).where(clients.c.id == 1))
            time.sleep(0.002)  # another writer would read the same value meanwhile
            conn.execute(clients.update().where(clients.c.id == 1).values(inbox_count=value + 1))

    try:
        before = count()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(bump, range(40)))
        assert count() == before + 40
        # a reader is not held up by a writer holding the lock
        held, release = threading.Event(), threading.Event()

        def hold() -> None:
            with db.write_tx(engine) as conn:
                conn.execute(clients.update().where(clients.c.id == 2).values(city="Held"))
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        try:
            assert held.wait(10)
            started = time.monotonic()
            assert count() == before + 40
            assert time.monotonic() - started < 2
        finally:
            release.set()
            holder.join(10)
    finally:
        engine.dispose()
