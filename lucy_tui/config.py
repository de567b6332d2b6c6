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
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lucy_tui.atomic import set_aside

CONFIG_FILE = "config.toml"


@dataclass
class Settings:
    server: str | None = None
    theme: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    notice: str | None = None  # what went wrong reading the file, to show once


def load_settings(config_dir: Path) -> Settings:
    """Read config.toml; a broken file is set aside and reported, never fatal."""
    settings = Settings()
    path = config_dir / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        data = {}
        try:
            moved = set_aside(path)
            settings.notice = (
                f"Your config file could not be read ({exc}); it was set aside as "
                f"{moved.name} and defaults are used."
            )
        except OSError:
            settings.notice = f"Your config file could not be read ({exc}); defaults are used."
    server, theme, keys = data.get("server"), data.get("theme"), data.get("keys", {})
    settings.server = server if isinstance(server, str) and server else None
    settings.theme = theme if isinstance(theme, str) and theme else None
    if isinstance(keys, dict):
        settings.keys = {str(k): str(v) for k, v in keys.items() if isinstance(v, str)}
    settings.server = os.environ.get("LUCY_SERVER") or settings.server
    return settings
