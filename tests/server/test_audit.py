"""The audit trail: every change and its record commit or roll back together.

Each mutating endpoint has a :class:`Case` here: how to make a change that succeeds, what
its record must say (kind, client, before, after), how to make a refused change (validation,
412, 403, 404, a rule of the product) and what to read to tell whether anything changed.
Three tests run over every case:

- the change is recorded, with the right before and after;
- a refused change leaves no record (and changes nothing);
- a failure injected *after* the record was written (``audit.record_many`` writes, then
  raises) rolls back the change and its record together.

``test_every_mutating_route_has_an_audit_case`` enumerates the app's routes: a new endpoint
that changes something fails it until it has a case here.
"""

from __future__ import annotations

import inspect
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select

import lucy_server
from lucy_server import audit, db
from lucy_server.app import create_app
from lucy_server.peppol.lookup import LookupResult
from lucy_server.peppol.service import PeppolService
from lucy_server.peppol.settings import PeppolSettings
from lucy_tui.api.client import LucyClient
from lucy_tui.api.models import AuditKind, PeppolLookupState
from tests.conftest import SEED_NOW, FakeClock
from tests.server.conftest import ADMIN, API, BASE_URL, EMPLOYEE, PASSWORD, bearer, issue_token

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# --- the world each case runs in ----------------------------------------------------------


@dataclass
class World:
    app: FastAPI
    http: httpx.AsyncClient
    admin_token: str
    employee_token: str
    cases: dict[str, int]
    notes: dict[str, Any] = field(default_factory=dict)  # what a case's prepare step made

    async def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        version: int | None = None,
        who: str = "admin",
        files: Any = None,
        token: str | None = None,
    ) -> httpx.Response:
        headers = bearer(token or (self.admin_token if who == "admin" else self.employee_token))
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return await self.http.request(
            method, API + path, json=json_body, headers=headers, files=files
        )

    async def get(self, path: str) -> Any:
        response = await self.call("GET", path)
        assert response.status_code == 200, response.text
        return response.json()

    async def version(self, path: str) -> int:
        response = await self.call("GET", path)
        assert response.status_code == 200, response.text
        return int(response.headers["ETag"].strip('"'))

    def records(self) -> list[Any]:
        with db.read_tx(self.app.state.lucy.engine) as conn:
            return list(conn.execute(select(db.audit_log).order_by(db.audit_log.c.id)).all())

    def count(self, table: Any) -> int:
        with db.read_tx(self.app.state.lucy.engine) as conn:
            return int(conn.scalar(select(func.count()).select_from(table)) or 0)

    def wait_idle(self) -> None:
        self.app.state.lucy.peppol.wait_idle()


async def _not_registered(self: PeppolService, enterprise_number: str) -> LookupResult:
    return LookupResult(PeppolLookupState.NOT_REGISTERED, message=None)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lookups on, answered at once by a fake network: every client is not registered."""
    monkeypatch.setattr(PeppolService, "_lookup", _not_registered)


@pytest.fixture
def audit_app(seeded_db: Path, clock: FakeClock, lookups: None) -> Iterator[FastAPI]:
    app = create_app(seeded_db, clock=clock, peppol_settings=PeppolSettings(lookup=True))
    yield app
    app.state.lucy.peppol.close()
    app.state.lucy.engine.dispose()


@pytest.fixture
async def world(audit_app: FastAPI, cases: dict[str, int]) -> AsyncIterator[World]:
    # raise_app_exceptions=False: an injected failure is answered 500, as in production
    transport = httpx.ASGITransport(app=audit_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield World(
            app=audit_app,
            http=http,
            admin_token=issue_token(audit_app, ADMIN),
            employee_token=issue_token(audit_app, EMPLOYEE),
            cases=cases,
        )


# --- the cases ----------------------------------------------------------------------------

Step = Callable[[World], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Case:
    name: str
    route: tuple[str, str]  # (method, path template) of the app
    kind: AuditKind
    act: Step  # the change; answers 2xx
    check: Callable[[World, list[Any]], None]  # the records it wrote
    refuse: Step  # a refused change; answers 4xx
    state: Callable[[World], Awaitable[Any]]  # what the change changes, to compare
    prepare: Callable[[World], Awaitable[None]] | None = None


def one(records: list[Any], kind: AuditKind) -> Any:
    found = [r for r in records if r.kind == kind.value]
    assert len(found) == 1, [r.kind for r in records]
    return found[0]


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def checks(
    kind: AuditKind,
    before: Any,
    after: Any,
    client: str | None = None,
    *,
    staff: str = "admin",
) -> Callable[[World, list[Any]], None]:
    """A check that one record of ``kind`` says ``before`` and ``after`` (callables of the
    world for values only known then), for the client of case ``client``."""

    def resolve(value: Any, w: World) -> Any:
        return value(w) if callable(value) else value

    def check(w: World, records: list[Any]) -> None:
        record = one(records, kind)
        assert loads(record.before) == resolve(before, w)
        assert loads(record.after) == resolve(after, w)
        if client is not None:
            assert record.client_id == w.cases[client]
        assert record.at.replace(tzinfo=None) == SEED_NOW.replace(tzinfo=None)
        with db.read_tx(w.app.state.lucy.engine) as conn:
            name = conn.scalar(
                select(db.staff.c.name).where(
                    db.staff.c.email == (ADMIN if staff == "admin" else EMPLOYEE)
                )
            )
        assert record.staff_name == name and record.staff_id is not None

    return check


def new_enterprise_number() -> str:
    """A valid number no seeded client has (the check digits: 97 - first eight mod 97)."""
    first = "08765432"
    return first + f"{97 - int(first) % 97:02d}"


async def client_state(w: World, case: str = "rich") -> Any:
    return await w.get(f"/clients/{w.cases[case]}")


async def patch(w: World, case: str, body: dict[str, Any], who: str = "admin") -> httpx.Response:
    path = f"/clients/{w.cases[case]}"
    return await w.call("PATCH", path, json_body=body, version=await w.version(path), who=who)


async def stale_patch(w: World, case: str, body: dict[str, Any]) -> httpx.Response:
    path = f"/clients/{w.cases[case]}"
    return await w.call("PATCH", path, json_body=body, version=await w.version(path) - 1)


async def first_of(w: World, case: str, status: str) -> list[int]:
    page = await w.get(f"/clients/{w.cases[case]}/documents?status={status}&page_size=100")
    return [item["id"] for item in page["items"]]


async def documents_state(w: World) -> Any:
    rich = w.cases["rich"]
    page = await w.get(f"/clients/{rich}/documents?page_size=100")
    return sorted((d["id"], d["status"]) for d in page["items"]), w.count(db.deliveries)


async def _upload(w: World, case: str = "rich") -> httpx.Response:
    files = {"file": ("jaarrekening.pdf", b"%PDF-1.4 secret content", "application/pdf")}
    return await w.call("POST", f"/clients/{w.cases[case]}/vault", files=files)


async def _prepare_vault(w: World) -> None:
    response = await _upload(w)
    assert response.status_code == 201
    w.notes["file_id"] = response.json()["id"]
    w.notes["records"] = len(w.records())


async def _prepare_user(w: World) -> None:
    path = f"/clients/{w.cases['rich']}/users"
    response = await w.call("POST", path, json_body={"email": "extra.user@example.be"})
    assert response.status_code == 201
    w.notes["user_id"] = response.json()["id"]


async def _invoice_body(w: World, **changes: Any) -> tuple[dict[str, Any], int]:
    path = f"/clients/{w.cases['rich']}/invoice-settings"
    body = await w.get(path)
    version = body.pop("version")
    body.pop("numbering_locked")
    body.update(changes)
    return body, version


async def _put_invoice(w: World, stale: bool = False) -> httpx.Response:
    body, version = await _invoice_body(
        w, footer="Betaling binnen 30 dagen", phone="+32 2 555 01 01"
    )
    path = f"/clients/{w.cases['rich']}/invoice-settings"
    return await w.call("PUT", path, json_body=body, version=version - (1 if stale else 0))


def _invoice_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.INVOICE_SETTINGS_UPDATED)
    after = loads(record.after)
    assert after["footer"] == "Betaling binnen 30 dagen" and after["phone"] == "+32 2 555 01 01"
    assert set(loads(record.before)) == set(after)  # only the changed fields, both sides
    assert "iban" not in after  # unchanged: not recorded


def _created_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.CLIENT_CREATED)
    after = loads(record.after)
    assert record.before is None
    assert after["name"] == "Bakkerij Audit BV" and after["email"] == "boss@bakkerij-audit.be"
    assert record.client_name == "Bakkerij Audit BV"
    # the new client's lookup, in the background, is recorded as the creator's
    w.wait_idle()
    lookup = one(w.records(), AuditKind.PEPPOL_LOOKED_UP)
    assert lookup.client_id == record.client_id and lookup.staff_id == record.staff_id


def _documents_check(kind: AuditKind, case: str) -> Callable[[World, list[Any]], None]:
    def check(w: World, records: list[Any]) -> None:
        record = one(records, kind)
        after = loads(record.after)
        assert record.client_id == w.cases[case] and record.before is None
        assert sorted(after["document_ids"]) == sorted(w.notes["documents"])
        assert sorted(after["delivered"] + after["failed"]) == sorted(w.notes["documents"])
        assert set(after["status"]) == {str(i) for i in w.notes["documents"]}

    return check


async def _prepare_inbox(w: World) -> None:
    w.notes["documents"] = await first_of(w, "rich", "inbox")


async def _prepare_failed(w: World) -> None:
    w.notes["documents"] = await first_of(w, "rich", "failed")


def _documents(resend: bool, firm: bool) -> tuple[Step, Step]:
    verb = "resend" if resend else "send"

    def path(w: World) -> str:
        return f"/documents/{verb}" if firm else f"/clients/{w.cases['rich']}/documents/{verb}"

    async def act(w: World) -> httpx.Response:
        body = {"document_ids": w.notes["documents"]}
        return await w.call("POST", path(w), json_body=body)

    async def refuse(w: World) -> httpx.Response:
        # every document refused (a Sent one is never sent or resent again): nothing changed
        sent = await first_of(w, "rich", "sent")
        response = await w.call("POST", path(w), json_body={"document_ids": sent[:2]})
        assert response.status_code == 200
        assert {r["outcome"] for r in response.json()["results"]} == {"refused"}
        # ... and a body the API refuses
        return await w.call("POST", path(w), json_body={"document_ids": []})

    return act, refuse


def _lookup_state(case: str) -> Callable[[World], Awaitable[Any]]:
    async def state(w: World) -> Any:
        return (await w.get(f"/clients/{w.cases[case]}/peppol"))["lookup"]

    return state


_send, _send_refused = _documents(resend=False, firm=False)
_resend, _resend_refused = _documents(resend=True, firm=False)
_firm_send, _firm_send_refused = _documents(resend=False, firm=True)
_firm_resend, _firm_resend_refused = _documents(resend=True, firm=True)

CASES: list[Case] = [
    Case(
        "create_client",
        ("POST", "/clients"),
        AuditKind.CLIENT_CREATED,
        act=lambda w: w.call(
            "POST",
            "/clients",
            json_body={
                "name": "Bakkerij Audit BV",
                "enterprise_number": new_enterprise_number(),
                "email": "boss@bakkerij-audit.be",
            },
        ),
        check=_created_check,
        refuse=lambda w: w.call(
            "POST",
            "/clients",
            json_body={"name": "Dup", "enterprise_number": "x", "email": "a@b.be"},
        ),
        state=lambda w: w.get("/clients?page_size=500"),
    ),
    Case(
        "rename_client",
        ("PATCH", "/clients/{client_id}"),
        AuditKind.CLIENT_UPDATED,
        act=lambda w: patch(w, "rich", {"name": "Renamed Audit NV"}),
        check=checks(
            AuditKind.CLIENT_UPDATED,
            lambda w: {"name": w.notes["old_name"]},
            {"name": "Renamed Audit NV"},
            "rich",
        ),
        refuse=lambda w: stale_patch(w, "rich", {"name": "Stale"}),
        state=client_state,
        prepare=lambda w: _remember_name(w),
    ),
    Case(
        "hide_client",
        ("PATCH", "/clients/{client_id}"),
        AuditKind.CLIENT_HIDDEN,
        act=lambda w: patch(w, "rich", {"hidden": True}),
        check=checks(AuditKind.CLIENT_HIDDEN, {"hidden": False}, {"hidden": True}, "rich"),
        refuse=lambda w: patch(w, "no_team", {"hidden": True}, who="employee"),  # 403
        state=lambda w: client_state(w, "no_team"),
    ),
    Case(
        "unhide_client",
        ("PATCH", "/clients/{client_id}"),
        AuditKind.CLIENT_UNHIDDEN,
        act=lambda w: patch(w, "hidden", {"hidden": False}),
        check=checks(AuditKind.CLIENT_UNHIDDEN, {"hidden": True}, {"hidden": False}, "hidden"),
        refuse=lambda w: stale_patch(w, "hidden", {"hidden": False}),
        state=lambda w: client_state(w, "hidden"),
    ),
    Case(
        "change_contact",
        ("PATCH", "/clients/{client_id}"),
        AuditKind.CLIENT_CONTACT_CHANGED,
        act=lambda w: patch(w, "rich", {"contact_id": w.notes["contact"]}),
        check=lambda w, records: _contact_check(w, records),
        refuse=lambda w: patch(w, "rich", {"contact_id": 99_999}),  # unknown: 422
        state=client_state,
        prepare=lambda w: _pick_contact(w),
    ),
    Case(
        "change_plan",
        ("PATCH", "/clients/{client_id}"),
        AuditKind.CLIENT_PLAN_CHANGED,
        act=lambda w: patch(w, "rich", {"plan": "inbox"}),
        check=lambda w, records: _plan_check(w, records),
        refuse=lambda w: patch(w, "rich", {"plan": "platinum"}),  # 422
        state=client_state,
        prepare=lambda w: _remember_name(w),
    ),
    Case(
        "change_teams",
        ("PATCH", "/clients/{client_id}"),
        AuditKind.CLIENT_TEAMS_CHANGED,
        act=lambda w: patch(w, "rich", {"team_ids": []}),
        check=lambda w, records: _teams_check(w, records),
        refuse=lambda w: patch(w, "rich", {"team_ids": [99_999]}),  # unknown team: 422
        state=client_state,
        prepare=lambda w: _remember_name(w),
    ),
    Case(
        "invite_client",
        ("POST", "/clients/{client_id}/invite"),
        AuditKind.CLIENT_INVITED,
        act=lambda w: w.call("POST", f"/clients/{w.cases['created']}/invite"),
        check=lambda w, records: _invite_check(w, records),
        refuse=lambda w: w.call("POST", f"/clients/{w.cases['rich']}/invite"),  # active: 409
        state=lambda w: client_state(w, "created"),
    ),
    Case(
        "switch_peppol",
        ("PUT", "/clients/{client_id}/peppol"),
        AuditKind.PEPPOL_SWITCHED,
        act=lambda w: _switch_peppol(w),
        check=lambda w, records: _switch_check(w, records),
        refuse=lambda w: _switch_peppol(w, stale=True),
        state=lambda w: w.get(f"/clients/{w.cases['rich']}/peppol"),
    ),
    Case(
        "lookup_peppol",
        ("POST", "/clients/{client_id}/peppol/lookup"),
        AuditKind.PEPPOL_LOOKED_UP,
        act=lambda w: w.call("POST", f"/clients/{w.cases['rich']}/peppol/lookup"),
        check=lambda w, records: _lookup_check(w, records, ["rich"]),
        refuse=lambda w: w.call(
            "POST", f"/clients/{w.cases['hidden']}/peppol/lookup", who="employee"
        ),  # invisible: 404
        state=_lookup_state("rich"),
    ),
    Case(
        "lookup_many",
        ("POST", "/peppol/lookups"),
        AuditKind.PEPPOL_LOOKED_UP,
        act=lambda w: w.call(
            "POST",
            "/peppol/lookups",
            json_body={"client_ids": [w.cases["rich"], w.cases["created"]], "force": True},
        ),
        check=lambda w, records: _lookup_check(w, records, ["rich", "created"]),
        refuse=lambda w: w.call("POST", "/peppol/lookups", json_body={"client_ids": []}),
        state=_lookup_state("created"),
    ),
    Case(
        "activate_many",
        ("POST", "/peppol/registrations"),
        AuditKind.PEPPOL_SWITCHED,
        act=lambda w: w.call(
            "POST",
            "/peppol/registrations",
            json_body={"client_ids": [w.cases["created"]], "sending": True},
        ),
        check=checks(AuditKind.PEPPOL_SWITCHED, {"sending": False}, {"sending": True}, "created"),
        refuse=lambda w: w.call(
            "POST", "/peppol/registrations", json_body={"client_ids": [w.cases["created"]]}
        ),  # neither sending nor receiving: 422
        state=lambda w: w.get(f"/clients/{w.cases['created']}/peppol"),
    ),
    Case(
        "allowed_senders",
        ("PUT", "/clients/{client_id}/allowed-senders"),
        AuditKind.SENDERS_UPDATED,
        act=lambda w: _put_senders(w, ["facturen@leverancier.be"]),
        check=lambda w, records: _senders_check(w, records),
        refuse=lambda w: _put_senders(w, ["not an address"]),
        state=lambda w: w.get(f"/clients/{w.cases['rich']}/allowed-senders"),
        prepare=lambda w: _remember_senders(w),
    ),
    Case(
        "send_documents",
        ("POST", "/clients/{client_id}/documents/send"),
        AuditKind.DOCUMENTS_SENT,
        act=_send,
        check=_documents_check(AuditKind.DOCUMENTS_SENT, "rich"),
        refuse=_send_refused,
        state=documents_state,
        prepare=_prepare_inbox,
    ),
    Case(
        "resend_documents",
        ("POST", "/clients/{client_id}/documents/resend"),
        AuditKind.DOCUMENTS_RESENT,
        act=_resend,
        check=_documents_check(AuditKind.DOCUMENTS_RESENT, "rich"),
        refuse=_resend_refused,
        state=documents_state,
        prepare=_prepare_failed,
    ),
    Case(
        "firm_send",
        ("POST", "/documents/send"),
        AuditKind.DOCUMENTS_SENT,
        act=_firm_send,
        check=_documents_check(AuditKind.DOCUMENTS_SENT, "rich"),
        refuse=_firm_send_refused,
        state=documents_state,
        prepare=_prepare_inbox,
    ),
    Case(
        "firm_resend",
        ("POST", "/documents/resend"),
        AuditKind.DOCUMENTS_RESENT,
        act=_firm_resend,
        check=_documents_check(AuditKind.DOCUMENTS_RESENT, "rich"),
        refuse=_firm_resend_refused,
        state=documents_state,
        prepare=_prepare_failed,
    ),
    Case(
        "vault_upload",
        ("POST", "/clients/{client_id}/vault"),
        AuditKind.VAULT_UPLOADED,
        act=_upload,
        check=lambda w, records: _vault_check(w, records, AuditKind.VAULT_UPLOADED),
        refuse=lambda w: w.call(
            "POST",
            f"/clients/{w.cases['rich']}/vault",
            files={"file": ("empty.pdf", b"", "application/pdf")},
        ),
        state=lambda w: w.get(f"/clients/{w.cases['rich']}/vault"),
    ),
    Case(
        "vault_delete",
        ("DELETE", "/clients/{client_id}/vault/{file_id}"),
        AuditKind.VAULT_DELETED,
        act=lambda w: w.call("DELETE", f"/clients/{w.cases['rich']}/vault/{w.notes['file_id']}"),
        check=lambda w, records: _vault_check(w, records, AuditKind.VAULT_DELETED),
        refuse=lambda w: w.call("DELETE", f"/clients/{w.cases['rich']}/vault/987654"),
        state=lambda w: w.get(f"/clients/{w.cases['rich']}/vault"),
        prepare=_prepare_vault,
    ),
    Case(
        "integrations",
        ("PUT", "/clients/{client_id}/integrations"),
        AuditKind.INTEGRATIONS_UPDATED,
        act=lambda w: _put_package(w, "octopus"),
        check=checks(
            AuditKind.INTEGRATIONS_UPDATED,
            {"accounting_package": "yuki"},
            {"accounting_package": "octopus"},
            "rich",
        ),
        refuse=lambda w: _put_package(w, "no-such-package"),
        state=lambda w: w.get(f"/clients/{w.cases['rich']}/integrations"),
    ),
    Case(
        "invoice_settings",
        ("PUT", "/clients/{client_id}/invoice-settings"),
        AuditKind.INVOICE_SETTINGS_UPDATED,
        act=_put_invoice,
        check=_invoice_check,
        refuse=lambda w: _put_invoice(w, stale=True),
        state=lambda w: w.get(f"/clients/{w.cases['rich']}/invoice-settings"),
    ),
    Case(
        "add_user",
        ("POST", "/clients/{client_id}/users"),
        AuditKind.USER_ADDED,
        act=lambda w: w.call(
            "POST",
            f"/clients/{w.cases['rich']}/users",
            json_body={"email": "new.colleague@example.be"},
        ),
        check=lambda w, records: _user_check(w, records, AuditKind.USER_ADDED),
        refuse=lambda w: w.call(
            "POST", f"/clients/{w.cases['rich']}/users", json_body={"email": "nope"}
        ),
        state=lambda w: w.get(f"/clients/{w.cases['rich']}/users"),
    ),
    Case(
        "remove_user",
        ("DELETE", "/clients/{client_id}/users/{user_id}"),
        AuditKind.USER_REMOVED,
        act=lambda w: w.call("DELETE", f"/clients/{w.cases['rich']}/users/{w.notes['user_id']}"),
        check=lambda w, records: _user_check(w, records, AuditKind.USER_REMOVED),
        refuse=lambda w: _remove_last_user(w),  # the last user: 409
        state=lambda w: w.get(f"/clients/{w.cases['rich']}/users"),
        prepare=_prepare_user,
    ),
    Case(
        "sign_in",
        ("POST", "/auth/login"),
        AuditKind.SIGNED_IN,
        act=lambda w: w.http.post(
            API + "/auth/login", json={"email": EMPLOYEE, "password": PASSWORD}
        ),
        check=lambda w, records: _signed_in_check(w, records),
        refuse=lambda w: w.http.post(
            API + "/auth/login", json={"email": EMPLOYEE, "password": "wrong-password"}
        ),
        state=lambda w: _sessions(w),
    ),
    Case(
        "sign_out",
        ("POST", "/auth/logout"),
        AuditKind.SIGNED_OUT,
        act=lambda w: w.call("POST", "/auth/logout", who="employee"),
        check=lambda w, records: _signed_out_check(w, records),
        refuse=lambda w: w.call("POST", "/auth/logout", token="not-a-session"),  # 401
        state=lambda w: _sessions(w),
    ),
]


# --- helpers of the cases -----------------------------------------------------------------


async def _remember_name(w: World) -> None:
    detail = await client_state(w)
    w.notes["old_name"] = detail["name"]
    w.notes["old"] = detail


async def _pick_contact(w: World) -> None:
    detail = await client_state(w)
    current = detail["contact_id"]
    w.notes["old_contact"] = (
        {"id": current, "name": detail["contact_name"]} if current is not None else None
    )
    staff = (await w.get("/staff?page_size=500"))["items"]
    choice = next(s for s in staff if s["id"] != current)
    w.notes["contact"] = choice["id"]
    w.notes["contact_name"] = choice["name"]


def _contact_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.CLIENT_CONTACT_CHANGED)
    old = w.notes["old_contact"]
    assert loads(record.before) == {
        "contact_id": old["id"] if old else None,
        "contact": old["name"] if old else None,
    }
    assert loads(record.after) == {
        "contact_id": w.notes["contact"],
        "contact": w.notes["contact_name"],
    }


def _plan_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.CLIENT_PLAN_CHANGED)
    old = w.notes["old"]
    assert loads(record.before) == {"plan": old["plan"], "trial_ends_on": old["trial_ends_on"]}
    assert loads(record.after) == {"plan": "inbox", "trial_ends_on": None}


def _teams_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.CLIENT_TEAMS_CHANGED)
    old = w.notes["old"]["teams"]
    assert loads(record.before) == {
        "team_ids": [t["id"] for t in sorted(old, key=lambda t: t["id"])],
        "teams": [t["name"] for t in sorted(old, key=lambda t: t["id"])],
    }
    assert loads(record.after) == {"team_ids": [], "teams": []}


def _invite_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.CLIENT_INVITED)
    assert loads(record.before)["status"] == "created"
    after = loads(record.after)
    assert after["status"] == "invited"
    assert after["invitation_expires_at"] == (SEED_NOW + timedelta(days=21)).isoformat()


async def _switch_peppol(w: World, stale: bool = False) -> httpx.Response:
    path = f"/clients/{w.cases['rich']}/peppol"
    current = await w.get(path)
    version = await w.version(path) - (1 if stale else 0)
    body = {"sending": not current["sending"], "receiving": current["receiving"]}
    w.notes["sending"] = current["sending"]
    return await w.call("PUT", path, json_body=body, version=version)


def _switch_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.PEPPOL_SWITCHED)
    was = w.notes["sending"]
    assert loads(record.before) == {"sending": was}
    assert loads(record.after) == {"sending": not was}


def _lookup_check(w: World, records: list[Any], case_names: list[str]) -> None:
    found = [r for r in records if r.kind == AuditKind.PEPPOL_LOOKED_UP.value]
    assert sorted(r.client_id for r in found) == sorted(w.cases[c] for c in case_names)
    for record in found:
        assert loads(record.after)["state"] == "not_registered"
        assert "state" in loads(record.before)
        assert record.staff_name and record.staff_id is not None


async def _remember_senders(w: World) -> None:
    w.notes["senders"] = (await w.get(f"/clients/{w.cases['rich']}/allowed-senders"))["senders"]


async def _put_senders(w: World, senders: list[str]) -> httpx.Response:
    path = f"/clients/{w.cases['rich']}/allowed-senders"
    body = {"senders": senders}
    return await w.call("PUT", path, json_body=body, version=await w.version(path))


def _senders_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.SENDERS_UPDATED)
    assert loads(record.before) == {"senders": w.notes["senders"]}
    assert loads(record.after) == {"senders": ["facturen@leverancier.be"]}


async def _put_package(w: World, package: str) -> httpx.Response:
    path = f"/clients/{w.cases['rich']}/integrations"
    body = {"accounting_package": package}
    return await w.call("PUT", path, json_body=body, version=await w.version(path))


def _vault_check(w: World, records: list[Any], kind: AuditKind) -> None:
    record = one(records, kind)
    fields = loads(record.after if kind is AuditKind.VAULT_UPLOADED else record.before)
    assert fields["name"] == "jaarrekening.pdf" and fields["size"] == 23
    assert "content" not in fields
    assert b"secret content" not in (record.before or "").encode() + (record.after or "").encode()
    other = record.before if kind is AuditKind.VAULT_UPLOADED else record.after
    assert other is None


def _user_check(w: World, records: list[Any], kind: AuditKind) -> None:
    record = one(records, kind)
    if kind is AuditKind.USER_ADDED:
        assert record.before is None
        assert loads(record.after)["email"] == "new.colleague@example.be"
    else:
        assert record.after is None
        assert loads(record.before)["email"] == "extra.user@example.be"


async def _remove_last_user(w: World) -> httpx.Response:
    client = w.cases["single_user"]
    users = (await w.get(f"/clients/{client}/users"))["items"]
    return await w.call("DELETE", f"/clients/{client}/users/{users[0]['id']}")


async def _sessions(w: World) -> Any:
    with db.read_tx(w.app.state.lucy.engine) as conn:
        return conn.execute(
            select(db.sessions.c.id, db.sessions.c.revoked_at).order_by(db.sessions.c.id)
        ).all()


def _signed_in_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.SIGNED_IN)
    assert record.client_id is None and record.before is None
    assert set(loads(record.after)) == {"expires_at"}  # never the token or the password


def _signed_out_check(w: World, records: list[Any]) -> None:
    record = one(records, AuditKind.SIGNED_OUT)
    assert record.client_id is None and record.before is None and record.after is None


# --- the three tests over every case ------------------------------------------------------


def _ids(case: Case) -> str:
    return case.name


@pytest.mark.parametrize("case", CASES, ids=_ids)
async def test_the_change_is_recorded(world: World, case: Case) -> None:
    if case.prepare:
        await case.prepare(world)
    before = len(world.records())
    response = await case.act(world)
    assert response.is_success, response.text
    world.wait_idle()
    new = world.records()[before:]
    assert new, "the change left no record"
    case.check(world, new)
    assert {r.kind for r in new} <= {k.value for k in AuditKind}


@pytest.mark.parametrize("case", CASES, ids=_ids)
async def test_a_refused_change_leaves_no_record(world: World, case: Case) -> None:
    if case.prepare:
        await case.prepare(world)
    world.wait_idle()
    before = len(world.records())
    state = await case.state(world)
    response = await case.refuse(world)
    assert 400 <= response.status_code < 500, response.text
    world.wait_idle()
    assert len(world.records()) == before
    assert await case.state(world) == state


@pytest.mark.parametrize("case", CASES, ids=_ids)
async def test_a_failure_after_the_record_rolls_back_both(
    world: World, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.prepare:
        await case.prepare(world)
    world.wait_idle()
    before = len(world.records())
    state = await case.state(world)
    real = audit.record_many
    written: list[int] = []

    def write_then_fail(conn: Any, who: Any, changes: Any, *, now: Any) -> None:
        real(conn, who, changes, now=now)
        written.append(len(changes))
        raise RuntimeError("injected after the audit record was written")

    monkeypatch.setattr(audit, "record_many", write_then_fail)
    response = await case.act(world)
    world.wait_idle()
    monkeypatch.undo()
    assert written, "the record was never written"
    assert response.status_code == 500, response.text
    assert len(world.records()) == before
    assert await case.state(world) == state


# --- coverage: every mutating route has a case --------------------------------------------


def app_routes(routes: Any, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every endpoint of the app with its full path: ``app.routes`` holds the routers as
    included (FastAPI 0.165: ``_IncludedRouter``, with the router and its prefix inside)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            inner = prefix + getattr(route.include_context, "prefix", "")
            yield from app_routes(route.original_router.routes, inner)


def test_every_mutating_route_has_an_audit_case(server_app: FastAPI) -> None:
    covered = {case.route for case in CASES}
    found = list(app_routes(server_app.routes))
    mutating = {
        (method, path.removeprefix(API))
        for path, route in found
        for method in route.methods & MUTATING
    }
    # the walk finds what the OpenAPI describes (so no router is missed)
    schema = server_app.openapi()["paths"]
    assert {
        (method.upper(), path.removeprefix(API))
        for path, item in schema.items()
        for method in item
        if method.upper() in MUTATING
    } <= mutating
    assert mutating, "no mutating routes found"
    missing = sorted(mutating - covered)
    assert not missing, f"mutating routes without an audit case in {__name__}: {missing}"
    assert not covered - mutating, "a case names a route the app does not have"


def test_no_server_code_updates_or_deletes_audit_records() -> None:
    """Append-only: the only statement on ``audit_log`` anywhere in the server is an insert."""
    root = Path(inspect.getfile(lucy_server)).parent
    pattern = re.compile(r"(update|delete)\(\s*(db\.)?audit_log|audit_log\.(update|delete)\(")
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert not pattern.search(text), path
        if path.name != "audit.py":
            assert "_a.update" not in text and "_a.delete" not in text


def test_no_route_edits_the_trail(server_app: FastAPI) -> None:
    trail = [
        (path, route)
        for path, route in app_routes(server_app.routes)
        if re.search(r"/audit|/history", path)
    ]
    assert len(trail) == 2
    for path, route in trail:
        assert route.methods <= {"GET", "HEAD"}, path


def test_a_record_never_holds_a_secret(server_app: FastAPI) -> None:
    with db.write_tx(server_app.state.lucy.engine) as conn:
        for secret in ("password", "token", "content", "password_hash"):
            with pytest.raises(ValueError, match="never holds"):
                audit.record(
                    conn,
                    audit.Actor(1, "x"),
                    AuditKind.CLIENT_UPDATED,
                    None,
                    None,
                    {"nested": {secret: "x"}},
                    now=SEED_NOW,
                )


# --- reading the trail --------------------------------------------------------------------


async def _some_history(world: World) -> None:
    for name in ("Eerste", "Tweede", "Derde"):
        assert (await patch(world, "rich", {"name": name})).status_code == 200
    assert (await patch(world, "no_team", {"name": "Elders BV"})).status_code == 200


async def test_a_clients_history_pages_newest_first_by_cursor(
    world: World, audit_app: FastAPI
) -> None:
    await _some_history(world)
    rich = world.cases["rich"]
    async with LucyClient(
        BASE_URL,
        token=world.admin_token,
        transport=httpx.ASGITransport(app=audit_app),
        retries=0,
    ) as admin:
        first = await admin.client_history(rich, page_size=2)
        assert first.total == 3
        assert [e.after for e in first.items] == [{"name": "Derde"}, {"name": "Tweede"}]
        assert first.next == first.items[-1].id
        # a change made while paging: the next page neither shifts nor repeats
        assert (await patch(world, "rich", {"name": "Vierde"})).status_code == 200
        second = await admin.client_history(rich, after=first.next, page_size=2)
        assert [e.after for e in second.items] == [{"name": "Eerste"}]
        assert second.next is None
        pages = [
            page
            async for page in admin.iter_audit_pages(
                lambda after: admin.client_history(rich, after=after, page_size=1)
            )
        ]
        assert [p.items[0].after["name"] for p in pages if p.items and p.items[0].after] == [
            "Vierde",
            "Derde",
            "Tweede",
            "Eerste",
        ]
        only = await admin.client_history(rich, kinds=[AuditKind.CLIENT_HIDDEN])
        assert only.items == [] and only.total == 0
        entry = first.items[0]
        assert entry.kind is AuditKind.CLIENT_UPDATED and entry.client_id == rich
        assert entry.staff_name and entry.at == SEED_NOW


async def test_history_is_only_for_clients_the_caller_sees(world: World) -> None:
    await _some_history(world)
    hidden = world.cases["hidden"]
    as_employee = await world.call("GET", f"/clients/{hidden}/history", who="employee")
    unknown = await world.call("GET", "/clients/987654/history", who="employee")
    assert as_employee.status_code == unknown.status_code == 404
    assert as_employee.json() == unknown.json()  # the same answer: nothing given away
    seen = await world.call("GET", f"/clients/{world.cases['no_team']}/history", who="employee")
    assert seen.status_code == 200 and seen.json()["total"] == 1


async def test_the_firms_log_is_for_admins_and_filters(world: World, clock: FakeClock) -> None:
    await _some_history(world)
    clock.advance(hours=2)
    employee_patch = await patch(world, "no_team", {"name": "Door Employee"}, who="employee")
    assert employee_patch.status_code == 200
    refused = await world.call("GET", "/audit", who="employee")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"

    everything = await world.get("/audit?page_size=500")
    assert everything["total"] == 5
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids, reverse=True)

    employee_id = next(
        e["staff_id"] for e in everything["items"] if e["after"]["name"] == "Door Employee"
    )
    by_staff = await world.get(f"/audit?staff_id={employee_id}")
    assert [e["after"]["name"] for e in by_staff["items"]] == ["Door Employee"]
    by_client = await world.get(f"/audit?client_id={world.cases['no_team']}")
    assert by_client["total"] == 2
    later = (SEED_NOW + timedelta(hours=1)).isoformat()
    since = await world.http.get(
        API + "/audit", params={"since": later}, headers=bearer(world.admin_token)
    )
    assert [e["after"]["name"] for e in since.json()["items"]] == ["Door Employee"]
    until = await world.http.get(
        API + "/audit", params={"until": later}, headers=bearer(world.admin_token)
    )
    assert until.json()["total"] == 4
    kinds = await world.http.get(
        API + "/audit",
        params=[("kind", "client.hidden"), ("kind", "client.updated")],
        headers=bearer(world.admin_token),
    )
    assert kinds.json()["total"] == 5
    none = await world.get("/audit?kind=client.hidden")
    assert none["total"] == 0


@pytest.mark.parametrize(
    "query",
    ["kind=client.deleted", "after=0", "after=%C2%B2", "since=yesterday", "sort=at", "page=2"],
)
async def test_bad_audit_queries_are_refused(world: World, query: str) -> None:
    response = await world.call("GET", f"/audit?{query}")
    assert response.status_code == 422, response.text
    history = await world.call("GET", f"/clients/{world.cases['rich']}/history?{query}")
    assert history.status_code == 422


async def test_a_change_that_changes_nothing_and_a_replay_write_no_record(world: World) -> None:
    rich = world.cases["rich"]
    name = (await client_state(world))["name"]
    assert (await patch(world, "rich", {"name": name, "hidden": False})).status_code == 200
    peppol = await world.get(f"/clients/{rich}/peppol")
    path = f"/clients/{rich}/peppol"
    same = {"sending": peppol["sending"], "receiving": peppol["receiving"]}
    answer = await world.call("PUT", path, json_body=same, version=await world.version(path))
    assert answer.status_code == 200
    assert world.records() == []
    # a POST replayed from its Idempotency-Key is not run again: one record
    headers = bearer(world.admin_token) | {"Idempotency-Key": "invite-once-" + uuid.uuid4().hex}
    invite = API + f"/clients/{world.cases['created']}/invite"
    first = await world.http.post(invite, headers=headers)
    again = await world.http.post(invite, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert [r.kind for r in world.records()] == [AuditKind.CLIENT_INVITED.value]
