"""Peppol sending and receiving, and the allowed senders of a client's Lucy inbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import ConflictError, PreconditionFailedError
from lucy_tui.api.models import MAX_ALLOWED_SENDERS

from .conftest import API, bearer


async def test_peppol_registration(admin: LucyClient, cases: dict[str, int]) -> None:
    detail = await admin.client(cases["rich"])
    peppol = await admin.peppol(cases["rich"])
    assert peppol.participant_id == "0208:" + detail.enterprise_number.replace(".", "")
    assert peppol.sending and peppol.receiving and not peppol.registered_elsewhere
    assert peppol.version == 1


async def test_switching_keeps_the_list_in_sync(admin: LucyClient, cases: dict[str, int]) -> None:
    client_id = cases["rich"]
    off = await admin.set_peppol(client_id, sending=False, receiving=False, version=1)
    assert (off.sending, off.receiving, off.version) == (False, False, 2)
    row = next(c for c in (await admin.clients_page(1, 500)).items if c.id == client_id)
    assert (row.peppol_sending, row.peppol_receiving) == (False, False)
    on = await admin.set_peppol(client_id, sending=True, receiving=True, version=2)
    assert (on.sending, on.receiving, on.version) == (True, True, 3)
    detail = await admin.client(client_id)
    assert detail.peppol_sending and detail.peppol_receiving
    assert detail.version == 1  # the client's own version is untouched


@pytest.mark.parametrize(
    ("case", "provider"),
    [
        ("peppol_hermes", "Hermes"),
        ("peppol_billit", "Billit"),
        ("peppol_unifiedpost", "Unifiedpost"),
    ],
)
async def test_receiving_is_refused_when_registered_elsewhere(
    admin: LucyClient, cases: dict[str, int], case: str, provider: str
) -> None:
    client_id = cases[case]
    peppol = await admin.peppol(client_id)
    assert peppol.registered_elsewhere and peppol.other_provider == provider
    with pytest.raises(ConflictError) as caught:
        await admin.set_peppol(
            client_id, sending=peppol.sending, receiving=True, version=peppol.version
        )
    assert caught.value.code == "peppol_registered_elsewhere"
    assert provider in caught.value.message
    # sending stays free to switch
    toggled = await admin.set_peppol(
        client_id, sending=not peppol.sending, receiving=False, version=peppol.version
    )
    assert toggled.sending is not peppol.sending


async def test_switching_off_is_always_allowed(admin: LucyClient, cases: dict[str, int]) -> None:
    peppol = await admin.peppol(cases["peppol_hermes"])
    assert peppol.sending
    off = await admin.set_peppol(
        cases["peppol_hermes"], sending=False, receiving=False, version=peppol.version
    )
    assert not off.sending and not off.receiving


async def test_employee_can_switch_peppol(employee: LucyClient, cases: dict[str, int]) -> None:
    off = await employee.set_peppol(cases["rich"], sending=False, receiving=True, version=1)
    assert not off.sending


async def test_stale_peppol_change(admin: LucyClient, cases: dict[str, int]) -> None:
    await admin.set_peppol(cases["rich"], sending=False, receiving=True, version=1)
    with pytest.raises(PreconditionFailedError):
        await admin.set_peppol(cases["rich"], sending=True, receiving=False, version=1)


# --- allowed senders ----------------------------------------------------------------------


async def test_allowed_senders_roundtrip(admin: LucyClient, cases: dict[str, int]) -> None:
    client_id = cases["rich"]
    current = await admin.allowed_senders(client_id)
    assert len(current.senders) == 3 and current.version == 1
    saved = await admin.set_allowed_senders(
        client_id, ["Facturen@Proximus.BE", "facturen@proximus.be", "boekhouding@engie.be"], 1
    )
    assert saved.senders == ["Facturen@proximus.be", "boekhouding@engie.be"]
    assert saved.version == 2
    assert (await admin.allowed_senders(client_id)).senders == saved.senders
    emptied = await admin.set_allowed_senders(client_id, [], 2)
    assert emptied.senders == [] and emptied.version == 3


Put = Callable[[dict[str, object]], Awaitable[httpx.Response]]


@pytest.fixture
def put_senders(raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]) -> Put:
    async def put(body: dict[str, object]) -> httpx.Response:
        return await raw.put(
            f"{API}/clients/{cases['rich']}/allowed-senders",
            json=body,
            headers={**bearer(admin_token), "If-Match": "1"},
        )

    return put


async def test_allowed_senders_are_validated_by_the_server(put_senders: Put) -> None:
    response = await put_senders({"senders": ["ok@example.be", "not an address"]})
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["field"] == "senders"
    assert detail["message"].startswith("Sender 2 ('not an address'): Not a valid email")
    too_many = [f"s{i}@example.be" for i in range(MAX_ALLOWED_SENDERS + 1)]
    response = await put_senders({"senders": too_many})
    assert response.status_code == 422
    hundred = await put_senders({"senders": too_many[:MAX_ALLOWED_SENDERS]})
    assert hundred.status_code == 200
    assert len(hundred.json()["senders"]) == MAX_ALLOWED_SENDERS


async def test_allowed_senders_model_refuses_bad_input(admin: LucyClient) -> None:
    with pytest.raises(ValueError):
        await admin.set_allowed_senders(1, ["nope"], 1)


async def test_stale_senders_change(admin: LucyClient, cases: dict[str, int]) -> None:
    await admin.set_allowed_senders(cases["rich"], ["a@example.be"], 1)
    with pytest.raises(PreconditionFailedError):
        await admin.set_allowed_senders(cases["rich"], ["b@example.be"], 1)
