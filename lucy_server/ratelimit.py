"""The per-account limit of failed logins (in memory, per server process)."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)
MAX_ACCOUNTS = 100_000  # accounts tracked at once, so a spray of names cannot exhaust memory


class LoginLimiter:
    """At most ``max_failures`` failed logins per account within ``window``."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: timedelta = WINDOW,
        max_accounts: int = MAX_ACCOUNTS,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_accounts = max_accounts
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
            if len(self._failures) > self.max_accounts:
                self._shrink(now)

    def _shrink(self, now: datetime) -> None:
        """Bound memory under a spray of names without resetting the accounts under attack:
        forget the failures older than the window, then (only if that is not enough) the
        accounts below the limit; an account locked out stays locked out."""
        for account in list(self._failures):
            if not self._prune(account, now):
                del self._failures[account]
        if len(self._failures) > self.max_accounts:
            for account, failures in list(self._failures.items()):
                if len(failures) < self.max_failures:
                    del self._failures[account]

    def reset(self, account: str) -> None:
        with self._lock:
            self._failures.pop(account, None)
