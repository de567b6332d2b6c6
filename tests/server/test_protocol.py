"""The error model, If-Match/ETag conventions and paging limits, checked on the wire."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lucy_tui.api.models import ErrorBody

from .conftest import API, bearer


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = ErrorBody.model_validate_json(response.content)
    return body.error.model_dump()


async def test_unknown_route_is_a_json_404(raw: httpx.AsyncClient, admin_token: str) -> None:
    response = await raw.get(f"{API}/nothing-here", headers=bearer(admin_token))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


async def test_wrong_method_is_a_json_405(raw: httpx.AsyncClient, admin_token: str) -> None:
    response = await raw.delete(f"{API}/clients", headers=bearer(admin_token))
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


async def test_validation_errors_name_the_field_and_say_why(
    raw: httpx.AsyncClient, admin_token: str
) -> None:
    response = await raw.post(
        f"{API}/clients",
        json={"name": "Test BV", "enterprise_number": "0123.456.789", "email": "nope"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    details = {d["field"]: d["message"] for d in error["details"]}
    assert details["enterprise_number"] == "Enterprise number has a wrong check digit"
    assert details["email"].startswith("Not a valid email address")
    assert not any(m.startswith("Value error") for m in details.values())


async def test_nested_fields_are_dotted(raw: httpx.AsyncClient, admin_token: str) -> None:
    response = await raw.post(
        f"{API}/clients/1/documents/send",
        json={"document_ids": [1, "x"]},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422
    fields = [d["field"] for d in error_of(response)["details"]]
    assert fields == ["document_ids.1"]


async def test_bad_json_is_400(raw: httpx.AsyncClient, admin_token: str) -> None:
    response = await raw.post(
        f"{API}/clients",
        content=b"{not json",
        headers={**bearer(admin_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


@pytest.mark.parametrize("size", [0, 501])
async def test_page_size_is_limited(raw: httpx.AsyncClient, admin_token: str, size: int) -> None:
    response = await raw.get(
        f"{API}/clients", params={"page_size": size}, headers=bearer(admin_token)
    )
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "page_size"


async def test_page_zero_is_refused(raw: httpx.AsyncClient, admin_token: str) -> None:
    response = await raw.get(f"{API}/clients", params={"page": 0}, headers=bearer(admin_token))
    assert response.status_code == 422


VERSIONED = [
    ("PATCH", "/clients/{id}", {"name": "Renamed BV"}),
    ("PUT", "/clients/{id}/peppol", {"sending": False, "receiving": False}),
    ("PUT", "/clients/{id}/allowed-senders", {"senders": ["a@b.be"]}),
    ("PUT", "/clients/{id}/integrations", {"accounting_package": "octopus"}),
]


@pytest.mark.parametrize(("method", "path", "body"), VERSIONED)
async def test_versioned_mutations_need_if_match(
    raw: httpx.AsyncClient,
    admin_token: str,
    cases: dict[str, int],
    method: str,
    path: str,
    body: dict[str, object],
) -> None:
    url = API + path.format(id=cases["rich"])
    headers = bearer(admin_token)
    current = await raw.get(url, headers=headers)
    assert current.headers["etag"] == '"1"'
    assert current.json().get("version", 1) == 1

    missing = await raw.request(method, url, json=body, headers=headers)
    assert missing.status_code == 428
    assert error_of(missing)["code"] == "precondition_required"

    stale = await raw.request(method, url, json=body, headers={**headers, "If-Match": '"7"'})
    assert stale.status_code == 412
    assert error_of(stale)["code"] == "precondition_failed"
    assert error_of(stale)["details"] == {"current_version": 1}
    assert stale.headers["etag"] == '"1"'

    done = await raw.request(method, url, json=body, headers={**headers, "If-Match": '"1"'})
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"2"'
    assert done.json()["version"] == 2

    again = await raw.request(method, url, json=body, headers={**headers, "If-Match": '"1"'})
    assert again.status_code == 412


@pytest.mark.parametrize("if_match", ["1", '"1"', 'W/"1"', '"5", "1"', "*"])
async def test_if_match_forms(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], if_match: str
) -> None:
    response = await raw.patch(
        f"{API}/clients/{cases['rich']}",
        json={"name": "Aalter Interieur & Co BV"},
        headers={**bearer(admin_token), "If-Match": if_match},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'


async def test_nonsense_if_match_is_400(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> None:
    response = await raw.patch(
        f"{API}/clients/{cases['rich']}",
        json={"name": "X"},
        headers={**bearer(admin_token), "If-Match": "yesterday"},
    )
    assert response.status_code == 400


async def test_invoice_settings_are_versioned(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> None:
    url = f"{API}/clients/{cases['created']}/invoice-settings"
    headers = bearer(admin_token)
    current = await raw.get(url, headers=headers)
    assert current.headers["etag"] == '"1"'
    body = current.json()
    body.update(iban="BE09734123456757", email="billing@example.be")
    assert (await raw.put(url, json=body, headers=headers)).status_code == 428
    stale = await raw.put(url, json=body, headers={**headers, "If-Match": "2"})
    assert stale.status_code == 412
    done = await raw.put(url, json=body, headers={**headers, "If-Match": "1"})
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"2"'


async def test_too_large_bodies_are_refused_before_parsing(
    raw: httpx.AsyncClient, admin_token: str
) -> None:
    response = await raw.post(
        f"{API}/clients",
        content=b"x" * (3 * 1024 * 1024),
        headers={**bearer(admin_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


async def test_openapi_is_public(raw: httpx.AsyncClient) -> None:
    response = await raw.get("/openapi.json")
    assert response.status_code == 200
    assert f"{API}/clients/{{client_id}}/documents/resend" in response.json()["paths"]


# --- numbers are ASCII digits only (issue 15) -------------------------------------------------


def wire_bytes(text: str) -> bytes:
    """A header value as bytes: latin-1 where it fits (so the server reads ``'²'`` back), else
    UTF-8 (read back as other non-digits)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


@pytest.mark.parametrize(
    "if_match", ["²", '"²"', 'W/"\u0661"', "\uff11", '"1", *', "\xa01", "+1", "1_0"]
)
async def test_if_match_versions_are_ascii_digits_only(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], if_match: str
) -> None:
    """``'²'.isdigit()`` is true and ``int('²')`` fails: this answered 500."""
    response = await raw.patch(
        f"{API}/clients/{cases['rich']}",
        json={"name": "Renamed BV"},
        headers={**bearer(admin_token), "If-Match": wire_bytes(if_match)},
    )
    assert response.status_code == 400, response.text
    assert "digits 0-9" in response.json()["error"]["message"]


@pytest.mark.parametrize("client_id", ["²", "\u0661", "\uff11", "+1", "-1", "1_0", "%201", "1.0"])
async def test_path_ids_are_ascii_digits_only(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], client_id: str
) -> None:
    response = await raw.get(f"{API}/clients/{client_id}", headers=bearer(admin_token))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "client_id"


@pytest.mark.parametrize(
    "query", ["page=²", "page_size=\uff11", "team_id=\u0661", "page=+2", "page=1_0"]
)
async def test_query_numbers_are_ascii_digits_only(
    raw: httpx.AsyncClient, admin_token: str, query: str
) -> None:
    response = await raw.get(f"{API}/clients?{query}", headers=bearer(admin_token))
    assert response.status_code == 422, response.text
    assert "digits 0-9" in response.json()["error"]["message"]


async def test_a_content_length_of_other_digits_is_400(
    server_app: object, admin_token: str
) -> None:
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"{API}/clients",
        "raw_path": f"{API}/clients".encode(),
        "query_string": b"",
        "headers": [
            (b"authorization", f"Bearer {admin_token}".encode()),
            (b"content-length", "²".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("lucy.test", 80),
    }
    await server_app(scope, receive, send)  # type: ignore[operator]
    assert sent[0]["status"] == 400


async def test_the_openapi_declares_bearer_if_match_and_idempotency_key(
    raw: httpx.AsyncClient,
) -> None:
    schema = (await raw.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = {p["name"]: p for p in operation.get("parameters", [])}
            login = path.endswith("/auth/login")
            assert bool(operation.get("security")) is not login, (method, path)
            if method in ("put", "patch"):
                assert names["If-Match"]["required"] is True
                assert {"412", "428"} <= set(operation["responses"]), (method, path)
            if method == "post" and not login:
                assert names["Idempotency-Key"]["required"] is False
                assert "422" in operation["responses"]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/clients", "GET, POST"),
        ("/clients/1", "GET, PATCH"),
        ("/clients/1/peppol", "GET, PUT"),
        ("/clients/1/vault/1", "DELETE, GET"),
        ("/auth/login", "POST"),
        # a literal segment is its own path, not a value of /documents/{document_id}
        ("/clients/1/documents/send", "POST"),
        ("/clients/1/documents/resend", "POST"),
        ("/clients/1/documents/7", "GET"),
    ],
)
async def test_405_lists_every_method_of_the_path(
    raw: httpx.AsyncClient, admin_token: str, path: str, allowed: str
) -> None:
    """RFC 9110: Allow names every method; it used to name only the first route's (GET)."""
    response = await raw.request("OPTIONS", f"{API}{path}", headers=bearer(admin_token))
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "query", ["satus=failed", "=true", "page=1&pagesize=5", "q=x&status=inbox&extra=1"]
)
async def test_an_unknown_query_parameter_is_refused_by_name(
    raw: httpx.AsyncClient, admin_token: str, query: str
) -> None:
    """FastAPI ignored them: a typo (``satus``) listed everything and said nothing."""
    for path in ("/clients", "/documents"):
        response = await raw.get(f"{API}{path}?{query}", headers=bearer(admin_token))
        assert response.status_code == 422, (path, query)
        error = response.json()["error"]
        assert "Unknown query parameter" in error["message"]
    known = await raw.get(f"{API}/documents?status=failed&page=1", headers=bearer(admin_token))
    assert known.status_code == 200
