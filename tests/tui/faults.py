"""An httpx transport that wraps the real one and injects faults on demand.

The app under test talks to the reference server through ``FaultyTransport(inner)``; a
test adds rules such as "the next 2 requests matching GET /clients answer 503" or "every
request fails to connect" (the server is away), then removes them (it is back):

    faults = FaultyTransport(httpx.ASGITransport(app=create_app(path)))
    faults.inject(Fault.CONNECT)                       # the server goes away
    faults.inject(503, method="GET", path=r"/clients$", times=2)
    faults.clear()                                     # and comes back

A rule matches on the method and a regular expression searched in the request's path
(with its query string, so ``page=2`` can be targeted); the first matching rule that has
uses left decides. Every request is logged with what happened to it.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field

import httpx


class Fault(enum.Enum):
    CONNECT = "connect"  # the server cannot be reached: httpx.ConnectError, nothing sent
    TIMEOUT = "timeout"  # no answer in time: httpx.ReadTimeout, the server never saw it
    MALFORMED_JSON = "malformed"  # 200 with a body that is not JSON (a proxy, a cut answer)
    LOST_RESPONSE = "lost"  # the server handled it, then the connection dropped
    BUG = "bug"  # something below the client raised what no one expected (RuntimeError)


# A fault, or an HTTP status to answer with instead of the server.
FaultSpec = Fault | int

_STATUS_BODIES: dict[int, tuple[str, bytes]] = {
    # 401 and 500 come from the API itself: its JSON error body.
    401: (
        "application/json",
        json.dumps(
            {"error": {"code": "unauthorized", "message": "Your session has expired."}}
        ).encode(),
    ),
    500: (
        "application/json",
        json.dumps(
            {"error": {"code": "internal", "message": "The server hit an unexpected error."}}
        ).encode(),
    ),
    # 502/503/504 come from a proxy in front of it: HTML, not the API's JSON.
    502: ("text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    503: ("text/html", b"<html><body><h1>503 Service Unavailable</h1></body></html>"),
    504: ("text/html", b"<html><body><h1>504 Gateway Timeout</h1></body></html>"),
}


@dataclass
class Rule:
    """Answer with ``fault`` the next ``times`` matching requests (None: until removed)."""

    fault: FaultSpec
    method: str | None = None
    path: re.Pattern[str] | None = None
    times: int | None = 1
    message: str | None = None  # the API error's message, for a status fault
    hits: int = 0

    def matches(self, request: httpx.Request) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and request.method != self.method:
            return False
        return self.path is None or self.path.search(_target(request)) is not None

    @property
    def used_up(self) -> bool:
        return self.times is not None and self.hits >= self.times


@dataclass
class Call:
    method: str
    target: str
    outcome: str  # "passed", or the fault injected ("connect", "503", ...)
    key: str | None = None  # its Idempotency-Key, if any


def _target(request: httpx.Request) -> str:
    query = request.url.query.decode()
    return request.url.path + (f"?{query}" if query else "")


@dataclass
class FaultyTransport(httpx.AsyncBaseTransport):
    inner: httpx.AsyncBaseTransport
    rules: list[Rule] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    # --- rules ------------------------------------------------------------------------------

    def inject(
        self,
        fault: FaultSpec,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        message: str | None = None,
    ) -> Rule:
        """Fault the next ``times`` requests matching ``method`` and ``path`` (a regex).

        ``message``: a status fault answers the API's JSON error with this message.
        """
        rule = Rule(
            fault,
            method.upper() if method else None,
            re.compile(path) if path else None,
            times,
            message,
        )
        self.rules.append(rule)
        return rule

    def go_down(self, fault: FaultSpec = Fault.CONNECT) -> Rule:
        """Every request fails with ``fault`` until ``clear`` (or ``remove``)."""
        return self.inject(fault, times=None)

    def remove(self, rule: Rule) -> None:
        self.rules.remove(rule)

    def clear(self) -> None:
        """The server is back: no more faults."""
        self.rules.clear()

    # --- what happened ----------------------------------------------------------------------

    def made(self, method: str, path: str) -> list[Call]:
        """The logged calls of ``method`` whose target matches ``path`` (a regex)."""
        pattern = re.compile(path)
        return [c for c in self.calls if c.method == method and pattern.search(c.target)]

    # --- the transport ----------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        rule = next((r for r in self.rules if r.matches(request)), None)
        if rule is None:
            self._log(request, "passed")
            return await self.inner.handle_async_request(request)
        rule.hits += 1
        fault = rule.fault
        outcome = str(fault) if isinstance(fault, int) else fault.value
        self._log(request, outcome)
        if fault is Fault.CONNECT:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if fault is Fault.TIMEOUT:
            raise httpx.ReadTimeout("timed out", request=request)
        if fault is Fault.BUG:
            raise RuntimeError("an unexpected error below the client")
        if fault is Fault.LOST_RESPONSE:
            response = await self.inner.handle_async_request(request)
            await response.aread()  # the server did its work; its answer never arrives
            await response.aclose()
            raise httpx.ReadError("Connection reset by peer", request=request)
        if fault is Fault.MALFORMED_JSON:
            return httpx.Response(
                200,
                headers={"Content-Type": "application/json"},
                content=b'{"items": [{"id": 1, "name": "Aalter',
                request=request,
            )
        content_type, body = _STATUS_BODIES.get(
            fault, ("application/json", b'{"error": {"code": "error", "message": "Fault."}}')
        )
        if rule.message is not None:
            content_type = "application/json"
            body = json.dumps({"error": {"code": "error", "message": rule.message}}).encode()
        return httpx.Response(
            fault, headers={"Content-Type": content_type}, content=body, request=request
        )

    def _log(self, request: httpx.Request, outcome: str) -> None:
        key = request.headers.get("Idempotency-Key")
        self.calls.append(Call(request.method, _target(request), outcome, key))

    async def aclose(self) -> None:
        await self.inner.aclose()
