"""``Idempotency-Key`` on POST actions: the same key never performs the action twice.

The first request with a key claims it (a unique ``(staff, key)`` row inserted before the
action runs), with the request's fingerprint (a sha256 of its method, path, staff member and
body) and the server instance that runs it; its answer (status, body, a few headers) is stored
on the claim. A repeat with the same fingerprint gets the stored answer (with
``Idempotent-Replayed: true``) and performs nothing. Any other request under a used key (another
path, another body) answers 422 ``idempotency_key_reused``: replaying the first answer to a
different request would tell its sender something happened that did not. A repeat arriving
while the first is still running waits a little for its answer, then answers 409
``idempotency_in_progress`` with ``Retry-After``. Answers of 500 and more are not kept: the
claim is released so that a retry performs the action.

A claim whose server died mid-action is taken over at once when that server instance is
known to be gone (:mod:`lucy_server.instances`), else after :data:`ABANDONED_AFTER`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lucy_server import db, instances
from lucy_server.auth import PRINCIPAL_SCOPE_KEY, Principal, authenticate, bearer_token
from lucy_server.errors import error_response
from lucy_server.state import ServerState

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
KEY_PATTERN = rf"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"  # printable ASCII, no space
KEEP_FOR = timedelta(hours=24)
# an in-progress claim this old was lost, when its instance cannot be told to be gone
ABANDONED_AFTER = timedelta(minutes=5)
WAIT_FOR_FIRST = 5.0  # seconds a repeat waits for the first request's answer
_REPLAYED_HEADERS = ("content-type", "etag", "location")
_r = db.idempotency_records


@dataclass(frozen=True)
class Stored:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to claim a key."""

    kind: str  # "claimed" | "stored" | "reused" | "in_progress"
    record_id: int | None = None
    stored: Stored | None = None


@dataclass(frozen=True)
class Request:
    """What makes two requests under one key the same request."""

    method: str
    path: str
    fingerprint: str


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(33 <= ord(ch) <= 126 for ch in key)


def canonical_body(content_type: str, body: bytes) -> bytes:
    """The body as compared between a request and its retry.

    JSON is compared as data (key order and spacing do not matter); a multipart form with its
    boundary, which a client draws anew for each attempt, written as one fixed boundary."""
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            data = json.loads(body)
        except ValueError:
            return body
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    if media_type == "multipart/form-data":
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.lower() == "boundary" and value.strip('"'):
                boundary = value.strip('"').encode("latin-1")
                return body.replace(b"--" + boundary, b"--lucy-boundary")
    return body


def fingerprint(method: str, path: str, staff_id: int, content_type: str, body: bytes) -> str:
    digest = hashlib.sha256()
    media_type = content_type.partition(";")[0].strip().lower()
    for part in (method, path, str(staff_id), media_type):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(canonical_body(content_type, body))
    return digest.hexdigest()


class IdempotencyStore:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def principal(self, token: str) -> Principal | None:
        with db.read_tx(self.state.engine) as conn:
            return authenticate(conn, token, self.state.now())

    def claim(self, staff_id: int, key: str, request: Request) -> Claim:
        now = self.state.now()
        with db.write_tx(self.state.engine) as conn:
            row = conn.execute(select(_r).where(_r.c.staff_id == staff_id, _r.c.key == key)).first()
            if row is not None:
                if not self._reclaimable(conn, row, now):
                    return self._existing(row, request)
                conn.execute(delete(_r).where(_r.c.id == row.id))
            try:
                with conn.begin_nested():
                    record_id = db.inserted_id(
                        conn.execute(
                            _r.insert().values(
                                staff_id=staff_id,
                                key=key,
                                method=request.method,
                                path=request.path,
                                fingerprint=request.fingerprint,
                                instance_id=self.state.instance.id,
                                created_at=now,
                            )
                        )
                    )
            except IntegrityError:  # another request claimed it first (non-SQLite backends)
                row = conn.execute(
                    select(_r).where(_r.c.staff_id == staff_id, _r.c.key == key)
                ).one()
                return self._existing(row, request)
        return Claim("claimed", record_id=int(record_id))

    def _reclaimable(self, conn: Any, row: Any, now: Any) -> bool:
        """An answer kept past KEEP_FOR, or a claim left unfinished by a server that is gone."""
        if row.created_at < now - KEEP_FOR:
            return True
        if row.status_code is not None:
            return False
        if row.instance_id is not None:
            owner = instances.lookup(conn, row.instance_id)
            if owner is not None and instances.is_gone(owner, self.state.instance):
                instances.forget(conn, owner.id)
                return True
        return bool(row.created_at < now - ABANDONED_AFTER)

    @staticmethod
    def _existing(row: Any, request: Request) -> Claim:
        same = row.method == request.method and row.path == request.path
        if row.fingerprint is not None:  # records made before fingerprints: method and path
            same = same and row.fingerprint == request.fingerprint
        if not same:
            return Claim("reused", record_id=row.id)
        if row.status_code is None:
            return Claim("in_progress", record_id=row.id)
        headers = [(k, v) for k, v in json.loads(row.headers or "[]")]
        return Claim("stored", record_id=row.id, stored=Stored(row.status_code, headers, row.body))

    def lookup(self, record_id: int) -> Stored | None:
        with db.read_tx(self.state.engine) as conn:
            row = conn.execute(select(_r).where(_r.c.id == record_id)).first()
        if row is None or row.status_code is None:
            return None
        return Stored(
            row.status_code, [(k, v) for k, v in json.loads(row.headers or "[]")], row.body
        )

    def store(self, record_id: int, stored: Stored) -> None:
        with db.write_tx(self.state.engine) as conn:
            conn.execute(
                update(_r)
                .where(_r.c.id == record_id)
                .values(
                    status_code=stored.status,
                    headers=json.dumps(stored.headers),
                    body=stored.body,
                )
            )

    def release(self, record_id: int) -> None:
        with db.write_tx(self.state.engine) as conn:
            conn.execute(delete(_r).where(_r.c.id == record_id))


class IdempotencyMiddleware:
    """ASGI middleware applying ``Idempotency-Key`` to every POST but the login."""

    def __init__(
        self,
        app: ASGIApp,
        state_of: Callable[[], ServerState],
        exempt_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.state_of = state_of
        self.exempt_paths = exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None or path in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        if not valid_key(key):
            response = error_response(
                400,
                "bad_request",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            )
            await response(scope, receive, send)
            return
        token = bearer_token(headers.get("authorization"))
        store = IdempotencyStore(self.state_of())
        principal = await anyio.to_thread.run_sync(store.principal, token) if token else None
        if principal is None:  # the endpoint answers 401
            await self.app(scope, receive, send)
            return
        scope[PRINCIPAL_SCOPE_KEY] = principal
        try:
            messages = await _read_body(receive)
        except HTTPException as exc:  # the body is over the limit (lucy_server.limits)
            response = error_response(exc.status_code, "too_large", str(exc.detail))
            await response(scope, receive, send)
            return
        body = b"".join(m.get("body", b"") for m in messages)
        request = Request(
            "POST",
            path,
            fingerprint("POST", path, principal.staff_id, headers.get("content-type", ""), body),
        )
        replay = _replaying(messages, receive)
        claim = await anyio.to_thread.run_sync(store.claim, principal.staff_id, key, request)
        if claim.kind == "in_progress":
            assert claim.record_id is not None
            claim = await self._wait(store, claim.record_id)
        if claim.kind == "claimed":
            assert claim.record_id is not None
            await self._perform(scope, replay, send, store, claim.record_id)
            return
        if claim.kind == "stored":
            assert claim.stored is not None
            await self._replay(claim.stored, send)
            return
        if claim.kind == "reused":
            response = error_response(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request (another "
                "path or another body); a new request needs a new key",
            )
        else:
            response = error_response(
                409,
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being handled; retry shortly",
                headers={"Retry-After": "1"},
            )
        await response(scope, replay, send)

    async def _wait(self, store: IdempotencyStore, record_id: int) -> Claim:
        waited = 0.0
        delay = 0.02
        while waited < WAIT_FOR_FIRST:
            await anyio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 0.25)
            stored = await anyio.to_thread.run_sync(store.lookup, record_id)
            if stored is not None:
                return Claim("stored", record_id=record_id, stored=stored)
        return Claim("in_progress", record_id=record_id)

    async def _perform(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        store: IdempotencyStore,
        record_id: int,
    ) -> None:
        status = 500
        kept_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        complete = False

        async def capture(message: Message) -> None:
            nonlocal status, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                for raw_name, raw_value in message.get("headers", []):
                    name = raw_name.decode("latin-1").lower()
                    if name in _REPLAYED_HEADERS:
                        kept_headers.append((name, raw_value.decode("latin-1")))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    complete = True
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(store.release, record_id)
            raise
        with anyio.CancelScope(shield=True):
            if complete and status < 500:
                stored = Stored(status, kept_headers, b"".join(chunks))
                await anyio.to_thread.run_sync(store.store, record_id, stored)
            else:
                await anyio.to_thread.run_sync(store.release, record_id)

    @staticmethod
    async def _replay(stored: Stored, send: Send) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
        headers.append((b"content-length", str(len(stored.body)).encode()))
        headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": stored.status, "headers": headers})
        await send({"type": "http.response.body", "body": stored.body})


async def _read_body(receive: Receive) -> list[Message]:
    """Every ``http.request`` message of the body (its size is bounded by the limits
    middleware around this one, which raises a 413 past it)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands the body read already to the app, then waits as usual."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def install(app: Any, state_of: Callable[[], ServerState], exempt_paths: frozenset[str]) -> None:
    app.add_middleware(IdempotencyMiddleware, state_of=state_of, exempt_paths=exempt_paths)


__all__ = ["IdempotencyMiddleware", "install", "valid_key"]
