"""The user's settings: one typed model, filled from four layers, the first that has a value wins.

* ``server``: ``--server URL``, else ``LUCY_SERVER``, else ``server = "https://..."`` in the
  file, else none (the embedded demo firm);
* ``theme``: ``LUCY_THEME``, else ``theme = "nord"``, else Textual's default theme;
* ``keys``: ``LUCY_KEYS__<ID>``, else the file's ``[keys]`` table, else the app's own keys.

```toml
server = "https://lucy.example.be"   # omit for the embedded demo firm
theme = "textual-dark"
[keys]                               # binding id = keys, e.g. to remap the favourite key
"clients.favourite" = "f,*"
```

``LUCY_KEYS__<ID>`` names one binding id with its dots written as ``__``, in any case:
``LUCY_KEYS__CLIENTS__FAVOURITE=f,*`` remaps ``clients.favourite`` (and
``LUCY_KEYS__INVOICE_SETTINGS__SAVE`` ``invoice_settings.save``). Keys merge id by id: the
environment overrides one binding and the file's others still apply. An empty variable
counts as unset.

Nothing read is trusted. The file goes through ``load_local`` (a damaged one is set aside
with a notice); then every value, from every layer, is checked on its own against the model:
a bad one is reported (where it is, what is wrong with it, what is used instead) and the
next layer's value is used, so a typo in the theme keeps the server. Settings in the file
that lucy-tui does not know are reported too. All of it goes in ``Settings.notice``, which
the app shows once; ``load_settings`` never raises.

Why a plain dataclass checked value by value, and not pydantic-settings (nor pydantic: the
settings are read before the first paint, which imports no pydantic): the file must be read
by ``load_local`` (size cap, no blocking on a pipe, set aside when damaged), not by a
settings source of its own;
pydantic-settings validates the merged layers at once and raises on the first bad value,
where a bad value here must fall back to the next layer's and say so, which needs each layer
checked before the merge; binding ids have dots, which no shell can put in a variable name;
and a ``BaseSettings()`` reads the environment each time it is built, where ``Settings()``
is the plain defaults the app, the benchmarks and the tests build. With the file source,
the env source's names and the merge all replaced, what would be left is a prefix lookup.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lucy_tui.local.local_files import Damaged, load_local, toml_document
from lucy_tui.safe_text import printable

CONFIG_FILE = "config.toml"
ENV_PREFIX = "LUCY_"
ENV_KEYS_PREFIX = "LUCY_KEYS__"

# Every binding id a user can remap, by area. tests/unit/test_config.py checks this against
# the ids of every Binding in lucy_tui, so a new binding id fails the tests until it is
# added here (screens are imported lazily, so the running app cannot gather them itself).
BINDING_IDS: frozenset[str] = frozenset(
    {
        "app.help",
        "app.quit",
        "audit.back",
        "audit.down",
        "audit.export",
        "audit.filter",
        "audit.first",
        "audit.last",
        "audit.open",
        "audit.refresh",
        "audit.up",
        "banking.copy_iban",
        "clients.down",
        "clients.export",
        "clients.failed",
        "clients.favourite",
        "clients.filter",
        "clients.first",
        "clients.invite",
        "clients.last",
        "clients.new",
        "clients.numbers",
        "clients.open",
        "clients.peppol",
        "clients.refresh",
        "clients.sort",
        "clients.up",
        "detail.back",
        "detail.favourite",
        "detail.history",
        "detail.refresh",
        "documents.clear",
        "documents.down",
        "documents.filter",
        "documents.first",
        "documents.last",
        "documents.open",
        "documents.resend",
        "documents.select",
        "documents.select_failed",
        "documents.select_shown",
        "documents.send",
        "documents.sort",
        "documents.up",
        "failed.back",
        "failed.document",
        "failed.down",
        "failed.filter",
        "failed.first",
        "failed.group",
        "failed.last",
        "failed.open",
        "failed.refresh",
        "failed.resend",
        "failed.select_reason",
        "failed.sort",
        "failed.up",
        "integrations.link",
        "integrations.unlink",
        "invoice_settings.save",
        "overview.contact",
        "overview.copy",
        "overview.hide",
        "overview.plan_teams",
        "overview.receiving",
        "overview.recheck",
        "overview.senders",
        "overview.sending",
        "readiness.back",
        "readiness.both",
        "readiness.clear",
        "readiness.down",
        "readiness.filter",
        "readiness.first",
        "readiness.last",
        "readiness.receiving",
        "readiness.recheck",
        "readiness.refresh",
        "readiness.select",
        "readiness.select_shown",
        "readiness.sending",
        "readiness.up",
        "users.add",
        "users.remove",
        "vault.delete",
        "vault.download",
        "vault.upload",
    }
)

MAX_SHOWN = 60  # characters of a bad value quoted in a notice


@dataclass(frozen=True)
class Settings:
    """What the user chose; ``Settings()`` is the defaults. Built by ``load_settings``,
    which checks every value (:func:`_check`); a plain dataclass, so that reading the
    settings costs no pydantic before the first paint."""

    server: str | None = None  # None: the embedded demo firm
    theme: str | None = None  # None: Textual's default theme
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> keys
    notice: str | None = None  # what was wrong with the settings, to show once

    def __post_init__(self) -> None:
        """Built directly, bad values are refused (``ValueError``) as ``load_settings``
        refuses them; keys are kept as ``load_settings`` keeps them (without spaces)."""
        for name in ("server", "theme"):
            value = getattr(self, name)
            if value is not None:
                _check(name, value)
        keys = {}
        for binding_id, key_list in self.keys.items():
            if binding_id not in BINDING_IDS:
                raise _Refused(_unknown_binding(binding_id), with_value=False)
            keys[binding_id] = _check("keys", key_list)
        object.__setattr__(self, "keys", keys)


class _Refused(ValueError):
    """A setting's value is refused: ``problem`` says why (after its subject)."""

    def __init__(self, problem: str, *, with_value: bool) -> None:
        super().__init__(problem)
        self.problem = problem
        self.with_value = with_value  # the notice may quote the value


def _check(name: str, value: object) -> str:
    """``value`` as the setting ``name`` keeps it (keys without spaces), or ``_Refused``."""
    if not isinstance(value, str):  # a number, a list or a table where text belongs
        raise _Refused(f"is {_kind(value)}, not text", with_value=False)
    if name == "server":
        problem = server_problem(value)
    elif name == "theme":
        problem = theme_problem(value)
    else:
        value, problem = _key_list(value)
    if problem:
        raise _Refused(problem, with_value=problem != SERVER_CREDENTIALS)
    return value


# --- the checks, one value at a time ----------------------------------------------------------


def server_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a server address ("does not start with ..."), or None."""
    if any(char.isspace() for char in value) or printable(value) != value:
        return "has a space or control character in it"
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        return "has a port that is not a number from 1 to 65535"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not value.lower().startswith(f"{scheme}://"):
        return "does not start with https:// (or http://)"
    if parts.username is not None or parts.password is not None:
        return SERVER_CREDENTIALS
    if not parts.hostname:
        return "has no host name"
    if port == 0:
        return "has a port that is not a number from 1 to 65535"
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        return "has a ?query or #fragment, which a server address does not"
    return None


SERVER_EXAMPLE = (
    "A server address looks like https://lucy.your-firm.be "
    "(or http://127.0.0.1:8765 for a lucy-server on this machine)."
)


def server_refusal(value: str) -> str | None:
    """Why ``value`` is not taken as a server address, said to the user, or None."""
    problem = server_problem(value)
    if problem is None:
        return None
    shown = "The address" if problem == SERVER_CREDENTIALS else repr(printable(value))
    return f"{shown} {problem}. {SERVER_EXAMPLE}"


SERVER_CREDENTIALS = (
    "has a user name or password in it, which settings do not keep (sign in in the app)"
)


def theme_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a theme name, or None."""
    from textual.theme import BUILTIN_THEMES  # Textual is loaded by safe_text already

    if value in BUILTIN_THEMES:
        return None
    return f"is not a Textual theme{_did_you_mean(value, BUILTIN_THEMES)}"


def _unknown_binding(binding_id: str) -> str:
    return f"is not a key binding of lucy-tui{_did_you_mean(binding_id, BINDING_IDS)}"


def _key_list(value: str) -> tuple[str, str | None]:
    """The keys as Textual reads them (comma-separated, no spaces), and what is wrong."""
    keys = [key.strip() for key in value.split(",")]
    if not any(keys):
        return value, "has no key in it"
    if not all(keys):
        return value, "has an empty key between its commas"
    if any(printable(key) != key or any(char.isspace() for char in key) for key in keys):
        return value, "has a key with a space or control character in it"
    return ",".join(keys), None


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {_quoted(close[0])}?)" if close else ""


# --- the layers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Given:
    """One value for one setting, as one layer gave it."""

    value: object
    source: str  # where it was read: "--server", "LUCY_THEME", "config.toml"
    name: str  # how it is written there: "--server", "LUCY_THEME", "theme", '[keys] "app.quit"'

    def subject(self, *, with_value: bool) -> str:
        if self.source == CONFIG_FILE:
            shown = f" = {_shown(self.value)}" if with_value else ""
            return f"{CONFIG_FILE}: {self.name}{shown}"
        between = "=" if self.name.startswith(ENV_PREFIX) else " "
        return f"{self.name}{between}{_shown(self.value)}" if with_value else self.name


_INSTEAD = {
    "server": "the embedded demo firm is opened instead",
    "theme": "the default theme is used instead",
    "keys": "the default keys are used instead",
}
_FILE_SETTINGS = ("server", "theme", "keys")


def load_settings(
    config_dir: Path,
    *,
    server: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The settings from ``server`` (the command line), the environment, then config.toml.

    Never raises: a damaged file is set aside, a bad value gives way to the next layer's,
    and each is said in ``notice``. ``environ`` defaults to ``os.environ``.
    """
    env = os.environ if environ is None else environ
    loaded = load_local(
        config_dir / CONFIG_FILE,
        _read_config,
        label="Your config file",
        consequence="defaults are used",
    )
    data = loaded.value or {}
    said: list[str] = [loaded.notice] if loaded.notice else []
    unknown = sorted(name for name in data if name not in _FILE_SETTINGS)
    if unknown:
        said.append(_unknown_settings(unknown))

    def given(*layers: tuple[object, str, str]) -> list[_Given]:
        return [_Given(*layer) for layer in layers if layer[0] not in (None, "")]

    chosen_server = _pick(
        "server",
        given(
            (server, "--server", "--server"),
            (env.get("LUCY_SERVER"), "LUCY_SERVER", "LUCY_SERVER"),
            (data.get("server"), CONFIG_FILE, "server"),
        ),
        said,
    )
    chosen_theme = _pick(
        "theme",
        given(
            (env.get("LUCY_THEME"), "LUCY_THEME", "LUCY_THEME"),
            (data.get("theme"), CONFIG_FILE, "theme"),
        ),
        said,
    )

    file_keys = data.get("keys", {})
    if not isinstance(file_keys, dict):
        said.append(
            f"{CONFIG_FILE}: keys is {_kind(file_keys)}, not a table of binding id = keys; "
            f"{_INSTEAD['keys']}."
        )
        file_keys = {}
    env_keys = _env_keys(env)
    keys: dict[str, str] = {}
    for binding_id in [*env_keys, *(k for k in file_keys if k not in env_keys)]:
        variable, from_env = env_keys.get(binding_id, ("", None))
        layers = given(
            (from_env, variable, variable),
            (file_keys.get(binding_id), CONFIG_FILE, f"[keys] {_quoted(binding_id)}"),
        )
        if binding_id not in BINDING_IDS:
            said += [
                f"{_unknown_subject(layer, binding_id)} {_unknown_binding(binding_id)}; "
                "it is ignored."
                for layer in layers
            ]
            continue
        chosen = _pick("keys", layers, said)
        if chosen is not None:
            keys[binding_id] = chosen

    return Settings(
        server=chosen_server,
        theme=chosen_theme,
        keys=keys,
        notice="\n".join(said) if said else None,
    )


def _pick(name: str, layers: list[_Given], said: list[str]) -> Any:
    """The first layer's value ``_check`` accepts; each refused one is said, with what is used.

    Returns the value as the settings keep it (keys without spaces), or None for the default.
    """
    refused: list[tuple[_Given, str, bool]] = []
    chosen: tuple[_Given, Any] | None = None
    for layer in layers:
        try:
            value = _check(name, layer.value)
        except _Refused as refused_value:
            refused.append((layer, refused_value.problem, refused_value.with_value))
            continue
        if chosen is None:
            chosen = (layer, value)
    for layer, problem, with_value in refused:
        if chosen is None:
            instead = _INSTEAD[name]
        else:
            instead = f"{_shown(chosen[1])} from {chosen[0].source} is used instead"
        said.append(f"{layer.subject(with_value=with_value)} {problem}; {instead}.")
    return None if chosen is None else chosen[1]


def _unknown_subject(layer: _Given, binding_id: str) -> str:
    if layer.source == CONFIG_FILE:
        return layer.subject(with_value=False)
    return f"{layer.name} (binding id {_quoted(binding_id)})"


def _env_keys(env: Mapping[str, str]) -> dict[str, tuple[str, str | None]]:
    """binding id -> (variable, keys) for each non-empty ``LUCY_KEYS__<ID>``, by name."""
    found: dict[str, tuple[str, str | None]] = {}
    for variable, value in sorted(env.items()):
        if variable.upper().startswith(ENV_KEYS_PREFIX) and value:
            binding_id = variable[len(ENV_KEYS_PREFIX) :].lower().replace("__", ".")
            found[binding_id] = (variable, value)
    return found


def _unknown_settings(names: list[str]) -> str:
    listed = ", ".join(_quoted(name) + _did_you_mean(name, _FILE_SETTINGS) for name in names)
    if len(names) == 1:
        return (
            f"{CONFIG_FILE}: {listed} is not a setting of lucy-tui (server, theme and [keys] "
            "are); it is ignored."
        )
    return (
        f"{CONFIG_FILE}: {listed} are not settings of lucy-tui (server, theme and [keys] "
        "are); they are ignored."
    )


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, str):
        return "text"
    return "a date or time"  # the only other values TOML has


def _shown(value: object) -> str:
    return _quoted(value) if isinstance(value, str) else _kind(value)


def _quoted(text: str) -> str:
    shown = printable(text)
    if len(shown) > MAX_SHOWN:
        shown = shown[: MAX_SHOWN - 1] + "…"
    return f'"{shown}"'


def _read_config(raw: bytes) -> dict[str, Any]:
    data = toml_document(raw)
    if not isinstance(data, dict):  # tomllib always gives a table; kept for the type
        raise Damaged("it is not a TOML table")
    return data
