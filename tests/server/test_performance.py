"""The figures of the issue, as slow checks (``pytest -m slow``)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from lucy_server.app import create_app
from lucy_server.db import make_engine
from lucy_server.seed import add_documents, seed_demo
from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import ActionOutcome, DocumentStatus
from tests.conftest import SEED_TODAY

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_firm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "firm.db"
    engine = make_engine(path)
    seed_demo(engine, clients=10_000, today=SEED_TODAY)
    engine.dispose()
    return path


@pytest.mark.sqlite_only("the embedded default's budget, on a SQLite file")
async def test_ten_thousand_clients_in_pages_of_500_within_300_ms(big_firm: Path) -> None:
    app = create_app(big_firm)
    async with LucyClient("http://lucy.test", transport=httpx.ASGITransport(app=app)) as client:
        await client.login("admin@demo-firm.be", "lucy-demo")
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            count = 0
            async for page in client.iter_client_pages(500):
                count += len(page.items)
            timings.append(time.perf_counter() - started)
            assert count == 10_000
    app.state.lucy.engine.dispose()
    assert min(timings) < 0.300, f"whole list took {min(timings) * 1000:.0f} ms"


@pytest.mark.sqlite_only("the embedded default's budget, on a SQLite file")
async def test_bulk_resend_beats_single_requests(big_firm: Path) -> None:
    app = create_app(big_firm)
    engine = app.state.lucy.engine
    bulk_ids = add_documents(engine, 1, 1000, DocumentStatus.FAILED, today=SEED_TODAY)
    single_ids = add_documents(engine, 1, 1000, DocumentStatus.FAILED, seed=1, today=SEED_TODAY)
    async with LucyClient("http://lucy.test", transport=httpx.ASGITransport(app=app)) as client:
        await client.login("admin@demo-firm.be", "lucy-demo")
        started = time.perf_counter()
        result = await client.resend_documents(1, bulk_ids)
        bulk = time.perf_counter() - started
        assert all(r.outcome is ActionOutcome.SENT for r in result.results)
        started = time.perf_counter()
        for document_id in single_ids:
            await client.resend_documents(1, [document_id])
        single = time.perf_counter() - started
    engine.dispose()
    assert single / bulk >= 10, f"bulk {bulk:.3f} s, single {single:.3f} s"
