"""The top of the client list from the last session, painted at once on the next start.

Only the embedded demo firm uses it: its whole database already sits in the same data
dir, so keeping a screenful of it beside costs no privacy, and it lets the list appear
before the in-process server has even been imported. The live list replaces it as soon
as its first page arrives.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import TypeAdapter

from lucy_tui.api.models import ClientSummary
from lucy_tui.local.atomic import write_atomic
from lucy_tui.local.local_files import load_local

SNAPSHOT_ROWS = 120  # more than any terminal shows at once
MAX_BYTES = 4 * 1024 * 1024  # 120 rows take some 60 KiB
_ROWS = TypeAdapter(list[ClientSummary])


class ListSnapshot:
    def __init__(self, directory: Path, server: str, user: str) -> None:
        digest = hashlib.sha256(f"{server}\n{user}".encode()).hexdigest()[:16]
        self.path = directory / "snapshots" / f"{digest}.json"
        self.notice: str | None = None  # what went wrong reading it, to show once

    def load(self) -> list[ClientSummary]:
        """The saved rows; none when there is no snapshot or it cannot be read.

        A snapshot is only a head start: without one, the list just waits for the server.
        A damaged one is set aside like any other local file, and said once; one that
        cannot be opened is not worth a word of its own (the data dir it sits in is then
        unusable, and opening the demo firm there says so, with what to do).
        """
        loaded = load_local(
            self.path,
            _ROWS.validate_json,  # parses and checks in one go; its errors are ValueErrors
            label="The saved client list",
            consequence="the list is loaded afresh",
            max_bytes=MAX_BYTES,
        )
        self.notice = None if loaded.unreadable else loaded.notice
        return loaded.value or []

    def save(self, clients: list[ClientSummary]) -> None:
        write_atomic(self.path, _ROWS.dump_json(clients[:SNAPSHOT_ROWS]).decode())
