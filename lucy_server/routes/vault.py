"""The client's vault: a shared store of files (tax files, reports, ...)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from sqlalchemy import delete, select

from lucy_server import audit, db
from lucy_server.auth import CurrentStaff
from lucy_server.errors import ApiError, field_error, not_found
from lucy_server.paging import Paging, paged_list
from lucy_server.params import PathId
from lucy_server.responses import CLIENT_DELETE, CLIENT_POST, CLIENT_READ
from lucy_server.state import get_state
from lucy_server.visibility import possible_id, visible_client
from lucy_tui.api.models import (
    VAULT_CONTENT_TYPES,
    VAULT_MAGIC,
    VAULT_MAX_BYTES,
    AuditKind,
    Page,
    VaultCategory,
    VaultFile,
)
from lucy_tui.api.validation import vault_file_name

router = APIRouter()
_v = db.vault_files

_FORM_ESCAPE = re.compile(r"%([01][0-9A-Fa-f]|22|7[Ff])")

_VAULT_COLUMNS = (
    _v.c.id,
    _v.c.name,
    _v.c.category,
    _v.c.size,
    _v.c.content_type,
    _v.c.uploaded_by,
    _v.c.uploaded_at,
)


def safe_file_name(raw: str | None) -> str:
    """The base name of an uploaded file, or ValueError when it cannot be made safe."""
    # browsers and httpx percent-escape '"' and control characters in a multipart file
    # name (WHATWG): undo exactly those escapes, so control characters are seen and refused
    name = _FORM_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw or "")
    name = name.replace("\\", "/")
    return vault_file_name(PurePosixPath(name).name if name else "")


def file_type(name: str, head: bytes) -> str:
    """The content type of an allowed file, or ValueError."""
    suffix = PurePosixPath(name).suffix.lower()
    content_type = VAULT_CONTENT_TYPES.get(suffix)
    if content_type is None:
        allowed = ", ".join(sorted({s.lstrip(".") for s in VAULT_CONTENT_TYPES}))
        raise ValueError(f"Files of this type cannot go in the vault; allowed: {allowed}")
    magic = VAULT_MAGIC.get(suffix)
    if magic and not any(head.startswith(m) for m in magic):
        raise ValueError(f"The file is not a real {suffix.lstrip('.').upper()} file")
    return content_type


@router.get("/clients/{client_id}/vault", response_model=Page[VaultFile], responses=CLIENT_READ)
def list_vault(
    client_id: PathId, principal: CurrentStaff, paging: Paging, request: Request
) -> dict[str, Any]:
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        rows = conn.execute(
            select(*_VAULT_COLUMNS)
            .where(_v.c.client_id == client_id)
            .order_by(_v.c.uploaded_at.desc(), _v.c.id.desc())
        ).all()
    return paged_list(paging, [row._asdict() for row in rows])


@router.post(
    "/clients/{client_id}/vault",
    status_code=201,
    response_model=VaultFile,
    responses=CLIENT_POST,
)
def upload_vault_file(
    client_id: PathId,
    principal: CurrentStaff,
    request: Request,
    response: Response,
    file: Annotated[UploadFile, File()],
    category: Annotated[VaultCategory, Form()] = VaultCategory.OTHER,
) -> dict[str, Any]:
    state = get_state(request)
    with db.read_tx(state.engine) as conn:
        visible_client(conn, principal, client_id)
    try:
        name = safe_file_name(file.filename)
    except ValueError as exc:
        raise field_error("file", str(exc)) from None
    content = file.file.read(VAULT_MAX_BYTES + 1)
    if len(content) > VAULT_MAX_BYTES:
        raise ApiError(
            413,
            "too_large",
            f"The file is larger than {VAULT_MAX_BYTES // (1024 * 1024)} MB",
            {"max_bytes": VAULT_MAX_BYTES},
        )
    if not content:
        raise field_error("file", "The file is empty")
    try:
        content_type = file_type(name, content[:16])
    except ValueError as exc:
        raise field_error("file", str(exc)) from None
    now = state.now()
    with db.write_tx(state.engine) as conn:
        visible_client(conn, principal, client_id, lock=True)
        file_id = db.inserted_id(
            conn.execute(
                _v.insert().values(
                    client_id=client_id,
                    name=name,
                    category=category.value,
                    size=len(content),
                    content_type=content_type,
                    uploaded_by=principal.name,
                    uploaded_at=now,
                    content=content,
                )
            )
        )
        row = conn.execute(select(*_VAULT_COLUMNS).where(_v.c.id == file_id)).one()
        uploaded = {
            "file_id": file_id,
            "name": name,
            "category": category.value,
            "size": len(content),
            "content_type": content_type,
        }
        audit.record(conn, principal, AuditKind.VAULT_UPLOADED, client_id, None, uploaded, now=now)
    response.headers["Location"] = f"/api/v1/clients/{client_id}/vault/{file_id}"
    return row._asdict()


def content_disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "'")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get(
    "/clients/{client_id}/vault/{file_id}",
    response_class=Response,
    responses={
        # the file as stored, with the content type its name gave it at upload
        200: {
            "description": "The file",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in sorted(set(VAULT_CONTENT_TYPES.values()))
            },
        },
        **CLIENT_READ,
    },
)
def download_vault_file(
    client_id: PathId, file_id: PathId, principal: CurrentStaff, request: Request
) -> Response:
    with db.read_tx(get_state(request).engine) as conn:
        visible_client(conn, principal, client_id)
        if not possible_id(file_id):
            raise not_found("File")
        row = conn.execute(
            select(_v.c.name, _v.c.content_type, _v.c.content).where(
                _v.c.id == file_id, _v.c.client_id == client_id
            )
        ).first()
    if row is None:
        raise not_found("File")
    return Response(
        content=row.content,
        media_type=row.content_type,
        headers={
            "Content-Disposition": content_disposition(row.name),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.delete(
    "/clients/{client_id}/vault/{file_id}",
    status_code=204,
    response_class=Response,
    responses=CLIENT_DELETE,
)
def delete_vault_file(
    client_id: PathId, file_id: PathId, principal: CurrentStaff, request: Request
) -> Response:
    state = get_state(request)
    with db.write_tx(state.engine) as conn:
        visible_client(conn, principal, client_id, lock=True)
        if not possible_id(file_id):
            raise not_found("File")
        gone = conn.execute(
            select(_v.c.id, _v.c.name, _v.c.category, _v.c.size).where(
                _v.c.id == file_id, _v.c.client_id == client_id
            )
        ).first()
        if gone is None:
            raise not_found("File")
        conn.execute(delete(_v).where(_v.c.id == file_id, _v.c.client_id == client_id))
        removed = {
            "file_id": gone.id,
            "name": gone.name,
            "category": gone.category,
            "size": gone.size,
        }
        audit.record(
            conn, principal, AuditKind.VAULT_DELETED, client_id, removed, None, now=state.now()
        )
    return Response(status_code=204)
