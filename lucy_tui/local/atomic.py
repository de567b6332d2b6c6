"""Write a file so that a crash never leaves it half-written."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str, *, mode: int = 0o600) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_aside(path: Path) -> Path:
    """Move a file that could not be read out of the way, keeping it for the user."""
    target = path.with_name(f"{path.name}.corrupt")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt{counter}")
    os.replace(path, target)
    return target


def write_bytes_atomic(path: Path, content: bytes, *, overwrite: bool) -> None:
    """Write beside ``path`` then move into place, so a crash never leaves half a file.

    Without ``overwrite`` an existing file is never replaced (FileExistsError), even one
    that appeared after the user was asked. A new file is readable by the user only: vault
    files are tax returns and the like.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        if overwrite and path.exists():  # a replaced file keeps its permissions
            os.fchmod(fd, stat.S_IMODE(path.stat().st_mode))
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)  # fails when the name is taken: no silent replace
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system (FAT, some shares)
            if path.exists():
                raise FileExistsError(path) from None
            os.replace(tmp, path)
        else:
            os.unlink(tmp)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
