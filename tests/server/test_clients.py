"""The client list (paging, order, filters, visibility), client files and invitations."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from stdnum.be import vat as be_vat

from lucy_server import db
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PreconditionFailedError,
    ValidationError,
)
from lucy_tui.api.models import (
    ClientCreate,
    ClientStatus,
    ClientUpdate,
    ClientUserStatus,
    Plan,
)
from tests.conftest import SEED_NOW, SEED_TODAY, SMALL_FIRM, FakeClock, SeededFirm

from .conftest import API, bearer


def visible_to_north_employee(app: FastAPI) -> set[int]:
    """Computed from the relation tables, independently of the server's visibility SQL."""
    with db.read_tx(app.state.lucy.engine) as conn:
        rows = conn.execute(select(db.clients.c.id, db.clients.c.hidden)).all()
        teams: dict[int, set[int]] = {}
        for client_id, team_id in conn.execute(select(db.client_teams)).all():
            teams.setdefault(client_id, set()).add(team_id)
    return {
        client_id
        for client_id, hidden in rows
        if not hidden and (not teams.get(client_id) or 1 in teams[client_id])
    }


# --- list ---------------------------------------------------------------------------------


async def test_admin_lists_every_client_sorted_by_name(admin: LucyClient) -> None:
    page = await admin.clients_page(1, 500)
    assert page.total == SMALL_FIRM
    assert len(page.items) == SMALL_FIRM
    keys = [(c.name.casefold(), c.id) for c in page.items]
    assert keys == sorted(keys)
    assert page.items[0].name == "Aalter Interieur BV"


async def test_pages_split_the_list_without_overlap(admin: LucyClient) -> None:
    whole = [c.id for c in (await admin.clients_page(1, 500)).items]
    paged: list[int] = []
    for number in range(1, 5):
        page = await admin.clients_page(number, 8)
        assert page.total == SMALL_FIRM and page.page == number and page.page_size == 8
        paged += [c.id for c in page.items]
    assert paged == whole
    beyond = await admin.clients_page(9, 8)
    assert beyond.items == [] and beyond.total == SMALL_FIRM


async def test_summary_carries_every_column(admin: LucyClient, cases: dict[str, int]) -> None:
    rows = {c.id: c for c in (await admin.clients_page(1, 500)).items}
    rich = rows[cases["rich"]]
    # one contact person: the seed's client-facing one (Eric) won over the other (Ann)
    assert rich.contact_name == "Eric Employee"
    assert rich.team_names == ["North"]
    assert rich.status is ClientStatus.ACTIVE
    assert rich.integrations == ["Yuki", "Dropbox"]
    assert rich.peppol_sending and rich.peppol_receiving
    assert rich.inbox_count == 5
    assert rich.plan is Plan.BUSINESS_PRO
    assert rich.version == 1
    soon = rows[cases["trial_ending_soon"]]
    assert soon.plan is Plan.TRIAL
    assert soon.trial_ends_on == SEED_TODAY + timedelta(days=4)
    later = rows[cases["trial_later"]]
    assert later.trial_ends_on is not None and later.trial_ends_on > SEED_TODAY + timedelta(7)
    assert rows[cases["both_teams"]].team_names == ["North", "South"]
    assert rows[cases["no_team"]].team_names == []
    assert rows[cases["hidden"]].hidden


async def test_employee_sees_only_visible_clients(
    employee: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    page = await employee.clients_page(1, 500)
    ids = {c.id for c in page.items}
    assert ids == visible_to_north_employee(server_app)
    assert page.total == len(ids) < SMALL_FIRM
    for case in ("hidden", "south_only", "hidden_south"):
        assert cases[case] not in ids
    for case in ("rich", "no_team", "both_teams"):
        assert cases[case] in ids
    assert not any(c.hidden for c in page.items)


@pytest.mark.parametrize("case", ["hidden", "south_only", "hidden_south"])
@pytest.mark.parametrize(
    "path",
    [
        "",
        "/peppol",
        "/allowed-senders",
        "/documents",
        "/vault",
        "/vault/1",
        "/banking",
        "/integrations",
        "/users",
        "/invoice-settings",
    ],
)
async def test_invisible_clients_answer_404_everywhere(
    raw: httpx.AsyncClient, employee_token: str, cases: dict[str, int], case: str, path: str
) -> None:
    response = await raw.get(f"{API}/clients/{cases[case]}{path}", headers=bearer(employee_token))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "", {"name": "X"}),
        ("POST", "/invite", None),
        ("PUT", "/peppol", {"sending": True, "receiving": False}),
        ("PUT", "/allowed-senders", {"senders": []}),
        ("POST", "/documents/send", {"document_ids": [1]}),
        ("POST", "/documents/resend", {"document_ids": [1]}),
        ("DELETE", "/vault/1", None),
        ("PUT", "/integrations", {"accounting_package": None}),
        ("POST", "/users", {"email": "x@y.be"}),
        ("DELETE", "/users/1", None),
    ],
)
async def test_invisible_clients_cannot_be_changed(
    raw: httpx.AsyncClient,
    employee_token: str,
    cases: dict[str, int],
    method: str,
    path: str,
    body: object,
) -> None:
    response = await raw.request(
        method,
        f"{API}/clients/{cases['south_only']}{path}",
        json=body,
        headers={**bearer(employee_token), "If-Match": "1"},
    )
    assert response.status_code == 404


async def test_unknown_client_is_404(admin: LucyClient) -> None:
    with pytest.raises(NotFoundError):
        await admin.client(999_999)


async def test_filters(admin: LucyClient, firm_teams: dict[str, int]) -> None:
    assert [c.name for c in (await admin.clients_page(q="aalter")).items] == ["Aalter Interieur BV"]
    rich = (await admin.clients_page(q="aalter")).items[0]
    digits = be_vat.compact(rich.enterprise_number)
    assert (await admin.clients_page(q=rich.enterprise_number)).items[0].id == rich.id
    assert (await admin.clients_page(q=digits[2:8])).items[0].id == rich.id
    assert (await admin.clients_page(q=f"BE{digits}")).items[0].id == rich.id
    assert (await admin.clients_page(q="100%_no_such")).total == 0

    for status in ClientStatus:
        page = await admin.clients_page(1, 500, status=status)
        assert page.total > 0 and all(c.status is status for c in page.items)
    for plan in Plan:
        page = await admin.clients_page(1, 500, plan=plan)
        assert page.total > 0 and all(c.plan is plan for c in page.items)
    south = await admin.clients_page(1, 500, team_id=firm_teams["South"])
    assert south.total > 0 and all("South" in c.team_names for c in south.items)


async def test_employee_filters_stay_within_visibility(
    employee: LucyClient, cases: dict[str, int], firm_teams: dict[str, int]
) -> None:
    south = await employee.clients_page(1, 500, team_id=firm_teams["South"])
    assert all("North" in c.team_names for c in south.items)
    assert cases["south_only"] not in {c.id for c in south.items}
    hidden = await employee.clients_page(1, 500, q="Holding Verhaegen")
    assert hidden.total == 0


@pytest.fixture
def firm_teams(firm: SeededFirm) -> dict[str, int]:
    return firm.teams


# --- detail, create -----------------------------------------------------------------------


async def test_detail(admin: LucyClient, cases: dict[str, int]) -> None:
    detail = await admin.client(cases["rich"])
    assert detail.name == "Aalter Interieur BV"
    assert detail.lucy_email == f"{detail.vat_number.lower()}@app.getlucy.ai"
    assert detail.vat_number == "BE" + be_vat.compact(detail.enterprise_number)
    assert detail.contact_id == 2 and detail.contact_name == "Eric Employee"
    assert [t.name for t in detail.teams] == ["North"]
    assert detail.address.city
    assert detail.activated_at is not None


async def test_create_client(admin: LucyClient, raw: httpx.AsyncClient, admin_token: str) -> None:
    created = await admin.create_client(
        ClientCreate(
            name="  Nieuwe Zaak BV ",
            enterprise_number="BE 0403.170.701",
            email="Jan.Peeters@Example.BE",
            plan=Plan.BUSINESS,
            team_ids=[2],
            contact_id=3,
        )
    )
    assert created.name == "Nieuwe Zaak BV"
    assert created.enterprise_number == "0403.170.701"
    assert created.vat_number == "BE0403170701"
    assert created.lucy_email == "be0403170701@app.getlucy.ai"
    assert created.status is ClientStatus.CREATED
    assert created.version == 1 and created.inbox_count == 0
    assert created.team_names == ["South"] and created.contact_name == "Sofie Peeters"
    assert created.created_at == SEED_NOW and created.trial_ends_on is None

    users = await admin.client_users(created.id)
    assert [(u.email, u.status) for u in users] == [
        ("Jan.Peeters@example.be", ClientUserStatus.INVITED)
    ]
    peppol = await admin.peppol(created.id)
    assert peppol.participant_id == "0208:0403170701"
    assert (peppol.sending, peppol.receiving, peppol.registered_elsewhere) == (False, False, False)
    settings = await admin.invoice_settings(created.id)
    assert settings.legal_name == "Nieuwe Zaak BV"
    assert settings.enterprise_number == "0403.170.701"
    assert settings.vat_number == "BE0403170701"
    assert settings.version == 1 and not settings.numbering_locked
    assert (await admin.allowed_senders(created.id)).senders == []
    integrations = await admin.client_integrations(created.id)
    assert integrations.accounting_package is None and integrations.version == 1

    again = await raw.get(f"{API}/clients/{created.id}", headers=bearer(admin_token))
    assert again.headers["etag"] == '"1"'


async def test_create_answers_201_with_location(raw: httpx.AsyncClient, admin_token: str) -> None:
    response = await raw.post(
        f"{API}/clients",
        json={"name": "Loc BV", "enterprise_number": "0403170701", "email": "a@b.be"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 201
    assert response.headers["location"] == f"{API}/clients/{response.json()['id']}"
    assert response.headers["etag"] == '"1"'


async def test_duplicate_enterprise_number_is_409(admin: LucyClient, cases: dict[str, int]) -> None:
    existing = await admin.client(cases["rich"])
    with pytest.raises(ConflictError) as caught:
        await admin.create_client(
            ClientCreate(
                name="Copy BV", enterprise_number=existing.vat_number, email="x@example.be"
            )
        )
    assert caught.value.code == "duplicate_enterprise_number"
    assert caught.value.details[0]["field"] == "enterprise_number"


async def test_create_with_unknown_team_or_contact_is_422(
    raw: httpx.AsyncClient, admin_token: str
) -> None:
    body = {"name": "T BV", "enterprise_number": "0403170701", "email": "a@b.be"}
    for extra, field in (({"team_ids": [99]}, "team_ids"), ({"contact_id": 99}, "contact_id")):
        response = await raw.post(
            f"{API}/clients", json={**body, **extra}, headers=bearer(admin_token)
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["field"] == field


async def test_employee_may_create_clients(employee: LucyClient) -> None:
    created = await employee.create_client(
        ClientCreate(name="By Eric BV", enterprise_number="0403170701", email="a@b.be")
    )
    assert (await employee.client(created.id)).name == "By Eric BV"


# --- patch --------------------------------------------------------------------------------


async def test_patch_changes_only_the_fields_given(
    admin: LucyClient, cases: dict[str, int]
) -> None:
    before = await admin.client(cases["rich"])
    after = await admin.update_client(before.id, ClientUpdate(name="Aalter Interieur NV"), 1)
    assert after.name == "Aalter Interieur NV"
    assert after.version == 2
    assert after.plan == before.plan and after.team_names == before.team_names
    assert after.contact_id == before.contact_id and after.hidden == before.hidden
    # a no-op does not bump the version
    same = await admin.update_client(before.id, ClientUpdate(name="Aalter Interieur NV"), 2)
    assert same.version == 2


async def test_patch_teams_contact_and_clearing(admin: LucyClient, cases: dict[str, int]) -> None:
    client_id = cases["rich"]
    updated = await admin.update_client(client_id, ClientUpdate(team_ids=[1, 2], contact_id=4), 1)
    assert updated.team_names == ["North", "South"]
    assert updated.contact_name == "Marc Dubois"
    cleared = await admin.update_client(client_id, ClientUpdate(team_ids=[], contact_id=None), 2)
    assert cleared.team_names == [] and cleared.contact_id is None
    row = next(c for c in (await admin.clients_page(1, 500)).items if c.id == client_id)
    assert row.team_names == [] and row.contact_name is None


async def test_patch_validates_references(admin: LucyClient, cases: dict[str, int]) -> None:
    with pytest.raises(ValidationError) as caught:
        await admin.update_client(cases["rich"], ClientUpdate(team_ids=[42]), 1)
    assert "team_ids" in caught.value.field_errors
    with pytest.raises(ValidationError) as caught:
        await admin.update_client(cases["rich"], ClientUpdate(contact_id=42), 1)
    assert "contact_id" in caught.value.field_errors


async def test_stale_patch_is_refused(admin: LucyClient, cases: dict[str, int]) -> None:
    await admin.update_client(cases["rich"], ClientUpdate(name="One"), 1)
    with pytest.raises(PreconditionFailedError) as caught:
        await admin.update_client(cases["rich"], ClientUpdate(name="Two"), 1)
    assert caught.value.status == 412
    assert (await admin.client(cases["rich"])).name == "One"


@pytest.mark.parametrize("changes", [ClientUpdate(hidden=True), ClientUpdate(contact_id=2)])
async def test_admin_only_fields_are_403_for_employees(
    employee: LucyClient, cases: dict[str, int], changes: ClientUpdate
) -> None:
    with pytest.raises(ForbiddenError) as caught:
        await employee.update_client(cases["rich"], changes, 1)
    assert caught.value.code == "forbidden"


async def test_employee_may_edit_other_fields(employee: LucyClient, cases: dict[str, int]) -> None:
    updated = await employee.update_client(
        cases["rich"], ClientUpdate(name="Aalter Design BV", plan=Plan.BILLING), 1
    )
    assert updated.name == "Aalter Design BV" and updated.plan is Plan.BILLING


async def test_hiding_a_client_hides_it_from_employees(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    total = (await employee.clients_page()).total
    await admin.update_client(client_id, ClientUpdate(hidden=True), 1)
    with pytest.raises(NotFoundError):
        await employee.client(client_id)
    assert (await employee.clients_page()).total == total - 1
    assert (await admin.client(client_id)).hidden
    await admin.update_client(client_id, ClientUpdate(hidden=False), 2)
    assert (await employee.client(client_id)).id == client_id


async def test_moving_a_client_to_another_team_hides_it(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    await admin.update_client(cases["no_team"], ClientUpdate(team_ids=[2]), 1)
    with pytest.raises(NotFoundError):
        await employee.client(cases["no_team"])


async def test_plan_change_to_and_from_trial(admin: LucyClient, cases: dict[str, int]) -> None:
    client_id = cases["rich"]  # active
    trial = await admin.update_client(client_id, ClientUpdate(plan=Plan.TRIAL), 1)
    assert trial.trial_ends_on == SEED_TODAY + timedelta(days=30)
    paid = await admin.update_client(client_id, ClientUpdate(plan=Plan.BUSINESS), 2)
    assert paid.trial_ends_on is None


# --- invitations --------------------------------------------------------------------------


async def test_invite_then_resend(
    admin: LucyClient, cases: dict[str, int], clock: FakeClock
) -> None:
    client_id = cases["created"]
    invited = await admin.invite_client(client_id)
    assert invited.status is ClientStatus.INVITED
    assert invited.invited_at == SEED_NOW
    assert invited.invitation_expires_at == SEED_NOW + timedelta(days=21)
    assert invited.version == 2
    clock.advance(hours=3)  # within the token's lifetime
    again = await admin.invite_client(client_id)
    assert again.status is ClientStatus.INVITED
    assert again.invited_at == clock.now
    assert again.invitation_expires_at == clock.now + timedelta(days=21)


async def test_expired_invitation_can_be_resent(admin: LucyClient, cases: dict[str, int]) -> None:
    before = await admin.client(cases["invitation_expired"])
    assert before.invitation_expires_at is not None and before.invitation_expires_at < SEED_NOW
    after = await admin.invite_client(before.id)
    assert after.invitation_expires_at == SEED_NOW + timedelta(days=21)


async def test_active_client_cannot_be_invited(admin: LucyClient, cases: dict[str, int]) -> None:
    with pytest.raises(ConflictError) as caught:
        await admin.invite_client(cases["rich"])
    assert caught.value.code == "already_active"


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("jan.peeters+test@example.be", "Jan Peeters"),  # issue 12: was "Jan Peeters+test"
        ("marie_dubois@example.be", "Marie Dubois"),
        ("+only@example.be", "+only@example.be"),
    ],
)
def test_a_name_from_an_email_leaves_out_the_sub_address(email: str, name: str) -> None:
    from lucy_server.routes.clients import name_from_email

    assert name_from_email(email) == name
