"""The error model: every failure answers ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lucy_tui.api.models import ErrorBody, ErrorDetail, FieldError
from lucy_tui.api.validation import readable

log = logging.getLogger("lucy_server")


class ApiError(Exception):
    """An answer other than success, raised anywhere in an endpoint."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


def not_found(what: str = "Client") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def conflict(code: str, message: str, details: Any = None) -> ApiError:
    return ApiError(409, code, message, details)


def field_error(field: str, message: str, status: int = 422) -> ApiError:
    return ApiError(
        status,
        "validation_error",
        message,
        [FieldError(field=field, message=message).model_dump()],
    )


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Pydantic/FastAPI errors as ``FieldError`` dicts with dotted paths (no ``body.``)."""
    result: list[dict[str, str]] = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc and loc[0] in _SOURCES:
            loc = loc[1:]
        field = ".".join(str(part) for part in loc)
        message = readable(str(error.get("msg", "Invalid value")))
        result.append(FieldError(field=field, message=message).model_dump())
    return result


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(400, "bad_request", "The request body is not valid JSON")
    details = field_errors(errors)
    if len(details) == 1:
        first = details[0]
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    else:
        message = f"{len(details)} fields are not valid"
    return error_response(422, "validation_error", message, details)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def allowed_methods(request: Request) -> list[str]:
    """Every method the requested path takes, over all its routes (RFC 9110 §10.2.1: ``Allow``
    lists them all; Starlette's 405 names only those of the first route that matched). Read
    from the app's OpenAPI paths, so Allow says what the schema says."""
    table: list[tuple[re.Pattern[str], int, frozenset[str]]] | None = getattr(
        request.app.state, "lucy_allow_table", None
    )
    if table is None:
        table = [
            (
                re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))),
                sum(1 for part in path.split("/") if part and not part.startswith("{")),
                frozenset(method.upper() for method in operations),
            )
            for path, operations in request.app.openapi().get("paths", {}).items()
        ]
        request.app.state.lucy_allow_table = table
    matching = [
        (literal, verbs) for pattern, literal, verbs in table if pattern.fullmatch(request.url.path)
    ]
    # The path's own template wins, as in routing: /documents/send is not /documents/{id}.
    best = max((literal for literal, _ in matching), default=0)
    methods = {verb for literal, verbs in matching if literal == best for verb in verbs}
    return sorted(methods)  # no HEAD: the API does not answer it


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 405:
        methods = allowed_methods(request)
        return error_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed here; allowed: {', '.join(methods)}",
            None,
            {**(exc.headers or {}), "Allow": ", ".join(methods)},
        )
    code = _HTTP_CODES.get(status, "server_error" if status >= 500 else "error")
    if status == 404:
        message = "Not found"
    elif isinstance(exc.detail, str):
        message = exc.detail
    else:
        message = "Request failed"
    return error_response(status, code, message, None, exc.headers)


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error: %s", type(exc).__name__, exc_info=exc)
    return error_response(500, "server_error", "The server failed to handle the request")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
