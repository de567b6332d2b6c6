"""Where lucy-tui keeps its files: platformdirs, each overridable from the environment."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

APP_NAME = "lucy-tui"


def config_dir() -> Path:
    """Config (config.toml, the fallback token file): ``LUCY_CONFIG_DIR`` wins."""
    override = os.environ.get("LUCY_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """Data (favourites, the embedded demo database): ``LUCY_DATA_DIR`` wins."""
    override = os.environ.get("LUCY_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def documents_dir() -> Path:
    """Where exports go by default: the user's documents folder, else home."""
    from platformdirs import user_documents_path

    try:
        path = user_documents_path()
    except Exception:  # platformdirs may fail to resolve it on odd systems
        return Path.home()
    return path if path.is_dir() else Path.home()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the user only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def make_private(directory: Path) -> bool:
    """Make ``directory`` itself readable by the user only; never the target of a link.

    A config dir that is a symbolic link (to a dotfiles checkout, a synced folder) is left
    as it is: its target is the user's to set, and changing it could lock out whatever
    else lives there. The files written inside are private on their own (0600). Returns
    whether the mode was set.
    """
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    if not hasattr(os, "fchmod") or not getattr(os, "O_NOFOLLOW", 0):
        return False  # no way to change a mode without following links here (Windows)
    try:
        fd = os.open(directory, flags)
    except OSError as exc:
        # O_NOFOLLOW refuses a link: ENOTDIR beside O_DIRECTORY on Linux, else ELOOP (EMLINK
        # on FreeBSD). Anything else (not there, not a folder) is the caller's to hear.
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR) and directory.is_symlink():
            return False
        raise
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != 0o700:
            os.fchmod(fd, 0o700)
    finally:
        os.close(fd)
    return True
