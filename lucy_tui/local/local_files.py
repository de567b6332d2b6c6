"""Reading the app's own small files: the config, favourites, tokens and the list snapshot.

Nothing in them is trusted: another program, a sync tool, a full disk or a curious user may
have left anything there. ``load_local`` reads one such file, parses it and checks its
shape in one place, and never raises for what it finds:

* no file: nothing, quietly;
* a file that cannot be opened at all (permissions, a folder or a pipe in its place): left
  where it is, with a notice;
* a file that opens but is not what it should be (not UTF-8, not TOML or JSON, nested too
  deeply to parse, larger than its cap, the wrong shape, a symbolic link where none is
  followed): set aside as ``<name>.corrupt`` (``.corrupt2``...), so nothing the user wrote
  is lost and the next start is clean, with a notice.

The caller shows the notice once and carries on with its defaults.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from lucy_tui.local.atomic import set_aside
from lucy_tui.safe_text import printable

T = TypeVar("T")

MAX_BYTES = 1024 * 1024  # far above any config, token or last-users file the app writes
MAX_REASON = 200  # characters of a parser's message kept in a notice

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a named pipe in the file's place must not hang
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class Damaged(ValueError):
    """Raised by a shape check: the file parsed, but is not what this file holds."""


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """What ``load_local`` found: ``value`` is None when there was nothing usable."""

    value: T | None = None
    notice: str | None = None  # what went wrong, for the user; None when nothing did
    set_aside_as: Path | None = None  # where a damaged file went
    unreadable: bool = False  # the file could not be opened at all, and was left alone


def json_document(raw: bytes) -> Any:
    """Strict UTF-8 JSON (``json.loads`` would also guess UTF-16 and UTF-32 from bytes)."""
    return json.loads(raw.decode("utf-8"))


def toml_document(raw: bytes) -> dict[str, Any]:
    return tomllib.loads(raw.decode("utf-8"))


def load_local(
    path: Path,
    read: Callable[[bytes], T],
    *,
    label: str,
    consequence: str,
    max_bytes: int = MAX_BYTES,
    follow_symlinks: bool = True,
) -> Loaded[T]:
    """Read ``path`` and turn its bytes into a value with ``read`` (parse and shape check).

    ``read`` signals bad content by raising ``ValueError`` (``Damaged``, a decode or parse
    error) or ``RecursionError``. ``label`` names the file in notices ("Your config
    file"); ``consequence`` says what happens instead ("defaults are used"). Without
    ``follow_symlinks`` a symbolic link in the file's place is set aside, never read.
    """
    try:
        raw = _read_capped(path, max_bytes, follow_symlinks=follow_symlinks)
    except FileNotFoundError:
        return Loaded()
    except _Refused as refused:
        return _set_aside(path, refused.reason, label=label, consequence=consequence)
    except (OSError, _Unreadable) as exc:
        reason = exc.reason if isinstance(exc, _Unreadable) else printable(exc.strerror or exc)
        return Loaded(
            notice=f"{label} {printable(path)} could not be read ({reason}): {consequence}.",
            unreadable=True,
        )
    try:
        value = read(raw)
    except RecursionError:
        reason = "it is nested too deeply"
    except UnicodeDecodeError as exc:
        reason = f"it is not UTF-8 text at byte {exc.start + 1}"
    except (ValueError, TypeError, KeyError) as exc:  # Damaged and parse errors included
        reason = _short(exc)
    else:
        return Loaded(value)
    return _set_aside(path, reason, label=label, consequence=consequence)


class _Unreadable(Exception):
    """Something is in the file's place that cannot be read as a file: left alone."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Refused(_Unreadable):
    """The file is there but is not one to parse (too large, a link): set it aside."""


_LINK = "it is a symbolic link, which is not followed"


def _read_capped(path: Path, max_bytes: int, *, follow_symlinks: bool) -> bytes:
    """At most ``max_bytes`` of a regular file, opened without blocking or following links."""
    if not follow_symlinks and stat.S_ISLNK(os.lstat(path).st_mode):
        raise _Refused(_LINK)
    flags = os.O_RDONLY | _O_NONBLOCK | _O_CLOEXEC | (0 if follow_symlinks else _O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError:
        if not follow_symlinks and os.path.islink(path):  # it became a link meanwhile
            raise _Refused(_LINK) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _Unreadable("it is not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > max_bytes:
        raise _Refused(f"it is larger than {_size(max_bytes)}")
    return b"".join(chunks)


def _set_aside(path: Path, reason: str, *, label: str, consequence: str) -> Loaded[Any]:
    try:
        moved = set_aside(path)
    except OSError as exc:
        why = printable(exc.strerror or exc)
        return Loaded(
            notice=(
                f"{label} {printable(path)} was damaged ({reason}) and could not be set "
                f"aside ({why}): {consequence}."
            )
        )
    return Loaded(
        notice=f"{label} was damaged ({reason}) and was set aside as {printable(moved)}: "
        f"{consequence}.",
        set_aside_as=moved,
    )


def _short(exc: BaseException) -> str:
    """A parser's message as one short line (pydantic's span several, with the input)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):  # a pydantic ValidationError: its first problem says enough
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            text = f"{where}: {first['msg']}" if where else str(first["msg"])
        except (IndexError, KeyError, TypeError):
            text = type(exc).__name__
    else:
        text = str(exc) or type(exc).__name__
    text = printable(" ".join(text.split()))
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _size(count: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale and count % scale == 0:
            return f"{count // scale:,} {unit}"
    return f"{count:,} bytes"
