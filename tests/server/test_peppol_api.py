"""The Peppol lookup through the API, against a local SML and SMP (tests/peppol_fakes.py):
on demand, in the background on creation, in bulk with a cache; and switching many clients
on in one idempotent request."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from lucy_server import db
from lucy_server.app import create_app
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import ConflictError, NotFoundError
from lucy_tui.api.models import (
    ClientCreate,
    PeppolActivationOutcome,
    PeppolLookupOutcome,
)
from lucy_tui.api.models import PeppolLookupState as State
from tests.conftest import FakeClock
from tests.peppol_fakes import OWN_SMP, FakeSml, FakeSmp

from .conftest import ADMIN, API, BASE_URL, EMPLOYEE, bearer, issue_token


@pytest.fixture
def network() -> Iterator[tuple[FakeSml, FakeSmp]]:
    with FakeSml() as sml, FakeSmp() as smp:
        yield sml, smp


@pytest.fixture
def peppol_app(
    seeded_db: Path, clock: FakeClock, network: tuple[FakeSml, FakeSmp]
) -> Iterator[FastAPI]:
    sml, _ = network
    app = create_app(seeded_db, clock=clock, peppol_settings=sml.settings(dns_timeout=1.0))
    yield app
    app.state.lucy.peppol.close()
    app.state.lucy.engine.dispose()


def _typed(app: FastAPI, email: str) -> LucyClient:
    token = issue_token(app, email)
    return LucyClient(BASE_URL, token=token, transport=httpx.ASGITransport(app=app), retries=0)


@pytest.fixture
async def admin_p(peppol_app: FastAPI) -> AsyncIterator[LucyClient]:
    async with _typed(peppol_app, ADMIN) as client:
        yield client


@pytest.fixture
async def employee_p(peppol_app: FastAPI) -> AsyncIterator[LucyClient]:
    async with _typed(peppol_app, EMPLOYEE) as client:
        yield client


async def participant(client: LucyClient, client_id: int) -> str:
    detail = await client.client(client_id)
    return "0208:" + detail.enterprise_number.replace(".", "")


async def summary_of(client: LucyClient, client_id: int):  # type: ignore[no-untyped-def]
    async for item in client.iter_clients():
        if item.id == client_id:
            return item
    raise AssertionError(f"client {client_id} not in the list")


async def test_a_lookup_that_finds_another_provider_blocks_receiving(
    admin_p: LucyClient, network: tuple[FakeSml, FakeSmp], cases: dict[str, int], clock: FakeClock
) -> None:
    sml, smp = network
    client_id = cases["created"]
    pid = await participant(admin_p, client_id)
    smp.register(pid, provider="Zenvoices Peppol BV", seat="PBE000777")
    sml.point(pid, smp.url)
    before = await admin_p.peppol(client_id)
    assert not before.receiving and not before.registered_elsewhere

    registration = await admin_p.lookup_peppol(client_id)
    assert registration.registered_elsewhere
    assert registration.other_provider == "Zenvoices Peppol BV"
    lookup = registration.lookup
    assert lookup.state is State.REGISTERED_ELSEWHERE
    assert (lookup.provider, lookup.seat_id, lookup.smp_host) == (
        "Zenvoices Peppol BV",
        "PBE000777",
        smp.host,
    )
    assert lookup.access_point_url == "https://ap.billit.test/as4"
    assert lookup.checked_at == clock.now
    assert registration.version == before.version + 1  # the rule's input changed

    with pytest.raises(ConflictError) as refused:
        await admin_p.set_peppol(
            client_id, sending=False, receiving=True, version=registration.version
        )
    assert refused.value.code == "peppol_registered_elsewhere"
    assert "Zenvoices Peppol BV" in refused.value.message
    assert refused.value.details == {"provider": "Zenvoices Peppol BV"}
    summary = await summary_of(admin_p, client_id)
    assert summary.peppol_network is State.REGISTERED_ELSEWHERE and not summary.peppol_stale


async def test_a_failed_lookup_keeps_the_last_good_result_stale(
    admin_p: LucyClient, network: tuple[FakeSml, FakeSmp], cases: dict[str, int], clock: FakeClock
) -> None:
    sml, smp = network
    client_id = cases["created"]
    pid = await participant(admin_p, client_id)
    smp.register(pid, provider="Billit NV")
    sml.point(pid, smp.url)
    good = await admin_p.lookup_peppol(client_id)
    checked_at = good.lookup.checked_at
    clock.advance(hours=1)
    sml.mute(pid)
    failed = await admin_p.lookup_peppol(client_id)
    lookup = failed.lookup
    assert lookup.state is State.LOOKUP_FAILED
    assert lookup.stale and lookup.last_good_state is State.REGISTERED_ELSEWHERE
    assert "DNS timeout" in (lookup.message or "")
    assert lookup.provider == "Billit NV" and lookup.checked_at == checked_at
    assert lookup.failed_at == clock.now
    assert failed.registered_elsewhere and failed.other_provider == "Billit NV"
    assert failed.version == good.version  # nothing the rules read changed
    summary = await summary_of(admin_p, client_id)
    assert summary.peppol_network is State.REGISTERED_ELSEWHERE and summary.peppol_stale


async def test_not_registered_any_more_lifts_the_block(
    admin_p: LucyClient, cases: dict[str, int]
) -> None:
    client_id = cases["peppol_hermes"]  # seeded as registered with Hermes
    seeded = await admin_p.peppol(client_id)
    assert seeded.registered_elsewhere and seeded.lookup.provider == "Hermes"
    registration = await admin_p.lookup_peppol(client_id)  # the local SML knows nobody
    assert registration.lookup.state is State.NOT_REGISTERED
    assert registration.lookup.provider is None
    assert not registration.registered_elsewhere and registration.other_provider is None
    switched = await admin_p.set_peppol(
        client_id, sending=registration.sending, receiving=True, version=registration.version
    )
    assert switched.receiving


async def test_registered_here(
    admin_p: LucyClient, network: tuple[FakeSml, FakeSmp], cases: dict[str, int]
) -> None:
    sml, _ = network
    client_id = cases["created"]
    sml.point(await participant(admin_p, client_id), f"https://{OWN_SMP}/")
    registration = await admin_p.lookup_peppol(client_id)
    assert registration.lookup.state is State.REGISTERED_HERE
    assert registration.lookup.smp_host == OWN_SMP
    assert not registration.registered_elsewhere


async def test_lookup_of_an_invisible_client_is_404(
    employee_p: LucyClient, cases: dict[str, int]
) -> None:
    with pytest.raises(NotFoundError):
        await employee_p.lookup_peppol(cases["hidden"])


async def test_a_server_with_lookups_off_says_so(admin: LucyClient, cases: dict[str, int]) -> None:
    with pytest.raises(ConflictError) as refused:
        await admin.lookup_peppol(cases["created"])
    assert refused.value.code == "peppol_lookup_off"
    response = await admin.check_peppol([cases["created"]])
    assert response.results[0].outcome is PeppolLookupOutcome.OFF


async def test_a_new_client_is_looked_up_in_the_background(
    peppol_app: FastAPI, admin_p: LucyClient, network: tuple[FakeSml, FakeSmp]
) -> None:
    sml, smp = network
    pid = "0208:0403170701"
    smp.register(pid, provider="Basware Oy", seat="PFI000304")
    sml.point(pid, smp.url)
    sml.hold(pid)  # the SML answers only when released
    created = await admin_p.create_client(
        ClientCreate(name="Nieuw BV", enterprise_number="0403.170.701", email="a@nieuw.be")
    )
    # The answer came while the lookup was still waiting for DNS.
    deadline = time.monotonic() + 5
    while sml.name(pid) not in sml.questions and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sml.name(pid) in sml.questions
    pending = await admin_p.peppol(created.id)
    assert pending.lookup.state is State.UNCHECKED
    sml.release()
    peppol_app.state.lucy.peppol.wait_idle()
    done = await admin_p.peppol(created.id)
    assert done.lookup.state is State.REGISTERED_ELSEWHERE
    assert done.other_provider == "Basware Oy"


async def test_bulk_lookups_use_the_cache_and_visibility(
    admin_p: LucyClient,
    employee_p: LucyClient,
    network: tuple[FakeSml, FakeSmp],
    cases: dict[str, int],
    clock: FakeClock,
) -> None:
    sml, smp = network
    ids = [cases["created"], cases["rich"], cases["hidden"]]
    pid = await participant(admin_p, cases["created"])
    smp.register(pid, provider="Banqup BV")
    sml.point(pid, smp.url)
    first = await admin_p.check_peppol(ids)
    assert [r.outcome for r in first.results] == [PeppolLookupOutcome.CHECKED] * 3
    assert first.results[0].lookup is not None
    assert first.results[0].lookup.provider == "Banqup BV"
    assert first.results[0].registered_elsewhere
    asked = len(sml.questions)

    again = await admin_p.check_peppol(ids)
    assert [r.outcome for r in again.results] == [PeppolLookupOutcome.CACHED] * 3
    assert len(sml.questions) == asked  # nobody was asked again
    forced = await admin_p.check_peppol(ids[:1], force=True)
    assert forced.results[0].outcome is PeppolLookupOutcome.CHECKED
    clock.advance(seconds=901)
    later = await admin_p.check_peppol(ids[1:2])
    assert later.results[0].outcome is PeppolLookupOutcome.CHECKED

    as_employee = await employee_p.check_peppol([cases["hidden"], 999_999])
    assert [r.outcome for r in as_employee.results] == [PeppolLookupOutcome.NOT_FOUND] * 2
    assert all(r.lookup is None for r in as_employee.results)


async def test_switching_many_on_in_one_idempotent_request(
    peppol_app: FastAPI, admin_p: LucyClient, cases: dict[str, int]
) -> None:
    created, hermes = cases["created"], cases["peppol_hermes"]
    before = {cid: await admin_p.peppol(cid) for cid in (created, hermes)}
    response = await admin_p.activate_peppol(
        [created, hermes, 999_999], sending=True, receiving=True, idempotency_key="bulk-1"
    )
    outcomes = {r.client_id: r for r in response.results}
    assert outcomes[created].outcome is PeppolActivationOutcome.CHANGED
    assert outcomes[created].sending and outcomes[created].receiving
    assert outcomes[hermes].outcome is PeppolActivationOutcome.SKIPPED
    assert outcomes[hermes].provider == "Hermes"
    assert "Hermes" in outcomes[hermes].message
    assert outcomes[999_999].outcome is PeppolActivationOutcome.NOT_FOUND
    after = await admin_p.peppol(created)
    assert after.version == before[created].version + 1
    assert (await admin_p.peppol(hermes)).version == before[hermes].version
    summary = await summary_of(admin_p, created)
    assert summary.peppol_sending and summary.peppol_receiving

    replay = await admin_p.activate_peppol(
        [created, hermes, 999_999], sending=True, receiving=True, idempotency_key="bulk-1"
    )
    assert replay == response
    assert (await admin_p.peppol(created)).version == after.version  # done once

    again = await admin_p.activate_peppol([created], sending=True, receiving=True)
    assert again.results[0].outcome is PeppolActivationOutcome.UNCHANGED
    billit = cases["peppol_billit"]  # registered elsewhere, sending off
    assert not (await admin_p.peppol(billit)).sending
    sending_only = await admin_p.activate_peppol([billit], sending=True, receiving=False)
    assert sending_only.results[0].outcome is PeppolActivationOutcome.CHANGED
    assert sending_only.results[0].sending and not sending_only.results[0].receiving


async def test_an_employee_switches_on_only_what_they_see(
    employee_p: LucyClient, admin_p: LucyClient, cases: dict[str, int]
) -> None:
    visible, hidden = cases["no_team"], cases["hidden"]
    before = await admin_p.peppol(hidden)
    response = await employee_p.activate_peppol([visible, hidden], sending=True, receiving=False)
    outcomes = {r.client_id: r.outcome for r in response.results}
    assert outcomes[visible] in (PeppolActivationOutcome.CHANGED, PeppolActivationOutcome.UNCHANGED)
    assert outcomes[hidden] is PeppolActivationOutcome.NOT_FOUND
    assert await admin_p.peppol(hidden) == before
    assert (await employee_p.peppol(visible)).sending


async def test_activation_must_ask_for_something(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> None:
    response = await raw.post(
        f"{API}/peppol/registrations",
        json={"client_ids": [cases["created"]], "sending": False, "receiving": False},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422
    response = await raw.post(
        f"{API}/peppol/registrations",
        json={"client_ids": [], "sending": True},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422


async def test_seeded_results_show_in_the_list(admin: LucyClient, cases: dict[str, int]) -> None:
    summary = await summary_of(admin, cases["peppol_billit"])
    assert summary.peppol_network is State.REGISTERED_ELSEWHERE
    registration = await admin.peppol(cases["peppol_billit"])
    assert registration.lookup.seat_id and registration.lookup.smp_host


def test_old_databases_get_their_stored_elsewhere_as_a_lookup(seeded_db: Path) -> None:
    from sqlalchemy import delete, select

    engine = db.make_engine(seeded_db)
    with db.write_tx(engine) as conn:
        conn.execute(delete(db.peppol_lookups))
    engine.dispose()
    app = create_app(seeded_db)
    with db.read_tx(app.state.lucy.engine) as conn:
        rows = conn.execute(select(db.peppol_lookups)).all()
        elsewhere = conn.execute(
            select(db.peppol_registrations.c.client_id).where(
                db.peppol_registrations.c.registered_elsewhere.is_(True)
            )
        ).all()
    assert {row.client_id for row in rows} == {row.client_id for row in elsewhere}
    assert all(row.state == "registered_elsewhere" and row.checked_at is None for row in rows)
    app.state.lucy.engine.dispose()
