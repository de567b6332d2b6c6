"""The load test (issue 13): ``lucy-server serve --workers 4`` on PostgreSQL under 50 staff
sessions at once, through bench/load.py (which says what the sessions do and what is checked).

Marked ``slow``: not in the default run (``pytest -m slow tests/server/test_load.py``). Bounded:
127.0.0.1 only, ``LUCY_LOAD_SECONDS`` of load (20 by default; the bench's figures are of 60 s)
on a firm of 2,000 clients.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from bench import load

pytestmark = pytest.mark.slow

CLIENTS = 2_000


@pytest.fixture(scope="module")
def pg_firm_for_load(pg_cluster: Any) -> Iterator[load.PostgresFirms]:
    firms = load.PostgresFirms(CLIENTS, cluster=pg_cluster)
    yield firms
    firms.close()


def test_four_workers_on_postgresql_lose_nothing_under_fifty_sessions(
    pg_firm_for_load: load.PostgresFirms,
) -> None:
    database = pg_firm_for_load.copy()
    try:
        result = load.run(
            database,
            backend="postgresql",
            workers=4,
            sessions=50,
            duration=float(os.environ.get("LUCY_LOAD_SECONDS", "20")),
        )
    finally:
        pg_firm_for_load.drop(database)
    assert result.problems == []  # no 5xx, no lost update, every document delivered once
    assert not [key for key in result.statuses if int(key.rsplit(" ", 1)[1]) >= 500]
    # the run did what it is meant to test: collisions on edits and on resends
    assert result.accepted_edits and result.conflicts, result.statuses
    assert result.documents_sent and result.replays, result.statuses
    assert set(result.by_kind) >= {"list", "detail", "read", "edit", "resend"}
