"""What changed since a token: the change sequence behind ``GET /clients?changed_since=``.

Every client row carries ``change_seq``, the number of the last write transaction that
changed what its list row shows (written by :mod:`lucy_server.tracking`). The numbers come
from one counter row (``change_counter``), taken at the very end of the write transaction
(``tracking.stamp``, run by :func:`lucy_server.db.write_tx` just before it commits) and
held until the commit, so
the numbers are handed out in commit order: when a reader sees the counter at ``n``,
every change numbered ``n`` or less is committed and visible to it. SQLite serialises
writers anyway; on PostgreSQL the counter row's lock serialises only the last statements
of the transactions that changed a client.

What marks a client changed, without any call in the endpoints:

- any ``UPDATE``/``INSERT`` of ``clients`` (a field, the counts of :mod:`lucy_server.sending`,
  the Peppol switches, the denormalised teams and integrations of :mod:`lucy_server.denorm`):
  ``change_seq`` has a column default and ``onupdate`` that write the transaction's
  *marker* (a negative number of its own), replaced by the real number just before the
  commit;
- a write of a row the list shows next to the client's own (``tracking.DEPENDENT_TABLES``):
  its Peppol lookup, the name of its contact (``staff``) or of one of its teams (``teams``):
  those rows carry the marker too, and the clients that show them are numbered with it.

What must be said: a client that leaves someone's view (hidden, moved to other teams,
deleted) is recorded with :func:`record_exit` (its *previous* visibility), so that
``removed`` can name it to exactly those who could see it, and to no one else.

Writes made outside :func:`lucy_server.db.write_tx` (a test writing straight into the
database) get :data:`UNTRACKED`, a number above every token: such a client counts as changed
in every answer (never lost), and no NULL makes the changed rows' query anything but one
range of the index.

A token is ``c1.`` and base64url JSON: the database's id (a random name made with the
counter row), the number, and a digest of what the staff member could see (role and
teams). Another database, a number ahead of the counter (a restored backup), a number
below the pruned horizon, or other teams: the answer is ``reset``, and the app loads the
whole list again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, exists, insert, select, update
from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_server.auth import Principal
from lucy_server.errors import ApiError
from lucy_server.tracking import COUNTER_ID, UNTRACKED, marker
from lucy_server.visibility import visible_clause
from lucy_tui.api.models import FieldError

TOKEN_PREFIX = "c1."
MAX_TOKEN_LENGTH = 300
# How long a removal is kept: a token older than the oldest kept one gets ``reset``.
EXITS_KEPT = timedelta(days=90)

_c = db.clients
_e = db.client_exits


def touch(conn: Connection, where: ColumnElement[bool]) -> None:
    """Mark the clients matching ``where`` changed (for a change the columns cannot see)."""
    conn.execute(update(_c).where(where).values(change_seq=marker(conn, _c)))


def record_exit(conn: Connection, client_id: int, *, team_key: str, hidden: bool) -> None:
    """The client may leave the view of some staff (hidden, other teams, deleted): keep who
    could see it until now (its previous ``team_key`` and ``hidden``). Removals older than
    :data:`EXITS_KEPT` are forgotten on the way (:func:`prune_exits`)."""
    now = datetime.now(UTC)
    conn.execute(
        insert(_e).values(
            client_id=client_id,
            team_key=team_key,
            hidden=hidden,
            seq=marker(conn, _e),
            at=now,
        )
    )
    prune_exits(conn, now - EXITS_KEPT)


def prune_exits(conn: Connection, before: datetime) -> int:
    """Forget exits older than ``before``; tokens older than the newest forgotten one get
    ``reset`` from then on. Returns how many were forgotten."""
    numbered = _e.c.seq.between(0, UNTRACKED - 1)  # not this transaction's marker
    newest = conn.scalar(
        select(_e.c.seq).where(_e.c.at < before, numbered).order_by(_e.c.seq.desc()).limit(1)
    )
    if newest is None:
        return 0
    k = db.change_counter
    conn.execute(update(k).where(k.c.id == COUNTER_ID, k.c.floor < newest).values(floor=newest))
    return conn.execute(_e.delete().where(numbered, _e.c.seq <= newest)).rowcount


# --- the read side --------------------------------------------------------------------------


@dataclass(frozen=True)
class Counter:
    database_id: str
    value: int
    floor: int


def read_counter(conn: Connection) -> Counter:
    """Read it first, before the rows: every change up to ``value`` is then in what follows."""
    k = db.change_counter
    row = conn.execute(
        select(k.c.database_id, k.c.value, k.c.floor).where(k.c.id == COUNTER_ID)
    ).first()
    if row is None:  # a database made before the counter: nothing was numbered yet
        return Counter("", 0, 0)
    return Counter(row.database_id, int(row.value), int(row.floor))


def view_digest(principal: Principal) -> str:
    """What decides which clients a staff member sees (role, teams), as a short digest."""
    if principal.is_admin:
        text = "admin"
    else:
        text = "employee:" + ",".join(str(t) for t in sorted(principal.team_ids))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def make_token(counter: Counter, value: int, principal: Principal) -> str:
    payload = {"d": counter.database_id, "s": value, "v": view_digest(principal)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_token(message: str) -> ApiError:
    return ApiError(
        422,
        "invalid_changes_token",
        message,
        [FieldError(field="changed_since", message=message).model_dump()],
    )


def read_token(text: str, counter: Counter, principal: Principal) -> int | None:
    """The number a token of this database names, or None when the server cannot answer
    from it (``reset``); 422 ``invalid_changes_token`` when it is no token at all."""
    if not text.startswith(TOKEN_PREFIX) or len(text) > MAX_TOKEN_LENGTH:
        if text[:1] == "c" and text[2:3] == "." and text[1:2].isdigit():
            return None  # a token of another version of the server
        raise invalid_token("changed_since is not a token this server gave (the list's 'changes')")
    body = text[len(TOKEN_PREFIX) :]
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid_token("changed_since is not a token this server gave") from None
    if not isinstance(payload, dict):
        raise invalid_token("changed_since is not a token this server gave")
    seq, database, view = payload.get("s"), payload.get("d"), payload.get("v")
    if not (isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0):
        raise invalid_token("changed_since is not a token this server gave")
    if database != counter.database_id or view != view_digest(principal):
        return None  # another database, or what this staff member sees changed wholesale
    if seq > counter.value or seq < counter.floor:
        return None  # ahead of this database (a restored copy), or older than kept
    return seq


def changed_clause(since: int) -> ColumnElement[bool]:
    """Clients changed after ``since``: one range of ``ix_clients_change_seq``."""
    return _c.c.change_seq > since


def removed_since(conn: Connection, principal: Principal, since: int) -> list[int]:
    """Clients this staff member could see at some point after ``since`` and cannot now
    (or that no longer exist): only ids they may have been shown."""
    still_visible = exists().where(_c.c.id == _e.c.client_id, visible_clause(principal))
    query = (
        select(_e.c.client_id)
        .where(_e.c.seq > since, visible_clause(principal, _e), ~still_visible)
        .distinct()
        .order_by(_e.c.client_id)
    )
    return list(conn.scalars(query).all())
