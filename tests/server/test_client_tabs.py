"""Banking, integrations, users and invoice settings of a client; staff and teams."""

from __future__ import annotations

import httpx
import pydantic
import pytest
from stdnum import iban as stdnum_iban

from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import (
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    ValidationError,
)
from lucy_tui.api.models import (
    AccountType,
    BankingStatus,
    ClientIntegrationsUpdate,
    ClientUpdate,
    ClientUserCreate,
    ClientUserStatus,
    IntegrationCategory,
    IntegrationKind,
    InvoiceSettingsUpdate,
    Language,
    Plan,
    Role,
    VatRate,
)
from tests.conftest import SEED_NOW

from .conftest import API, bearer

# --- staff and teams ----------------------------------------------------------------------


async def test_staff_and_teams(employee: LucyClient) -> None:
    staff = await employee.staff()
    emails = {s.email: s for s in staff}
    assert emails["admin@demo-firm.be"].role is Role.ADMIN
    assert [t.name for t in emails["employee@demo-firm.be"].teams] == ["North"]
    assert len(staff) == 5
    assert [t.name for t in await employee.teams()] == ["North", "South"]


async def test_small_lists_are_pages(raw: httpx.AsyncClient, admin_token: str) -> None:
    response = await raw.get(f"{API}/staff", params={"page_size": 2}, headers=bearer(admin_token))
    body = response.json()
    assert (body["total"], body["page"], body["page_size"], len(body["items"])) == (5, 1, 2, 2)


# --- banking ------------------------------------------------------------------------------


async def test_banking_connected(admin: LucyClient, cases: dict[str, int]) -> None:
    banking = await admin.banking(cases["rich"])
    assert banking.status is BankingStatus.CONNECTED
    assert banking.provider == "Codabox" and banking.connected_at is not None
    assert len(banking.accounts) == 2
    first = banking.accounts[0]
    assert stdnum_iban.is_valid(first.iban) and first.iban.startswith("BE")
    assert first.account_type is AccountType.CURRENT
    assert first.bic and first.bank and first.holder == "Aalter Interieur BV"
    assert first.last_statement_date is not None


async def test_banking_not_connected(admin: LucyClient, cases: dict[str, int]) -> None:
    banking = await admin.banking(cases["pro_not_connected"])
    assert banking.status is BankingStatus.NOT_CONNECTED
    assert banking.accounts == [] and "Codabox" in banking.message


async def test_banking_connected_without_accounts(admin: LucyClient, cases: dict[str, int]) -> None:
    banking = await admin.banking(cases["email_package"])
    assert banking.status is BankingStatus.CONNECTED and banking.accounts == []


async def test_trial_has_banking(admin: LucyClient, cases: dict[str, int]) -> None:
    banking = await admin.banking(cases["trial_ending_soon"])
    assert banking.status is BankingStatus.CONNECTED


@pytest.mark.parametrize("plan", [Plan.INBOX, Plan.BILLING, Plan.BUSINESS])
async def test_banking_needs_business_pro(
    admin: LucyClient, cases: dict[str, int], plan: Plan
) -> None:
    await admin.update_client(cases["rich"], ClientUpdate(plan=plan), 1)
    banking = await admin.banking(cases["rich"])
    assert banking.status is BankingStatus.PLAN_REQUIRED
    assert banking.accounts == []
    assert "Lucy Business Pro" in banking.message and plan.label in banking.message


# --- integrations -------------------------------------------------------------------------


async def test_catalogue(employee: LucyClient) -> None:
    catalogue = await employee.integrations()
    accounting = {i.name: i.kind for i in catalogue if i.category is IntegrationCategory.ACCOUNTING}
    assert accounting == {
        "Yuki": IntegrationKind.API,
        "Exact Online": IntegrationKind.API,
        "Wolters Kluwer": IntegrationKind.API,
        "Syneton DMS": IntegrationKind.API,
        "Expert/M": IntegrationKind.FTP,
        "Vero Online": IntegrationKind.FTP,
        "Sage BOB": IntegrationKind.FTP,
        "Account 2000": IntegrationKind.FTP,
        "Adsolut": IntegrationKind.FTP,
        "Clearfacts": IntegrationKind.EMAIL,
        "Octopus": IntegrationKind.EMAIL,
        "WinBooks": IntegrationKind.EMAIL,
        "Zenvoices": IntegrationKind.EMAIL,
        "Lyanthe": IntegrationKind.EMAIL,
    }
    destinations = {i.name for i in catalogue if i.category is IntegrationCategory.DESTINATION}
    assert {"Dropbox archive", "Expense tool by email"} <= destinations


async def test_client_integrations(admin: LucyClient, cases: dict[str, int]) -> None:
    current = await admin.client_integrations(cases["rich"])
    assert current.accounting_package == "yuki"
    assert current.destinations == ["dropbox-archive"]
    replaced = await admin.set_client_integrations(
        cases["rich"], ClientIntegrationsUpdate(accounting_package="winbooks"), 1
    )
    assert replaced.accounting_package == "winbooks"
    assert replaced.destinations == ["dropbox-archive"]  # the client's, untouched
    assert replaced.version == 2
    row = next(c for c in (await admin.clients_page(1, 500)).items if c.id == cases["rich"])
    assert row.integrations == ["WinBooks", "Dropbox"]
    unlinked = await admin.set_client_integrations(
        cases["rich"], ClientIntegrationsUpdate(accounting_package=None), 2
    )
    assert unlinked.accounting_package is None and unlinked.destinations == ["dropbox-archive"]
    assert (await admin.client(cases["rich"])).integrations == ["Dropbox"]


@pytest.mark.parametrize("destinations", [[], ["dropbox-archive"], ["expense-tool-email"]])
async def test_destinations_are_the_clients_to_set_not_the_staffs(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], destinations: list[str]
) -> None:
    """Only the client switches its destinations, in Lucy (issue 11): a body naming them is
    refused by name, nothing changes, and the typed client cannot even build one."""
    response = await raw.put(
        f"{API}/clients/{cases['rich']}/integrations",
        json={"accounting_package": "yuki", "destinations": destinations},
        headers={**bearer(admin_token), "If-Match": "1"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert any("Only the client can set its destinations" in str(item) for item in error["details"])
    assert "destinations" in str(error["details"])
    with pytest.raises(pydantic.ValidationError):
        ClientIntegrationsUpdate(destinations=destinations)


@pytest.mark.parametrize(
    ("update", "field"),
    [
        (ClientIntegrationsUpdate(accounting_package="quickbooks"), "accounting_package"),
        (ClientIntegrationsUpdate(accounting_package="dropbox-archive"), "accounting_package"),
    ],
)
async def test_client_integrations_are_validated(
    admin: LucyClient, cases: dict[str, int], update: ClientIntegrationsUpdate, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await admin.set_client_integrations(cases["rich"], update, 1)
    assert caught.value.status == 422
    assert field in caught.value.field_errors


async def test_stale_integrations(admin: LucyClient, cases: dict[str, int]) -> None:
    await admin.set_client_integrations(cases["rich"], ClientIntegrationsUpdate(), 1)
    with pytest.raises(PreconditionFailedError):
        await admin.set_client_integrations(cases["rich"], ClientIntegrationsUpdate(), 1)


# --- users --------------------------------------------------------------------------------


async def test_users_add_and_remove(admin: LucyClient, cases: dict[str, int]) -> None:
    client_id = cases["rich"]
    users = await admin.client_users(client_id)
    assert len(users) == 3
    added = await admin.add_client_user(
        client_id, ClientUserCreate(email="New.User@Example.be", name="New User")
    )
    assert added.status is ClientUserStatus.INVITED and added.invited_at == SEED_NOW
    assert added.name == "New User" and added.email == "New.User@example.be"
    unnamed = await admin.add_client_user(client_id, ClientUserCreate(email="jan.peeters@x.be"))
    assert unnamed.name == "Jan Peeters"
    assert len(await admin.client_users(client_id)) == 5
    await admin.remove_client_user(client_id, added.id)
    assert added.id not in {u.id for u in await admin.client_users(client_id)}
    with pytest.raises(NotFoundError):
        await admin.remove_client_user(client_id, added.id)


async def test_duplicate_user_is_409(admin: LucyClient, cases: dict[str, int]) -> None:
    existing = (await admin.client_users(cases["rich"]))[0]
    with pytest.raises(ConflictError) as caught:
        await admin.add_client_user(cases["rich"], ClientUserCreate(email=existing.email.upper()))
    assert caught.value.code == "duplicate_user"


async def test_last_user_cannot_be_removed(admin: LucyClient, cases: dict[str, int]) -> None:
    client_id = cases["single_user"]
    (only,) = await admin.client_users(client_id)
    with pytest.raises(ConflictError) as caught:
        await admin.remove_client_user(client_id, only.id)
    assert caught.value.code == "last_user"
    assert only.email in caught.value.message
    # with a second user the first can go, and then the second is the last
    second = await admin.add_client_user(client_id, ClientUserCreate(email="two@example.be"))
    await admin.remove_client_user(client_id, only.id)
    with pytest.raises(ConflictError):
        await admin.remove_client_user(client_id, second.id)


async def test_user_of_another_client_is_not_found(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    other = (await admin.client_users(cases["rich"]))[0]
    with pytest.raises(NotFoundError):
        await admin.remove_client_user(cases["both_teams"], other.id)


async def test_user_email_is_validated(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int]
) -> None:
    response = await raw.post(
        f"{API}/clients/{cases['rich']}/users",
        json={"email": "not-an-email"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "email"


# --- invoice settings ---------------------------------------------------------------------


def valid_settings(**changes: object) -> InvoiceSettingsUpdate:
    values: dict[str, object] = {
        "legal_name": "Fietsen Willems",
        "address": {"street": "Kerkstraat 1", "postal_code": "9000", "city": "Gent"},
        "vat_number": "BE0403170701",
        "enterprise_number": "0403.170.701",
        "iban": "BE09 7341 2345 6757",
        "bic": "KREDBEBB",
        "email": "facturen@fietsen.be",
        "phone": "+32 9 123 45 67",
        "next_number": 12,
        "number_format": "F{year}-{number}",
        "payment_term_days": 14,
        "default_vat_rate": 6,
        "language": "fr",
        "footer": "Merci!",
    }
    values.update(changes)
    return InvoiceSettingsUpdate.model_validate(values)


async def test_invoice_settings_defaults_and_save(admin: LucyClient, cases: dict[str, int]) -> None:
    client_id = cases["created"]
    current = await admin.invoice_settings(client_id)
    assert current.legal_name == "Fietsen Willems" and current.iban == ""
    saved = await admin.save_invoice_settings(client_id, valid_settings(), current.version)
    assert saved.version == current.version + 1
    assert saved.iban == "BE09734123456757"
    assert saved.default_vat_rate is VatRate.SIX and saved.language is Language.FR
    assert saved.address.city == "Gent"
    assert await admin.invoice_settings(client_id) == saved


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_name", ""),  # issue 12: it was saved empty
        ("legal_name", "   "),
        ("iban", ""),
        ("iban", "BE00 0000 0000 0000"),
        ("vat_number", "BE0123456789"),
        ("enterprise_number", "123"),
        ("bic", "NOTABIC"),
        ("email", "nope"),
        ("email", ""),
        ("default_vat_rate", 7),
        ("payment_term_days", 365),
        ("payment_term_days", -1),
        ("next_number", 0),
        ("number_format", "{year}"),
        ("number_format", "{client}-{number}"),
        ("language", "de"),
        ("phone", "call me"),
        ("footer", "bad\x00text"),
    ],
)
async def test_invoice_settings_are_validated_by_the_server(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], field: str, value: object
) -> None:
    body = valid_settings().model_dump(mode="json")
    body[field] = value
    response = await raw.put(
        f"{API}/clients/{cases['created']}/invoice-settings",
        json=body,
        headers={**bearer(admin_token), "If-Match": "1"},
    )
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert details[0]["field"] == field
    assert not details[0]["message"].startswith("Value error")


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ({"street": "Kerk\x07straat"}, "address.street"),
        ({"city": "G" * 101}, "address.city"),
        ({"country": "Belgium"}, "address.country"),
    ],
)
async def test_invoice_address_is_checked(
    raw: httpx.AsyncClient,
    admin_token: str,
    cases: dict[str, int],
    address: dict[str, str],
    field: str,
) -> None:
    body = valid_settings().model_dump(mode="json")
    body["address"].update(address)
    response = await raw.put(
        f"{API}/clients/{cases['created']}/invoice-settings",
        json=body,
        headers={**bearer(admin_token), "If-Match": "1"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == field


async def test_locked_numbering(admin: LucyClient, cases: dict[str, int]) -> None:
    client_id = cases["rich"]
    current = await admin.invoice_settings(client_id)
    assert current.numbering_locked and current.next_number > 1
    base = current.model_dump(exclude={"numbering_locked", "version"})
    with pytest.raises(ConflictError) as caught:
        await admin.save_invoice_settings(
            client_id,
            InvoiceSettingsUpdate.model_validate({**base, "next_number": 1}),
            current.version,
        )
    assert caught.value.code == "numbering_locked"
    with pytest.raises(ConflictError):
        await admin.save_invoice_settings(
            client_id,
            InvoiceSettingsUpdate.model_validate({**base, "number_format": "X{number}"}),
            current.version,
        )
    saved = await admin.save_invoice_settings(
        client_id,
        InvoiceSettingsUpdate.model_validate({**base, "footer": "New footer"}),
        current.version,
    )
    assert saved.footer == "New footer" and saved.next_number == current.next_number


async def test_stale_invoice_settings(admin: LucyClient, cases: dict[str, int]) -> None:
    await admin.save_invoice_settings(cases["created"], valid_settings(), 1)
    with pytest.raises(PreconditionFailedError):
        await admin.save_invoice_settings(cases["created"], valid_settings(footer="x"), 1)
