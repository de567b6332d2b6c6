"""Paging parameters shared by every list endpoint (``?page=1&page_size=100``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query

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
