"""The user's settings (lucy_tui.config): config.toml plus the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from lucy_tui import local_files
from lucy_tui.config import CONFIG_FILE, Settings, load_settings


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
    assert load_settings(tmp_path).keys == {"clients.favourite": "f"}


def test_keys_that_are_not_a_table_are_ignored(tmp_path: Path) -> None:
    write_config(tmp_path, 'keys = "f"\ntheme = "nord"')
    settings = load_settings(tmp_path)
    assert settings.keys == {}
    assert settings.theme == "nord"


def test_unknown_settings_are_ignored(tmp_path: Path) -> None:
    write_config(tmp_path, 'colour = "red"\n[extra]\na = 1\n')
    assert load_settings(tmp_path) == Settings()


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
