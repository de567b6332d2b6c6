"""Reads retry transient faults with backoff; timeouts and lost connections are typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import LucyError, ServerError, UnreachableError
from lucy_tui.api.models import ClientUpdate, Staff

from .conftest import (
    BASE_URL,
    Connect,
    Script,
    allowed_senders_json,
    api_error,
    banking_json,
    client_detail_json,
    client_integrations_json,
    invoice_settings_json,
    ok,
    page_json,
    peppol_json,
    staff_json,
    vault_file_json,
)

Call = Callable[[LucyClient], Awaitable[object]]

# Every read of the client, with a valid answer for it.
READS: dict[str, tuple[Call, httpx.Response]] = {
    "me": (lambda c: c.me(), ok(staff_json())),
    "staff": (lambda c: c.staff(), ok(page_json([staff_json()], 1, 1, 500))),
    "teams": (lambda c: c.teams(), ok(page_json([], 0, 1, 500))),
    "clients_page": (lambda c: c.clients_page(), ok(page_json([], 0, 1, 100))),
    "client": (lambda c: c.client(7), ok(client_detail_json(7))),
    "peppol": (lambda c: c.peppol(7), ok(peppol_json())),
    "allowed_senders": (lambda c: c.allowed_senders(7), ok(allowed_senders_json())),
    "documents_page": (lambda c: c.documents_page(7), ok(page_json([], 0, 1, 100))),
    "vault_files": (lambda c: c.vault_files(7), ok(page_json([], 0, 1, 500))),
    "download_vault_file": (
        lambda c: c.download_vault_file(7, 3),
        httpx.Response(200, content=b"%PDF-1.7 content"),
    ),
    "banking": (lambda c: c.banking(7), ok(banking_json())),
    "integrations": (lambda c: c.integrations(), ok(page_json([], 0, 1, 500))),
    "client_integrations": (
        lambda c: c.client_integrations(7),
        ok(client_integrations_json()),
    ),
    "client_users": (lambda c: c.client_users(7), ok(page_json([], 0, 1, 500))),
    "invoice_settings": (lambda c: c.invoice_settings(7), ok(invoice_settings_json())),
}

# Mutations without an idempotency key: sent once, never retried.
ONCE: dict[str, Call] = {
    "update_client (PATCH)": lambda c: c.update_client(7, ClientUpdate(name="X"), version=1),
    "set_peppol (PUT)": lambda c: c.set_peppol(7, sending=True, receiving=True, version=1),
    "set_allowed_senders (PUT)": lambda c: c.set_allowed_senders(7, ["a@b.be"], version=1),
    "delete_vault_file (DELETE)": lambda c: c.delete_vault_file(7, 3),
    "remove_client_user (DELETE)": lambda c: c.remove_client_user(7, 4),
}

TRANSIENT_STATUSES = [502, 503, 504]


def connect_error() -> httpx.ConnectError:
    return httpx.ConnectError("[Errno 111] Connection refused")


# --- connection errors ----------------------------------------------------------------------


@pytest.mark.parametrize("call", [r[0] for r in READS.values()], ids=READS.keys())
async def test_every_read_retries_a_connection_error_then_is_unreachable(
    connect: Connect, call: Call
) -> None:
    script = Script(then=connect_error())
    client = connect(script, retries=2)
    with pytest.raises(UnreachableError) as caught:
        await call(client)
    assert script.attempts == 3
    assert len(set(script.paths())) == 1  # the same request each time
    assert caught.value.code == "unreachable"
    assert caught.value.status is None
    assert BASE_URL in caught.value.message
    assert "Connection refused" in caught.value.message
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize(("call", "answer"), READS.values(), ids=READS.keys())
async def test_every_read_succeeds_when_a_retry_gets_through(
    connect: Connect, call: Call, answer: httpx.Response
) -> None:
    script = Script(connect_error(), api_error(503, "unavailable", "Down"), answer)
    client = connect(script, retries=2)
    result = await call(client)
    assert result is not None
    assert script.attempts == 3
    assert {r.method for r in script.requests} == {"GET"}


@pytest.mark.parametrize("retries", [0, 1, 4])
async def test_the_number_of_attempts_is_one_plus_retries(
    connect: Connect, retries: int, sleeps: list[float]
) -> None:
    script = Script(then=connect_error())
    client = connect(script, retries=retries)
    with pytest.raises(UnreachableError):
        await client.me()
    assert script.attempts == 1 + retries
    assert len(sleeps) == retries  # no wait after the last attempt


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadError("Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.WriteError("Broken pipe"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_other_transport_errors_are_retried_and_unreachable(
    connect: Connect, failure: httpx.TransportError
) -> None:
    script = Script(then=failure)
    client = connect(script, retries=1)
    with pytest.raises(UnreachableError) as caught:
        await client.me()
    assert script.attempts == 2
    assert caught.value.code == "unreachable"
    assert str(failure) in caught.value.message


async def test_a_transport_error_without_message_still_says_what_happened(
    connect: Connect,
) -> None:
    client = connect(Script(then=httpx.ReadError("")), retries=0)
    with pytest.raises(UnreachableError) as caught:
        await client.me()
    assert "ReadError" in caught.value.message


# --- backoff ----------------------------------------------------------------------------------


async def test_backoff_doubles_between_attempts(connect: Connect, sleeps: list[float]) -> None:
    script = Script(connect_error(), connect_error(), connect_error(), ok(staff_json()))
    client = connect(script, retries=3, backoff=0.25)
    assert isinstance(await client.me(), Staff)
    assert sleeps == [0.25, 0.5, 1.0]


async def test_a_first_success_does_not_wait(connect: Connect, sleeps: list[float]) -> None:
    client = connect(Script(ok(staff_json())), retries=3, backoff=0.25)
    await client.me()
    assert sleeps == []


# --- 502, 503, 504 -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", TRANSIENT_STATUSES)
async def test_a_gateway_status_is_retried_then_raised_as_server_error(
    connect: Connect, status: int, sleeps: list[float]
) -> None:
    script = Script(then=api_error(status, "upstream_down", f"Upstream said {status}"))
    client = connect(script, retries=2, backoff=1.0)
    with pytest.raises(ServerError) as caught:
        await client.clients_page()
    assert script.attempts == 3
    assert sleeps == [1.0, 2.0]
    assert caught.value.status == status
    assert caught.value.code == "upstream_down"
    assert caught.value.message == f"Upstream said {status}"


@pytest.mark.parametrize("status", TRANSIENT_STATUSES)
async def test_a_gateway_status_then_success_returns_the_success(
    connect: Connect, status: int
) -> None:
    script = Script(httpx.Response(status, text="Bad gateway"), ok(client_detail_json(7)))
    client = connect(script, retries=2)
    detail = await client.client(7)
    assert detail.id == 7
    assert script.attempts == 2


async def test_an_html_gateway_page_after_the_last_retry_is_a_readable_server_error(
    connect: Connect,
) -> None:
    page = "<html><body><h1>504 Gateway Time-out</h1></body></html>"
    script = Script(then=httpx.Response(504, html=page))
    client = connect(script, retries=1)
    with pytest.raises(ServerError) as caught:
        await client.me()
    assert script.attempts == 2
    assert caught.value.status == 504
    assert caught.value.code == "server_error"
    assert "504 Gateway Timeout" in caught.value.message


@pytest.mark.parametrize("status", [500, 400, 401, 403, 404, 409, 412, 413, 422, 428, 429])
async def test_other_errors_are_not_retried(
    connect: Connect, status: int, sleeps: list[float]
) -> None:
    script = Script(then=api_error(status, "nope", "No"))
    client = connect(script, retries=3, backoff=1.0)
    with pytest.raises(LucyError) as caught:
        await client.me()
    assert script.attempts == 1
    assert sleeps == []
    assert caught.value.status == status


# --- timeouts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timeout",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.PoolTimeout("timed out"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_a_timeout_is_retried_then_unreachable_with_code_timeout(
    connect: Connect, timeout: httpx.TimeoutException
) -> None:
    script = Script(then=timeout)
    client = connect(script, retries=2)
    with pytest.raises(UnreachableError) as caught:
        await client.client(7)
    assert script.attempts == 3
    assert caught.value.code == "timeout"
    assert "GET /clients/7" in caught.value.message
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)


async def test_a_read_that_timed_out_once_succeeds_on_retry(connect: Connect) -> None:
    script = Script(httpx.ReadTimeout("timed out"), ok(staff_json(5)))
    client = connect(script, retries=1)
    assert (await client.me()).id == 5
    assert script.attempts == 2


@pytest.mark.parametrize("call", ONCE.values(), ids=ONCE.keys())
async def test_a_mutation_that_timed_out_is_not_retried(connect: Connect, call: Call) -> None:
    script = Script(then=httpx.ReadTimeout("timed out"))
    client = connect(script, retries=3)
    with pytest.raises(UnreachableError) as caught:
        await call(client)
    assert script.attempts == 1
    assert caught.value.code == "timeout"


@pytest.mark.parametrize("call", ONCE.values(), ids=ONCE.keys())
@pytest.mark.parametrize("failure", ["connect", 502, 503, 504])
async def test_mutations_without_a_key_are_never_retried(
    connect: Connect, call: Call, failure: str | int, sleeps: list[float]
) -> None:
    reply = connect_error() if failure == "connect" else api_error(int(failure), "down", "Down")
    script = Script(then=reply)
    client = connect(script, retries=3)
    expected = UnreachableError if failure == "connect" else ServerError
    with pytest.raises(expected):
        await call(client)
    assert script.attempts == 1
    assert sleeps == []
    assert script.headers("Idempotency-Key") == [None]


async def test_every_call_carries_the_default_timeouts(connect: Connect) -> None:
    script = Script(then=ok(staff_json()))
    client = connect(script)
    await client.me()
    assert script.requests[0].extensions["timeout"] == {
        "connect": 5.0,
        "read": 15.0,
        "write": 15.0,
        "pool": 15.0,
    }


async def test_a_timeout_given_to_the_client_applies_to_its_calls(connect: Connect) -> None:
    script = Script(then=ok(staff_json()))
    client = connect(script, timeout=3.0)
    await client.me()
    assert set(script.requests[0].extensions["timeout"].values()) == {3.0}


async def test_vault_transfers_get_a_longer_read_timeout(connect: Connect) -> None:
    script = Script(ok(vault_file_json(3)), httpx.Response(200, content=b"data"))
    client = connect(script)
    await client.upload_vault_file(7, "a.pdf", b"%PDF")
    await client.download_vault_file(7, 3)
    for request in script.requests:
        timeout = request.extensions["timeout"]
        assert timeout["read"] == 120.0
        assert timeout["connect"] == 5.0


# --- a key still in progress on the server (issue 15) -----------------------------------------


def in_progress() -> httpx.Response:
    answer = api_error(409, "idempotency_in_progress", "Still being handled; retry shortly")
    answer.headers["Retry-After"] = "1"
    return answer


async def test_an_action_still_in_progress_is_waited_for_with_the_same_key(
    connect: Connect, sleeps: list[float]
) -> None:
    """The first attempt is still running (or its server died and a restarted one frees the
    key): the client asks again with the same key instead of raising a ConflictError."""
    script = Script(in_progress(), in_progress(), ok(client_detail_json(7)))
    client = connect(script, retries=0, backoff=0.25)
    detail = await client.invite_client(7, idempotency_key="invite-7")
    assert detail.id == 7
    assert script.headers("Idempotency-Key") == ["invite-7"] * 3
    assert sleeps == [1.0, 2.0]  # Retry-After, doubled


async def test_waiting_for_an_action_in_progress_is_bounded(
    connect: Connect, sleeps: list[float]
) -> None:
    from lucy_tui.api.client import IN_PROGRESS_MAX_DELAY, IN_PROGRESS_WAITS

    script = Script(then=in_progress())
    client = connect(script, retries=2, backoff=0.25)
    with pytest.raises(LucyError) as caught:
        await client.send_documents(7, [1, 2])
    assert caught.value.code == "idempotency_in_progress"
    assert script.attempts == 1 + IN_PROGRESS_WAITS
    assert len(set(script.headers("Idempotency-Key"))) == 1
    assert sleeps == [1.0, 2.0, 4.0, IN_PROGRESS_MAX_DELAY, IN_PROGRESS_MAX_DELAY]


async def test_other_conflicts_of_an_action_are_not_waited_for(
    connect: Connect, sleeps: list[float]
) -> None:
    script = Script(then=api_error(409, "already_active", "Already active"))
    client = connect(script, retries=2)
    with pytest.raises(LucyError):
        await client.invite_client(7)
    assert script.attempts == 1
    assert sleeps == []
