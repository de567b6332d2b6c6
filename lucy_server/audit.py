"""The audit trail: who changed what, when, written in the change's own transaction.

Every endpoint that changes something calls :func:`record` (or :func:`record_many`) on the
connection of its write transaction, after the change itself: the change and its record
commit together or not at all. A request refused before the change (a validation error, a
412, a 403) writes nothing, so it leaves no record.

A record says who (the staff member's id and their name at the time), when (the server's
clock, ``state.now()``), what (an :class:`~lucy_tui.api.models.AuditKind`), which client
(when the change is one client's) and the changed fields before and after, as JSON.
Never a secret: no password, token or file content is ever part of a record
(:func:`record` refuses such keys, so a careless caller fails its tests).

Append-only: this module only inserts and reads; nothing in the server updates or deletes a
row of ``audit_log`` (a test checks the source).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from lucy_server import db
from lucy_tui.api.models import AuditEntry, AuditKind

_a = db.audit_log

# Keys that never go into a record: secrets and file contents.
FORBIDDEN_KEYS = frozenset(
    {"password", "password_hash", "token", "access_token", "token_sha256", "content"}
)


class Who(Protocol):
    """Who made a change: a signed-in :class:`~lucy_server.auth.Principal` or an
    :class:`Actor` (the same person, handed to work done in the background)."""

    @property
    def staff_id(self) -> int | None: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class Actor:
    staff_id: int | None
    name: str


def actor_of(who: Who) -> Actor:
    """A copy that outlives the request (for work done in the background)."""
    return Actor(who.staff_id, who.name)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return value


def _check(fields: Mapping[str, Any] | None) -> None:
    if fields is None:
        return
    for key, value in fields.items():
        if key.lower() in FORBIDDEN_KEYS:
            raise ValueError(f"an audit record never holds {key!r}")
        if isinstance(value, Mapping):
            _check(value)


def _json(fields: Mapping[str, Any] | None) -> str | None:
    if fields is None:
        return None
    _check(fields)
    return json.dumps(_plain(fields), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs, as they were and as they became."""
    keys = [key for key in after if before.get(key) != after[key]]
    keys += [key for key in before if key not in after]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass(frozen=True)
class Change:
    """One record of :func:`record_many`."""

    kind: AuditKind
    client_id: int | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    client_name: str | None = None


def _client_names(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    names: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        names.update(
            (row.id, row.name)
            for row in conn.execute(
                select(db.clients.c.id, db.clients.c.name).where(db.clients.c.id.in_(chunk))
            )
        )
    return names


def record_many(conn: Connection, who: Who, changes: Sequence[Change], *, now: datetime) -> None:
    """Records of one request's changes (a bulk send, a bulk Peppol switch), in one insert."""
    if not changes:
        return
    missing = [c.client_id for c in changes if c.client_id is not None and c.client_name is None]
    names = _client_names(conn, missing) if missing else {}
    conn.execute(
        _a.insert(),
        [
            {
                "at": now,
                "staff_id": who.staff_id,
                "staff_name": who.name,
                "kind": AuditKind(change.kind).value,
                "client_id": change.client_id,
                "client_name": change.client_name
                if change.client_name is not None or change.client_id is None
                else names.get(change.client_id),
                "before": _json(change.before),
                "after": _json(change.after),
            }
            for change in changes
        ],
    )


def record(
    conn: Connection,
    who: Who,
    kind: AuditKind,
    client_id: int | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    now: datetime,
    client_name: str | None = None,
) -> None:
    """Record one change, in the transaction of ``conn`` (call it after the change)."""
    record_many(conn, who, [Change(kind, client_id, before, after, client_name)], now=now)


# --- reading ------------------------------------------------------------------------------


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        staff_id=row.staff_id,
        staff_name=row.staff_name,
        kind=AuditKind(row.kind),
        client_id=row.client_id,
        client_name=row.client_name,
        before=json.loads(row.before) if row.before else None,
        after=json.loads(row.after) if row.after else None,
    )


@dataclass(frozen=True)
class Filters:
    staff_id: int | None = None
    client_id: int | None = None
    kinds: tuple[AuditKind, ...] = ()
    since: datetime | None = None  # at or after
    until: datetime | None = None  # before


def where(filters: Filters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.staff_id is not None:
        clauses.append(_a.c.staff_id == filters.staff_id)
    if filters.client_id is not None:
        clauses.append(_a.c.client_id == filters.client_id)
    if filters.kinds:
        clauses.append(_a.c.kind.in_(sorted(kind.value for kind in filters.kinds)))
    if filters.since is not None:
        clauses.append(_a.c.at >= filters.since)
    if filters.until is not None:
        clauses.append(_a.c.at < filters.until)
    return clauses


def read_page(
    conn: Connection, filters: Filters, *, after: int | None, limit: int
) -> tuple[list[AuditEntry], int | None]:
    """Up to ``limit`` records, newest first (by id, which only grows), older than the
    record ``after`` when given; and the cursor of the next page (None: this is the last)."""
    clauses = where(filters)
    if after is not None:
        clauses.append(_a.c.id < after)
    rows = conn.execute(select(_a).where(*clauses).order_by(_a.c.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_entry(row) for row in rows], (rows[-1].id if more and rows else None)


# --- what some changes record -------------------------------------------------------------


def _staff_name(conn: Connection, staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    name = conn.scalar(select(db.staff.c.name).where(db.staff.c.id == staff_id))
    return str(name) if name is not None else None


def team_names(conn: Connection, team_ids: Sequence[int]) -> list[str]:
    if not team_ids:
        return []
    names = {
        row.id: row.name
        for row in conn.execute(
            select(db.teams.c.id, db.teams.c.name).where(db.teams.c.id.in_(list(team_ids)))
        )
    }
    return [str(names.get(team_id, team_id)) for team_id in team_ids]


def client_patch_changes(
    conn: Connection,
    row: Any,
    values: Mapping[str, Any],
    teams: tuple[list[int], list[int]] | None,
) -> list[Change]:
    """The records of a PATCH of a client file: ``row`` as it was, ``values`` written, and
    the team ids before and after when they changed."""
    found: list[Change] = []
    client_id = int(row.id)
    if "name" in values:
        found.append(
            Change(
                AuditKind.CLIENT_UPDATED, client_id, {"name": row.name}, {"name": values["name"]}
            )
        )
    if "plan" in values:
        found.append(
            Change(
                AuditKind.CLIENT_PLAN_CHANGED,
                client_id,
                {"plan": row.plan, "trial_ends_on": row.trial_ends_on},
                {"plan": values["plan"], "trial_ends_on": values.get("trial_ends_on")},
            )
        )
    if "contact_id" in values:
        found.append(
            Change(
                AuditKind.CLIENT_CONTACT_CHANGED,
                client_id,
                {"contact_id": row.contact_id, "contact": _staff_name(conn, row.contact_id)},
                {
                    "contact_id": values["contact_id"],
                    "contact": _staff_name(conn, values["contact_id"]),
                },
            )
        )
    if "hidden" in values:
        kind = AuditKind.CLIENT_HIDDEN if values["hidden"] else AuditKind.CLIENT_UNHIDDEN
        found.append(Change(kind, client_id, {"hidden": row.hidden}, {"hidden": values["hidden"]}))
    if teams is not None:
        old, new = teams
        found.append(
            Change(
                AuditKind.CLIENT_TEAMS_CHANGED,
                client_id,
                {"team_ids": old, "teams": team_names(conn, old)},
                {"team_ids": new, "teams": team_names(conn, new)},
            )
        )
    return found
