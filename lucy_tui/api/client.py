"""The typed, async client of the Lucy API (DESIGN §4).

One method per endpoint, each returning the wire models of :mod:`lucy_tui.api.models`
and raising the typed errors of :mod:`lucy_tui.api.errors`. Any httpx transport can be
given, so the app's embedded default runs the reference server in-process.
"""

from __future__ import annotations

import asyncio
import json as json_module
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, overload

import httpx
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from lucy_tui.api.errors import (
    LucyError,
    ServerError,
    UnreachableError,
    error_for_status,
)
from lucy_tui.api.models import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    AllowedSenders,
    AllowedSendersUpdate,
    AuditKind,
    AuditPage,
    BankConnection,
    ClientCreate,
    ClientDetail,
    ClientIntegrations,
    ClientIntegrationsUpdate,
    ClientPage,
    ClientStatus,
    ClientSummary,
    ClientUpdate,
    ClientUser,
    ClientUserCreate,
    Document,
    DocumentActionResponse,
    DocumentDetail,
    DocumentIds,
    DocumentStatus,
    ErrorBody,
    FirmDocument,
    Integration,
    InvoiceSettings,
    InvoiceSettingsUpdate,
    LoginResponse,
    Page,
    PeppolActivation,
    PeppolActivationResponse,
    PeppolLookupRequest,
    PeppolLookupResponse,
    PeppolRegistration,
    PeppolUpdate,
    Plan,
    Staff,
    Team,
    VaultCategory,
    VaultFile,
)

API = "/api/v1"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
# A Peppol lookup asks DNS and an SMP on the server's side: give it time to answer.
LOOKUP_TIMEOUT = httpx.Timeout(90.0, connect=5.0)
RETRY_STATUSES = frozenset({502, 503, 504})
# A POST whose key is still being handled on the server (409 idempotency_in_progress) is asked
# again this many times, waiting Retry-After (or the backoff) doubled each time, at most 8 s.
IN_PROGRESS_WAITS = 5
IN_PROGRESS_MAX_DELAY = 8.0

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

_CLIENT_PAGE = TypeAdapter(ClientPage)
_DOCUMENT_PAGE = TypeAdapter(Page[Document])
_FIRM_DOCUMENT_PAGE = TypeAdapter(Page[FirmDocument])


def _list_adapter(model: type[T]) -> TypeAdapter[list[T]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


class LucyClient:
    """An async client of one Lucy server for one signed-in staff member.

    ``retries`` applies to reads (GET) and to POST actions, which carry an
    ``Idempotency-Key`` reused on their own retry so they never run twice. A POST answered
    409 ``idempotency_in_progress`` (its first attempt still running, or left unfinished by
    a server that crashed) is asked again with the same key, up to ``IN_PROGRESS_WAITS``
    times with a growing wait, before the error is raised.
    """

    def __init__(
        self,
        base_url: str = "http://lucy.local",
        *,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retries: int = 2,
        backoff: float = 0.25,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": "lucy-tui"},
        )
        self.token = token
        # httpx's ASGITransport (the embedded server, tests) gives a streamed answer whole:
        # through it, a stream's first rows wait for its last
        self.streams = not isinstance(transport, httpx.ASGITransport)

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        if value:
            self._http.headers["Authorization"] = f"Bearer {value}"
        else:
            self._http.headers.pop("Authorization", None)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> LucyClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- transport ------------------------------------------------------------------------

    def _no_answer(
        self, exc: httpx.TransportError | httpx.DecodingError, method: str, path: str
    ) -> LucyError:
        """What a request that got no usable answer tells the user."""
        if isinstance(exc, httpx.DecodingError):
            return ServerError(
                f"The server's answer to {method} {path} could not be decoded: {exc}",
                code="bad_response",
            )
        if isinstance(exc, httpx.TimeoutException):
            return UnreachableError(
                f"The server did not answer in time ({method} {path}).", code="timeout"
            )
        return UnreachableError(
            f"Cannot reach the Lucy server at {self.base_url}: {str(exc) or type(exc).__name__}"
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        data: Any = None,
        retry: bool = False,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """Send one request; retry with backoff when ``retry`` and the fault is transient."""
        attempts = 1 + (self.retries if retry else 0)
        waits = 0  # answers "still in progress" waited out (they use no attempt)
        attempt = 0
        while True:
            last = attempt == attempts - 1
            try:
                response = await self._http.request(
                    method,
                    API + path,
                    json=json,
                    params=params,
                    headers=headers,
                    files=files,
                    data=data,
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.DecodingError as exc:
                raise self._no_answer(exc, method, path) from exc
            except httpx.TransportError as exc:  # a timeout too: retried like the rest
                if last:
                    raise self._no_answer(exc, method, path) from exc
            else:
                if response.status_code in RETRY_STATUSES and not last:
                    await response.aclose()
                else:
                    if not response.is_error:
                        return response
                    error = self._error(response)
                    key = headers.get("Idempotency-Key") if headers else None
                    if (
                        key is None
                        or error.code != "idempotency_in_progress"
                        or waits >= IN_PROGRESS_WAITS
                    ):
                        raise error
                    # The first request with this key is still running on the server (or
                    # its server died and the key is not free yet): wait, then ask again
                    # with the same key; the answer is the first request's own.
                    await asyncio.sleep(self._in_progress_delay(response, waits))
                    waits += 1
                    continue
            await asyncio.sleep(self.backoff * (2**attempt))
            attempt += 1

    def _in_progress_delay(self, response: httpx.Response, waits: int) -> float:
        """Seconds before asking again: the server's Retry-After (ASCII digits) or the
        backoff, doubled each time, at most IN_PROGRESS_MAX_DELAY."""
        retry_after = response.headers.get("retry-after", "")
        base = float(retry_after) if retry_after.isascii() and retry_after.isdigit() else 0.0
        delay = max(base, self.backoff) * (2**waits)
        return min(delay, IN_PROGRESS_MAX_DELAY)

    @staticmethod
    def _error(response: httpx.Response) -> LucyError:
        status = response.status_code
        kind = error_for_status(status)
        try:
            body = ErrorBody.model_validate_json(response.content)
        except PydanticValidationError:
            return kind(
                f"The server answered {status} {response.reason_phrase} without an explanation.",
                status=status,
            )
        error = body.error
        return kind(error.message, code=error.code, status=status, details=error.details)

    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return await self._request("GET", path, params=params, retry=True)

    async def _action(
        self,
        path: str,
        json: Any = None,
        idempotency_key: str | None = None,
        *,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """A POST action: it carries an Idempotency-Key, the same on every retry."""
        key = idempotency_key or uuid.uuid4().hex
        return await self._request(
            "POST", path, json=json, headers={"Idempotency-Key": key}, retry=True, timeout=timeout
        )

    async def _versioned(
        self, method: str, path: str, body: BaseModel, version: int
    ) -> httpx.Response:
        """A mutation of a versioned resource: ``If-Match`` makes a stale edit fail (412)."""
        return await self._request(
            method,
            path,
            json=body.model_dump(mode="json", exclude_unset=method == "PATCH"),
            headers={"If-Match": f'"{version}"'},
        )

    @staticmethod
    def _parse(model: type[M], response: httpx.Response) -> M:
        try:
            return model.model_validate_json(response.content)
        except PydanticValidationError as exc:
            raise ServerError(
                f"The server's answer to {response.request.method} {response.request.url.path} "
                f"does not match the API: {exc.error_count()} error(s).",
                code="bad_response",
            ) from exc

    @staticmethod
    def _parse_with(adapter: TypeAdapter[T], response: httpx.Response) -> T:
        try:
            return adapter.validate_json(response.content)
        except PydanticValidationError as exc:
            raise ServerError(
                f"The server's answer to {response.request.method} {response.request.url.path} "
                f"does not match the API: {exc.error_count()} error(s).",
                code="bad_response",
            ) from exc

    async def _all_items(self, path: str, model: type[T]) -> list[T]:
        """Every item of a small paged list (staff, teams, users, vault ...)."""
        adapter: TypeAdapter[Page[T]] = TypeAdapter(Page[model])  # type: ignore[valid-type]
        items: list[T] = []
        page = 1
        while True:
            response = await self._get(path, {"page": page, "page_size": MAX_PAGE_SIZE})
            result = self._parse_with(adapter, response)
            items.extend(result.items)
            if page >= result.last_page or not result.items:
                return items
            page += 1

    # --- auth -----------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> LoginResponse:
        """Sign in; the token is kept for every later call."""
        # Sent as typed: the server judges it (422), so the caller always gets a LucyError.
        body = {"email": email, "password": password}
        response = await self._request("POST", "/auth/login", json=body)
        login = self._parse(LoginResponse, response)
        self.token = login.access_token
        return login

    async def logout(self) -> None:
        """End the session on the server; the token is forgotten here whatever it answers."""
        try:
            await self._request("POST", "/auth/logout")
        finally:
            self.token = None

    async def me(self) -> Staff:
        return self._parse(Staff, await self._get("/me"))

    async def staff(self) -> list[Staff]:
        return await self._all_items("/staff", Staff)

    async def teams(self) -> list[Team]:
        return await self._all_items("/teams", Team)

    # --- clients --------------------------------------------------------------------------

    async def clients_page(
        self,
        page: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        *,
        after: str | None = None,
        changed_since: str | None = None,
        q: str | None = None,
        status: ClientStatus | None = None,
        plan: Plan | None = None,
        team_id: int | None = None,
    ) -> ClientPage:
        """One page of the client list: the first, the one ``after`` a page's ``next``, or
        (older callers) page number ``page``. ``changed_since``: only what changed since
        that token (an earlier answer's ``changes``)."""
        params = _page_params(page, page_size, after)
        for name, value in (
            ("changed_since", changed_since),
            ("q", q),
            ("status", status),
            ("plan", plan),
            ("team_id", team_id),
        ):
            if value is not None:
                params[name] = str(value)
        return self._parse_with(_CLIENT_PAGE, await self._get("/clients", params))

    async def iter_client_pages(
        self, page_size: int = MAX_PAGE_SIZE, **filters: Any
    ) -> AsyncIterator[ClientPage]:
        """Every page of the client list, in order, as each arrives (by cursor: a client
        added meanwhile neither shifts nor repeats the rows that follow)."""
        async for result in _pages(
            lambda after: self.clients_page(page_size=page_size, after=after, **filters)
        ):
            yield result

    async def iter_client_changes(
        self, token: str, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[ClientPage]:
        """The clients changed since ``token`` (an earlier answer's ``changes``), a page at a
        time; the first page also says ``removed`` and ``reset`` (then it is the only one)."""
        async for result in _pages(
            lambda after: self.clients_page(page_size=page_size, after=after, changed_since=token)
        ):
            yield result

    @overload
    def iter_client_rows(self) -> AsyncIterator[ClientRowBatch[dict[str, Any]]]: ...
    @overload
    def iter_client_rows(
        self, reader: Callable[[Sequence[str]], Callable[[list[Any]], R]]
    ) -> AsyncIterator[ClientRowBatch[R]]: ...
    async def iter_client_rows(
        self, reader: Callable[[Sequence[str]], Callable[[list[Any]], Any]] | None = None
    ) -> AsyncIterator[ClientRowBatch[Any]]:
        """The whole client list in one streamed, compact answer (``GET /client-rows``):
        batches of rows as they arrive. Each row is a plain dict of the list's fields (a
        ``ClientSummary``'s but ``contact_id``), or what ``reader(columns)`` makes of its
        array (``ClientRow.wire_reader``, which checks it; a ``ValueError`` it raises is a
        :class:`ServerError` ``bad_response``). No pydantic object is made per row. Every
        batch carries the answer's ``total`` and ``changes`` token; ``done`` on the last.

        Raises :class:`NotFoundError` when the server is older than this endpoint (then
        walk :meth:`iter_client_pages`)."""
        path = "/client-rows"
        try:
            async with self._http.stream("GET", API + path) as response:
                if response.is_error:
                    await response.aread()
                    raise self._error(response)
                header: ClientRowBatch[Any] | None = None
                read: Callable[[list[Any]], Any] = list
                count = 0
                rest = b""
                async for chunk in response.aiter_bytes():
                    lines = (rest + chunk).split(b"\n")
                    rest = lines.pop()  # a line not whole yet
                    for line in lines:
                        if header is None:
                            header = _row_header(line)
                            read = (
                                reader(header.columns)
                                if reader is not None
                                else _as_dict(header.columns)
                            )
                            continue
                        batch = json_module.loads(line)  # a batch: an array of row arrays
                        if type(batch) is not list:
                            raise ValueError("a batch of rows is not an array")
                        rows = [read(row) for row in batch]
                        count += len(rows)
                        yield header.batch(rows, done=False)
                if rest.strip() or header is None or count != header.total:
                    raise ValueError(
                        f"the answer ended after {count:,} of its clients"
                        if header is not None
                        else "the answer has no header"
                    )
                yield header.batch([], done=True)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise self._no_answer(exc, "GET", path) from exc
        except ValueError as exc:  # also json's errors and a build's refusal
            raise ServerError(
                f"The server's answer to GET {path} is not a client list: {exc}",
                code="bad_response",
            ) from exc

    async def iter_clients(
        self, page_size: int = MAX_PAGE_SIZE, **filters: Any
    ) -> AsyncIterator[ClientSummary]:
        async for page in self.iter_client_pages(page_size, **filters):
            for client in page.items:
                yield client

    async def create_client(
        self, client: ClientCreate, *, idempotency_key: str | None = None
    ) -> ClientDetail:
        response = await self._action("/clients", client.model_dump(mode="json"), idempotency_key)
        return self._parse(ClientDetail, response)

    async def client(self, client_id: int) -> ClientDetail:
        return self._parse(ClientDetail, await self._get(f"/clients/{client_id}"))

    async def update_client(
        self, client_id: int, changes: ClientUpdate, version: int
    ) -> ClientDetail:
        """Change the fields set on ``changes`` (and only those)."""
        response = await self._versioned("PATCH", f"/clients/{client_id}", changes, version)
        return self._parse(ClientDetail, response)

    async def invite_client(
        self, client_id: int, *, idempotency_key: str | None = None
    ) -> ClientDetail:
        """Send the invitation (Created -> Invited) or send it again (Invited)."""
        response = await self._action(f"/clients/{client_id}/invite", None, idempotency_key)
        return self._parse(ClientDetail, response)

    # --- Peppol and allowed senders -------------------------------------------------------

    async def peppol(self, client_id: int) -> PeppolRegistration:
        return self._parse(PeppolRegistration, await self._get(f"/clients/{client_id}/peppol"))

    async def set_peppol(
        self, client_id: int, *, sending: bool, receiving: bool, version: int
    ) -> PeppolRegistration:
        body = PeppolUpdate(sending=sending, receiving=receiving)
        response = await self._versioned("PUT", f"/clients/{client_id}/peppol", body, version)
        return self._parse(PeppolRegistration, response)

    async def lookup_peppol(self, client_id: int) -> PeppolRegistration:
        """Look the client up on the Peppol network now; the registration with the result."""
        response = await self._action(
            f"/clients/{client_id}/peppol/lookup", None, timeout=LOOKUP_TIMEOUT
        )
        return self._parse(PeppolRegistration, response)

    async def check_peppol(
        self, client_ids: list[int], *, force: bool = False
    ) -> PeppolLookupResponse:
        """Re-check many clients on the network (at most MAX_BULK_LOOKUPS): a result each."""
        body = PeppolLookupRequest(client_ids=client_ids, force=force).model_dump()
        response = await self._action("/peppol/lookups", body, timeout=LOOKUP_TIMEOUT)
        return self._parse(PeppolLookupResponse, response)

    async def activate_peppol(
        self,
        client_ids: list[int],
        *,
        sending: bool,
        receiving: bool,
        idempotency_key: str | None = None,
    ) -> PeppolActivationResponse:
        """Switch sending and/or receiving on for many clients in one request: a result each
        (those registered with another provider are skipped when receiving is asked)."""
        body = PeppolActivation(client_ids=client_ids, sending=sending, receiving=receiving)
        response = await self._action(
            "/peppol/registrations", body.model_dump(), idempotency_key, timeout=UPLOAD_TIMEOUT
        )
        return self._parse(PeppolActivationResponse, response)

    async def allowed_senders(self, client_id: int) -> AllowedSenders:
        response = await self._get(f"/clients/{client_id}/allowed-senders")
        return self._parse(AllowedSenders, response)

    async def set_allowed_senders(
        self, client_id: int, senders: list[str], version: int
    ) -> AllowedSenders:
        body = AllowedSendersUpdate(senders=senders)
        response = await self._versioned(
            "PUT", f"/clients/{client_id}/allowed-senders", body, version
        )
        return self._parse(AllowedSenders, response)

    # --- documents ------------------------------------------------------------------------

    async def documents_page(
        self,
        client_id: int,
        page: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        *,
        status: DocumentStatus | None = None,
        after: str | None = None,
    ) -> Page[Document]:
        params = _page_params(page, page_size, after)
        if status is not None:
            params["status"] = str(status)
        response = await self._get(f"/clients/{client_id}/documents", params)
        return self._parse_with(_DOCUMENT_PAGE, response)

    async def iter_document_pages(
        self,
        client_id: int,
        page_size: int = MAX_PAGE_SIZE,
        *,
        status: DocumentStatus | None = None,
    ) -> AsyncIterator[Page[Document]]:
        async for result in _pages(
            lambda after: self.documents_page(
                client_id, page_size=page_size, status=status, after=after
            )
        ):
            yield result

    async def document(self, client_id: int, document_id: int) -> DocumentDetail:
        """One document with its delivery history."""
        response = await self._get(f"/clients/{client_id}/documents/{document_id}")
        return self._parse(DocumentDetail, response)

    @staticmethod
    def _action_body(document_ids: list[int], destination: str | None) -> dict[str, Any]:
        body = DocumentIds(document_ids=document_ids, destination=destination)
        return body.model_dump(exclude_none=True)

    async def send_documents(
        self,
        client_id: int,
        document_ids: list[int],
        *,
        destination: str | None = None,
        idempotency_key: str | None = None,
    ) -> DocumentActionResponse:
        """Send Inbox documents to the linked accounting software (``destination`` None) or
        to another of the client's destinations: a result per document."""
        body = self._action_body(document_ids, destination)
        response = await self._action(f"/clients/{client_id}/documents/send", body, idempotency_key)
        return self._parse(DocumentActionResponse, response)

    async def resend_documents(
        self,
        client_id: int,
        document_ids: list[int],
        *,
        destination: str | None = None,
        idempotency_key: str | None = None,
    ) -> DocumentActionResponse:
        """Resend Failed documents ("To accountant"): a result per document."""
        body = self._action_body(document_ids, destination)
        response = await self._action(
            f"/clients/{client_id}/documents/resend", body, idempotency_key
        )
        return self._parse(DocumentActionResponse, response)

    # --- the firm's documents -------------------------------------------------------------

    async def firm_documents_page(
        self,
        page: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        *,
        status: DocumentStatus | None = None,
        after: str | None = None,
    ) -> Page[FirmDocument]:
        """Documents of every client this staff member sees (each names its client)."""
        params = _page_params(page, page_size, after)
        if status is not None:
            params["status"] = str(status)
        return self._parse_with(_FIRM_DOCUMENT_PAGE, await self._get("/documents", params))

    async def iter_firm_document_pages(
        self, page_size: int = MAX_PAGE_SIZE, *, status: DocumentStatus | None = None
    ) -> AsyncIterator[Page[FirmDocument]]:
        async for result in _pages(
            lambda after: self.firm_documents_page(page_size=page_size, status=status, after=after)
        ):
            yield result

    async def send_firm_documents(
        self,
        document_ids: list[int],
        *,
        destination: str | None = None,
        idempotency_key: str | None = None,
    ) -> DocumentActionResponse:
        """Send Inbox documents of many clients in one request: a result per document."""
        body = self._action_body(document_ids, destination)
        response = await self._action("/documents/send", body, idempotency_key)
        return self._parse(DocumentActionResponse, response)

    async def resend_firm_documents(
        self,
        document_ids: list[int],
        *,
        destination: str | None = None,
        idempotency_key: str | None = None,
    ) -> DocumentActionResponse:
        """Resend Failed documents of many clients in one request ("To accountant")."""
        body = self._action_body(document_ids, destination)
        response = await self._action("/documents/resend", body, idempotency_key)
        return self._parse(DocumentActionResponse, response)

    # --- vault ----------------------------------------------------------------------------

    async def vault_files(self, client_id: int) -> list[VaultFile]:
        return await self._all_items(f"/clients/{client_id}/vault", VaultFile)

    async def upload_vault_file(
        self,
        client_id: int,
        name: str,
        content: bytes,
        *,
        category: VaultCategory = VaultCategory.OTHER,
        content_type: str = "application/octet-stream",
        idempotency_key: str | None = None,
    ) -> VaultFile:
        key = idempotency_key or uuid.uuid4().hex
        response = await self._request(
            "POST",
            f"/clients/{client_id}/vault",
            files={"file": (name, content, content_type)},
            data={"category": str(category)},
            headers={"Idempotency-Key": key},
            retry=True,
            timeout=UPLOAD_TIMEOUT,
        )
        return self._parse(VaultFile, response)

    async def download_vault_file(self, client_id: int, file_id: int) -> bytes:
        response = await self._request(
            "GET", f"/clients/{client_id}/vault/{file_id}", retry=True, timeout=UPLOAD_TIMEOUT
        )
        return response.content

    async def delete_vault_file(self, client_id: int, file_id: int) -> None:
        await self._request("DELETE", f"/clients/{client_id}/vault/{file_id}")

    # --- banking, integrations ------------------------------------------------------------

    async def banking(self, client_id: int) -> BankConnection:
        return self._parse(BankConnection, await self._get(f"/clients/{client_id}/banking"))

    async def integrations(self) -> list[Integration]:
        return await self._all_items("/integrations", Integration)

    async def client_integrations(self, client_id: int) -> ClientIntegrations:
        response = await self._get(f"/clients/{client_id}/integrations")
        return self._parse(ClientIntegrations, response)

    async def set_client_integrations(
        self, client_id: int, update: ClientIntegrationsUpdate, version: int
    ) -> ClientIntegrations:
        response = await self._versioned(
            "PUT", f"/clients/{client_id}/integrations", update, version
        )
        return self._parse(ClientIntegrations, response)

    # --- client users ---------------------------------------------------------------------

    async def client_users(self, client_id: int) -> list[ClientUser]:
        return await self._all_items(f"/clients/{client_id}/users", ClientUser)

    async def add_client_user(
        self, client_id: int, user: ClientUserCreate, *, idempotency_key: str | None = None
    ) -> ClientUser:
        response = await self._action(
            f"/clients/{client_id}/users", user.model_dump(mode="json"), idempotency_key
        )
        return self._parse(ClientUser, response)

    async def remove_client_user(self, client_id: int, user_id: int) -> None:
        await self._request("DELETE", f"/clients/{client_id}/users/{user_id}")

    # --- invoice settings -----------------------------------------------------------------

    async def invoice_settings(self, client_id: int) -> InvoiceSettings:
        response = await self._get(f"/clients/{client_id}/invoice-settings")
        return self._parse(InvoiceSettings, response)

    async def save_invoice_settings(
        self, client_id: int, settings: InvoiceSettingsUpdate, version: int
    ) -> InvoiceSettings:
        response = await self._versioned(
            "PUT", f"/clients/{client_id}/invoice-settings", settings, version
        )
        return self._parse(InvoiceSettings, response)

    # --- audit trail ----------------------------------------------------------------------

    @staticmethod
    def _audit_params(
        after: int | None, page_size: int, kinds: Sequence[AuditKind] | None, **more: Any
    ) -> httpx.QueryParams:
        params: list[tuple[str, str | int | float | bool | None]] = [("page_size", page_size)]
        if after is not None:
            params.append(("after", str(after)))
        params += [("kind", str(kind)) for kind in kinds or ()]
        for name, value in more.items():
            if isinstance(value, datetime):
                params.append((name, value.isoformat()))
            elif value is not None:
                params.append((name, str(value)))
        return httpx.QueryParams(params)

    async def client_history(
        self,
        client_id: int,
        *,
        after: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        kinds: Sequence[AuditKind] | None = None,
    ) -> AuditPage:
        """A page of what was changed in a client's file, the newest first; the next page
        is ``after=page.next``."""
        params = self._audit_params(after, page_size, kinds)
        response = await self._request(
            "GET", f"/clients/{client_id}/history", params=params, retry=True
        )
        return self._parse(AuditPage, response)

    async def audit_page(
        self,
        *,
        after: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        staff_id: int | None = None,
        client_id: int | None = None,
        kinds: Sequence[AuditKind] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> AuditPage:
        """A page of the firm's audit trail (admins only), the newest first."""
        params = self._audit_params(
            after,
            page_size,
            kinds,
            staff_id=staff_id,
            client_id=client_id,
            since=since,
            until=until,
        )
        return self._parse(
            AuditPage, await self._request("GET", "/audit", params=params, retry=True)
        )

    async def iter_audit_pages(
        self,
        fetch: Callable[[int | None], Awaitable[AuditPage]],
    ) -> AsyncIterator[AuditPage]:
        """Every page ``fetch(after)`` gives, following the cursor to the last one:
        ``iter_audit_pages(lambda after: client.client_history(7, after=after))``."""
        after: int | None = None
        while True:
            page = await fetch(after)
            yield page
            if page.next is None or not page.items:
                return
            after = page.next


P = TypeVar("P", bound=Page[Any])


async def _pages(fetch: Callable[[str | None], Awaitable[P]]) -> AsyncIterator[P]:
    """The first page from ``fetch(None)``, then ``fetch(next)`` with each page's cursor,
    each as it arrives, until a page has no ``next``."""
    after: str | None = None
    while True:
        result = await fetch(after)
        yield result
        if result.next is None or not result.items:
            return
        after = result.next


def _page_params(page: int | None, page_size: int, after: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"page_size": page_size}
    if after is not None:
        params["after"] = after
    elif page is not None:
        params["page"] = page
    return params


R = TypeVar("R")


@dataclass(frozen=True)
class ClientRowBatch(Generic[R]):
    """Rows of ``GET /client-rows`` as they arrived, with the answer's header."""

    columns: list[str]
    total: int
    changes: str | None
    rows: list[R]
    done: bool  # the last batch (no rows): the whole list arrived

    def batch(self, rows: list[R], *, done: bool) -> ClientRowBatch[R]:
        return ClientRowBatch(self.columns, self.total, self.changes, rows, done)


def _row_header(line: bytes) -> ClientRowBatch[Any]:
    header = json_module.loads(line)
    if not isinstance(header, dict):
        raise ValueError("its header is not an object")
    columns, total, changes = header.get("columns"), header.get("total"), header.get("changes")
    if (
        not isinstance(columns, list)
        or not all(isinstance(c, str) for c in columns)
        or len(set(columns)) != len(columns)
        or "id" not in columns
    ):
        raise ValueError("its columns are not a list of names")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise ValueError("its total is not a count")
    if changes is not None and not isinstance(changes, str):
        raise ValueError("its changes token is not a text")
    return ClientRowBatch(columns, total, changes, [], False)


def _as_dict(columns: list[str]) -> Callable[[list[Any]], dict[str, Any]]:
    width = len(columns)

    def read(values: list[Any]) -> dict[str, Any]:
        if type(values) is not list or len(values) != width:
            raise ValueError("a row is not an array of its columns")
        return dict(zip(columns, values, strict=True))

    return read
