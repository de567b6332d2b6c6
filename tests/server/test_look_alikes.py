"""Look-alike addresses and what a duplicate enterprise number tells (issue 15), through the
typed client against the reference server."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from lucy_server import auth, db
from lucy_server.errors import ApiError
from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import ConflictError
from lucy_tui.api.models import ClientCreate, ClientUserCreate, Role
from lucy_tui.api.validation import email_key

from .conftest import ADMIN, PASSWORD


@pytest.mark.parametrize(
    ("existing", "look_alike"),
    [
        ("dup.user@example.com", "\uff44up.user@example.com"),  # fullwidth d
        ("straße@example.com", "STRASSE@example.com"),
        ("strasse@example.com", "Straße@Example.com"),
        ("Anna@example.com", "anna@EXAMPLE.COM"),
    ],
)
async def test_a_look_alike_client_user_is_a_duplicate(
    admin: LucyClient, cases: dict[str, int], existing: str, look_alike: str
) -> None:
    client_id = cases["rich"]
    await admin.add_client_user(client_id, ClientUserCreate(email=existing))
    with pytest.raises(ConflictError) as caught:
        await admin.add_client_user(client_id, ClientUserCreate(email=look_alike))
    assert caught.value.code == "duplicate_user"
    emails = [user.email for user in await admin.client_users(client_id)]
    assert sum(email_key(e) == email_key(existing) for e in emails) == 1


async def test_rows_stored_with_the_old_lowercased_key_are_compared_too(
    admin: LucyClient, server_app: FastAPI, cases: dict[str, int]
) -> None:
    """A row written by an earlier version holds email_key = lower(): no migration needed."""
    client_id = cases["rich"]
    user = await admin.add_client_user(client_id, ClientUserCreate(email="straße@old.be"))
    with db.write_tx(server_app.state.lucy.engine) as conn:
        conn.execute(
            update(db.client_users)
            .where(db.client_users.c.id == user.id)
            .values(email_key="straße@old.be")
        )
    with pytest.raises(ConflictError):
        await admin.add_client_user(client_id, ClientUserCreate(email="STRASSE@old.be"))


async def test_sign_in_and_its_limit_use_the_same_key(
    anonymous: LucyClient,
) -> None:
    fullwidth_admin = "".join(chr(ord(c) + 0xFEE0) for c in "admin") + "@demo-firm.be"
    assert (await anonymous.login(fullwidth_admin, PASSWORD)).staff.email == ADMIN


def test_a_look_alike_staff_member_is_refused(server_app: FastAPI) -> None:
    with db.write_tx(server_app.state.lucy.engine) as conn:
        auth.add_staff(
            conn, name="Straße", email="straße@demo-firm.be", role=Role.EMPLOYEE, password="x" * 12
        )
        with pytest.raises(ApiError) as caught:
            auth.add_staff(
                conn,
                name="Strasse",
                email="STRASSE@demo-firm.be",
                role=Role.EMPLOYEE,
                password="y" * 12,
            )
        assert caught.value.code == "duplicate_staff"
        with pytest.raises(ApiError):
            auth.add_staff(
                conn,
                name="Admin",
                email="\uff41dmin@demo-firm.be",
                role=Role.ADMIN,
                password="z" * 12,
            )
        found = auth.find_staff(conn, "STRASSE@Demo-Firm.be")
        assert found is not None and found.email == "straße@demo-firm.be"


# --- a duplicate enterprise number ---------------------------------------------------------------


async def test_a_duplicate_number_of_an_invisible_client_reveals_nothing_but_its_existence(
    employee: LucyClient, admin: LucyClient, cases: dict[str, int]
) -> None:
    """The number is unique in the whole firm, so the employee learns that a client with it
    exists (inherent); the answer names no client, team, contact or id, and says whom to ask."""
    for case in ("hidden", "south_only"):
        hidden = await admin.client(cases[case])
        with pytest.raises(ConflictError) as caught:
            await employee.create_client(
                ClientCreate(
                    name="Copy BV", enterprise_number=hidden.enterprise_number, email="a@copy.be"
                )
            )
        error = caught.value
        assert error.status == 409
        assert error.code == "duplicate_enterprise_number"
        assert "ask an admin" in error.message
        told = f"{error.message} {error.details}".replace(hidden.enterprise_number, "#")
        assert not re.search(rf"\b{hidden.id}\b", told)
        secrets = [hidden.name, hidden.vat_number, *hidden.team_names]
        if hidden.contact_name:
            secrets.append(hidden.contact_name)
        for secret in secrets:
            assert secret not in told, secret
