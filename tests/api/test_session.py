"""The bearer token: login keeps it for every later call, logout forgets it."""

from __future__ import annotations

import json

import pytest

from lucy_tui.api.errors import LucyError, UnauthorizedError, ValidationError

from .conftest import API, Connect, Script, api_error, login_json, ok, staff_json


async def test_login_posts_the_credentials_and_keeps_the_token(connect: Connect) -> None:
    script = Script(ok(login_json("tok-123", staff_id=4)), ok(staff_json(4)), ok(staff_json(4)))
    client = connect(script, token=None)
    assert client.token is None
    login = await client.login("ann@firm.be", "s3cret")
    assert login.access_token == "tok-123"
    assert login.staff.id == 4
    assert client.token == "tok-123"
    await client.me()
    await client.me()
    login_request = script.requests[0]
    assert login_request.method == "POST"
    assert login_request.url.path == f"{API}/auth/login"
    assert json.loads(login_request.content) == {"email": "ann@firm.be", "password": "s3cret"}
    assert script.headers("Authorization") == [None, "Bearer tok-123", "Bearer tok-123"]


async def test_a_second_login_replaces_the_token(connect: Connect) -> None:
    script = Script(ok(login_json("first")), ok(login_json("second")), ok(staff_json()))
    client = connect(script, token=None)
    await client.login("ann@firm.be", "pw")
    await client.login("eric@firm.be", "pw")
    await client.me()
    assert client.token == "second"
    assert script.headers("Authorization") == [None, "Bearer first", "Bearer second"]


async def test_a_token_given_to_the_client_is_sent_from_the_first_call(connect: Connect) -> None:
    script = Script(then=ok(staff_json()))
    client = connect(script, token="stored-token")
    await client.me()
    assert script.headers("Authorization") == ["Bearer stored-token"]


async def test_setting_the_token_changes_the_header(connect: Connect) -> None:
    script = Script(then=ok(staff_json()))
    client = connect(script, token=None)
    await client.me()
    client.token = "later"
    await client.me()
    client.token = None
    await client.me()
    assert script.headers("Authorization") == [None, "Bearer later", None]


async def test_logout_tells_the_server_then_forgets_the_token(connect: Connect) -> None:
    script = Script(ok(staff_json()), ok(None, status=204), ok(staff_json()))
    client = connect(script, token="tok-9")
    await client.me()
    await client.logout()
    assert client.token is None
    await client.me()
    logout = script.requests[1]
    assert logout.method == "POST"
    assert logout.url.path == f"{API}/auth/logout"
    assert script.headers("Authorization") == ["Bearer tok-9", "Bearer tok-9", None]


async def test_logout_forgets_the_token_even_when_the_server_refuses(connect: Connect) -> None:
    script = Script(api_error(401, "unauthorized", "Your session has expired"))
    client = connect(script, token="expired")
    with pytest.raises(UnauthorizedError):
        await client.logout()
    assert client.token is None


async def test_a_refused_login_raises_unauthorized_and_keeps_no_token(connect: Connect) -> None:
    answer = api_error(401, "invalid_credentials", "Wrong email or password")
    client = connect(Script(answer), token=None)
    with pytest.raises(UnauthorizedError) as caught:
        await client.login("ann@firm.be", "wrong")
    assert caught.value.code == "invalid_credentials"
    assert caught.value.message == "Wrong email or password"
    assert client.token is None


@pytest.mark.parametrize(
    ("email", "password"),
    [("ab", "pw"), ("a" * 255, "pw"), ("ann@firm.be", "x" * 1025)],
    ids=["email too short", "email too long", "password too long"],
)
async def test_login_with_input_the_server_would_refuse_raises_a_lucy_error(
    connect: Connect, email: str, password: str
) -> None:
    refused = api_error(
        422, "validation_error", "email: too short", [{"field": "email", "message": "too short"}]
    )
    client = connect(Script(then=refused), token=None)
    with pytest.raises(LucyError) as caught:
        await client.login(email, password)
    assert isinstance(caught.value, ValidationError)
