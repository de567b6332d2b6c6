"""The vault: upload (size, type and name checks), list, download, delete."""

from __future__ import annotations

import httpx
import pytest

from lucy_tui.api import validation
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import NotFoundError, TooLargeError, ValidationError
from lucy_tui.api.models import VAULT_MAX_BYTES, ClientUserCreate, VaultCategory
from tests.conftest import SEED_NOW

from .conftest import API, bearer

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
OOXML = "application/vnd.openxmlformats-officedocument"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def test_seeded_vault(admin: LucyClient, cases: dict[str, int]) -> None:
    files = await admin.vault_files(cases["rich"])
    assert len(files) == 3
    assert {f.content_type for f in files} == {"application/pdf"}


async def test_upload_list_download_delete(admin: LucyClient, cases: dict[str, int]) -> None:
    client_id = cases["rich"]
    uploaded = await admin.upload_vault_file(
        client_id, "Aangifte 2025.pdf", PDF, category=VaultCategory.TAX
    )
    assert uploaded.name == "Aangifte 2025.pdf"
    assert uploaded.category is VaultCategory.TAX
    assert uploaded.size == len(PDF)
    assert uploaded.content_type == "application/pdf"
    assert uploaded.uploaded_by == "Ann Admin"
    assert uploaded.uploaded_at == SEED_NOW
    files = await admin.vault_files(client_id)
    assert files[0].id == uploaded.id  # newest first
    assert await admin.download_vault_file(client_id, uploaded.id) == PDF
    await admin.delete_vault_file(client_id, uploaded.id)
    with pytest.raises(NotFoundError):
        await admin.download_vault_file(client_id, uploaded.id)
    with pytest.raises(NotFoundError):
        await admin.delete_vault_file(client_id, uploaded.id)


async def test_download_headers(
    raw: httpx.AsyncClient, admin: LucyClient, admin_token: str, cases: dict[str, int]
) -> None:
    uploaded = await admin.upload_vault_file(cases["rich"], 'Résumé "final".png', PNG)
    response = await raw.get(
        f"{API}/clients/{cases['rich']}/vault/{uploaded.id}", headers=bearer(admin_token)
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.png" in disposition
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_file_of_another_client_is_not_found(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    file_id = (await admin.vault_files(cases["rich"]))[0].id
    with pytest.raises(NotFoundError):
        await admin.download_vault_file(cases["no_team"], file_id)
    with pytest.raises(NotFoundError):
        await admin.delete_vault_file(cases["no_team"], file_id)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\ann\\report.csv", "report.csv"),
        ("/tmp/notes.txt", "notes.txt"),
    ],
)
async def test_names_are_reduced_to_their_base_name(
    admin: LucyClient, cases: dict[str, int], name: str, stored: str
) -> None:
    uploaded = await admin.upload_vault_file(cases["rich"], name, b"a;b\n")
    assert uploaded.name == stored


@pytest.mark.parametrize(
    "name", ["..", "dir/..", "", "bad\x07name.txt", "x" * 197 + ".txt", ".." + "/"]
)
async def test_unsafe_names_are_refused(
    admin: LucyClient, cases: dict[str, int], name: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await admin.upload_vault_file(cases["rich"], name, b"text")
    assert caught.value.status == 422
    assert "file" in caught.value.field_errors


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tool.exe", b"MZ"),
        ("page.html", b"<html>"),
        ("fake.pdf", b"not a pdf"),
        ("fake.png", PDF),
        ("fake.jpg", PNG),
        ("empty.txt", b""),
    ],
)
async def test_types_are_checked(
    admin: LucyClient, cases: dict[str, int], name: str, content: bytes
) -> None:
    with pytest.raises(ValidationError) as caught:
        await admin.upload_vault_file(cases["rich"], name, content)
    assert "file" in caught.value.field_errors


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.JPEG", b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg"),
        ("invoice.xml", b"<Invoice/>", "application/xml"),
        ("accounts.xlsx", b"PK\x03\x04", f"{OOXML}.spreadsheetml.sheet"),
        ("letter.docx", b"PK\x03\x04", f"{OOXML}.wordprocessingml.document"),
    ],
)
async def test_allowed_types(
    admin: LucyClient, cases: dict[str, int], name: str, content: bytes, content_type: str
) -> None:
    uploaded = await admin.upload_vault_file(cases["rich"], name, content)
    assert uploaded.content_type == content_type


async def test_at_most_25_mb(admin: LucyClient, cases: dict[str, int]) -> None:
    exact = await admin.upload_vault_file(cases["rich"], "big.txt", b"a" * VAULT_MAX_BYTES)
    assert exact.size == VAULT_MAX_BYTES
    with pytest.raises(TooLargeError) as caught:
        await admin.upload_vault_file(cases["rich"], "bigger.txt", b"a" * (VAULT_MAX_BYTES + 1))
    assert caught.value.code == "too_large"


async def test_unknown_category_is_422(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> None:
    response = await raw.post(
        f"{API}/clients/{cases['rich']}/vault",
        files={"file": ("a.txt", b"hello", "text/plain")},
        data={"category": "secret"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "category"


async def test_missing_file_is_422(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> None:
    response = await raw.post(
        f"{API}/clients/{cases['rich']}/vault",
        data={"category": "tax"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "file"


async def test_employee_uses_the_vault_of_visible_clients(
    employee: LucyClient, cases: dict[str, int]
) -> None:
    uploaded = await employee.upload_vault_file(cases["rich"], "note.txt", b"hi")
    assert uploaded.uploaded_by == "Eric Employee"
    with pytest.raises(NotFoundError):
        await employee.upload_vault_file(cases["south_only"], "note.txt", b"hi")


# --- one text rule for every name (issue 15) --------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["minutes\u2028.txt", "minutes\u2029.txt", "a\u202ecod.txt", "a\u2066b.txt", "a\x85b.txt"],
)
async def test_vault_names_follow_the_text_rule_of_every_name(
    admin: LucyClient, cases: dict[str, int], name: str
) -> None:
    """Vault names took U+2028/U+2029 (every other name refused them)."""
    with pytest.raises(ValidationError) as caught:
        await admin.upload_vault_file(cases["rich"], name, b"text", content_type="text/plain")
    assert "control characters" in caught.value.message
    with pytest.raises(ValueError, match="control characters"):
        validation.clean_name(name)


async def test_brackets_and_scripts_stay_valid_in_every_name(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    stored = await admin.upload_vault_file(
        cases["rich"], "[BE] Holding \u2013 عقد.txt", b"text", content_type="text/plain"
    )
    assert stored.name == "[BE] Holding \u2013 عقد.txt"
    assert validation.clean_name("[BE] Holding") == "[BE] Holding"
    user = await admin.add_client_user(
        cases["rich"], ClientUserCreate(email="holding@be.example", name="[BE] Holding")
    )
    assert user.name == "[BE] Holding"
