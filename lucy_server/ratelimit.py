"""Limits on failed sign-ins, kept in the database so that every server process shares them.

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

Shared by every worker (``lucy-server serve --workers N``) and every server over one database:
the failures are rows of ``db.login_failures``. A sign-in is checked twice: before the password
is (:meth:`LoginLimits.check`: a locked-out key costs no scrypt), and after it, in the write
transaction that records the outcome (:meth:`LoginLimits.settle`), where they queue (SQLite's
``BEGIN IMMEDIATE``; on PostgreSQL an advisory lock of their own, held till the commit,
whatever else ``db.write_tx`` locks). So when tries race (several workers, several requests at
once) the sixth is never answered with what its password was worth: it gets the 429, is not
counted, and a right password opens no session. Sign-ins that succeed count nothing, so a
whole office behind one address signing in at once is never refused.

The table stays small: rows older than the longest window go as new ones come, and past
:data:`MAX_ROWS` (a spray of names from many addresses) the rows of every key below its limit
go too; a key locked out stays locked out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, text, update
from sqlalchemy.engine import Connection, Engine

from lucy_server import db

MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)
MAX_SOURCE_FAILURES = 30
SOURCE_WINDOW = timedelta(minutes=5)
MAX_ROWS = 100_000  # failures kept at once, so a spray of names cannot fill the database
MAX_ACCOUNTS = MAX_ROWS  # its name when the limits were kept in memory
# the columns' lengths: a longer value is cut (it still counts, under its first characters)
ACCOUNT_LENGTH = 320
SOURCE_LENGTH = 100

# the PostgreSQL advisory lock that settles hold till their commit ("lucylim" in ASCII); on
# SQLite the write transaction's BEGIN IMMEDIATE serialises them
PG_LOCK_KEY = 0x6C7563796C696D
_f = db.login_failures


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    per_source: bool  # the address as a whole is limited, not only this account from it


def _seconds(wait: timedelta) -> int:
    return max(1, int(wait.total_seconds() + 0.999))


class LoginLimits:
    """The two limits on failed sign-ins, over ``db.login_failures`` of ``engine``."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_failures: int = MAX_FAILURES,
        window: timedelta = WINDOW,
        max_source_failures: int = MAX_SOURCE_FAILURES,
        source_window: timedelta = SOURCE_WINDOW,
        max_rows: int = MAX_ROWS,
    ) -> None:
        self.engine = engine
        self.max_failures = max_failures
        self.window = window
        self.max_source_failures = max_source_failures
        self.source_window = source_window
        self.max_rows = max_rows

    @staticmethod
    def key(account: str, source: str) -> tuple[str, str]:
        return account[:ACCOUNT_LENGTH], source[:SOURCE_LENGTH]

    # --- the sign-in's two checks ---------------------------------------------------------

    def check(self, account: str, source: str, now: datetime) -> Refusal | None:
        """Before the password check: why the sign-in is not tried, if it is not."""
        with db.read_tx(self.engine) as conn:
            return self.refusal(conn, account, source, now)

    def settle(
        self, conn: Connection, account: str, source: str, now: datetime, *, ok: bool
    ) -> Refusal | None:
        """After the password check, inside the write transaction that opens the session:
        the refusal if the key got locked out meanwhile (nothing counted then, and the
        caller opens no session), else the outcome counted: a failure is recorded; a right
        password starts the account's count from this source again. The source's count keeps
        the pair's earlier failures: one good account must not whitewash a spray of others."""
        account, source = self.key(account, source)
        if conn.dialect.name == "postgresql":  # whatever else write_tx locks: settles queue
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        refusal = self.refusal(conn, account, source, now)
        if refusal is not None:
            return refusal  # a try while locked out is not counted
        if ok:
            conn.execute(
                update(_f)
                .where(_f.c.account == account, _f.c.source == source)
                .values(account=None)
            )
            return None
        conn.execute(_f.insert().values(account=account, source=source, at=now))
        self._bound(conn, now)
        return None

    # --- counting -------------------------------------------------------------------------

    def refusal(self, conn: Connection, account: str, source: str, now: datetime) -> Refusal | None:
        """Why a sign-in of ``account`` from ``source`` is not tried now, if it is not."""
        account, source = self.key(account, source)
        wait = self._wait(
            conn, _f.c.source == source, self.max_source_failures, self.source_window, now
        )
        if wait is not None:
            return Refusal(wait, per_source=True)
        pair = and_(_f.c.account == account, _f.c.source == source)
        wait = self._wait(conn, pair, self.max_failures, self.window, now)
        if wait is not None:
            return Refusal(wait, per_source=False)
        return None

    def _wait(
        self,
        conn: Connection,
        key: ColumnElement[bool],
        limit: int,
        window: timedelta,
        now: datetime,
    ) -> int | None:
        """Seconds until the key's failures within ``window`` are fewer than ``limit``."""
        recent = and_(key, _f.c.at > now - window)
        count = conn.scalar(select(func.count()).select_from(_f).where(recent)) or 0
        if count < limit:
            return None
        # the lock ends when the failure that keeps the count at the limit leaves the window
        freeing = conn.scalar(
            select(_f.c.at).where(recent).order_by(_f.c.at, _f.c.id).offset(count - limit).limit(1)
        )
        assert freeing is not None
        return _seconds(freeing + window - now)

    def failures(self, conn: Connection) -> int:
        """The rows kept (tests: the table stays bounded)."""
        return conn.scalar(select(func.count()).select_from(_f)) or 0

    def _bound(self, conn: Connection, now: datetime) -> None:
        """Forget the failures older than both windows; past :attr:`max_rows`, also every
        failure that keeps no key locked out (a key locked out stays locked out)."""
        conn.execute(delete(_f).where(_f.c.at <= now - max(self.window, self.source_window)))
        if self.failures(conn) <= self.max_rows:
            return
        other = _f.alias("other")
        locked_source = (
            select(other.c.source)
            .where(other.c.at > now - self.source_window)
            .group_by(other.c.source)
            .having(func.count() >= self.max_source_failures)
        )
        pair_count = (
            select(func.count())
            .select_from(other)
            .where(
                other.c.account == _f.c.account,
                other.c.source == _f.c.source,
                other.c.at > now - self.window,
            )
            .scalar_subquery()
        )
        conn.execute(
            delete(_f).where(
                _f.c.source.not_in(locked_source),
                or_(_f.c.account.is_(None), pair_count < self.max_failures),
            )
        )
