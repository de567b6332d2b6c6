"""Refuse request bodies that announce more than the API accepts (413), before parsing."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from lucy_server.errors import error_response
from lucy_tui.api.models import VAULT_MAX_BYTES

MULTIPART_OVERHEAD = 64 * 1024
MAX_UPLOAD_BODY = VAULT_MAX_BYTES + MULTIPART_OVERHEAD
MAX_JSON_BODY = 2 * 1024 * 1024


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = Headers(scope=scope)
            length = headers.get("content-length")
            is_upload = headers.get("content-type", "").startswith("multipart/")
            limit = MAX_UPLOAD_BODY if is_upload else MAX_JSON_BODY
            if length is not None and length.isdigit() and int(length) > limit:
                what = "file" if is_upload else "request body"
                response = error_response(
                    413,
                    "too_large",
                    f"The {what} is larger than the server accepts ({limit // (1024 * 1024)} MB)",
                    {"max_bytes": VAULT_MAX_BYTES if is_upload else MAX_JSON_BODY},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
