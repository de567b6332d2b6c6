"""Versioned resources: ``ETag: "N"`` on answers, ``If-Match`` required on mutations.

``If-Match`` accepts ``3``, ``"3"``, ``W/"3"``, a comma-separated list of them, or ``*`` alone;
versions are ASCII digits (``'²'`` and other Unicode digits are refused with 400).
Missing -> 428 ``precondition_required``; stale -> 412 ``precondition_failed``.
"""

from __future__ import annotations

from fastapi import Request, Response

from lucy_server.errors import ApiError
from lucy_server.params import ascii_number

ANY_VERSION = -1
MAX_VERSION_DIGITS = 12
# What If-Match takes, for the OpenAPI: ``*``, or versions (``3``, ``"3"``, ``W/"3"``) separated
# by commas; whitespace around each. parse_if_match reads exactly this.
_ETAG = r'[ \t]*(?:W/)?(?:"[0-9]{1,12}"|[0-9]{1,12})[ \t]*'
IF_MATCH_PATTERN = rf"^(?:[ \t]*\*[ \t]*|{_ETAG}(?:,{_ETAG})*)$"


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def parse_if_match(value: str) -> set[int] | None:
    """The versions an If-Match header names; None for ``*``. Raises on nonsense."""
    if value.strip(" \t") == "*":
        return None
    versions: set[int] = set()
    for raw in value.split(","):
        item = raw.strip(" \t")  # HTTP whitespace only: no "\xa01"
        if item.startswith("W/"):
            item = item[2:]
        if len(item) >= 2 and item[0] == item[-1] == '"':
            item = item[1:-1]
        version = ascii_number(item, MAX_VERSION_DIGITS)
        if version is None:
            raise ApiError(
                400,
                "bad_request",
                f'If-Match must name a version such as "3" (digits 0-9), not {raw.strip()[:40]!r}',
            )
        versions.add(version)
    if not versions:
        raise ApiError(400, "bad_request", "If-Match is empty")
    return versions


def required_versions(request: Request) -> set[int] | None:
    value = request.headers.get("if-match")
    if value is None:
        raise ApiError(
            428,
            "precondition_required",
            "This change needs an If-Match header with the version you loaded",
        )
    return parse_if_match(value)


def check_version(expected: set[int] | None, current: int, what: str) -> None:
    if expected is not None and current not in expected:
        raise ApiError(
            412,
            "precondition_failed",
            f"{what} was changed by someone else since you loaded it "
            f"(now version {current}); reload and try again",
            {"current_version": current},
            headers={"ETag": etag(current)},
        )
