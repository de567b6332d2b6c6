"""The per-account limit of failed logins (in memory, per server process)."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)


class LoginLimiter:
    """At most ``max_failures`` failed logins per account within ``window``."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _prune(self, account: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(account, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, account: str, now: datetime) -> int | None:
        """Seconds to wait when the account is locked out, else None."""
        with self._lock:
            failures = self._prune(account, now)
            if len(failures) < self.max_failures:
                if not failures:
                    self._failures.pop(account, None)
                return None
            wait = failures[0] + self.window - now
            return max(1, int(wait.total_seconds() + 0.999))

    def record_failure(self, account: str, now: datetime) -> None:
        with self._lock:
            self._prune(account, now).append(now)
            if len(self._failures) > 100_000:  # bound memory under a spray of names
                self._failures.clear()

    def reset(self, account: str) -> None:
        with self._lock:
            self._failures.pop(account, None)
