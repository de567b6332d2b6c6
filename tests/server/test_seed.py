"""The demo firm: deterministic, every case of the product present, valid identifiers."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from stdnum import iban as stdnum_iban
from stdnum.be import vat as be_vat

from lucy_server import db
from lucy_server.db import make_engine
from lucy_server.seed import DemoFirm, seed_demo
from tests.conftest import SEED_TODAY


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with db.read_tx(engine) as conn:
        for name, table in db.metadata.tables.items():
            # not the salted hashes, nor change_counter's database_id (each database's own
            # random identity, migration 0002): the firm is the same, the databases are two
            columns = [c for c in table.columns if c.name not in ("password_hash", "database_id")]
            tables[name] = [tuple(r) for r in conn.execute(select(*columns)).all()]
    return tables


@pytest.fixture(scope="module")
def default_firm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, DemoFirm]:
    engine = make_engine(tmp_path_factory.mktemp("default") / "firm.db")
    firm = seed_demo(engine, today=SEED_TODAY)
    return engine, firm


def test_same_seed_and_day_same_firm(tmp_path: Path) -> None:
    one = make_engine(tmp_path / "one.db")
    two = make_engine(tmp_path / "two.db")
    seed_demo(one, clients=60, seed=7, today=SEED_TODAY)
    seed_demo(two, clients=60, seed=7, today=SEED_TODAY)
    assert dump(one) == dump(two)
    three = make_engine(tmp_path / "three.db")
    seed_demo(three, clients=60, seed=8, today=SEED_TODAY)
    assert dump(three)["clients"] != dump(one)["clients"]


def test_seeding_twice_is_refused(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "firm.db")
    seed_demo(engine, clients=3, today=SEED_TODAY)
    with pytest.raises(RuntimeError):
        seed_demo(engine, clients=3, today=SEED_TODAY)


def test_default_firm_holds_every_case(default_firm: tuple[Engine, DemoFirm]) -> None:
    engine, firm = default_firm
    assert firm.clients == 150
    c = db.clients
    with db.read_tx(engine) as conn:
        clients = conn.execute(select(c)).all()
        statuses = Counter(r.status for r in clients)
        plans = Counter(r.plan for r in clients)
        assert set(statuses) == {"created", "invited", "active"}
        assert set(plans) == {"trial", "inbox", "billing", "business", "business_pro"}
        trial_ends = [r.trial_ends_on for r in clients if r.trial_ends_on]
        assert any(d <= SEED_TODAY + timedelta(days=7) for d in trial_ends)
        assert any(d > SEED_TODAY + timedelta(days=7) for d in trial_ends)
        assert all(r.plan == "trial" and r.status == "active" for r in clients if r.trial_ends_on)
        assert sum(r.hidden for r in clients) >= 2
        assert any(r.team_key == "|2|" for r in clients)  # South only
        assert any(r.team_key == "" for r in clients)
        providers = set(
            conn.scalars(
                select(db.peppol_registrations.c.other_provider).where(
                    db.peppol_registrations.c.registered_elsewhere
                )
            ).all()
        )
        assert {"Hermes", "Billit", "Unifiedpost"} <= providers
        connected = set(conn.scalars(select(db.bank_connections.c.client_id)).all())
        pro = {r.id for r in clients if r.plan == "business_pro"}
        assert pro & connected and pro - connected
        doc_statuses = Counter(conn.scalars(select(db.documents.c.status)).all())
        assert set(doc_statuses) == {"inbox", "sent", "failed"}
        reasons = conn.execute(
            select(db.documents.c.failure_reason, db.documents.c.reject_reason).where(
                db.documents.c.status == "failed"
            )
        ).all()
        assert all(r.failure_reason for r in reasons)
        assert any(r.reject_reason for r in reasons) and any(not r.reject_reason for r in reasons)
        users = Counter(conn.scalars(select(db.client_users.c.client_id)).all())
        assert 1 in users.values()
        packages = conn.scalars(select(db.client_integrations.c.accounting_package)).all()
        assert None in packages and any(packages)
        assert conn.scalar(select(func.count()).where(db.invoice_settings.c.numbering_locked))
        # inbox counts match the documents
        inbox = Counter(
            conn.scalars(
                select(db.documents.c.client_id).where(db.documents.c.status == "inbox")
            ).all()
        )
        assert {r.id: r.inbox_count for r in clients} == {r.id: inbox.get(r.id, 0) for r in clients}
        first = conn.execute(select(c).order_by(c.c.sort_name, c.c.id).limit(1)).one()
    assert first.id == firm.cases["rich"]


def test_identifiers_are_valid(default_firm: tuple[Engine, DemoFirm]) -> None:
    engine, _ = default_firm
    with db.read_tx(engine) as conn:
        rows = conn.execute(select(db.clients.c.enterprise_number, db.clients.c.vat_number)).all()
        ibans = list(conn.scalars(select(db.bank_accounts.c.iban)).all())
        ibans += [i for i in conn.scalars(select(db.invoice_settings.c.iban)).all() if i]
    assert len({r.enterprise_number for r in rows}) == len(rows)
    for enterprise, vat in rows:
        assert be_vat.is_valid(enterprise) and vat == "BE" + be_vat.compact(enterprise)
        digits = be_vat.compact(enterprise)
        assert int(digits[-2:]) == 97 - int(digits[:8]) % 97
    assert ibans and all(stdnum_iban.is_valid(i) for i in ibans)


def test_denormalised_columns_match_the_relations(
    default_firm: tuple[Engine, DemoFirm],
) -> None:
    from lucy_server import denorm

    engine, _ = default_firm
    with db.read_tx(engine) as conn:
        before = conn.execute(
            select(
                db.clients.c.id,
                db.clients.c.team_key,
                db.clients.c.team_names,
                db.clients.c.integration_names,
            ).order_by(db.clients.c.id)
        ).all()
    with db.write_tx(engine) as conn:
        for row in before:
            denorm.refresh(conn, row.id)
    with db.read_tx(engine) as conn:
        after = conn.execute(
            select(
                db.clients.c.id,
                db.clients.c.team_key,
                db.clients.c.team_names,
                db.clients.c.integration_names,
            ).order_by(db.clients.c.id)
        ).all()
    assert before == after


def test_large_firms_are_lean(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "large.db")
    firm = seed_demo(engine, clients=3000, today=date(2026, 1, 5))
    assert firm.documents < 3 * firm.clients


@pytest.mark.slow
def test_fifty_thousand_clients_take_seconds(tmp_path: Path) -> None:
    import time

    engine = make_engine(tmp_path / "huge.db")
    started = time.perf_counter()
    firm = seed_demo(engine, clients=50_000, today=SEED_TODAY)
    elapsed = time.perf_counter() - started
    assert firm.clients == 50_000
    assert elapsed < 30, f"seeding 50,000 clients took {elapsed:.1f} s"


def test_in_memory_database() -> None:
    from lucy_server.app import create_app
    from lucy_server.migrations import migrate

    engine = make_engine("sqlite://")
    migrate(engine)  # the one connection of an in-memory database: migrated, then served
    create_app(engine)
    firm = seed_demo(engine, clients=4, today=SEED_TODAY)
    with db.read_tx(engine) as conn:
        assert conn.scalar(select(func.count()).select_from(db.clients)) == firm.clients


@pytest.mark.parametrize("clients", [None, 3000])
def test_no_two_clients_share_a_name(tmp_path: Path, clients: int | None) -> None:
    """The demo reads like a real firm: no twins (the 150-client demo had two
    "Elektro Simon BV"); a later namesake gets a partner's surname instead."""
    engine = make_engine(tmp_path / "firm.db")
    if clients is None:
        seed_demo(engine, today=SEED_TODAY)
    else:
        seed_demo(engine, clients=clients, seed=0, today=SEED_TODAY)
    with db.read_tx(engine) as conn:
        names = conn.scalars(select(db.clients.c.name)).all()
    engine.dispose()
    twins = [name for name, count in Counter(names).items() if count > 1]
    assert twins == []
    if clients is None:
        assert "Elektro Simon BV" in names and "Elektro Simon & Hermans BV" in names


def test_a_firm_seeded_on_postgresql_has_the_planners_statistics(pg_databases) -> None:  # type: ignore[no-untyped-def]
    """Without them (autovacuum not there yet: the tests' cluster runs without it) the
    planner guessed, and a client's PATCH took 257 ms instead of 25 on 50,000 clients."""
    engine = make_engine(pg_databases.cluster.url(pg_databases.create()))
    try:
        seed_demo(engine, clients=30, seed=0, today=SEED_TODAY)
        with engine.connect() as conn:
            analysed = conn.scalars(text("SELECT DISTINCT tablename FROM pg_stats")).all()
        assert {"clients", "documents", "client_teams"} <= set(analysed)
    finally:
        engine.dispose()
