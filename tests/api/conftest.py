"""Helpers for the typed client's own tests: a scripted mock server, valid payloads, no sleep.

The tests here check what :class:`lucy_tui.api.client.LucyClient` promises (error mapping,
retries, idempotency keys, ``If-Match``, the token, paging) by answering its requests from
an ``httpx.MockTransport`` handler that records every request it saw.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import lucy_tui.api.client as client_module
from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import (
    ActionOutcome,
    AllowedSenders,
    BankConnection,
    BankingStatus,
    ClientDetail,
    ClientIntegrations,
    ClientStatus,
    ClientSummary,
    ClientUser,
    ClientUserStatus,
    Document,
    DocumentActionResponse,
    DocumentActionResult,
    DocumentDirection,
    DocumentSource,
    DocumentStatus,
    Integration,
    IntegrationCategory,
    IntegrationKind,
    InvoiceSettings,
    LoginResponse,
    PeppolRegistration,
    Plan,
    Role,
    Staff,
    Team,
    VaultCategory,
    VaultFile,
)

BASE_URL = "http://lucy.test"
API = "/api/v1"
WHEN = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response]
Reply = httpx.Response | Exception | Handler
Connect = Callable[..., LucyClient]


# --- answers --------------------------------------------------------------------------------


def wire(model: BaseModel) -> Any:
    """A model as the server puts it on the wire."""
    return model.model_dump(mode="json")


def ok(body: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def api_error(status: int, code: str, message: str, details: Any = None) -> httpx.Response:
    """An error answer in the API's own shape (DESIGN §4)."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return httpx.Response(status, json=body)


def _fresh(response: httpx.Response) -> httpx.Response:
    """A new response with the same status, headers and body (a response is used once)."""
    return httpx.Response(response.status_code, headers=response.headers, content=response.content)


class Script:
    """A MockTransport handler answering each request with the next reply, in order.

    A reply is a response, an exception to raise (a transport failure) or a handler. Once
    the replies run out, ``then`` answers every further request; without it an unexpected
    request fails the test. Every request is recorded, body read, in ``requests``.
    """

    def __init__(self, *replies: Reply, then: Reply | None = None) -> None:
        self.replies = list(replies)
        self.then = then
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.replies:
            reply = self.replies.pop(0)
        elif self.then is not None:
            reply = self.then
        else:
            raise AssertionError(f"unexpected request: {request.method} {request.url}")
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return _fresh(reply)
        return reply(request)

    @property
    def attempts(self) -> int:
        return len(self.requests)

    def headers(self, name: str) -> list[str | None]:
        """The value of header ``name`` on every request seen, in order."""
        return [request.headers.get(name) for request in self.requests]

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]

    def bodies(self) -> list[bytes]:
        return [request.content for request in self.requests]

    def json_bodies(self) -> list[Any]:
        return [json.loads(request.content) for request in self.requests]


def page_json(
    items: Sequence[Any], total: int, page: int, page_size: int, next: str | None = None
) -> dict[str, Any]:
    return {
        "items": list(items),
        "total": total,
        "page": page,
        "page_size": page_size,
        "next": next,
    }


class PagedServer:
    """A handler serving ``items`` page by page, honouring ``page`` (an offset) or ``after``
    (a cursor: here ``@`` and the next row's position; none: the first page) and
    ``page_size``, and answering ``next`` when more rows follow.

    ``cap`` lowers the page size the server accepts (it answers with its own size, as a
    server may); every request is recorded.
    """

    def __init__(self, items: Sequence[Any], *, cap: int | None = None) -> None:
        self.items = list(items)
        self.cap = cap
        self.requests: list[httpx.Request] = []
        self._asked: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        params = request.url.params
        size = int(params["page_size"])
        if self.cap is not None:
            size = min(size, self.cap)
        if "page" in params:
            page = int(params["page"])
            start = (page - 1) * size
        else:
            start = int(params["after"].removeprefix("@")) if "after" in params else 0
            page = len([r for r in self.requests if "page" not in r.url.params])
        self._asked.append((page, int(params["page_size"])))
        end = start + size
        after = f"@{end}" if end < len(self.items) else None
        return ok(page_json(self.items[start:end], len(self.items), page, size, after))

    def asked(self) -> list[tuple[int, int]]:
        """(page, page_size) of every request, in order (a cursor walk's pages: 1, 2...)."""
        return list(self._asked)


class LosingTransport(httpx.AsyncBaseTransport):
    """Wraps a real transport; records every exchange; can lose answers on the way back.

    ``lose`` answers are dropped after the server has handled their request (as when a
    connection breaks before the answer arrives): the client sees ``httpx.ReadError``.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lose = 0
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.exchanges.append((request, response))
        if self.lose > 0:
            self.lose -= 1
            await response.aclose()
            raise httpx.ReadError("the connection broke before the answer came", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def since(self, start: int) -> list[tuple[httpx.Request, httpx.Response]]:
        return self.exchanges[start:]


# --- valid payloads -------------------------------------------------------------------------


def enterprise_digits(seed: int) -> str:
    """A valid Belgian enterprise number (10 digits) derived from ``seed``."""
    base = 1_000_000 + seed
    return f"{base:08d}{97 - base % 97:02d}"


def staff_json(staff_id: int = 1) -> Any:
    return wire(
        Staff(
            id=staff_id,
            name=f"Staff {staff_id}",
            email=f"staff{staff_id}@firm.be",
            role=Role.EMPLOYEE,
            teams=[Team(id=1, name="North")],
        )
    )


def team_json(team_id: int = 1) -> Any:
    return wire(Team(id=team_id, name=f"Team {team_id}"))


def _client_fields(client_id: int) -> dict[str, Any]:
    digits = enterprise_digits(client_id)
    return {
        "id": client_id,
        "name": f"Client {client_id:05d}",
        "enterprise_number": digits,
        "vat_number": f"BE{digits}",
        "status": ClientStatus.ACTIVE,
        "plan": Plan.BUSINESS,
        "version": 1,
    }


def client_summary_json(client_id: int = 1) -> Any:
    return wire(ClientSummary(**_client_fields(client_id)))


def client_detail_json(client_id: int = 1) -> Any:
    fields = _client_fields(client_id)
    return wire(
        ClientDetail(
            **fields,
            lucy_email=f"{fields['vat_number']}@app.getlucy.ai",
            created_at=WHEN,
        )
    )


def client_user_json(user_id: int = 1) -> Any:
    return wire(
        ClientUser(
            id=user_id,
            name=f"User {user_id}",
            email=f"user{user_id}@client.be",
            status=ClientUserStatus.ACTIVE,
        )
    )


def vault_file_json(file_id: int = 1) -> Any:
    return wire(
        VaultFile(
            id=file_id,
            name=f"file-{file_id}.pdf",
            category=VaultCategory.TAX,
            size=1234,
            content_type="application/pdf",
            uploaded_by="Staff 1",
            uploaded_at=WHEN,
        )
    )


def integration_json(number: int = 1) -> Any:
    return wire(
        Integration(
            id=f"integration-{number}",
            name=f"Integration {number}",
            kind=IntegrationKind.API,
            category=IntegrationCategory.DESTINATION,
        )
    )


def document_json(document_id: int = 1, client_id: int = 1) -> Any:
    return wire(
        Document(
            id=document_id,
            client_id=client_id,
            date=date(2026, 11, 1),
            counterparty="Supplier NV",
            direction=DocumentDirection.PURCHASE,
            amount=Decimal("121.00"),
            source=DocumentSource.EMAIL,
            status=DocumentStatus.FAILED,
        )
    )


def action_json(document_ids: Sequence[int]) -> Any:
    return wire(
        DocumentActionResponse(
            results=[
                DocumentActionResult(
                    document_id=i, outcome=ActionOutcome.SENT, status=DocumentStatus.SENT
                )
                for i in document_ids
            ]
        )
    )


def login_json(token: str, staff_id: int = 1) -> Any:
    return wire(
        LoginResponse(
            access_token=token,
            expires_at=WHEN,
            staff=Staff.model_validate(staff_json(staff_id)),
        )
    )


def peppol_json(version: int = 1) -> Any:
    return wire(
        PeppolRegistration(
            participant_id="0208:0403170701", sending=True, receiving=False, version=version
        )
    )


def allowed_senders_json(version: int = 1) -> Any:
    return wire(AllowedSenders(senders=["billing@supplier.be"], version=version))


def client_integrations_json(version: int = 1) -> Any:
    return wire(ClientIntegrations(accounting_package="yuki", version=version))


def invoice_settings_json(version: int = 1) -> Any:
    return wire(InvoiceSettings(version=version))


def banking_json() -> Any:
    return wire(BankConnection(status=BankingStatus.NOT_CONNECTED))


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """``connect(handler, retries=2, backoff=0.0, token="tok", **kwargs)``: a LucyClient
    whose requests go to ``handler`` through an ``httpx.MockTransport``; closed after the
    test. ``backoff`` defaults to 0 so no retry ever waits."""
    made: list[LucyClient] = []

    def make(
        handler: Handler,
        *,
        retries: int = 2,
        backoff: float = 0.0,
        token: str | None = "tok",
        **kwargs: Any,
    ) -> LucyClient:
        client = LucyClient(
            BASE_URL,
            token=token,
            transport=httpx.MockTransport(handler),
            retries=retries,
            backoff=backoff,
            **kwargs,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the client's backoff asked for, in order; nothing really sleeps."""
    delays: list[float] = []

    async def record(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(client_module, "asyncio", SimpleNamespace(sleep=record))
    return delays
