"""Fuzzing the reference backend from its own OpenAPI with schemathesis (in-process ASGI).

Every operation of ``/openapi.json`` gets generated requests, valid and invalid (positive and
negative generation), signed in as the demo admin and as the demo employee (team North
only), on a throwaway copy of the demo firm. Every answer must pass schemathesis' checks:

- ``not_a_server_error``: no 5xx, whatever comes in;
- ``status_code_conformance``: the status is one the operation declares;
- ``content_type_conformance`` and ``response_headers_conformance``: as declared;
- ``response_schema_conformance``: the body matches the declared schema (success and error);
- ``negative_data_rejection``: a request that violates the schema is refused with a 4xx.

Path parameters are steered half of the time to ids that exist in the demo firm (clients,
users, vault files), so the fuzzing reaches past "404 not found" into the endpoints' rules;
mutations carry an ``If-Match`` (often ``*``) and POSTs sometimes an ``Idempotency-Key``.

The default run tries ``FAST_EXAMPLES`` generated requests per operation, role and backend,
the same every run but not the same on both backends (a seed per backend: together they send
twice as many different requests); the slow run (``pytest -m slow tests/server/test_fuzz.py``)
tries ``SLOW_EXAMPLES`` at random. Both print how many requests they sent.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import BACKENDS, SMALL_FIRM, FakeClock, SeededFirm

from .conftest import ADMIN, API, BASE_URL, EMPLOYEE, PASSWORD, bearer, issue_token

FAST_EXAMPLES = 10
SLOW_EXAMPLES = 300
ROLES = {"admin": ADMIN, "employee": EMPLOYEE}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

# Every operation of DESIGN §4; test_the_table_lists_every_operation keeps it complete.
OPERATIONS = [
    ("POST", "/auth/login"),
    ("POST", "/auth/logout"),
    ("GET", "/me"),
    ("GET", "/staff"),
    ("GET", "/teams"),
    ("GET", "/integrations"),
    ("GET", "/clients"),
    ("GET", "/client-rows"),
    ("POST", "/clients"),
    ("GET", "/clients/{client_id}"),
    ("PATCH", "/clients/{client_id}"),
    ("POST", "/clients/{client_id}/invite"),
    ("GET", "/clients/{client_id}/peppol"),
    ("PUT", "/clients/{client_id}/peppol"),
    ("POST", "/clients/{client_id}/peppol/lookup"),
    ("POST", "/peppol/lookups"),
    ("POST", "/peppol/registrations"),
    ("GET", "/clients/{client_id}/allowed-senders"),
    ("PUT", "/clients/{client_id}/allowed-senders"),
    ("GET", "/clients/{client_id}/documents"),
    ("POST", "/clients/{client_id}/documents/send"),
    ("POST", "/clients/{client_id}/documents/resend"),
    ("GET", "/clients/{client_id}/documents/{document_id}"),
    ("GET", "/documents"),
    ("POST", "/documents/send"),
    ("POST", "/documents/resend"),
    ("GET", "/clients/{client_id}/vault"),
    ("POST", "/clients/{client_id}/vault"),
    ("GET", "/clients/{client_id}/vault/{file_id}"),
    ("DELETE", "/clients/{client_id}/vault/{file_id}"),
    ("GET", "/clients/{client_id}/banking"),
    ("GET", "/clients/{client_id}/integrations"),
    ("PUT", "/clients/{client_id}/integrations"),
    ("GET", "/clients/{client_id}/users"),
    ("POST", "/clients/{client_id}/users"),
    ("DELETE", "/clients/{client_id}/users/{user_id}"),
    ("GET", "/clients/{client_id}/invoice-settings"),
    ("PUT", "/clients/{client_id}/invoice-settings"),
    ("GET", "/clients/{client_id}/history"),
    ("GET", "/audit"),
]
OPERATION_IDS = [f"{method} {path}" for method, path in OPERATIONS]

# ids that exist in the seeded firm, plus a few beyond (unknown ids are part of the test)
EXISTING_IDS = {
    "client_id": st.integers(1, SMALL_FIRM + 2),
    "file_id": st.integers(1, 40),
    "user_id": st.integers(1, 80),
    "document_id": st.integers(1, 600),
}
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300).map(
    str.strip
)
# often "any version" (so changes reach the endpoint's rules), else a stale, malformed
# or arbitrary one
IF_MATCH = st.one_of(
    st.just("*"), st.sampled_from(['"1"', "2", 'W/"1", "2"', "latest", ""]), HEADER_TEXT
)
# none, a few reused ones (replays, and the same key on another operation), or anything
IDEMPOTENCY_KEY = st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"]), HEADER_TEXT)


class Fuzz:
    """The app under test, signed-in tokens, and the count of requests sent."""

    def __init__(self, app: FastAPI, tokens: dict[str, str], backend: str) -> None:
        self.app = app
        self.backend = backend
        self.tokens = tokens
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()


async def sign_in(app: FastAPI) -> dict[str, str]:
    """A token per role, through the login endpoint."""
    tokens: dict[str, str] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        for role, email in ROLES.items():
            answer = await http.post(
                f"{API}/auth/login", json={"email": email, "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            tokens[role] = answer.json()["access_token"]
    return tokens


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz(
    seeded_template: SeededFirm,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Fuzz]:
    """A fresh copy of the demo firm for this module (the fuzzing changes it at random), on
    SQLite and on PostgreSQL (a database of its own: what reaches PostgreSQL's stricter types,
    an integer past a column's range, a NUL in a text, must be refused before it does)."""
    from lucy_server.app import create_app

    database: Path | str
    if request.param == "postgresql":
        database = request.getfixturevalue("new_pg_firm")()
    else:
        database = tmp_path_factory.mktemp("fuzz") / "lucy.db"
        shutil.copy(seeded_template.path, database)
    app = create_app(database, clock=FakeClock())
    state = Fuzz(app, asyncio.run(sign_in(app)), request.param)
    yield state
    app.state.lucy.engine.dispose()
    report(request.config, state)


def report(config: pytest.Config, state: Fuzz) -> None:
    """One line on the terminal (past the output capture): requests sent, by status."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if not state.sent or reporter is None or capture is None:
        return
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(state.statuses.items()))
    with capture.global_and_fixture_disabled():
        reporter.write_line(
            f"\nschemathesis: {sum(state.sent.values())} requests over "
            f"{len(state.sent)} operation x role pairs (by status: {statuses})"
        )


def run_operation(fuzz: Fuzz, role: str, method: str, path: str, examples: int) -> None:
    operation = fuzz.schema[API + path][method]
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    label = f"{role} {method} {path}"

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, data=st.data())
    def check(case: schemathesis.Case, data: st.DataObject) -> None:
        # a negative case is sent as generated (its fault may be the path id or a missing
        # If-Match, now that the schema declares them), a positive one is steered
        negative = case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE
        for name, ids in ({} if negative else EXISTING_IDS).items():
            value = (case.path_parameters or {}).get(name)
            if isinstance(value, int) and data.draw(st.booleans(), label=f"real {name}"):
                case.path_parameters[name] = data.draw(ids, label=name)
        # logout gets a throwaway session: ending the fuzzing's own would end the run
        logout = path == "/auth/logout"
        headers = bearer(issue_token(fuzz.app, ROLES[role]) if logout else fuzz.tokens[role])
        # the schema declares If-Match and Idempotency-Key: when schemathesis generated one
        # (valid or, in negative mode, not), it is sent as generated; else one is drawn here
        generated = {name.lower() for name in case.headers or {}}
        if negative:
            generated |= {"if-match", "idempotency-key"}
        if method in ("PUT", "PATCH") and "if-match" not in generated:
            headers["If-Match"] = data.draw(IF_MATCH, label="If-Match")
        if method == "POST" and "idempotency-key" not in generated:
            key = data.draw(IDEMPOTENCY_KEY, label="Idempotency-Key")
            if key is not None:
                headers["Idempotency-Key"] = key
        response = case.call(headers=headers)
        fuzz.sent[label] += 1
        fuzz.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    if examples <= FAST_EXAMPLES:  # the default run: the same every time, per backend
        check = seed(BACKENDS.index(fuzz.backend))(check)
    check()


def test_the_table_lists_every_operation(fuzz: Fuzz) -> None:
    declared = {
        (method.upper(), path.removeprefix(API))
        for path, operations in fuzz.schema.raw_schema["paths"].items()
        for method in operations
    }
    assert declared == set(OPERATIONS)


def test_every_error_is_declared_with_the_error_body(fuzz: Fuzz) -> None:
    """What the server answers on failure is what the schema says: ``{"error": ...}``, with
    the statuses the machinery around the endpoints adds (401 everywhere, 413 and 400 on
    bodies, 409 on POSTs for a reused Idempotency-Key), never FastAPI's own 422 schema."""
    schema = fuzz.schema.raw_schema
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            statuses = {int(code) for code in operation["responses"]}
            where = f"{method.upper()} {path}"
            assert 401 in statuses, where
            if method in ("post", "put", "patch"):
                assert {400, 413} <= statuses, where
            if method == "post" and not path.endswith("/auth/login"):
                assert 409 in statuses, where
            if "{client_id}" in path:
                assert 404 in statuses, where
            for status in statuses - {200, 201, 204}:
                content = operation["responses"][str(status)]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, where


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=OPERATION_IDS)
def test_fuzz(fuzz: Fuzz, role: str, method: str, path: str) -> None:
    run_operation(fuzz, role, method, path, FAST_EXAMPLES)
    assert fuzz.sent[f"{role} {method} {path}"] >= 1


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=OPERATION_IDS)
def test_fuzz_long(fuzz: Fuzz, role: str, method: str, path: str) -> None:
    run_operation(fuzz, role, method, path, SLOW_EXAMPLES)


# --- every check, over real HTTP (issue 15) ---------------------------------------------------

# Every check but these three, whose remaining findings are listed in docs/reliability.md:
# positive_data_acceptance still meets requests refused for what the schema cannot state (a
# vault file's type comes from its name; staff and team ids that do not exist when
# schemathesis skips the hooks that steer them); missing_required_header drops the
# Authorization header that --header puts back; negative_data_rejection meets the lax
# readings the models keep on purpose (0/1 as booleans, "6" as a VAT rate).
HTTP_LEFT_OUT = ("positive_data_acceptance", "missing_required_header", "negative_data_rejection")
HTTP_FAST_EXAMPLES = 10
HTTP_SLOW_EXAMPLES = 200
# What a schema-valid request may get besides success: the API's rules (404 unknown or
# hidden, 409 a rule, 412 a stale If-Match) and the declared 428 when If-Match is missing.
HTTP_CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "412", "429"]

[checks.missing_required_header]
expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]
"""


def run_over_http(
    seeded_template: SeededFirm, tmp_path: Path, examples: int, seed: int | None
) -> str:
    """``schemathesis run -c all`` against ``lucy-server serve`` on 127.0.0.1 (random port)
    over a copy of the demo firm, signed in as the admin; sign-in and sign-out are left out
    (the one would lock itself out, the other end the run's session). Returns the report."""
    import os
    import subprocess
    import sys

    from .test_idempotency_faults import lucy_server

    database = tmp_path / "lucy.db"
    shutil.copy(seeded_template.path, database)
    config = tmp_path / "schemathesis.toml"
    config.write_text(HTTP_CONFIG)
    with lucy_server(database, tmp_path / "serve.log") as base:
        login = httpx.post(
            f"{base}{API}/auth/login", json={"email": ADMIN, "password": PASSWORD}, timeout=30
        )
        token = login.json()["access_token"]
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            "--exclude-checks",
            ",".join(HTTP_LEFT_OUT),
            "--header",
            f"Authorization: Bearer {token}",
            "--exclude-path",
            f"{API}/auth/login",
            "--exclude-path",
            f"{API}/auth/logout",
            "--max-examples",
            str(examples),
            "--workers",
            "1",
            "--no-color",
            "--suppress-health-check",
            "all",
        ]
        if seed is not None:
            command += ["--seed", str(seed)]
        root = Path(__file__).resolve().parents[2]
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.server.schemathesis_formats",
            "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        }
        run = subprocess.run(
            command, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path
        )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    return report


@pytest.mark.sqlite_only("the in-process fuzzing above runs on both backends")
def test_every_check_over_http(seeded_template: SeededFirm, tmp_path: Path) -> None:
    report = run_over_http(seeded_template, tmp_path, HTTP_FAST_EXAMPLES, seed=1)
    assert "passed" in report


@pytest.mark.slow
def test_every_check_over_http_long(seeded_template: SeededFirm, tmp_path: Path) -> None:
    run_over_http(seeded_template, tmp_path, HTTP_SLOW_EXAMPLES, seed=None)
