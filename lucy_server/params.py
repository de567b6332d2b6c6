"""Numbers that come in as text (path ids, query numbers, ``If-Match`` versions): ASCII digits only.

``str.isdigit()`` and ``int()`` read far more than ``0-9``: ``'²'.isdigit()`` is true while
``int('²')`` fails, ``int('١٢')`` is 12 (Arabic-Indic digits), and pydantic's integers take
``' 1 '``, ``'+1'``, ``'1_000'`` and ``'1.0'``. A number in a URL or a header is written with
the digits 0 to 9 and nothing else; everything else is refused here, before any conversion.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator

from lucy_tui.api.models import MAX_ID

ASCII_DIGITS = re.compile(r"[0-9]+")
# An id longer than this names nothing (MAX_ID has 16 digits); it is not converted at all.
MAX_ID_DIGITS = 20
NOT_DIGITS = "must be a whole number written with the digits 0-9"


def ascii_number(text: str, max_digits: int) -> int | None:
    """``text`` as a number when it is 1 to ``max_digits`` ASCII digits, else None."""
    if len(text) > max_digits or not ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def _strict_int(value: object) -> object:
    if isinstance(value, str):
        if not ASCII_DIGITS.fullmatch(value):
            raise ValueError(NOT_DIGITS)
        if len(value) > MAX_ID_DIGITS:
            return MAX_ID + 1  # past every id: answered as unknown, never converted
        return int(value)
    return value


StrictInt = BeforeValidator(_strict_int)

PathId = Annotated[int, Path(ge=1), StrictInt]  # Path first: FastAPI then writes "minimum"
"""A row id in a path: ``0-9`` only; an id that cannot exist answers 404 like an unknown one."""


__all__ = ["ASCII_DIGITS", "NOT_DIGITS", "PathId", "StrictInt", "ascii_number"]
