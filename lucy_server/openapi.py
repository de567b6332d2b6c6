"""The OpenAPI document: what the routes declare, plus what the machinery around them takes.

``If-Match`` (read by :mod:`lucy_server.versioning`) and ``Idempotency-Key`` (read by the
:mod:`lucy_server.idempotency` middleware) are not endpoint parameters, so FastAPI cannot see
them; they are declared here, on every operation that reads them, with exactly the syntax
the server accepts, so that a client generator or a fuzzer knows them. The bearer scheme is
declared by the ``HTTPBearer`` dependency of :func:`lucy_server.auth.current_principal`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from lucy_server.idempotency import KEY_PATTERN, MAX_KEY_LENGTH
from lucy_server.versioning import IF_MATCH_PATTERN
from lucy_tui.api.validation import name_pattern

IF_MATCH: dict[str, Any] = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": (
        'The version loaded (its ETag: "3"; 3 and W/"3" are read alike; several separated '
        "by commas), or * for any. Missing: 428; not the current version: 412."
    ),
    "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
}
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        f"1 to {MAX_KEY_LENGTH} printable ASCII characters. The same key never performs the "
        "action twice: a repeat gets the first answer (Idempotent-Replayed: true); another "
        "request under a used key answers 422 idempotency_key_reused; a repeat while the "
        "first is still running answers 409 idempotency_in_progress with Retry-After."
    ),
    "schema": {"type": "string", "pattern": KEY_PATTERN, "maxLength": MAX_KEY_LENGTH},
}


def with_headers(schema: dict[str, Any], exempt_posts: frozenset[str]) -> dict[str, Any]:
    """``schema`` with If-Match on every PUT and PATCH and Idempotency-Key on every POST, and
    uploaded files of at least one byte (an empty file is refused: 422)."""
    for component in schema.get("components", {}).get("schemas", {}).values():
        for prop in component.get("properties", {}).values():
            if prop.get("contentMediaType") == "application/octet-stream" or (
                prop.get("format") == "binary"
            ):
                prop["minLength"] = 1
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "q":
                    # the text rule of names (refused: 422, never cut at a NUL)
                    parameter["schema"] = {
                        "type": "string",
                        "maxLength": 200,
                        "pattern": name_pattern(required=False),
                        "title": "Q",
                    }
            if method in ("put", "patch"):
                extra = IF_MATCH
            elif method == "post" and path not in exempt_posts:
                extra = IDEMPOTENCY_KEY
            else:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name", "").lower() == extra["name"].lower() for p in parameters):
                parameters.append(dict(extra))
    return schema


def install(app: FastAPI, exempt_posts: frozenset[str]) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = with_headers(schema, exempt_posts)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
