"""Typed errors of the Lucy API client, each carrying the server's code and message."""

from __future__ import annotations

from typing import Any


class LucyError(Exception):
    """Any failure of a call to the Lucy API."""

    status: int | None = None
    default_code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        if status is not None:
            self.status = status
        self.details = details

    def __str__(self) -> str:
        return self.message

    @property
    def field_errors(self) -> dict[str, str]:
        """Field path -> message, when the server named the fields concerned (422, 409)."""
        from lucy_tui.api.models import FieldError  # pydantic: not needed to start the app

        errors: dict[str, str] = {}
        if isinstance(self.details, list):
            for item in self.details:
                try:
                    error = FieldError.model_validate(item)
                except ValueError:
                    continue
                errors.setdefault(error.field, error.message)
        return errors


class UnauthorizedError(LucyError):
    """401: no token, or an expired or revoked one: sign in again."""

    status = 401
    default_code = "unauthorized"


class ForbiddenError(LucyError):
    """403: the signed-in staff member's role does not allow this."""

    status = 403
    default_code = "forbidden"


class NotFoundError(LucyError):
    """404: unknown, or not visible to this staff member."""

    status = 404
    default_code = "not_found"


class ConflictError(LucyError):
    """409: a business rule refused the change (the message says which)."""

    status = 409
    default_code = "conflict"


class PreconditionFailedError(LucyError):
    """412 (or 428): someone else changed the resource since it was loaded."""

    status = 412
    default_code = "precondition_failed"


class TooLargeError(LucyError):
    status = 413
    default_code = "too_large"


class RateLimitedError(LucyError):
    status = 429
    default_code = "rate_limited"


class ValidationError(LucyError):
    """400/422: bad input; ``field_errors`` maps a field path to its message."""

    status = 422
    default_code = "validation_error"


class ServerError(LucyError):
    """5xx, or an answer that is not the API's JSON: the server is at fault."""

    status = 500
    default_code = "server_error"


class UnreachableError(LucyError):
    """The server could not be reached, or did not answer in time."""

    status = None
    default_code = "unreachable"


_BY_STATUS: dict[int, type[LucyError]] = {
    400: ValidationError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: TooLargeError,
    422: ValidationError,
    428: PreconditionFailedError,
    429: RateLimitedError,
}


def error_for_status(status: int) -> type[LucyError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else LucyError
