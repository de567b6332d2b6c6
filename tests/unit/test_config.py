"""The user's settings (lucy_tui.local.config): config.toml plus the environment."""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import pytest

import lucy_tui
from lucy_tui.local import local_files
from lucy_tui.local.config import BINDING_IDS, CONFIG_FILE, Settings, load_settings


@pytest.fixture(autouse=True)
def no_lucy_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own LUCY_THEME or LUCY_KEYS__* must not reach these tests."""
    for name in list(os.environ):
        if name.upper() in ("LUCY_SERVER", "LUCY_THEME") or name.upper().startswith("LUCY_KEYS"):
            monkeypatch.delenv(name)


def write_config(config_dir: Path, content: str | bytes) -> Path:
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / CONFIG_FILE
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "config")
    assert settings == Settings()
    assert settings.server is None
    assert settings.theme is None
    assert settings.keys == {}
    assert settings.notice is None


def test_a_valid_file_is_read(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        """
server = "https://lucy.example.be"   # a real backend
theme = "textual-dark"

[keys]
"clients.favourite" = "f,*"
"clients.export" = "ctrl+e"
""",
    )
    settings = load_settings(tmp_path)
    assert settings.server == "https://lucy.example.be"
    assert settings.theme == "textual-dark"
    assert settings.keys == {"clients.favourite": "f,*", "clients.export": "ctrl+e"}
    assert settings.notice is None


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    write_config(tmp_path, "")
    assert load_settings(tmp_path) == Settings()


@pytest.mark.parametrize(
    "content",
    [
        'server = ""\ntheme = ""',
        "server = 42\ntheme = true",
        'server = ["https://a.be"]\ntheme = {name = "dark"}',
    ],
)
def test_empty_or_mistyped_values_are_ignored(tmp_path: Path, content: str) -> None:
    write_config(tmp_path, content)
    settings = load_settings(tmp_path)
    assert settings.server is None
    assert settings.theme is None


def test_an_empty_value_means_unset_and_is_not_reported(tmp_path: Path) -> None:
    write_config(tmp_path, 'server = ""\ntheme = ""')
    assert load_settings(tmp_path) == Settings()


def test_mistyped_values_are_reported_with_what_is_used_instead(tmp_path: Path) -> None:
    write_config(tmp_path, 'server = 42\ntheme = {name = "dark"}')
    assert load_settings(tmp_path).notice == (
        "config.toml: server is a number, not text; the embedded demo firm is opened instead.\n"
        "config.toml: theme is a table, not text; the default theme is used instead."
    )


def test_keys_that_are_not_text_are_dropped(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        """
[keys]
"clients.favourite" = "f"
"clients.new" = 5
"clients.sort" = ["s"]
""",
    )
    settings = load_settings(tmp_path)
    assert settings.keys == {"clients.favourite": "f"}
    assert settings.notice == (
        'config.toml: [keys] "clients.new" is a number, not text; the default keys are used '
        "instead.\n"
        'config.toml: [keys] "clients.sort" is a list, not text; the default keys are used '
        "instead."
    )


def test_keys_that_are_not_a_table_are_ignored(tmp_path: Path) -> None:
    write_config(tmp_path, 'keys = "f"\ntheme = "nord"')
    settings = load_settings(tmp_path)
    assert settings.keys == {}
    assert settings.theme == "nord"
    assert settings.notice == (
        "config.toml: keys is text, not a table of binding id = keys; the default keys are "
        "used instead."
    )


def test_unknown_settings_are_reported_and_ignored(tmp_path: Path) -> None:
    write_config(tmp_path, 'colour = "red"\n[extra]\na = 1\n')
    settings = load_settings(tmp_path)
    assert replace(settings, notice=None) == Settings()
    assert settings.notice == (
        'config.toml: "colour", "extra" are not settings of lucy-tui (server, theme and [keys] '
        "are); they are ignored."
    )


def test_an_unknown_setting_close_to_a_known_one_is_named(tmp_path: Path) -> None:
    write_config(tmp_path, 'them = "nord"\nserver = "https://file.example.be"')
    settings = load_settings(tmp_path)
    assert settings.server == "https://file.example.be"  # the rest of the file applies
    assert settings.theme is None
    assert settings.notice == (
        'config.toml: "them" (did you mean "theme"?) is not a setting of lucy-tui (server, '
        "theme and [keys] are); it is ignored."
    )


# --- LUCY_SERVER ------------------------------------------------------------------------------


def test_lucy_server_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, 'server = "https://file.example.be"\ntheme = "nord"')
    monkeypatch.setenv("LUCY_SERVER", "https://env.example.be")
    settings = load_settings(tmp_path)
    assert settings.server == "https://env.example.be"
    assert settings.theme == "nord"  # the rest of the file still applies


def test_lucy_server_applies_without_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUCY_SERVER", "https://env.example.be")
    assert load_settings(tmp_path / "none").server == "https://env.example.be"


def test_an_empty_lucy_server_does_not_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, 'server = "https://file.example.be"')
    monkeypatch.setenv("LUCY_SERVER", "")
    assert load_settings(tmp_path).server == "https://file.example.be"


def test_without_lucy_server_the_file_decides(tmp_path: Path) -> None:
    write_config(tmp_path, 'server = "https://file.example.be"')
    assert load_settings(tmp_path).server == "https://file.example.be"


# --- broken files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "server = ",
        "[keys\n",
        'server = "a"\nserver = "b"',  # a duplicate key
        b"server = '\xff\xfe'",  # not UTF-8
    ],
)
def test_a_broken_file_is_set_aside_and_reported(tmp_path: Path, content: str | bytes) -> None:
    path = write_config(tmp_path, content)
    settings = load_settings(tmp_path)
    aside = tmp_path / (CONFIG_FILE + ".corrupt")
    assert not path.exists()
    expected = content if isinstance(content, bytes) else content.encode()
    assert aside.read_bytes() == expected  # nothing the user wrote is lost
    assert settings.notice is not None
    assert "config.toml.corrupt" in settings.notice
    assert "defaults are used" in settings.notice
    assert (settings.server, settings.theme, settings.keys) == (None, None, {})


def test_a_broken_file_still_honours_lucy_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, "server = ")
    monkeypatch.setenv("LUCY_SERVER", "https://env.example.be")
    settings = load_settings(tmp_path)
    assert settings.server == "https://env.example.be"
    assert settings.notice is not None


def test_a_second_broken_file_is_set_aside_beside_the_first(tmp_path: Path) -> None:
    write_config(tmp_path, "first = ")
    load_settings(tmp_path)
    write_config(tmp_path, "second = ")
    settings = load_settings(tmp_path)
    assert (tmp_path / "config.toml.corrupt").read_text() == "first = "
    assert (tmp_path / "config.toml.corrupt2").read_text() == "second = "
    assert settings.notice is not None and "config.toml.corrupt2" in settings.notice


def test_after_setting_aside_the_next_start_is_clean(tmp_path: Path) -> None:
    write_config(tmp_path, "server = ")
    assert load_settings(tmp_path).notice is not None
    again = load_settings(tmp_path)
    assert again.notice is None
    assert again == Settings()


def test_a_broken_file_that_cannot_be_moved_is_still_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, "server = ")

    def cannot_move(target: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(local_files, "set_aside", cannot_move)
    settings = load_settings(tmp_path)
    assert path.exists()
    assert settings.notice is not None
    assert settings.notice == (
        f"Your config file {path} was damaged (Invalid value (at end of document)) and "
        "could not be set aside (Permission denied): defaults are used."
    )


def test_an_unreadable_config_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).mkdir()  # a directory: reading raises IsADirectoryError
    settings = load_settings(tmp_path)
    assert settings.notice is not None
    assert settings.server is None


# --- the environment: LUCY_THEME and LUCY_KEYS__<ID> -----------------------------------------


def test_lucy_theme_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, 'theme = "nord"\nserver = "https://file.example.be"')
    monkeypatch.setenv("LUCY_THEME", "gruvbox")
    settings = load_settings(tmp_path)
    assert settings.theme == "gruvbox"
    assert settings.server == "https://file.example.be"
    assert settings.notice is None


def test_an_empty_lucy_theme_does_not_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, 'theme = "nord"')
    monkeypatch.setenv("LUCY_THEME", "")
    assert load_settings(tmp_path).theme == "nord"


def test_lucy_keys_override_one_binding_and_the_file_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, '[keys]\n"clients.favourite" = "f"\n"clients.export" = "ctrl+e"\n')
    monkeypatch.setenv("LUCY_KEYS__CLIENTS__FAVOURITE", "asterisk")
    monkeypatch.setenv("LUCY_KEYS__INVOICE_SETTINGS__SAVE", "ctrl+s")
    settings = load_settings(tmp_path)
    assert settings.keys == {
        "clients.favourite": "asterisk",
        "clients.export": "ctrl+e",
        "invoice_settings.save": "ctrl+s",
    }
    assert settings.notice is None


@pytest.mark.parametrize(
    "variable",
    [
        "LUCY_KEYS__CLIENTS__FAVOURITE",
        "LUCY_KEYS__clients__favourite",
        "LUCY_KEYS__clients.favourite",
    ],
)
def test_a_lucy_keys_variable_names_its_binding_in_any_case(tmp_path: Path, variable: str) -> None:
    settings = load_settings(tmp_path, environ={variable: "f,*"})
    assert settings.keys == {"clients.favourite": "f,*"}


def test_every_binding_id_can_be_written_as_a_variable() -> None:
    for binding_id in BINDING_IDS:
        variable = "LUCY_KEYS__" + binding_id.upper().replace(".", "__")
        assert load_settings(Path("/nonexistent"), environ={variable: "x"}).keys == {
            binding_id: "x"
        }


def test_the_environment_is_read_from_environ_when_given(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path, environ={"LUCY_SERVER": "https://env.example.be", "LUCY_THEME": "nord"}
    )
    assert (settings.server, settings.theme) == ("https://env.example.be", "nord")


def test_a_broken_file_still_honours_the_environment(tmp_path: Path) -> None:
    write_config(tmp_path, "theme = ")
    settings = load_settings(
        tmp_path, environ={"LUCY_THEME": "nord", "LUCY_KEYS__APP__QUIT": "ctrl+x"}
    )
    assert (settings.theme, settings.keys) == ("nord", {"app.quit": "ctrl+x"})
    assert settings.notice is not None and "set aside" in settings.notice


# --- precedence: command line > environment > config.toml > default --------------------------


@pytest.mark.parametrize(
    ("flag", "env", "file", "expected"),
    [
        ("https://flag.be", "https://env.be", "https://file.be", "https://flag.be"),
        (None, "https://env.be", "https://file.be", "https://env.be"),
        (None, None, "https://file.be", "https://file.be"),
        (None, None, None, None),
        ("https://flag.be", None, "https://file.be", "https://flag.be"),
        ("", "https://env.be", None, "https://env.be"),  # an empty flag is no flag
    ],
)
def test_server_precedence(
    tmp_path: Path, flag: str | None, env: str | None, file: str | None, expected: str | None
) -> None:
    if file is not None:
        write_config(tmp_path, f'server = "{file}"')
    environ = {"LUCY_SERVER": env} if env is not None else {}
    settings = load_settings(tmp_path, server=flag, environ=environ)
    assert settings.server == expected
    assert settings.notice is None


@pytest.mark.parametrize(
    ("env", "file", "expected"),
    [("gruvbox", "nord", "gruvbox"), (None, "nord", "nord"), (None, None, None)],
)
def test_theme_precedence(
    tmp_path: Path, env: str | None, file: str | None, expected: str | None
) -> None:
    if file is not None:
        write_config(tmp_path, f'theme = "{file}"')
    environ = {"LUCY_THEME": env} if env is not None else {}
    assert load_settings(tmp_path, environ=environ).theme == expected


# --- bad values: what is wrong, and what is used instead --------------------------------------


@pytest.mark.parametrize(
    ("server", "problem"),
    [
        ("lucy.example.be", "does not start with https:// (or http://)"),
        ("ftp://lucy.example.be", "does not start with https:// (or http://)"),
        ("https:lucy.example.be", "does not start with https:// (or http://)"),
        ("https://", "has no host name"),
        ("https://:8443", "has no host name"),
        ("https://lucy.example.be:99999", "has a port that is not a number from 1 to 65535"),
        ("https://lucy.example.be:http", "has a port that is not a number from 1 to 65535"),
        ("https://lucy.example.be:0", "has a port that is not a number from 1 to 65535"),
        ("https://lucy example.be", "has a space or control character in it"),
        ("https://lucy.example.be\x1b[2J", "has a space or control character in it"),
        (
            "https://lucy.example.be/?x=1",
            "has a ?query or #fragment, which a server address does not",
        ),
        (
            "https://lucy.example.be#top",
            "has a ?query or #fragment, which a server address does not",
        ),
    ],
)
def test_a_malformed_server_is_reported_and_the_default_used(
    tmp_path: Path, server: str, problem: str
) -> None:
    settings = load_settings(tmp_path, environ={"LUCY_SERVER": server})
    assert settings.server is None
    assert settings.notice is not None
    assert settings.notice.startswith("LUCY_SERVER=")
    assert settings.notice.endswith(f" {problem}; the embedded demo firm is opened instead.")
    assert "\x1b" not in settings.notice


@pytest.mark.parametrize(
    "server",
    [
        "https://lucy.example.be",
        "http://localhost:8000",
        "https://lucy.example.be/api/",
        "http://[::1]:8000",
        "HTTPS://LUCY.EXAMPLE.BE",
    ],
)
def test_a_well_formed_server_is_taken(tmp_path: Path, server: str) -> None:
    settings = load_settings(tmp_path, environ={"LUCY_SERVER": server})
    assert (settings.server, settings.notice) == (server, None)


def test_a_bad_lucy_server_gives_way_to_the_file(tmp_path: Path) -> None:
    write_config(tmp_path, 'server = "https://file.example.be"')
    settings = load_settings(tmp_path, environ={"LUCY_SERVER": "lucy.example.be"})
    assert settings.server == "https://file.example.be"
    assert settings.notice == (
        'LUCY_SERVER="lucy.example.be" does not start with https:// (or http://); '
        '"https://file.example.be" from config.toml is used instead.'
    )


def test_a_bad_flag_gives_way_to_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path, server="lucy.example.be", environ={"LUCY_SERVER": "https://env.example.be"}
    )
    assert settings.server == "https://env.example.be"
    assert settings.notice == (
        '--server "lucy.example.be" does not start with https:// (or http://); '
        '"https://env.example.be" from LUCY_SERVER is used instead.'
    )


def test_a_server_with_a_password_is_refused_without_showing_it(tmp_path: Path) -> None:
    write_config(tmp_path, 'server = "https://me:hunter2@lucy.example.be"')
    settings = load_settings(tmp_path)
    assert settings.server is None
    assert settings.notice == (
        "config.toml: server has a user name or password in it, which settings do not keep "
        "(sign in in the app); the embedded demo firm is opened instead."
    )


def test_a_bad_value_lower_down_is_still_reported(tmp_path: Path) -> None:
    write_config(tmp_path, 'server = "lucy.example.be"')
    settings = load_settings(tmp_path, environ={"LUCY_SERVER": "https://env.example.be"})
    assert settings.server == "https://env.example.be"
    assert settings.notice == (
        'config.toml: server = "lucy.example.be" does not start with https:// (or http://); '
        '"https://env.example.be" from LUCY_SERVER is used instead.'
    )


def test_an_unknown_theme_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    write_config(tmp_path, 'theme = "nrod"\nserver = "https://file.example.be"')
    settings = load_settings(tmp_path)
    assert (settings.theme, settings.server) == (None, "https://file.example.be")
    assert settings.notice == (
        'config.toml: theme = "nrod" is not a Textual theme (did you mean "nord"?); the default '
        "theme is used instead."
    )


def test_an_unknown_lucy_theme_gives_way_to_the_file(tmp_path: Path) -> None:
    write_config(tmp_path, 'theme = "nord"')
    settings = load_settings(tmp_path, environ={"LUCY_THEME": "papaya"})
    assert settings.theme == "nord"
    assert settings.notice == (
        'LUCY_THEME="papaya" is not a Textual theme; "nord" from config.toml is used instead.'
    )


def test_an_unknown_binding_id_is_reported_and_ignored(tmp_path: Path) -> None:
    write_config(tmp_path, '[keys]\n"clients.favorite" = "f"\n"app.quit" = "ctrl+x"\n')
    settings = load_settings(tmp_path, environ={"LUCY_KEYS__NOPE": "n"})
    assert settings.keys == {"app.quit": "ctrl+x"}
    assert settings.notice == (
        'LUCY_KEYS__NOPE (binding id "nope") is not a key binding of lucy-tui; it is ignored.\n'
        'config.toml: [keys] "clients.favorite" is not a key binding of lucy-tui (did you mean '
        '"clients.favourite"?); it is ignored.'
    )


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        (",", "has no key in it"),
        (" ", "has no key in it"),
        ("f,,*", "has an empty key between its commas"),
        ("ctrl + e", "has a key with a space or control character in it"),
    ],
)
def test_bad_keys_give_way_to_the_next_layer_or_the_default(
    tmp_path: Path, keys: str, problem: str
) -> None:
    write_config(tmp_path, '[keys]\n"clients.favourite" = "asterisk"\n')
    settings = load_settings(tmp_path, environ={"LUCY_KEYS__CLIENTS__FAVOURITE": keys})
    assert settings.keys == {"clients.favourite": "asterisk"}
    assert settings.notice == (
        f'LUCY_KEYS__CLIENTS__FAVOURITE="{keys}" {problem}; "asterisk" from config.toml is '
        "used instead."
    )
    write_config(tmp_path, "")
    settings = load_settings(tmp_path, environ={"LUCY_KEYS__CLIENTS__FAVOURITE": keys})
    assert settings.keys == {}
    assert settings.notice is not None
    assert settings.notice.endswith("; the default keys are used instead.")


def test_spaces_around_keys_are_dropped(tmp_path: Path) -> None:
    write_config(tmp_path, '[keys]\n"clients.favourite" = " f , asterisk "\n')
    settings = load_settings(tmp_path)
    assert settings.keys == {"clients.favourite": "f,asterisk"}  # as Textual reads them
    assert settings.notice is None


def test_a_long_bad_value_is_cut_short_in_the_notice(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={"LUCY_THEME": "x" * 5000})
    assert settings.notice is not None
    assert len(settings.notice) < 200
    assert '"' + "x" * 59 + '…"' in settings.notice


def test_every_problem_is_said_in_one_notice(tmp_path: Path) -> None:
    write_config(tmp_path, 'server = 1\ntheme = "nrod"\ncolour = "red"\n')
    settings = load_settings(tmp_path, environ={"LUCY_KEYS__NOPE": "n"})
    assert settings.notice is not None
    assert len(settings.notice.splitlines()) == 4
    assert replace(settings, notice=None) == Settings()


@pytest.mark.parametrize(
    "content",
    [
        "server = 1979-05-27T07:32:00Z\ntheme = 1.5",
        "theme = inf\nserver = nan",
        "[[keys]]\na = 1",
        '[keys.clients]\nfavourite = "f"',
        "server = [[1], {a = 2}]",
        "keys = []\nserver = true\ntheme = 12:00:00",
    ],
)
def test_any_toml_value_is_reported_never_raised(tmp_path: Path, content: str) -> None:
    write_config(tmp_path, content)
    settings = load_settings(tmp_path)
    assert replace(settings, notice=None) == Settings()
    assert settings.notice is not None


# --- the model --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"server": "lucy.example.be"},
        {"server": 42},
        {"theme": "papaya"},
        {"keys": {"nope": "n"}},
        {"keys": {"app.quit": ""}},
        {"colour": "red"},
    ],
)
def test_the_model_refuses_bad_values_built_directly(values: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):  # TypeError: a setting it does not have
        Settings(**values)  # type: ignore[arg-type]


def test_the_model_is_frozen() -> None:
    settings = Settings(theme="nord")
    with pytest.raises(FrozenInstanceError):
        settings.theme = "gruvbox"  # type: ignore[misc]


def _bindings_in_the_package() -> Iterator[str]:
    from textual.binding import Binding
    from textual.dom import DOMNode

    for module in pkgutil.walk_packages(lucy_tui.__path__, "lucy_tui."):
        importlib.import_module(module.name)
    seen: set[type[DOMNode]] = set()
    todo: list[type[DOMNode]] = [DOMNode]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    for cls in seen:
        if cls.__module__.startswith("lucy_tui."):
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding) and binding.id:
                    yield binding.id


def test_binding_ids_are_every_binding_id_in_the_app() -> None:
    """A new binding id must be added to lucy_tui.local.config.BINDING_IDS to be remappable."""
    in_code = set(_bindings_in_the_package())
    assert sorted(in_code - BINDING_IDS) == [], (
        "add these to BINDING_IDS in lucy_tui/local/config.py"
    )
    assert sorted(BINDING_IDS - in_code) == [], "no binding has these ids any more"
    for binding_id in BINDING_IDS:  # LUCY_KEYS__<ID> can only name ids of this shape
        assert binding_id == binding_id.lower() and "__" not in binding_id, binding_id
