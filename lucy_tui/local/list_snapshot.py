"""The top of the client list from the last session, painted at once on the next start.

One snapshot per server and user, in the data dir (0700, the file 0600): the first rows
of the list as the user last saw them, never a token. It lets the list appear before
httpx, pydantic (and, embedded, the in-process server) are even imported: reading it
needs neither, the rows are checked by :meth:`ClientRow.from_wire`. The list says they are
from the last session until the live list's first page replaces them. Signing out forgets
the user's snapshot with the session.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lucy_tui.clients.rows import ClientRow
from lucy_tui.local.atomic import write_atomic
from lucy_tui.local.local_files import Damaged, json_document, load_local
from lucy_tui.local.paths import ensure_private_dir, make_private

if TYPE_CHECKING:
    from lucy_tui.api.models import ClientSummary

SNAPSHOT_ROWS = 120  # more than any terminal shows at once
MAX_BYTES = 4 * 1024 * 1024  # 120 rows take some 60 KiB


def _rows(raw: bytes) -> list[ClientRow]:
    """The snapshot's rows: a JSON list of clients as the API sends them."""
    document: Any = json_document(raw)
    if not isinstance(document, list):
        raise Damaged("it is not a list of clients")
    rows = []
    for number, item in enumerate(document):
        try:
            rows.append(ClientRow.from_wire(item))
        except ValueError as exc:
            raise Damaged(f"client {number}: {exc}") from None
    return rows


class ListSnapshot:
    def __init__(self, directory: Path, server: str, user: str) -> None:
        digest = hashlib.sha256(f"{server}\n{user}".encode()).hexdigest()[:16]
        self.directory = directory
        self.path = directory / "snapshots" / f"{digest}.json"
        self.notice: str | None = None  # what went wrong reading it, to show once

    def load(self) -> list[ClientRow]:
        """The saved rows; none when there is no snapshot or it cannot be read.

        A snapshot is only a head start: without one, the list just waits for the server.
        A damaged one is set aside like any other local file, and said once; one that
        cannot be opened is not worth a word of its own (the data dir it sits in is then
        unusable, and opening the demo firm there says so, with what to do).
        """
        loaded = load_local(
            self.path,
            _rows,
            label="The saved client list",
            consequence="the list is loaded afresh",
            max_bytes=MAX_BYTES,
        )
        self.notice = None if loaded.unreadable else loaded.notice
        return loaded.value or []

    def save(self, clients: Sequence[ClientSummary | Mapping[str, Any]]) -> None:
        """Keep the first rows of this session's list (blocking: run it in a thread)."""
        for directory in (self.directory, self.path.parent):
            ensure_private_dir(directory)
            make_private(directory)  # not through a link: its target is not ours to change
        rows = [  # a ClientSummary, or a row of /client-rows as JSON gave it
            client if isinstance(client, Mapping) else client.model_dump(mode="json")
            for client in clients[:SNAPSHOT_ROWS]
        ]
        write_atomic(self.path, json.dumps(rows, ensure_ascii=False, separators=(",", ":")))

    def forget(self) -> None:
        """The user signed out: nothing of their list stays behind."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
