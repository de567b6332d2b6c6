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
from pydantic import ValidationError as ModelValidationError

from lucy_tui.api.models import ClientSummary
from lucy_tui.atomic import write_atomic

SNAPSHOT_ROWS = 120  # more than any terminal shows at once
_ROWS = TypeAdapter(list[ClientSummary])


class ListSnapshot:
    def __init__(self, directory: Path, server: str, user: str) -> None:
        digest = hashlib.sha256(f"{server}\n{user}".encode()).hexdigest()[:16]
        self.path = directory / "snapshots" / f"{digest}.json"

    def load(self) -> list[ClientSummary]:
        """The saved rows; none when there is no snapshot or it cannot be read."""
        try:
            return _ROWS.validate_json(self.path.read_bytes())
        except (OSError, ValueError, ModelValidationError):
            return []  # a snapshot is only a head start: without one, just wait

    def save(self, clients: list[ClientSummary]) -> None:
        write_atomic(self.path, _ROWS.dump_json(clients[:SNAPSHOT_ROWS]).decode())
