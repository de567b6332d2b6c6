"""Bad input sent straight to the server (raw httpx over ASGI, no typed client, no request
model on the way): the catalogue of tests/unit/test_bad_input.py again, plus what only the
server sees (query parameters, ids in paths, file uploads, bodies without a length).

Every refusal is a 4xx (422 naming the field, 400, 404 or 413) and never a 5xx, and nothing
is stored: the whole database is the same before and after. Already covered elsewhere and
not repeated here: the invoice-settings fields one by one (test_client_tabs.py), the
allowed-senders list (test_overview.py), JSON that does not parse, page and page_size bounds
and a 3 MB JSON body with its length (test_protocol.py), upload names reduced to their base
name, \\x07 and overlong names, types by extension and magic bytes, the 25 MB limit through the
typed client (test_vault.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from lucy_server import db
from lucy_tui.api.models import MAX_ID, VAULT_MAX_BYTES

from .conftest import API, bearer

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
RTL_OVERRIDE = "\u202e"
TOO_BIG = f"Input should be less than or equal to {MAX_ID}"


def database_state(app: FastAPI) -> str:
    """A digest of every row of every table: equal digests, nothing was stored."""
    digest = hashlib.sha256()
    with db.read_tx(app.state.lucy.engine) as conn:
        for name, table in sorted(db.metadata.tables.items()):
            rows = conn.execute(select(table)).all()
            digest.update(name.encode())
            for row in sorted(repr(tuple(row)) for row in rows):
                digest.update(row.encode())
    return digest.hexdigest()


@pytest.fixture
def unchanged(server_app: FastAPI, admin_token: str) -> Iterator[None]:
    """Asserts, after the test, that the database is exactly as it was before (taken once
    the admin's session exists)."""
    before = database_state(server_app)
    yield
    assert database_state(server_app) == before, "bad input changed the database"


@pytest.fixture
async def raw(server_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Raw httpx over ASGI; a server error becomes a 500 answer (asserted never to happen)."""
    transport = httpx.ASGITransport(app=server_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://lucy.test") as client:
        yield client


def brief(value: Any) -> str | None:
    """Test ids that stay readable when a case is a huge value."""
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return text if len(text) <= 24 else f"{text[:12]}...({len(text)})"


def refused(response: httpx.Response, status: int, field: str | None = None) -> str:
    """Assert the refusal; return its message (the field's own, when one is named)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if field is None:
        return str(error["message"])
    details = {detail["field"]: detail["message"] for detail in error["details"]}
    assert field in details, details
    message = str(details[field])
    assert message and not message.startswith("Value error")
    return message


def expect(message: str, wanted: str) -> None:
    """``wanted`` is the message, or its start followed by "…"."""
    if wanted.endswith("…"):
        assert message.startswith(wanted[:-1]), message
    else:
        assert message == wanted


# --- a new client ---------------------------------------------------------------------------

NEW_CLIENT = {"name": "Nieuw BV", "enterprise_number": "0403170701", "email": "a@nieuw.be"}


@pytest.mark.parametrize(
    ("field", "value", "named", "message"),
    [
        ("name", "", "name", "String should have at least 1 character"),
        ("name", " ", "name", "Name is required"),
        ("name", "x" * 100_000, "name", "String should have at most 200 characters"),
        ("name", 123, "name", "Input should be a valid string"),
        ("name", ["Nieuw BV"], "name", "Input should be a valid string"),
        ("name", None, "name", "Input should be a valid string"),
        ("name", "Nieuw\x00BV", "name", "Name contains control characters"),
        ("name", "Nieuw\x1b[2JBV", "name", "Name contains control characters"),
        ("name", "Nieuw\nBV", "name", "Name contains control characters"),
        ("name", f"{RTL_OVERRIDE}VB wueiN", "name", "Name contains control characters"),
        ("enterprise_number", "", "enterprise_number", "Enterprise number is required"),
        ("enterprise_number", "1" * 5000, "enterprise_number", "Enterprise number has the…"),
        ("enterprise_number", 403170701, "enterprise_number", "Input should be a valid string"),
        ("enterprise_number", "../../etc/passwd", "enterprise_number", "Enterprise number is…"),
        ("email", "", "email", "Email address is required"),
        ("email", "a@b.be\r\nBcc: all@b.be", "email", "Not a valid email address…"),
        ("email", "a" * 5000 + "@b.be", "email", "Email address is too long"),
        ("email", {"address": "a@b.be"}, "email", "Input should be a valid string"),
        ("plan", "free", "plan", "Input should be 'trial', 'inbox'…"),
        ("team_ids", "1", "team_ids", "Input should be a valid list"),
        ("team_ids", [2**63], "team_ids.0", TOO_BIG),
        ("team_ids", [999], "team_ids", "Unknown team 999"),
        ("contact_id", 2**64, "contact_id", TOO_BIG),
        ("contact_id", "me", "contact_id", "Input should be a valid integer…"),
    ],
    ids=brief,
)
async def test_a_new_client_is_refused_and_not_stored(
    raw: httpx.AsyncClient,
    admin_token: str,
    unchanged: None,
    field: str,
    value: Any,
    named: str,
    message: str,
) -> None:
    response = await raw.post(
        f"{API}/clients", json={**NEW_CLIENT, field: value}, headers=bearer(admin_token)
    )
    expect(refused(response, 422, named), message)


@pytest.mark.parametrize(
    ("body", "field"),
    [([NEW_CLIENT], ""), ("Nieuw BV", ""), (None, ""), ({}, "name")],
    ids=["list", "string", "null", "empty"],
)
async def test_a_body_of_the_wrong_shape_is_422(
    raw: httpx.AsyncClient, admin_token: str, unchanged: None, body: Any, field: str
) -> None:
    response = await raw.post(f"{API}/clients", json=body, headers=bearer(admin_token))
    refused(response, 422, field)


# --- a change of a client (PATCH) --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "named", "message"),
    [
        ({"name": ""}, "name", "String should have at least 1 character"),
        ({"name": "Aalter\tBV"}, "name", "Name contains control characters"),
        ({"name": "Aalter\u2028BV"}, "name", "Name contains control characters"),
        ({"name": 5}, "name", "Input should be a valid string"),
        ({"hidden": []}, "hidden", "Input should be a valid boolean"),
        ({"hidden": "perhaps"}, "hidden", "Input should be a valid boolean…"),
        ({"plan": ["trial"]}, "plan", "Input should be 'trial', 'inbox'…"),
        ({"contact_id": 2**70}, "contact_id", TOO_BIG),
        ({"client_contact_id": 2}, "client_contact_id", "No longer a field: the Client-Facing…"),
        ({"team_ids": [1, 2**63]}, "team_ids.1", TOO_BIG),
    ],
    ids=brief,
)
async def test_a_bad_patch_is_refused_and_not_stored(
    raw: httpx.AsyncClient,
    admin_token: str,
    cases: dict[str, int],
    unchanged: None,
    body: dict[str, Any],
    named: str,
    message: str,
) -> None:
    response = await raw.patch(
        f"{API}/clients/{cases['rich']}",
        json=body,
        headers={**bearer(admin_token), "If-Match": "1"},
    )
    expect(refused(response, 422, named), message)


# --- invoice settings: what test_client_tabs.py does not try -----------------------------


@pytest.fixture
async def settings_body(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> dict[str, Any]:
    current = await raw.get(
        f"{API}/clients/{cases['created']}/invoice-settings", headers=bearer(admin_token)
    )
    body: dict[str, Any] = current.json()
    body.update(iban="BE09734123456757", email="facturen@fietsen.be")
    return body


@pytest.mark.parametrize(
    ("field", "value", "named", "message"),
    [
        ("payment_term_days", "", "payment_term_days", "Input should be a valid integer…"),
        ("payment_term_days", "thirty", "payment_term_days", "Input should be a valid integer…"),
        ("payment_term_days", 30.5, "payment_term_days", "Input should be a valid integer, got…"),
        ("payment_term_days", [30], "payment_term_days", "Input should be a valid integer"),
        ("payment_term_days", 10**30, "payment_term_days", "Input should be less than or…"),
        ("payment_term_days", 121, "payment_term_days", "Input should be less than or equal…"),
        ("next_number", 10**20, "next_number", "Input should be less than or equal to 999999"),
        ("number_format", "{number}" * 100, "number_format", "Number format is longer than…"),
        ("number_format", "F\x1b{number}", "number_format", "Number format contains control…"),
        ("number_format", 5, "number_format", "Input should be a valid string"),
        ("iban", "BE" + "1" * 10_000, "iban", "IBAN is not valid"),
        ("iban", ["BE09734123456757"], "iban", "Input should be a valid string"),
        ("bic", "KREDBEBB\x00", "bic", "BIC contains control characters"),
        ("vat_number", "BE" + "9" * 5000, "vat_number", "VAT number has the wrong number of…"),
        ("enterprise_number", "0403.170.701\n", "enterprise_number", "Enterprise number…"),
        ("email", "facturen@fietsen.be\nBcc: x@y.be", "email", "Not a valid email address…"),
        ("legal_name", f"{RTL_OVERRIDE}snemlliW", "legal_name", "Name contains control…"),
        ("footer", f"Pay to {RTL_OVERRIDE}7575 4321", "footer", "Text contains control…"),
        ("footer", "x" * 501, "footer", "String should have at most 500 characters"),
        ("address", ["Kerkstraat 1"], "address", "Input should be a valid dictionary…"),
        ("address", {"street": f"Kerk{RTL_OVERRIDE}straat"}, "address.street", "Contains…"),
        ("address", {"street": "Kerk\nstraat"}, "address.street", "Contains control characters"),
        ("address", {"city": "G" * 10_000}, "address.city", "Longer than 100 characters"),
        ("address", {"country": "🇧🇪"}, "address.country", "Country must be a two-letter…"),
    ],
    ids=brief,
)
async def test_bad_invoice_settings_are_refused_and_not_stored(
    raw: httpx.AsyncClient,
    admin_token: str,
    cases: dict[str, int],
    settings_body: dict[str, Any],
    unchanged: None,
    field: str,
    value: Any,
    named: str,
    message: str,
) -> None:
    response = await raw.put(
        f"{API}/clients/{cases['created']}/invoice-settings",
        json={**settings_body, field: value},
        headers={**bearer(admin_token), "If-Match": "1"},
    )
    expect(refused(response, 422, named), message)


# --- allowed senders, users, documents, sign-in ------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "body", "named", "message"),
    [
        ("allowed-senders", "PUT", {"senders": "a@b.be"}, "senders", "Input should be a valid…"),
        ("allowed-senders", "PUT", {"senders": [["a@b.be"]]}, "senders.0", "Input should be a…"),
        ("allowed-senders", "PUT", {"senders": [""]}, "senders", "Sender 1 (''): Email address…"),
        ("allowed-senders", "PUT", {"senders": ["a@b.be\x00"]}, "senders", "Sender 1 ('a@b.be…"),
        ("users", "POST", {"email": ""}, "email", "Email address is required"),
        ("users", "POST", {"email": "../../etc/passwd"}, "email", "Not a valid email address…"),
        ("users", "POST", {"email": "u@b.be", "name": "Ann\x1b[5m"}, "name", "Name contains…"),
        ("users", "POST", {"email": "u@b.be", "name": "Ann\x00"}, "name", "Name contains…"),
        ("users", "POST", {"email": "u@b.be", "name": f"{RTL_OVERRIDE}nnA"}, "name", "Name…"),
        ("users", "POST", {"email": "u@b.be", "name": 7}, "name", "Input should be a valid string"),
        ("documents/send", "POST", {"document_ids": [2**63]}, "document_ids.0", TOO_BIG),
        ("documents/resend", "POST", {"document_ids": [-(2**63) - 1]}, "document_ids.0", "Input…"),
        ("documents/send", "POST", {"document_ids": "1,2"}, "document_ids", "Input should be a…"),
        ("documents/resend", "POST", {"document_ids": [None]}, "document_ids.0", "Input should…"),
    ],
    ids=brief,
)
async def test_bad_senders_users_and_document_ids_are_refused_and_not_stored(
    raw: httpx.AsyncClient,
    admin_token: str,
    cases: dict[str, int],
    unchanged: None,
    path: str,
    method: str,
    body: dict[str, Any],
    named: str,
    message: str,
) -> None:
    response = await raw.request(
        method,
        f"{API}/clients/{cases['rich']}/{path}",
        json=body,
        headers={**bearer(admin_token), "If-Match": "1"},
    )
    expect(refused(response, 422, named), message)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"email": "", "password": "x"}, "email"),
        ({"email": "x" * 10_000, "password": "x"}, "email"),
        ({"email": ["admin@demo-firm.be"], "password": "x"}, "email"),
        ({"email": "admin@demo-firm.be", "password": "x" * 10_000}, "password"),
        ({"email": "admin@demo-firm.be", "password": 12345}, "password"),
        ({"email": "admin@demo-firm.be"}, "password"),
    ],
    ids=brief,
)
async def test_bad_sign_ins_are_refused_and_open_no_session(
    raw: httpx.AsyncClient, unchanged: None, body: dict[str, Any], named: str
) -> None:
    refused(await raw.post(f"{API}/auth/login", json=body), 422, named)


# --- the client list's query parameters and ids in paths ---------------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "first"}, "page"),
        ({"page": 10**7}, "page"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": "all"}, "page_size"),
        ({"status": "bogus"}, "status"),
        ({"status": "ACTIVE "}, "status"),
        ({"plan": "gold"}, "plan"),
        ({"team_id": "north"}, "team_id"),
        ({"team_id": 2**63}, "team_id"),
        ({"q": "x" * 201}, "q"),
    ],
    ids=brief,
)
async def test_bad_list_parameters_are_422_naming_the_parameter(
    raw: httpx.AsyncClient, admin_token: str, params: dict[str, Any], named: str
) -> None:
    response = await raw.get(f"{API}/clients", params=params, headers=bearer(admin_token))
    refused(response, 422, named)


@pytest.mark.parametrize("q", ["%", "_", "\\", "'; DROP TABLE clients; --", "🥐", "../../etc"])
async def test_odd_search_text_is_only_text(
    raw: httpx.AsyncClient, employee_token: str, cases: dict[str, int], q: str
) -> None:
    """Search text never widens what an employee sees, and never fails."""
    response = await raw.get(
        f"{API}/clients", params={"q": q, "page_size": 500}, headers=bearer(employee_token)
    )
    assert response.status_code == 200, response.text
    shown = {item["id"] for item in response.json()["items"]}
    assert not shown & {cases["hidden"], cases["south_only"], cases["hidden_south"]}


@pytest.mark.parametrize(
    "q", ["ab\x00cd", "\x00", "ab\x1bcd", "ab\x7f", "ab\x85", RTL_OVERRIDE + "ab", "a\u2028b"]
)
async def test_search_text_with_control_characters_is_422_not_cut(
    raw: httpx.AsyncClient, employee_token: str, q: str
) -> None:
    """Issue 15: "ab\\0cd" used to be searched as "ab" (SQLite's LIKE stops at a NUL)."""
    response = await raw.get(f"{API}/clients", params={"q": q}, headers=bearer(employee_token))
    refused(response, 422, "q")
    assert "control characters" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/clients/{huge}"),
        ("PATCH", "/clients/{huge}"),
        ("GET", "/clients/{huge}/documents"),
        ("POST", "/clients/{huge}/documents/send"),
        ("GET", "/clients/{rich}/vault/{huge}"),
        ("DELETE", "/clients/{rich}/vault/{huge}"),
        ("DELETE", "/clients/{rich}/users/{huge}"),
    ],
    ids=brief,
)
async def test_ids_too_large_for_the_database_are_404_not_500(
    raw: httpx.AsyncClient,
    admin_token: str,
    cases: dict[str, int],
    unchanged: None,
    method: str,
    path: str,
) -> None:
    url = API + path.format(huge=2**64, rich=cases["rich"])
    body = {"document_ids": [1]} if method == "POST" else {"name": "X"}
    response = await raw.request(
        method, url, json=body, headers={**bearer(admin_token), "If-Match": "*"}
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


# --- bodies sent without a length (chunked) -----------------------------------------------


async def chunks(total: int, first: bytes = b"", last: bytes = b"") -> AsyncIterator[bytes]:
    yield first
    piece = b" " * (1024 * 1024)
    for _ in range(0, total, len(piece)):
        yield piece
    yield last


async def test_a_chunked_json_body_over_the_limit_is_413(
    raw: httpx.AsyncClient, admin_token: str, unchanged: None
) -> None:
    response = await raw.post(
        f"{API}/clients",
        content=chunks(3 * 1024 * 1024, b'{"name": "Nieuw BV",', b'"x": 1}'),
        headers={**bearer(admin_token), "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert refused(response, 413) == "The request body is larger than the server accepts (2 MB)"
    assert response.json()["error"]["code"] == "too_large"


# --- vault uploads ------------------------------------------------------------------------

BOUNDARY = "lucy-bad-input"


def multipart(file_name: bytes, content: bytes) -> tuple[bytes, dict[str, str]]:
    """A multipart body built by hand, so the file name reaches the server byte for byte."""
    head = (
        f"--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + file_name
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head + content + tail, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        (b"empty.pdf", b"", "The file is empty"),
        (b"tool.exe", b"MZ\x90\x00", "Files of this type cannot go in the vault…"),
        (b"aangifte.pdf.exe", b"MZ\x90\x00", "Files of this type cannot go in the vault…"),
        (b"README", b"hello", "Files of this type cannot go in the vault…"),
        (b"/etc/passwd", b"root:x:0:0", "Files of this type cannot go in the vault…"),
        (b"../../etc/passwd", b"root:x:0:0", "Files of this type cannot go in the vault…"),
        (b"invoice.pdf", b"MZ\x90\x00 this is a program", "The file is not a real PDF file"),
        (b"scan.jpg", PDF, "The file is not a real JPG file"),
        (b"..", PDF, "The file needs a name"),
        (b"..\\", PDF, "The file needs a name"),
        (b"", PDF, "The file needs a name"),
        (b"report\x00.pdf", PDF, "The file name contains control characters"),
        (b"report.txt\x00.pdf", PDF, "The file name contains control characters"),
        (b"report\x1b[31m.pdf", PDF, "The file name contains control characters"),
        (b"report%0A.pdf", PDF, "The file name contains control characters"),  # a newline
        (b"report\x7f.pdf", PDF, "The file name contains control characters"),
        (f"{RTL_OVERRIDE}fdp.exe".encode(), PDF, "The file name contains control characters"),
        (b"x" * 300 + b".pdf", PDF, "The file name is longer than 200 characters"),
    ],
    ids=brief,
)
async def test_a_refused_upload_names_the_file_and_stores_nothing(
    raw: httpx.AsyncClient,
    admin_token: str,
    cases: dict[str, int],
    unchanged: None,
    file_name: bytes,
    content: bytes,
    message: str,
) -> None:
    body, headers = multipart(file_name, content)
    response = await raw.post(
        f"{API}/clients/{cases['rich']}/vault",
        content=body,
        headers={**bearer(admin_token), **headers},
    )
    expect(refused(response, 422, "file"), message)


@pytest.mark.parametrize(
    ("file_name", "stored"),
    [
        ("📄 jaarrekening.pdf".encode(), "📄 jaarrekening.pdf"),
        ("Re\u0301sume\u0301.pdf".encode(), "Résumé.pdf"),  # combining marks, stored as NFC
        ("تقرير.pdf".encode(), "تقرير.pdf"),  # right-to-left text (no override)
        (b"..\\..\\Windows\\evil.pdf", "evil.pdf"),
        (b"%2e%2e/%2e%2e/evil.pdf", "evil.pdf"),
    ],
    ids=brief,
)
async def test_unicode_names_are_kept_and_paths_reduced_to_their_base_name(
    raw: httpx.AsyncClient,
    admin_token: str,
    cases: dict[str, int],
    file_name: bytes,
    stored: str,
) -> None:
    body, headers = multipart(file_name, PDF)
    response = await raw.post(
        f"{API}/clients/{cases['rich']}/vault",
        content=body,
        headers={**bearer(admin_token), **headers},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == stored


async def test_a_file_one_byte_over_25_mb_is_413_and_not_stored(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], unchanged: None
) -> None:
    body, headers = multipart(b"big.txt", b"a" * (VAULT_MAX_BYTES + 1))
    response = await raw.post(
        f"{API}/clients/{cases['rich']}/vault",
        content=body,
        headers={**bearer(admin_token), **headers},
    )
    assert refused(response, 413) == "The file is larger than 25 MB"
    assert response.json()["error"]["details"] == {"max_bytes": VAULT_MAX_BYTES}


async def test_a_chunked_upload_far_over_the_limit_is_cut_off_with_413(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], unchanged: None
) -> None:
    body, headers = multipart(b"huge.txt", b"")
    head, tail = body.split(b"\r\n--" + BOUNDARY.encode() + b"--")
    response = await raw.post(
        f"{API}/clients/{cases['rich']}/vault",
        content=chunks(VAULT_MAX_BYTES + 1024 * 1024, head, b"\r\n--" + BOUNDARY.encode() + tail),
        headers={**bearer(admin_token), **headers},
    )
    assert "content-length" not in response.request.headers
    assert refused(response, 413) == "The file is larger than the server accepts (25 MB)"


async def test_an_unknown_category_and_a_missing_file_name_the_field(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], unchanged: None
) -> None:
    url = f"{API}/clients/{cases['rich']}/vault"
    wrong = await raw.post(
        url,
        files={"file": ("a.pdf", PDF, "application/pdf")},
        data={"category": "../../secret"},
        headers=bearer(admin_token),
    )
    refused(wrong, 422, "category")
    text = await raw.post(url, data={"file": "a.pdf"}, headers=bearer(admin_token))
    refused(text, 422, "file")


@pytest.mark.parametrize("file_name", [b"accounts.xlsx", b"letter.docx"])
async def test_an_office_file_that_is_not_a_zip_is_refused(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], file_name: bytes
) -> None:
    body, headers = multipart(file_name, b"MZ\x90\x00 a program renamed")
    response = await raw.post(
        f"{API}/clients/{cases['rich']}/vault",
        content=body,
        headers={**bearer(admin_token), **headers},
    )
    refused(response, 422, "file")
