"""Favourite clients: local to this machine, per server and staff member."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lucy_tui.atomic import set_aside, write_atomic


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
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return set()
        except OSError as exc:
            self.notice = (
                f"Could not read your favourites in {self.path.parent} ({exc.strerror}); "
                "starting without them."
            )
            return set()
        try:
            data = json.loads(raw.decode("utf-8"))
            ids = data["clients"]
            if not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids
            ):
                raise ValueError("clients is not a list of ids")
        except (ValueError, KeyError, TypeError):  # UnicodeDecodeError is a ValueError
            try:
                moved = set_aside(self.path)
            except OSError:
                self.notice = "Your favourites file is damaged; starting without favourites."
            else:
                self.notice = (
                    f"Your favourites file was damaged; it was set aside as {moved.name} "
                    "and favourites start empty."
                )
            return set()
        return set(ids)

    def save(self, favourites: set[int]) -> None:
        """Write the favourites; raises OSError when the data dir is not writable."""
        payload = {"server": self.server, "user": self.user, "clients": sorted(favourites)}
        write_atomic(self.path, json.dumps(payload, indent=1))
