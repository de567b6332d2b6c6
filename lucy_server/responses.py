"""The error answers each operation declares in the OpenAPI (``responses=`` on the routes).

Every error body is an :class:`ErrorBody`, 422 included (FastAPI's default 422 schema,
``HTTPValidationError``, is not what this server answers). Some statuses come from the
machinery around the endpoints rather than from the endpoints themselves: a POST, PUT or
PATCH can answer 413 (``limits``) and 400 (a body that is not JSON, a malformed ``If-Match``
or ``Idempotency-Key``), and a POST can answer 409 when its ``Idempotency-Key`` was used for
another request or is still being handled (``idempotency``). The presets below include them.
"""

from __future__ import annotations

from typing import Any

from lucy_tui.api.models import ErrorBody

_WHY = {
    400: "Bad request: the body is not JSON, or If-Match or Idempotency-Key is malformed",
    401: "No bearer token, or the session expired or was ended",
    403: "The staff member's role does not allow this",
    404: "Unknown, or not visible to this staff member",
    409: "Refused by a rule of the product, or an Idempotency-Key conflict",
    412: "If-Match names a version that is no longer current",
    413: "The body is larger than the server accepts",
    422: "A field is not valid",
    428: "If-Match is missing",
    429: "Too many failed sign-ins for this account",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that can answer these error statuses."""
    return {status: {"model": ErrorBody, "description": _WHY[status]} for status in statuses}


# Presets, by kind of operation (each route adds what its own rules can answer).
LIST = errors(401, 422)
"""A paged list of the firm (staff, teams, integrations, clients)."""
CLIENT_READ = errors(401, 404, 422)
"""A GET of a client's resource (404: unknown or invisible client)."""
CLIENT_DELETE = errors(401, 404, 422)
POST = errors(400, 401, 409, 413, 422)
"""A POST of the firm (create a client): Idempotency-Key, body size, validation."""
CLIENT_POST = errors(400, 401, 404, 409, 413, 422)
"""A POST on a client (actions, adding users, uploads)."""
CLIENT_PUT = errors(400, 401, 404, 412, 413, 422, 428)
"""A versioned change of a client's resource (If-Match required)."""
