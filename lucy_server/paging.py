"""Paging parameters shared by every list endpoint: ``?page=1&page_size=100`` for the small
lists, and the keyset cursor (``after=``) of the big ones (:class:`Order`, :class:`Window`),
in one place so that every list that pages by a cursor does it alike."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, Date, Integer, String, and_, literal, or_, tuple_

from lucy_server.errors import ApiError
from lucy_server.params import StrictInt
from lucy_tui.api.models import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def slice(self, items: Sequence[T]) -> list[T]:
        return list(items[self.offset : self.offset + self.page_size])

    def page_of(self, items: Sequence[Any], total: int | None = None) -> dict[str, Any]:
        return {
            "items": items,
            "total": len(items) if total is None else total,
            "page": self.page,
            "page_size": self.page_size,
        }


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000), StrictInt] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE), StrictInt] = DEFAULT_PAGE_SIZE,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


Paging = Annotated[PageParams, Depends(page_params)]


def paged_list(paging: PageParams, items: Sequence[Any]) -> dict[str, Any]:
    """A page of an in-memory list (small lists: staff, teams, users, vault ...)."""
    return paging.page_of(paging.slice(items), total=len(items))


# --- keyset paging (``after=``) ---------------------------------------------------------------
#
# The big lists (clients, a client's documents, the firm's documents) page by a cursor: the
# last row's sort key and id, so that the next page starts in the index where the last one
# ended. A page costs the same at row 49,500 as at row 0, and a row added or removed
# meanwhile neither shifts nor repeats the rows after it. ``page=`` still works (an offset).

CURSOR_PREFIX = "k1."
MAX_CURSOR_LENGTH = 1000


@dataclass(frozen=True)
class SortKey:
    """One column of an order: NOT NULL, and the last one of an order is unique (the id)."""

    column: ColumnElement[Any]
    name: str  # the row's field that holds it (a label of the page's query)
    descending: bool = False


@dataclass(frozen=True)
class Order:
    """A list's order, by name (``name``: the sort a cursor was made for)."""

    name: str
    keys: tuple[SortKey, ...]

    def order_by(self) -> list[ColumnElement[Any]]:
        return [k.column.desc() if k.descending else k.column.asc() for k in self.keys]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """Rows after the row whose sort key is ``values``, in this order.

        One direction: a row-value comparison, ``(a, id) > (:a, :id)``, which SQLite and
        PostgreSQL both answer with a range scan of the index. Mixed directions: the
        expansion ``a > :a OR (a = :a AND id < :id)``."""
        keys = self.keys
        if len({k.descending for k in keys}) == 1:
            left = tuple_(*(k.column for k in keys))
            right = tuple_(*(literal(v, k.column.type) for k, v in zip(keys, values, strict=True)))
            return left < right if keys[0].descending else left > right
        alternatives = []
        for i, key in enumerate(keys):
            equal = [k.column == v for k, v in zip(keys[:i], values[:i], strict=True)]
            beyond = key.column < values[i] if key.descending else key.column > values[i]
            alternatives.append(and_(*equal, beyond))
        return or_(*alternatives)

    def key_of(self, row: Mapping[str, Any]) -> list[Any]:
        return [row[k.name] for k in self.keys]


def _to_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _from_json(value: Any, column: ColumnElement[Any]) -> Any:
    """A cursor's value as the column's Python type; ValueError when it is not one."""
    kind = column.type
    if isinstance(kind, Date):
        if not isinstance(value, str):
            raise ValueError("not a date")
        return date.fromisoformat(value)
    if isinstance(kind, Integer):
        # within a 64-bit SQL integer: a larger one would fail in the database, not here
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
            raise ValueError("not a number")
        return value
    if isinstance(kind, String):
        # no NUL: PostgreSQL refuses it in a text, SQLite cuts the text there
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError("not a text")
        return value
    raise ValueError(f"no cursor value for {kind}")  # pragma: no cover - orders are fixed


def _cursor_error(code: str, message: str) -> ApiError:
    return ApiError(422, code, message, [{"field": "after", "message": message}])


def list_fingerprint(order: Order, filters: Mapping[str, Any]) -> str:
    """What a cursor is valid for: the order and every filter (None: not filtered)."""
    parts = [order.name] + [
        f"{name}={_to_json(value)!s}"
        for name, value in sorted(filters.items())
        if value is not None
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Window:
    """Where a page starts: after a cursor's row (``where``) or at an offset (``page=``)."""

    order: Order
    fingerprint: str
    page: int
    page_size: int
    offset: int
    where: tuple[ColumnElement[bool], ...]
    state: Mapping[str, Any]  # what the first page of a walk put in its cursors

    @property
    def first(self) -> bool:
        """The walk's first page (no ``after=``; ``page=1`` or none)."""
        return not self.state and self.page == 1

    @property
    def limit(self) -> int:
        """Rows to ask for: one more than a page tells whether another page follows."""
        return self.page_size + 1

    def cursor(self, row: Mapping[str, Any], state: Mapping[str, Any] | None = None) -> str:
        payload = {
            "o": self.order.name,
            "f": self.fingerprint,
            "k": [_to_json(v) for v in self.order.key_of(row)],
            "p": self.page,
            "x": dict(state if state is not None else self.state),
        }
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def page_of(
        self,
        rows: Sequence[Mapping[str, Any]],
        total: int,
        state: Mapping[str, Any] | None = None,
        drop: Sequence[str] = (),
    ) -> dict[str, Any]:
        """The answer: at most ``page_size`` rows, and ``next`` when more follow.

        ``rows`` were asked with :attr:`limit`; ``state`` is carried in every later cursor
        of the walk (the first page's change number, for one); ``drop``: fields of the rows
        that only the cursor needs (a sort key the answer does not show)."""
        items = list(rows[: self.page_size])
        more = len(rows) > self.page_size
        after = self.cursor(items[-1], state) if more and items else None
        if drop:
            for item in items:
                for name in drop:
                    item.pop(name, None)  # type: ignore[attr-defined]
        return {
            "items": items,
            "total": total,
            "page": self.page,
            "page_size": self.page_size,
            "next": after,
        }


@dataclass(frozen=True)
class KeysetParams:
    page: int | None
    page_size: int
    after: str | None

    def window(self, order: Order, filters: Mapping[str, Any]) -> Window:
        """The page asked for, in ``order``, for these filters (a cursor made for another
        order or other filters is refused: 422 ``cursor_mismatch``)."""
        fingerprint = list_fingerprint(order, filters)
        if self.after is None:
            page = self.page or 1
            offset = (page - 1) * self.page_size
            return Window(order, fingerprint, page, self.page_size, offset, (), {})
        payload = _decode_cursor(self.after)
        if payload.get("o") != order.name or payload.get("f") != fingerprint:
            raise _cursor_error(
                "cursor_mismatch",
                "This after= cursor was made for another list, sort or filter: ask for the "
                "first page again (without after=) with these parameters",
            )
        try:
            raw_key, page, state = payload["k"], payload["p"], payload["x"]
            if not (isinstance(raw_key, list) and len(raw_key) == len(order.keys)):
                raise ValueError("wrong key")
            if not isinstance(page, int) or not 1 <= page < 1_000_000:
                raise ValueError("wrong page")
            if not isinstance(state, dict):
                raise ValueError("wrong state")
            values = [_from_json(v, k.column) for v, k in zip(raw_key, order.keys, strict=True)]
        except (KeyError, ValueError, TypeError):
            raise _invalid_cursor() from None
        return Window(
            order, fingerprint, page + 1, self.page_size, 0, (order.after(values),), state
        )


def _invalid_cursor() -> ApiError:
    return _cursor_error(
        "invalid_cursor", "after= is not a cursor this server gave (a page's 'next')"
    )


def _decode_cursor(text: str) -> dict[str, Any]:
    if not text.startswith(CURSOR_PREFIX) or len(text) > MAX_CURSOR_LENGTH:
        raise _invalid_cursor()
    body = text[len(CURSOR_PREFIX) :]
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid_cursor() from None
    if not isinstance(payload, dict):
        raise _invalid_cursor()
    return payload


def keyset_params(
    page: Annotated[
        int | None,
        Query(ge=1, le=1_000_000, description="Page number (an offset); not with after="),
        StrictInt,
    ] = None,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE), StrictInt] = DEFAULT_PAGE_SIZE,
    after: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            description=(
                "The previous page's `next`: the page after its last row (same order and "
                "filters). Opaque; refused (422 cursor_mismatch) with other filters."
            ),
        ),
    ] = None,
) -> KeysetParams:
    if page is not None and after is not None:
        raise _cursor_error("validation_error", "Give page= or after=, not both")
    return KeysetParams(page=page, page_size=page_size, after=after)


KeysetPaging = Annotated[KeysetParams, Depends(keyset_params)]
