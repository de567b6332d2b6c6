"""Favourite clients: local to this machine, per server and staff member."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from lucy_tui.local.atomic import write_atomic
from lucy_tui.local.local_files import Damaged, json_document, load_local

# Ids of every client of the largest firms, with room to spare (about 8 bytes an id).
MAX_BYTES = 16 * 1024 * 1024


class FavouritesStore:
    """One small JSON file per (server, user) in the data dir, written atomically.

    A file that cannot be read is set aside and reported through ``notice``; the app
    then starts with no favourites instead of failing.
    """

    def __init__(self, directory: Path, server: str, user: str) -> None:
        digest = hashlib.sha256(f"{server}\n{user}".encode()).hexdigest()[:16]
        self.path = directory / "favourites" / f"{digest}.json"
        self.server, self.user = server, user
        self.notice: str | None = None

    def load(self) -> set[int]:
        loaded = load_local(
            self.path,
            _read_ids,
            label="Your favourites file",
            consequence="favourites start empty",
            max_bytes=MAX_BYTES,
        )
        self.notice = loaded.notice
        return loaded.value or set()

    def save(self, favourites: set[int]) -> None:
        """Write the favourites; raises OSError when the data dir is not writable."""
        payload = {"server": self.server, "user": self.user, "clients": sorted(favourites)}
        write_atomic(self.path, json.dumps(payload, indent=1))


def _read_ids(raw: bytes) -> set[int]:
    data: Any = json_document(raw)
    ids = data.get("clients") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise Damaged("it holds no list of client ids")
    return set(ids)
