"""Refuse request bodies larger than the API accepts (413).

A body that announces its size (``Content-Length``) is refused before it is read. A body sent
without one (chunked) is counted as it arrives and refused as soon as it passes the limit, so
no endpoint ever reads (or spools to disk) more than the limit.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lucy_server.errors import error_response
from lucy_server.params import ascii_number
from lucy_tui.api.models import VAULT_MAX_BYTES

MULTIPART_OVERHEAD = 64 * 1024
MAX_UPLOAD_BODY = VAULT_MAX_BYTES + MULTIPART_OVERHEAD
MAX_JSON_BODY = 2 * 1024 * 1024
_UPLOAD_PATH = re.compile(r".*/clients/[^/]+/vault/?")


def is_upload(path: str) -> bool:
    """Whether ``path`` takes a file (the vault's upload); every other body is JSON."""
    return _UPLOAD_PATH.fullmatch(path) is not None


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        upload = is_upload(scope["path"])
        limit = MAX_UPLOAD_BODY if upload else MAX_JSON_BODY
        what = "file" if upload else "request body"
        message = f"The {what} is larger than the server accepts ({limit // (1024 * 1024)} MB)"
        length = Headers(scope=scope).get("content-length")
        if length is not None and ascii_number(length.strip(" \t"), 30) is None:
            response = error_response(400, "bad_request", "Content-Length must be digits 0-9")
            await response(scope, receive, send)
            return
        if length is not None and int(length) > limit:
            max_bytes = VAULT_MAX_BYTES if upload else MAX_JSON_BODY
            response = error_response(413, "too_large", message, {"max_bytes": max_bytes})
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    # FastAPI lets an HTTPException raised while it reads the body through,
                    # so the error handlers answer it like any other 413
                    raise HTTPException(413, message)
            return event

        await self.app(scope, counted, send)
