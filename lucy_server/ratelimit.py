"""Limits on failed logins (in memory, per server process).

A limit per account alone is a weapon: the staff's addresses are listed by ``/staff``, so five
wrong passwords a minute from anywhere would keep any colleague out. So failures count twice:

- per (account, source address): :data:`MAX_FAILURES` a :data:`WINDOW`. Guessing one account's
  password from one address is slowed; the same account signs in from any other address.
- per source address: :data:`MAX_SOURCE_FAILURES` a :data:`SOURCE_WINDOW`, whatever the
  accounts. Spraying many accounts from one address is slowed.

A correct password from a source that did not fail signs in, whoever failed elsewhere. The
source address is the one the ASGI server reports (``request.client``); behind a reverse
proxy that is the proxy's, unless the server is told to trust the proxy's forwarded header
(``lucy-server serve --forwarded-allow-ips``; see docs/reliability.md).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)
MAX_SOURCE_FAILURES = 30
SOURCE_WINDOW = timedelta(minutes=5)
MAX_ACCOUNTS = 100_000  # keys tracked at once, so a spray of names cannot exhaust memory


class FailureCounter:
    """At most ``max_failures`` failures per key within ``window``."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: timedelta = WINDOW,
        max_accounts: int = MAX_ACCOUNTS,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_accounts = max_accounts
        self._failures: dict[Hashable, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: Hashable, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, key: Hashable, now: datetime) -> int | None:
        """Seconds to wait when the key is locked out, else None."""
        with self._lock:
            failures = self._prune(key, now)
            if len(failures) < self.max_failures:
                if not failures:
                    self._failures.pop(key, None)
                return None
            wait = failures[0] + self.window - now
            return max(1, int(wait.total_seconds() + 0.999))

    def record_failure(self, key: Hashable, now: datetime) -> None:
        with self._lock:
            self._prune(key, now).append(now)
            if len(self._failures) > self.max_accounts:
                self._shrink(now)

    def _shrink(self, now: datetime) -> None:
        """Bound memory under a spray of names without resetting the keys under attack:
        forget the failures older than the window, then (only if that is not enough) the
        keys below the limit; a key locked out stays locked out."""
        for key in list(self._failures):
            if not self._prune(key, now):
                del self._failures[key]
        if len(self._failures) > self.max_accounts:
            for key, failures in list(self._failures.items()):
                if len(failures) < self.max_failures:
                    del self._failures[key]

    def reset(self, key: Hashable) -> None:
        with self._lock:
            self._failures.pop(key, None)


LoginLimiter = FailureCounter  # the name of the per-account counter before sources counted


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    per_source: bool  # the address as a whole is limited, not only this account from it


class LoginLimits:
    """The two limits on failed sign-ins: per (account, source) and per source."""

    def __init__(
        self,
        pair: FailureCounter | None = None,
        source: FailureCounter | None = None,
    ) -> None:
        self.pair = pair or FailureCounter(MAX_FAILURES, WINDOW)
        self.source = source or FailureCounter(MAX_SOURCE_FAILURES, SOURCE_WINDOW)

    def refusal(self, account: str, source: str, now: datetime) -> Refusal | None:
        """Why a sign-in of ``account`` from ``source`` is not tried now, if it is not."""
        wait = self.source.retry_after(source, now)
        if wait is not None:
            return Refusal(wait, per_source=True)
        wait = self.pair.retry_after((account, source), now)
        if wait is not None:
            return Refusal(wait, per_source=False)
        return None

    def record_failure(self, account: str, source: str, now: datetime) -> None:
        self.pair.record_failure((account, source), now)
        self.source.record_failure(source, now)

    def record_success(self, account: str, source: str) -> None:
        """A right password resets this account's count from this source (not the source's:
        one good account must not whitewash a spray of others)."""
        self.pair.reset((account, source))
