"""Every error answer becomes its typed error; nothing but a LucyError ever escapes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import (
    ConflictError,
    ForbiddenError,
    LucyError,
    NotFoundError,
    PreconditionFailedError,
    RateLimitedError,
    ServerError,
    TooLargeError,
    UnauthorizedError,
    ValidationError,
    error_for_status,
)
from lucy_tui.api.models import ClientUpdate

from .conftest import (
    Connect,
    Script,
    api_error,
    client_detail_json,
    client_summary_json,
    login_json,
    ok,
    page_json,
    staff_json,
)

MAPPING: list[tuple[int, type[LucyError]]] = [
    (400, ValidationError),
    (401, UnauthorizedError),
    (403, ForbiddenError),
    (404, NotFoundError),
    (409, ConflictError),
    (412, PreconditionFailedError),
    (413, TooLargeError),
    (422, ValidationError),
    (428, PreconditionFailedError),
    (429, RateLimitedError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
    (504, ServerError),
]

Call = Callable[[LucyClient], Awaitable[object]]

# One call of each kind: a read, a versioned mutation, a POST action.
CALLS: dict[str, Call] = {
    "GET": lambda c: c.me(),
    "PATCH": lambda c: c.update_client(7, ClientUpdate(name="New name"), version=3),
    "POST action": lambda c: c.resend_documents(7, [1, 2]),
}

FIELD_DETAILS = [
    {"field": "name", "message": "Name is too long"},
    {"field": "team_ids.0", "message": "Unknown team 99"},
]


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize(("status", "kind"), MAPPING)
async def test_each_error_status_raises_its_typed_error_with_the_server_words(
    connect: Connect, call: Call, status: int, kind: type[LucyError]
) -> None:
    script = Script(then=api_error(status, f"code_{status}", f"Message {status}", FIELD_DETAILS))
    client = connect(script, retries=0)
    with pytest.raises(LucyError) as caught:
        await call(client)
    error = caught.value
    assert type(error) is kind
    assert error.status == status
    assert error.code == f"code_{status}"
    assert error.message == str(error) == f"Message {status}"
    assert error.details == FIELD_DETAILS
    assert script.attempts == 1


def test_error_for_status_table() -> None:
    for status, kind in MAPPING:
        assert error_for_status(status) is kind
    assert error_for_status(507) is ServerError
    assert error_for_status(405) is LucyError
    assert error_for_status(418) is LucyError


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (405, "method_not_allowed", LucyError),
        (415, "unsupported_media_type", LucyError),
        (418, "teapot", LucyError),
        (507, "insufficient_storage", ServerError),
    ],
)
async def test_a_status_without_its_own_error_keeps_status_and_code(
    connect: Connect, status: int, code: str, kind: type[LucyError]
) -> None:
    client = connect(Script(then=api_error(status, code, "Refused")), retries=0)
    with pytest.raises(LucyError) as caught:
        await client.me()
    assert type(caught.value) is kind
    assert caught.value.status == status
    assert caught.value.code == code
    assert caught.value.message == "Refused"


# --- field errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 422])
async def test_validation_error_parses_field_errors_from_details(
    connect: Connect, status: int
) -> None:
    client = connect(Script(then=api_error(status, "validation_error", "2 fields", FIELD_DETAILS)))
    with pytest.raises(ValidationError) as caught:
        await client.update_client(7, ClientUpdate(name="x"), version=1)
    assert caught.value.field_errors == {
        "name": "Name is too long",
        "team_ids.0": "Unknown team 99",
    }


async def test_conflict_error_carries_field_errors_too(connect: Connect) -> None:
    message = "A client with enterprise number 0403.170.701 already exists"
    details = [{"field": "enterprise_number", "message": message}]
    answer = api_error(409, "duplicate_enterprise_number", message, details)
    client = connect(Script(then=answer))
    with pytest.raises(ConflictError) as caught:
        await client.invite_client(7)
    assert caught.value.code == "duplicate_enterprise_number"
    assert caught.value.field_errors == {"enterprise_number": message}


async def test_field_errors_keep_the_first_message_and_skip_malformed_entries(
    connect: Connect,
) -> None:
    details: list[Any] = [
        "not an object",
        None,
        {"field": 12, "message": "a number is not a field path"},
        {"message": "no field"},
        {"field": "email", "message": "Not a valid email address"},
        {"field": "email", "message": "A second complaint"},
        {"field": "plan"},  # no message
        {"field": "iban", "message": "Not a valid IBAN", "extra": True},
    ]
    client = connect(Script(then=api_error(422, "validation_error", "bad", details)))
    with pytest.raises(ValidationError) as caught:
        await client.me()
    assert caught.value.field_errors == {
        "email": "Not a valid email address",
        "iban": "Not a valid IBAN",
    }


@pytest.mark.parametrize("details", [None, {"field": "name", "message": "x"}, "name", 3])
async def test_details_that_are_not_a_list_give_no_field_errors(
    connect: Connect, details: Any
) -> None:
    client = connect(Script(then=api_error(422, "validation_error", "bad", details)))
    with pytest.raises(ValidationError) as caught:
        await client.me()
    assert caught.value.field_errors == {}
    assert caught.value.details == details


# --- answers that are not the API's JSON -------------------------------------------------------

NOT_THE_API: dict[str, tuple[bytes, str | None]] = {
    "html from a proxy": (
        b"<html><head><title>502 Bad Gateway</title></head>"
        b"<body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>",
        "text/html",
    ),
    "empty": (b"", None),
    "malformed json": (b'{"error": {"code": "x", "message": ', "application/json"),
    "another json shape": (b'{"detail": "Not Found"}', "application/json"),
    "json null": (b"null", "application/json"),
    "error without message": (b'{"error": {"code": "teapot"}}', "application/json"),
    "error not an object": (b'{"error": "boom"}', "application/json"),
    "not utf-8": (b"\xff\xfe\x00\x81 binary", "application/octet-stream"),
}


@pytest.mark.parametrize(("status", "kind"), MAPPING)
@pytest.mark.parametrize("body", NOT_THE_API.values(), ids=NOT_THE_API.keys())
async def test_an_error_body_that_is_not_the_api_json_gives_a_readable_typed_error(
    connect: Connect, status: int, kind: type[LucyError], body: tuple[bytes, str | None]
) -> None:
    content, content_type = body
    headers = {"Content-Type": content_type} if content_type else {}
    client = connect(Script(then=httpx.Response(status, headers=headers, content=content)))
    with pytest.raises(LucyError) as caught:
        await client.me()
    error = caught.value
    assert type(error) is kind
    assert error.status == status
    assert error.code == kind.default_code
    assert error.details is None
    assert error.field_errors == {}
    reason = httpx.codes.get_reason_phrase(status)
    assert f"{status} {reason}" in error.message
    assert "<" not in error.message and "{" not in error.message


async def test_an_unknown_status_without_explanation_is_still_readable(connect: Connect) -> None:
    client = connect(Script(then=httpx.Response(418, content=b"")), retries=0)
    with pytest.raises(LucyError) as caught:
        await client.me()
    assert type(caught.value) is LucyError
    assert caught.value.status == 418
    assert caught.value.code == "error"
    assert "418" in caught.value.message


@pytest.mark.parametrize("status", [200, 502])
async def test_a_body_that_cannot_be_decoded_gives_a_typed_error(
    connect: Connect, status: int
) -> None:
    """A proxy that says gzip but sends something else: the client must still raise LucyError."""
    broken = httpx.Response(
        status,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        stream=httpx.ByteStream(b"this is not gzip"),
    )
    client = connect(lambda request: broken, retries=0)
    with pytest.raises(LucyError):
        await client.me()


# --- a success whose JSON does not match the model ---------------------------------------------

BAD_SUCCESSES: dict[str, tuple[Call, httpx.Response, str]] = {
    "me: wrong type": (lambda c: c.me(), ok({**staff_json(), "id": "one"}), "/api/v1/me"),
    "me: html": (
        lambda c: c.me(),
        httpx.Response(200, html="<html><body>Welcome to the captive portal</body></html>"),
        "/api/v1/me",
    ),
    "me: empty": (lambda c: c.me(), httpx.Response(200, content=b""), "/api/v1/me"),
    "me: malformed": (lambda c: c.me(), httpx.Response(200, content=b'{"id": 1,'), "/api/v1/me"),
    "client: a summary is not a detail": (
        lambda c: c.client(7),
        ok(client_summary_json(7)),
        "/api/v1/clients/7",
    ),
    "clients page: unknown status": (
        lambda c: c.clients_page(),
        ok(page_json([{**client_summary_json(1), "status": "archived"}], 1, 1, 100)),
        "/api/v1/clients",
    ),
    "clients page: not a page": (
        lambda c: c.clients_page(),
        ok([client_summary_json(1)]),
        "/api/v1/clients",
    ),
    "staff list: item without email": (
        lambda c: c.staff(),
        ok(page_json([{"id": 1, "name": "X", "role": "admin"}], 1, 1, 500)),
        "/api/v1/staff",
    ),
    "resend: unknown outcome": (
        lambda c: c.resend_documents(7, [1]),
        ok({"results": [{"document_id": 1, "outcome": "exploded"}]}),
        "/api/v1/clients/7/documents/resend",
    ),
    "update: missing version": (
        lambda c: c.update_client(7, ClientUpdate(name="X"), version=1),
        ok({k: v for k, v in client_detail_json(7).items() if k != "version"}),
        "/api/v1/clients/7",
    ),
    "peppol: a list": (lambda c: c.peppol(7), ok([]), "/api/v1/clients/7/peppol"),
}


@pytest.mark.parametrize(
    ("call", "answer", "path"), BAD_SUCCESSES.values(), ids=BAD_SUCCESSES.keys()
)
async def test_a_success_that_does_not_match_the_model_is_a_bad_response(
    connect: Connect, call: Call, answer: httpx.Response, path: str
) -> None:
    client = connect(Script(then=answer))
    with pytest.raises(ServerError) as caught:
        await call(client)
    assert caught.value.code == "bad_response"
    assert path in caught.value.message
    assert "does not match the API" in caught.value.message


async def test_a_login_answer_that_does_not_match_keeps_no_token(connect: Connect) -> None:
    broken = {k: v for k, v in login_json("tok-new").items() if k != "expires_at"}
    script = Script(ok(broken), ok(staff_json()))
    client = connect(script, token=None)
    with pytest.raises(ServerError) as caught:
        await client.login("admin@demo-firm.be", "lucy-demo")
    assert caught.value.code == "bad_response"
    assert client.token is None
    await client.me()
    assert script.headers("Authorization") == [None, None]
