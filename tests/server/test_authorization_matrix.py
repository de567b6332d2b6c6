"""Who may do what, on which client: every endpoint of DESIGN §4 x every kind of caller x
every kind of client, with the status each cell must answer; and the employee's client list
(pages, totals, searches, filters) never betraying a client they may not see.

Callers: no token, an expired token (the admin's, past its lifetime on the server's clock),
the employee (team North only) and the admin. Clients: one the employee sees ("rich", team
North), a hidden one ("hidden", team North but hidden from employees) and one of a team the
employee is not in ("south_only"). Every request is valid (body, If-Match with the current
version, sub-resources that exist), so the status is about who asks and what they may see:

- no token or an expired one: 401 everywhere but the login, whatever the client: an
  anonymous caller learns nothing, not even whether a client exists;
- an invisible client answers 404, for reads and changes alike, even where a visible one
  would answer 403 (an admin-only field): nobody learns that it exists;
- the admin-only fields (hidden, client-facing contact) answer 403 to the employee.

Covered elsewhere and not repeated: token forms and revocation (test_auth), the 401 of every
operation of the OpenAPI (test_auth), If-Match forms and 412/428 (test_protocol).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from lucy_server import db
from lucy_server.seed import add_documents
from lucy_tui.api.models import ClientStatus, DocumentStatus
from tests.conftest import SEED_TODAY, FakeClock, SeededFirm

from .conftest import ADMIN, API, EMPLOYEE, PASSWORD, bearer, issue_token

SOFIE = "sofie@demo-firm.be"  # an employee of team South only
CALLERS = ("none", "expired", "employee", "admin")
TARGETS = ("visible", "hidden", "other_team")
TARGET_CASE = {"visible": "rich", "hidden": "hidden", "other_team": "south_only"}


# --- what each request needs, made directly in the database --------------------------------


@dataclass(frozen=True)
class Setup:
    engine: Engine
    client_id: int

    def vault_file(self) -> int:
        with db.write_tx(self.engine) as conn:
            return int(
                db.inserted_id(
                    conn.execute(
                        db.vault_files.insert().values(
                            client_id=self.client_id,
                            name="report.txt",
                            category="other",
                            size=6,
                            content_type="text/plain",
                            uploaded_by="Ann Admin",
                            uploaded_at=datetime(2026, 11, 1, tzinfo=UTC),
                            content=b"report",
                        )
                    )
                )
            )

    def removable_user(self) -> int:
        """A user of the client that is not its last one."""
        u = db.client_users
        with db.read_tx(self.engine) as conn:
            ids = conn.scalars(
                select(u.c.id).where(u.c.client_id == self.client_id).order_by(u.c.id)
            ).all()
        assert len(ids) >= 2, "the target client needs two users"
        return int(ids[-1])

    def document(self, status: DocumentStatus) -> int:
        d = db.documents
        with db.read_tx(self.engine) as conn:
            found = conn.scalar(
                select(func.min(d.c.id)).where(
                    d.c.client_id == self.client_id, d.c.status == status.value
                )
            )
        if found is not None:
            return int(found)
        return add_documents(self.engine, self.client_id, 1, status, today=SEED_TODAY)[0]

    def invitable(self) -> dict[str, Any]:
        """The client back to Created, so an invitation can go out."""
        with db.write_tx(self.engine) as conn:
            conn.execute(
                update(db.clients)
                .where(db.clients.c.id == self.client_id)
                .values(status=ClientStatus.CREATED.value)
            )
        return {}

    def invoice_settings(self) -> dict[str, Any]:
        """Valid settings that keep the client's numbering (it may be locked)."""
        s = db.invoice_settings
        with db.read_tx(self.engine) as conn:
            row = conn.execute(
                select(s.c.next_number, s.c.number_format).where(s.c.client_id == self.client_id)
            ).one()
        return {
            "legal_name": "Matrix BV",
            "address": {"street": "Kerkstraat 1", "postal_code": "9000", "city": "Gent"},
            "vat_number": "BE0403170701",
            "enterprise_number": "0403.170.701",
            "iban": "BE09 7341 2345 6757",
            "bic": "KREDBEBB",
            "email": "facturen@matrix.be",
            "phone": "+32 9 123 45 67",
            "next_number": row.next_number,
            "number_format": row.number_format,
            "payment_term_days": 14,
            "default_vat_rate": 21,
            "language": "nl",
            "footer": "Thank you",
        }


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One operation: the request, and the status for the employee and for the admin.

    ``employee`` is one status for the firm's own endpoints, and (visible, hidden, other
    team) for a client's. ``path`` is under /api/v1 with ``{id}`` the client; ``prepare``
    makes what the request needs and gives the path's other ids and the JSON body.
    """

    method: str
    path: str
    admin: int
    employee: int | tuple[int, int, int]
    body: Any = None
    version_of: str | None = None  # the GET whose ETag goes into If-Match
    prepare: Callable[[Setup], dict[str, Any]] | None = None
    upload: bool = False
    public: bool = False  # answers without a token (the login)
    variant: str = ""

    @property
    def per_client(self) -> bool:
        return "{id}" in self.path

    @property
    def label(self) -> str:
        label = f"{self.method} {self.path}"
        return f"{label} ({self.variant})" if self.variant else label


VISIBLE_ONLY = (200, 404, 404)
ADMIN_ONLY = (403, 404, 404)
NEW_CLIENT = {"name": "Matrix BV", "enterprise_number": "0403170701", "email": "a@matrix.be"}
LOGIN = {"email": EMPLOYEE, "password": PASSWORD}

ROWS = [
    # the firm
    Row("POST", "/auth/login", 200, 200, body=LOGIN, public=True),
    Row("POST", "/auth/logout", 204, 204),
    Row("GET", "/me", 200, 200),
    Row("GET", "/staff", 200, 200),
    Row("GET", "/teams", 200, 200),
    Row("GET", "/integrations", 200, 200),
    Row("GET", "/clients", 200, 200),
    Row("GET", "/client-rows", 200, 200),
    Row("POST", "/clients", 201, 201, body=NEW_CLIENT),
    # the firm's documents: only visible clients' (test_firm_documents checks the contents)
    Row("GET", "/documents", 200, 200),
    Row("POST", "/documents/send", 200, 200, {"document_ids": [1]}),
    Row("POST", "/documents/resend", 200, 200, {"document_ids": [1]}),
    # the firm's audit trail: admins only
    Row("GET", "/audit", 200, 403),
    # the firm's Peppol: a result per client, invisible ones answered not_found
    Row("POST", "/peppol/lookups", 200, 200, {"client_ids": [1]}),
    Row("POST", "/peppol/registrations", 200, 200, {"client_ids": [1], "sending": True}),
    # a client file
    Row("GET", "/clients/{id}", 200, VISIBLE_ONLY),
    Row("PATCH", "/clients/{id}", 200, VISIBLE_ONLY, {"name": "Renamed BV"}, "/clients/{id}"),
    Row(
        "PATCH",
        "/clients/{id}",
        200,
        ADMIN_ONLY,
        {"hidden": True},
        "/clients/{id}",
        variant="hidden",
    ),
    Row(
        "PATCH",
        "/clients/{id}",
        200,
        ADMIN_ONLY,
        {"contact_id": 2},
        "/clients/{id}",
        variant="contact_id",
    ),
    Row(
        "POST",
        "/clients/{id}/invite",
        200,
        VISIBLE_ONLY,
        prepare=Setup.invitable,
    ),
    Row("GET", "/clients/{id}/peppol", 200, VISIBLE_ONLY),
    Row(
        "PUT",
        "/clients/{id}/peppol",
        200,
        VISIBLE_ONLY,
        {"sending": False, "receiving": False},
        "/clients/{id}/peppol",
    ),
    # the matrix's server looks nobody up on the network: 409 peppol_lookup_off once the
    # client is found visible (test_peppol_api covers the lookup itself)
    Row("POST", "/clients/{id}/peppol/lookup", 409, (409, 404, 404)),
    Row("GET", "/clients/{id}/allowed-senders", 200, VISIBLE_ONLY),
    Row(
        "PUT",
        "/clients/{id}/allowed-senders",
        200,
        VISIBLE_ONLY,
        {"senders": ["billing@supplier.be"]},
        "/clients/{id}/allowed-senders",
    ),
    Row("GET", "/clients/{id}/documents", 200, VISIBLE_ONLY),
    Row(
        "POST",
        "/clients/{id}/documents/send",
        200,
        VISIBLE_ONLY,
        prepare=lambda s: {"body": {"document_ids": [s.document(DocumentStatus.INBOX)]}},
    ),
    Row(
        "POST",
        "/clients/{id}/documents/resend",
        200,
        VISIBLE_ONLY,
        prepare=lambda s: {"body": {"document_ids": [s.document(DocumentStatus.FAILED)]}},
    ),
    Row(
        "GET",
        "/clients/{id}/documents/{document_id}",
        200,
        VISIBLE_ONLY,
        prepare=lambda s: {"document_id": s.document(DocumentStatus.FAILED)},
    ),
    Row("GET", "/clients/{id}/vault", 200, VISIBLE_ONLY),
    Row("POST", "/clients/{id}/vault", 201, (201, 404, 404), upload=True),
    Row(
        "GET",
        "/clients/{id}/vault/{file_id}",
        200,
        VISIBLE_ONLY,
        prepare=lambda s: {"file_id": s.vault_file()},
    ),
    Row(
        "DELETE",
        "/clients/{id}/vault/{file_id}",
        204,
        (204, 404, 404),
        prepare=lambda s: {"file_id": s.vault_file()},
    ),
    Row("GET", "/clients/{id}/banking", 200, VISIBLE_ONLY),
    Row("GET", "/clients/{id}/integrations", 200, VISIBLE_ONLY),
    Row(
        "PUT",
        "/clients/{id}/integrations",
        200,
        VISIBLE_ONLY,
        {"accounting_package": "octopus"},
        "/clients/{id}/integrations",
    ),
    Row("GET", "/clients/{id}/users", 200, VISIBLE_ONLY),
    Row("POST", "/clients/{id}/users", 201, (201, 404, 404), {"email": "new.user@client.be"}),
    Row(
        "DELETE",
        "/clients/{id}/users/{user_id}",
        204,
        (204, 404, 404),
        prepare=lambda s: {"user_id": s.removable_user()},
    ),
    Row("GET", "/clients/{id}/invoice-settings", 200, VISIBLE_ONLY),
    Row("GET", "/clients/{id}/history", 200, VISIBLE_ONLY),
    Row(
        "PUT",
        "/clients/{id}/invoice-settings",
        200,
        VISIBLE_ONLY,
        version_of="/clients/{id}/invoice-settings",
        prepare=lambda s: {"body": s.invoice_settings()},
    ),
]


def expected(row: Row, caller: str, target: str | None) -> int:
    if caller in ("none", "expired"):
        return row.admin if row.public else 401
    if caller == "admin":
        return row.admin
    if isinstance(row.employee, int):
        return row.employee
    assert target is not None
    return row.employee[TARGETS.index(target)]


CELLS = [
    pytest.param(row, caller, target, id=f"{row.label}-{caller}" + (f"-{target}" if target else ""))
    for row in ROWS
    for caller in CALLERS
    for target in (TARGETS if row.per_client else (None,))
]


async def test_the_matrix_covers_every_operation(raw: httpx.AsyncClient) -> None:
    schema = (await raw.get("/openapi.json")).json()
    declared = {
        (method.upper(), path.removeprefix(API))
        for path, operations in schema["paths"].items()
        for method in operations
    }
    tabled = {(row.method, row.path.replace("{id}", "{client_id}")) for row in ROWS}
    assert tabled == declared


@pytest.mark.parametrize(("row", "caller", "target"), CELLS)
async def test_authorization_matrix(
    server_app: FastAPI,
    raw: httpx.AsyncClient,
    clock: FakeClock,
    cases: dict[str, int],
    row: Row,
    caller: str,
    target: str | None,
) -> None:
    engine: Engine = server_app.state.lucy.engine
    client_id = cases[TARGET_CASE[target]] if target else 0
    made = row.prepare(Setup(engine, client_id)) if row.prepare else {}
    url = API + row.path.format(id=client_id, **made)
    headers: dict[str, str] = {}
    if row.version_of:
        admin = issue_token(server_app, ADMIN)
        current = await raw.get(API + row.version_of.format(id=client_id), headers=bearer(admin))
        assert current.status_code == 200, current.text
        headers["If-Match"] = current.headers["etag"]
    if caller == "expired":
        token = issue_token(server_app, ADMIN)
        clock.advance(hours=12, seconds=1)
        headers.update(bearer(token))
    elif caller in ("employee", "admin"):
        headers.update(bearer(issue_token(server_app, EMPLOYEE if caller == "employee" else ADMIN)))

    if row.upload:
        response = await raw.post(
            url,
            files={"file": ("note.txt", b"a note", "text/plain")},
            data={"category": "other"},
            headers=headers,
        )
    else:
        body = made.get("body", row.body)
        response = await raw.request(row.method, url, json=body, headers=headers)

    want = expected(row, caller, target)
    assert response.status_code == want, response.text
    if want >= 400:
        error = response.json()["error"]
        assert (
            error["code"]
            == {
                401: "unauthorized",
                403: "forbidden",
                404: "not_found",
                409: "peppol_lookup_off",
            }[want]
        )


# --- nothing invisible in any list, count or search ---------------------------------------


def visible_ids(engine: Engine, team_ids: set[int]) -> set[int]:
    """What an employee of ``team_ids`` may see, from the relation tables (not the server's
    visibility SQL): not hidden, and in no team or in one of theirs."""
    with db.read_tx(engine) as conn:
        rows = conn.execute(select(db.clients.c.id, db.clients.c.hidden)).all()
        teams: dict[int, set[int]] = {}
        for client_id, team_id in conn.execute(select(db.client_teams)).all():
            teams.setdefault(client_id, set()).add(team_id)
    return {
        client_id
        for client_id, hidden in rows
        if not hidden and (not teams.get(client_id) or teams[client_id] & team_ids)
    }


async def all_pages(
    raw: httpx.AsyncClient, token: str, page_size: int, **params: Any
) -> tuple[list[dict[str, Any]], set[int]]:
    """Every item of the client list, page by page, and the totals the pages reported."""
    items: list[dict[str, Any]] = []
    totals: set[int] = set()
    page = 1
    while True:
        response = await raw.get(
            f"{API}/clients",
            params={"page": page, "page_size": page_size, **params},
            headers=bearer(token),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        totals.add(body["total"])
        items += body["items"]
        if not body["items"]:
            return items, totals
        page += 1


@pytest.mark.parametrize(("email", "teams"), [(EMPLOYEE, {"North"}), (SOFIE, {"South"})])
async def test_invisible_clients_never_appear_in_any_list_count_or_search(
    server_app: FastAPI,
    raw: httpx.AsyncClient,
    firm: SeededFirm,
    email: str,
    teams: set[str],
) -> None:
    engine: Engine = server_app.state.lucy.engine
    visible = visible_ids(engine, {firm.teams[t] for t in teams})
    staff, admin = issue_token(server_app, email), issue_token(server_app, ADMIN)
    everything, _ = await all_pages(raw, admin, 500)
    invisible = [c for c in everything if c["id"] not in visible]
    assert invisible and len(visible) >= 5  # the firm has both kinds

    async def check(**params: Any) -> None:
        """The staff member's answer is the admin's, less the invisible clients, at every
        page size: the same items, in the same order, with the same total on every page."""
        wanted = [c["id"] for c in (await all_pages(raw, admin, 500, **params))[0]]
        wanted = [i for i in wanted if i in visible]
        for page_size in (1, 7, 500):
            items, totals = await all_pages(raw, staff, page_size, **params)
            assert [c["id"] for c in items] == wanted, (params, page_size)
            assert totals == {len(wanted)}, (params, page_size)

    await check()
    for status in ClientStatus:
        await check(status=status.value)
    for plan in {c["plan"] for c in everything}:
        await check(plan=plan)
    for team_id in firm.teams.values():
        await check(team_id=team_id)
    # searches that hit the invisible clients only, or them and visible ones
    for client in invisible:
        name = client["name"]
        digits = client["enterprise_number"].replace(".", "")
        for q in (name, name.split()[0], digits, f"BE{digits}", client["enterprise_number"]):
            await check(q=q)
        await check(q=name, team_id=firm.teams["South"], status=client["status"])
    await check(q="BV")
