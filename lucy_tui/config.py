"""The user's settings: a TOML file in the config dir, overridden by the environment.

```toml
server = "https://lucy.example.be"   # omit for the embedded demo firm
theme = "textual-dark"
[keys]                               # binding id = keys, e.g. to remap the favourite key
"clients.favourite" = "f,*"
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lucy_tui.local_files import Damaged, load_local, toml_document

CONFIG_FILE = "config.toml"


@dataclass
class Settings:
    server: str | None = None
    theme: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    notice: str | None = None  # what went wrong reading the file, to show once


def load_settings(config_dir: Path) -> Settings:
    """Read config.toml; a broken file is set aside and reported, never fatal.

    Settings of the wrong type are ignored one by one: a typo in the theme keeps the
    server. Only a file that is not TOML at all is set aside.
    """
    loaded = load_local(
        config_dir / CONFIG_FILE,
        _read_config,
        label="Your config file",
        consequence="defaults are used",
    )
    data = loaded.value or {}
    settings = Settings(notice=loaded.notice)
    server, theme, keys = data.get("server"), data.get("theme"), data.get("keys", {})
    settings.server = server if isinstance(server, str) and server else None
    settings.theme = theme if isinstance(theme, str) and theme else None
    if isinstance(keys, dict):
        settings.keys = {str(k): v for k, v in keys.items() if isinstance(v, str)}
    settings.server = os.environ.get("LUCY_SERVER") or settings.server
    return settings


def _read_config(raw: bytes) -> dict[str, Any]:
    data = toml_document(raw)
    if not isinstance(data, dict):  # tomllib always gives a table; kept for the type
        raise Damaged("it is not a TOML table")
    return data
