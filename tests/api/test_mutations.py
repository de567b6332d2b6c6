"""POST actions carry an Idempotency-Key kept across their own retries; versioned writes
carry If-Match and are sent once; a PATCH sends only the fields that were set."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from lucy_server.idempotency import valid_key
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import ConflictError, ServerError, UnreachableError
from lucy_tui.api.models import (
    Address,
    ClientCreate,
    ClientDetail,
    ClientIntegrationsUpdate,
    ClientUpdate,
    ClientUser,
    ClientUserCreate,
    DocumentActionResponse,
    InvoiceSettingsUpdate,
    Language,
    Plan,
    VatRate,
    VaultCategory,
    VaultFile,
)

from .conftest import (
    Connect,
    Script,
    allowed_senders_json,
    api_error,
    client_detail_json,
    client_integrations_json,
    client_user_json,
    invoice_settings_json,
    ok,
    peppol_json,
    vault_file_json,
)

KeyedCall = Callable[[LucyClient, str | None], Awaitable[object]]

NEW_CLIENT = ClientCreate(
    name="Idem BV", enterprise_number="0403.170.701", email="a@idem.be", plan=Plan.INBOX
)
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF"


@dataclass(frozen=True)
class Action:
    call: KeyedCall
    path: str
    answer: httpx.Response
    result: type
    body: Any  # the JSON body expected, or None for a multipart upload or an empty body


ACTIONS: dict[str, Action] = {
    "send_documents": Action(
        lambda c, key: c.send_documents(7, [11, 12], idempotency_key=key),
        "/api/v1/clients/7/documents/send",
        ok({"results": [{"document_id": 11, "outcome": "sent", "status": "sent"}]}),
        DocumentActionResponse,
        {"document_ids": [11, 12]},
    ),
    "resend_documents": Action(
        lambda c, key: c.resend_documents(7, [13], idempotency_key=key),
        "/api/v1/clients/7/documents/resend",
        ok({"results": [{"document_id": 13, "outcome": "failed", "status": "failed"}]}),
        DocumentActionResponse,
        {"document_ids": [13]},
    ),
    "invite_client": Action(
        lambda c, key: c.invite_client(7, idempotency_key=key),
        "/api/v1/clients/7/invite",
        ok(client_detail_json(7)),
        ClientDetail,
        None,
    ),
    "create_client": Action(
        lambda c, key: c.create_client(NEW_CLIENT, idempotency_key=key),
        "/api/v1/clients",
        ok(client_detail_json(8), status=201),
        ClientDetail,
        NEW_CLIENT.model_dump(mode="json"),
    ),
    "add_client_user": Action(
        lambda c, key: c.add_client_user(
            7, ClientUserCreate(email="Jan@Client.be", name="Jan"), idempotency_key=key
        ),
        "/api/v1/clients/7/users",
        ok(client_user_json(4), status=201),
        ClientUser,
        ClientUserCreate(email="Jan@Client.be", name="Jan").model_dump(mode="json"),
    ),
    "upload_vault_file": Action(
        lambda c, key: c.upload_vault_file(
            7,
            "aangifte 2026.pdf",
            PDF,
            category=VaultCategory.TAX,
            content_type="application/pdf",
            idempotency_key=key,
        ),
        "/api/v1/clients/7/vault",
        ok(vault_file_json(3), status=201),
        VaultFile,
        None,
    ),
}

ACTION_IDS = list(ACTIONS)
ACTION_LIST = [ACTIONS[name] for name in ACTION_IDS]


def connect_error() -> httpx.ConnectError:
    return httpx.ConnectError("[Errno 111] Connection refused")


def assert_same_request(script: Script, action: Action) -> None:
    """Every attempt was the same POST with the same body."""
    assert {r.method for r in script.requests} == {"POST"}
    assert set(script.paths()) == {action.path}
    if action.body is not None:
        assert [json.loads(body) for body in script.bodies()] == [action.body] * script.attempts


@pytest.mark.parametrize("action", ACTION_LIST, ids=ACTION_IDS)
async def test_an_action_reuses_its_key_on_its_own_retries(
    connect: Connect, action: Action
) -> None:
    script = Script(
        connect_error(),
        api_error(503, "unavailable", "Down for a moment"),
        httpx.ReadTimeout("timed out"),
        action.answer,
    )
    client = connect(script, retries=3)
    result = await action.call(client, None)
    assert isinstance(result, action.result)
    assert script.attempts == 4
    keys = script.headers("Idempotency-Key")
    assert keys[0] is not None
    assert keys == [keys[0]] * 4
    assert valid_key(keys[0])  # the server accepts it (1-255 printable ASCII)
    assert_same_request(script, action)


@pytest.mark.parametrize("action", ACTION_LIST, ids=ACTION_IDS)
async def test_each_call_of_an_action_gets_a_fresh_key(connect: Connect, action: Action) -> None:
    script = Script(then=action.answer)
    client = connect(script)
    for _ in range(3):
        await action.call(client, None)
    keys = script.headers("Idempotency-Key")
    assert len(keys) == 3
    assert None not in keys
    assert len(set(keys)) == 3


@pytest.mark.parametrize("action", ACTION_LIST, ids=ACTION_IDS)
async def test_an_explicit_key_is_sent_as_given_on_every_attempt(
    connect: Connect, action: Action
) -> None:
    script = Script(connect_error(), api_error(502, "bad_gateway", "Bad gateway"), action.answer)
    client = connect(script, retries=2)
    await action.call(client, "resend-2026-11-27-client-7")
    assert script.headers("Idempotency-Key") == ["resend-2026-11-27-client-7"] * 3


@pytest.mark.parametrize("action", ACTION_LIST, ids=ACTION_IDS)
async def test_an_action_that_never_gets_through_is_unreachable_with_one_key(
    connect: Connect, action: Action
) -> None:
    script = Script(then=connect_error())
    client = connect(script, retries=2)
    with pytest.raises(UnreachableError):
        await action.call(client, None)
    assert script.attempts == 3
    assert len(set(script.headers("Idempotency-Key"))) == 1


@pytest.mark.parametrize("action", ACTION_LIST, ids=ACTION_IDS)
@pytest.mark.parametrize(
    ("status", "kind"), [(500, ServerError), (409, ConflictError)], ids=["500", "409"]
)
async def test_an_action_is_not_retried_on_500_or_a_refusal(
    connect: Connect, action: Action, status: int, kind: type[Exception]
) -> None:
    script = Script(then=api_error(status, "refused", "Refused"))
    client = connect(script, retries=3)
    with pytest.raises(kind):
        await action.call(client, None)
    assert script.attempts == 1


async def test_an_upload_resends_the_whole_file_on_a_retry(connect: Connect) -> None:
    script = Script(connect_error(), httpx.Response(504), ok(vault_file_json(3), status=201))
    client = connect(script, retries=2)
    stored = await client.upload_vault_file(
        7,
        "aangifte 2026.pdf",
        PDF,
        category=VaultCategory.TAX,
        content_type="application/pdf",
        idempotency_key="upload-1",
    )
    assert stored.id == 3
    assert script.attempts == 3
    for request in script.requests:
        assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        body = request.content
        assert PDF in body
        assert b'filename="aangifte 2026.pdf"' in body
        assert b"Content-Type: application/pdf" in body
        assert b'name="category"\r\n\r\ntax\r\n' in body
    assert script.headers("Idempotency-Key") == ["upload-1"] * 3


async def test_actions_carry_the_bearer_token_with_the_key(connect: Connect) -> None:
    script = Script(then=ACTIONS["resend_documents"].answer)
    client = connect(script, token="secret-token")
    await client.resend_documents(7, [13])
    assert script.headers("Authorization") == ["Bearer secret-token"]


# --- versioned writes: If-Match, once -----------------------------------------------------------

INVOICE_SETTINGS = InvoiceSettingsUpdate(
    legal_name="Aalter Interieur BV",
    address=Address(street="Stationsstraat 1", postal_code="9880", city="Aalter"),
    iban="BE71 0961 2345 6769",
    email="facturen@aalter.be",
    next_number=42,
    default_vat_rate=VatRate.TWELVE,
    language=Language.FR,
)
INTEGRATIONS = ClientIntegrationsUpdate(accounting_package="yuki")


@dataclass(frozen=True)
class Versioned:
    call: Callable[[LucyClient], Awaitable[object]]
    method: str
    path: str
    version: int
    body: Any
    answer: httpx.Response


VERSIONED: dict[str, Versioned] = {
    "update_client": Versioned(
        lambda c: c.update_client(7, ClientUpdate(name="  Nieuwe Naam BV "), version=12),
        "PATCH",
        "/api/v1/clients/7",
        12,
        {"name": "Nieuwe Naam BV"},
        ok(client_detail_json(7)),
    ),
    "set_peppol": Versioned(
        lambda c: c.set_peppol(7, sending=True, receiving=False, version=3),
        "PUT",
        "/api/v1/clients/7/peppol",
        3,
        {"sending": True, "receiving": False},
        ok(peppol_json(4)),
    ),
    "set_allowed_senders": Versioned(
        lambda c: c.set_allowed_senders(7, ["billing@supplier.be", "*@bank.be"], version=5),
        "PUT",
        "/api/v1/clients/7/allowed-senders",
        5,
        {"senders": ["billing@supplier.be", "*@bank.be"]},
        ok(allowed_senders_json(6)),
    ),
    "save_invoice_settings": Versioned(
        lambda c: c.save_invoice_settings(7, INVOICE_SETTINGS, version=1),
        "PUT",
        "/api/v1/clients/7/invoice-settings",
        1,
        INVOICE_SETTINGS.model_dump(mode="json"),  # every field: a PUT replaces the whole
        ok(invoice_settings_json(2)),
    ),
    "set_client_integrations": Versioned(
        lambda c: c.set_client_integrations(7, INTEGRATIONS, version=9),
        "PUT",
        "/api/v1/clients/7/integrations",
        9,
        {"accounting_package": "yuki"},
        ok(client_integrations_json(10)),
    ),
}

VERSIONED_IDS = list(VERSIONED)
VERSIONED_LIST = [VERSIONED[name] for name in VERSIONED_IDS]


@pytest.mark.parametrize("write", VERSIONED_LIST, ids=VERSIONED_IDS)
async def test_a_versioned_write_sends_if_match_and_its_body(
    connect: Connect, write: Versioned
) -> None:
    script = Script(write.answer)
    client = connect(script)
    await write.call(client)
    (request,) = script.requests
    assert request.method == write.method
    assert request.url.path == write.path
    assert request.headers["If-Match"] == f'"{write.version}"'
    assert "Idempotency-Key" not in request.headers
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == write.body


@pytest.mark.parametrize("write", VERSIONED_LIST, ids=VERSIONED_IDS)
@pytest.mark.parametrize("failure", ["connect", "timeout", 502, 503, 504])
async def test_a_versioned_write_is_never_retried(
    connect: Connect, write: Versioned, failure: str | int, sleeps: list[float]
) -> None:
    reply: httpx.Response | Exception
    if failure == "connect":
        reply = connect_error()
    elif failure == "timeout":
        reply = httpx.ReadTimeout("timed out")
    else:
        reply = api_error(int(failure), "bad_gateway", "Try later")
    script = Script(reply, write.answer)  # a retry would succeed: it must not happen
    client = connect(script, retries=3)
    expected = ServerError if isinstance(failure, int) else UnreachableError
    with pytest.raises(expected):
        await write.call(client)
    assert script.attempts == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("changes", "sent"),
    [
        (ClientUpdate(name="Nieuw BV"), {"name": "Nieuw BV"}),
        (ClientUpdate(hidden=True), {"hidden": True}),
        (ClientUpdate(plan=Plan.BUSINESS_PRO), {"plan": "business_pro"}),
        (ClientUpdate(team_ids=[]), {"team_ids": []}),
        (ClientUpdate(contact_id=None), {"contact_id": None}),  # an explicit clear is kept
        (
            ClientUpdate(contact_id=3, team_ids=[1, 2]),
            {"contact_id": 3, "team_ids": [1, 2]},
        ),
        (ClientUpdate(), {}),
    ],
    ids=["name", "hidden", "plan", "no teams", "clear contact", "two fields", "nothing"],
)
async def test_a_patch_sends_only_the_fields_that_were_set(
    connect: Connect, changes: ClientUpdate, sent: dict[str, Any]
) -> None:
    script = Script(ok(client_detail_json(7)))
    client = connect(script)
    await client.update_client(7, changes, version=2)
    assert script.json_bodies() == [sent]


async def test_a_put_sends_the_defaults_too(connect: Connect) -> None:
    script = Script(ok(client_integrations_json(2)))
    client = connect(script)
    await client.set_client_integrations(7, ClientIntegrationsUpdate(), version=1)
    assert script.json_bodies() == [{"accounting_package": None}]
