"""Where lucy-tui keeps its files: platformdirs, each overridable from the environment."""

from __future__ import annotations

import os
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
