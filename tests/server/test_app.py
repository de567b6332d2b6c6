"""Several apps in one process share the API's routes (lucy_server.app._include_routers), as
every test makes its own app: each still answers from its own database and clock."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lucy_server.app import create_app
from tests.conftest import FakeClock, SeededFirm

from .conftest import ADMIN, API, BASE_URL, bearer, issue_token


async def test_two_apps_in_one_process_answer_from_their_own_databases(
    seeded_template: SeededFirm, tmp_path: Path
) -> None:
    apps = []
    for name, hours in (("a.db", 0), ("b.db", 5)):
        path = tmp_path / name
        path.write_bytes(seeded_template.path.read_bytes())
        clock = FakeClock()
        clock.advance(hours=hours)
        apps.append(create_app(path, clock=clock))
    try:
        assert apps[0].router.routes[-1] is apps[1].router.routes[-1]  # built once
        answers = []
        for app in apps:
            token = issue_token(app, ADMIN)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=BASE_URL
            ) as http:
                if app is apps[0]:
                    renamed = await http.patch(
                        f"{API}/clients/1",
                        json={"name": "Only In A BV"},
                        headers={**bearer(token), "If-Match": "*"},
                    )
                    assert renamed.status_code == 200, renamed.text
                answers.append((await http.get(f"{API}/clients/1", headers=bearer(token))).json())
                # the app-wide rule (an unknown query parameter is refused) holds in each
                refused = await http.get(
                    f"{API}/clients", params={"pgae": 2}, headers=bearer(token)
                )
                assert refused.status_code == 422, refused.text
        assert answers[0]["name"] == "Only In A BV"
        assert answers[1]["name"] != "Only In A BV"
    finally:
        for app in apps:
            app.state.lucy.engine.dispose()


@pytest.mark.parametrize("path", ["/openapi.json"])
async def test_each_app_describes_every_route(path: str, seeded_db: Path | str) -> None:
    first = create_app(seeded_db, clock=FakeClock())
    second = create_app(seeded_db, clock=FakeClock())
    try:
        schemas = []
        for app in (first, second):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=BASE_URL
            ) as http:
                schemas.append(sorted((await http.get(path)).json()["paths"]))
        assert schemas[0] == schemas[1] and f"{API}/clients" in schemas[0]
    finally:
        first.state.lucy.engine.dispose()
        second.state.lucy.engine.dispose()
