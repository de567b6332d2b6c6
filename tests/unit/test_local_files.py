"""Reading the app's own files (lucy_tui.local.local_files): whatever is in them, nothing raises.

The loader itself first, then each file that goes through it (config, favourites, tokens,
last users, the list snapshot) with documents built to break a parser: nested a hundred
thousand levels deep, too large, not UTF-8.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend

from lucy_tui.clients.rows import ClientRow
from lucy_tui.local import local_files
from lucy_tui.local.config import CONFIG_FILE, Settings, load_settings
from lucy_tui.local.favourites import FavouritesStore
from lucy_tui.local.list_snapshot import ListSnapshot
from lucy_tui.local.local_files import Damaged, json_document, load_local, toml_document
from lucy_tui.local.tokens import (
    FALLBACK_FILE,
    LAST_USERS_FILE,
    TokenStore,
    last_user,
    remember_user,
)

from .factories import make_client

DEPTH = 100_000
SERVER = "https://lucy.example.be"
USER = "eline@firm.be"

# Deeply nested documents: unclosed, closed, and mixing arrays with tables/objects.
DEEP_JSON = [
    "[" * DEPTH,
    "[" * DEPTH + "]" * DEPTH,
    '{"a":' * DEPTH,
    '{"clients": ' + '{"a": [' * DEPTH,
]
DEEP_TOML = [
    "server = " + "[" * DEPTH,
    "server = " + "[" * DEPTH + "]" * DEPTH,
    "server = " + "{a = " * DEPTH + "1" + "}" * DEPTH,
    "[keys]\n'clients.favourite' = " + "[{b = " * DEPTH,
]


def aside(path: Path) -> Path:
    return path.with_name(path.name + ".corrupt")


def ids(raw: bytes) -> list[int]:
    data = json_document(raw)
    if not isinstance(data, list) or not all(isinstance(i, int) for i in data):
        raise Damaged("it is not a list of numbers")
    return data


def load(path: Path, read: Callable[[bytes], Any] = ids, **kwargs: Any) -> local_files.Loaded:
    return load_local(path, read, label="The test file", consequence="none are used", **kwargs)


# --- the loader -------------------------------------------------------------------------------


def test_no_file_is_nothing_and_no_notice(tmp_path: Path) -> None:
    assert load(tmp_path / "none.json") == local_files.Loaded()


def test_a_good_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    path.write_text("[1, 2, 3]")
    loaded = load(path)
    assert loaded.value == [1, 2, 3] and loaded.notice is None
    assert path.exists()


@pytest.mark.parametrize("content", DEEP_JSON, ids=["open", "closed", "objects", "mixed"])
def test_deeply_nested_json_is_set_aside_not_raised(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ids.json"
    path.write_text(content)
    loaded = load(path)
    assert loaded.value is None
    assert loaded.set_aside_as == aside(path) and aside(path).read_text() == content
    assert not path.exists()
    assert loaded.notice == (
        f"The test file was damaged (it is nested too deeply) and was set aside as "
        f"{aside(path)}: none are used."
    )


@pytest.mark.parametrize("content", DEEP_TOML, ids=["open", "closed", "tables", "mixed"])
def test_deeply_nested_toml_is_set_aside_not_raised(tmp_path: Path, content: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(content)
    loaded = load(path, toml_document)
    assert loaded.value is None
    assert aside(path).read_text() == content
    assert loaded.notice is not None and "(it is nested too deeply)" in loaded.notice


def test_a_file_over_the_cap_is_set_aside_unparsed(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    path.write_text("[" + ", ".join(["1"] * 600) + "]")  # 1,800 bytes of good JSON

    def never(raw: bytes) -> None:
        raise AssertionError("a file over the cap must not be parsed")

    loaded = load(path, never, max_bytes=1024)
    assert loaded.value is None and aside(path).stat().st_size == 1800
    assert loaded.notice == (
        f"The test file was damaged (it is larger than 1 KiB) and was set aside as "
        f"{aside(path)}: none are used."
    )


def test_a_file_exactly_at_the_cap_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    path.write_text("[1" + " " * 1021 + "]")
    assert len(path.read_bytes()) == 1024
    assert load(path, max_bytes=1024).value == [1]


def test_the_default_cap_is_a_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    path.write_text("[" + " " * local_files.MAX_BYTES + "]")
    loaded = load(path)
    assert loaded.notice is not None and "(it is larger than 1 MiB)" in loaded.notice


@pytest.mark.parametrize(
    "content",
    [b"[1, 2]\xff", b"\xfe\xff\x00[\x00]", "[1]".encode("utf-16"), b'["\xed\xa0\x80"]'],
    ids=["stray-byte", "utf16-bom", "utf16", "surrogate"],
)
def test_bytes_that_are_not_utf8_are_set_aside(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ids.json"
    path.write_bytes(content)
    loaded = load(path)
    assert loaded.value is None and aside(path).read_bytes() == content
    assert loaded.notice is not None and "(it is not UTF-8 text at byte " in loaded.notice


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"a": 1}', "it is not a list of numbers"),
        ("[1, ", "Expecting value: line 1 column 5 (char 4)"),
        ("", "Expecting value: line 1 column 1 (char 0)"),
        ("[" + "9" * 5000 + "]", "Exceeds the limit (4300 digits) for integer string"),
    ],
)
def test_bad_content_is_set_aside_with_the_reason(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "ids.json"
    path.write_text(content)
    loaded = load(path)
    assert loaded.value is None and aside(path).read_text() == content
    assert loaded.notice is not None and f"damaged ({reason}" in loaded.notice


def test_control_characters_in_a_reason_are_not_passed_on(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    path.write_text("[]")

    def hostile(raw: bytes) -> None:
        raise Damaged("evil\x1b]52;c;payload\x07 line\nbreak" + "x" * 500)

    notice = load(path, hostile).notice
    assert notice is not None
    assert "\x1b" not in notice and "\x07" not in notice and "\n" not in notice
    assert "evil\N{REPLACEMENT CHARACTER}]52" in notice
    assert len(notice) < 200 + len(str(aside(path))) + 100  # the reason is cut short


def test_a_folder_in_the_files_place_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    path.mkdir()
    loaded = load(path)
    assert loaded.value is None and path.is_dir() and not aside(path).exists()
    assert loaded.notice == (
        f"The test file {path} could not be read (it is not a regular file): none are used."
    )
    assert loaded.unreadable


def test_a_named_pipe_does_not_hang_the_start(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    os.mkfifo(path)  # opening it for reading would wait forever for a writer
    loaded = load(path)
    assert loaded.value is None and not aside(path).exists()
    assert loaded.notice is not None and "(it is not a regular file)" in loaded.notice


def test_a_file_that_cannot_be_opened_is_reported_and_left_alone(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    loaded = load(blocker / "ids.json")
    assert loaded.value is None and blocker.is_file()
    assert loaded.notice == (
        f"The test file {blocker / 'ids.json'} could not be read (Not a directory): none are used."
    )


def test_a_symbolic_link_is_followed_by_default(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "ids.json"
    target.parent.mkdir()
    target.write_text("[7]")
    (tmp_path / "ids.json").symlink_to(target)
    assert load(tmp_path / "ids.json").value == [7]


def test_without_following_links_a_link_is_set_aside_and_its_target_untouched(
    tmp_path: Path,
) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text("[7]")
    link = tmp_path / "ids.json"
    link.symlink_to(target)
    loaded = load(link, follow_symlinks=False)
    assert loaded.value is None
    assert not link.is_symlink() and aside(link).is_symlink()  # the link moved, as a link
    assert target.read_text() == "[7]"
    assert loaded.notice == (
        f"The test file was damaged (it is a symbolic link, which is not followed) and was "
        f"set aside as {aside(link)}: none are used."
    )


def test_a_dangling_link_is_set_aside_too_when_links_are_not_followed(tmp_path: Path) -> None:
    link = tmp_path / "ids.json"
    link.symlink_to(tmp_path / "missing.json")
    assert load(link).notice is None  # followed: simply no file
    assert link.is_symlink()
    loaded = load(link, follow_symlinks=False)
    assert loaded.notice is not None and aside(link).is_symlink()


def test_a_damaged_file_that_cannot_be_moved_is_still_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ids.json"
    path.write_text("[" * DEPTH)

    def cannot_move(target: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(local_files, "set_aside", cannot_move)
    loaded = load(path)
    assert loaded.value is None and path.exists() and loaded.set_aside_as is None
    assert loaded.notice == (
        f"The test file {path} was damaged (it is nested too deeply) and could not be set "
        "aside (Permission denied): none are used."
    )


# --- each file the app keeps --------------------------------------------------------------------


@pytest.mark.parametrize("content", DEEP_TOML, ids=["open", "closed", "tables", "mixed"])
def test_a_deeply_nested_config_gives_the_defaults_and_a_notice(
    tmp_path: Path, content: str
) -> None:
    (tmp_path / CONFIG_FILE).write_text(content)
    settings = load_settings(tmp_path)
    assert (settings.server, settings.theme, settings.keys) == (None, None, {})
    assert settings.notice == (
        f"Your config file was damaged (it is nested too deeply) and was set aside as "
        f"{tmp_path / 'config.toml.corrupt'}: defaults are used."
    )
    assert (tmp_path / "config.toml.corrupt").read_text() == content
    assert load_settings(tmp_path) == Settings()  # the next start is clean


def test_an_oversized_config_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text('theme = "nord"\n' + "# padding\n" * 200_000)
    settings = load_settings(tmp_path)
    assert settings.theme is None
    assert settings.notice is not None and "(it is larger than 1 MiB)" in settings.notice


@pytest.mark.parametrize("content", DEEP_JSON, ids=["open", "closed", "objects", "mixed"])
def test_deeply_nested_favourites_start_empty_with_a_notice(tmp_path: Path, content: str) -> None:
    favs = FavouritesStore(tmp_path, SERVER, USER)
    favs.path.parent.mkdir(parents=True)
    favs.path.write_text(content)
    assert favs.load() == set()
    assert favs.notice == (
        f"Your favourites file was damaged (it is nested too deeply) and was set aside as "
        f"{aside(favs.path)}: favourites start empty."
    )
    favs.save({4})
    assert FavouritesStore(tmp_path, SERVER, USER).load() == {4}


def test_favourites_of_a_very_large_firm_are_not_too_large(tmp_path: Path) -> None:
    favs = FavouritesStore(tmp_path, SERVER, USER)
    favs.save(set(range(1, 200_001)))  # every client of a firm four times the largest
    assert len(favs.load()) == 200_000 and favs.notice is None


@pytest.mark.parametrize("content", DEEP_JSON, ids=["open", "closed", "objects", "mixed"])
def test_a_deeply_nested_token_file_means_signing_in_again(
    no_keyring: KeyringBackend, tmp_path: Path, content: str
) -> None:
    tokens = TokenStore(tmp_path)
    tmp_path.joinpath(FALLBACK_FILE).write_text(content)
    assert tokens.get(SERVER, USER) is None
    assert tokens.notice == (
        f"The token file was damaged (it is nested too deeply) and was set aside as "
        f"{tmp_path / 'tokens.json.corrupt'}: sign in again."
    )
    tokens.set(SERVER, USER, "fresh")
    assert TokenStore(tmp_path).get(SERVER, USER) == "fresh"


@pytest.mark.parametrize("content", DEEP_JSON, ids=["open", "closed", "objects", "mixed"])
def test_a_deeply_nested_last_users_file_is_set_aside(tmp_path: Path, content: str) -> None:
    (tmp_path / LAST_USERS_FILE).write_text(content)
    assert last_user(tmp_path, SERVER) is None
    assert (tmp_path / (LAST_USERS_FILE + ".corrupt")).read_text() == content
    (tmp_path / LAST_USERS_FILE).write_text(content)
    remember_user(tmp_path, SERVER, USER)  # signing in replaces it
    assert last_user(tmp_path, SERVER) == USER


@pytest.mark.parametrize("content", DEEP_JSON, ids=["open", "closed", "objects", "mixed"])
def test_a_deeply_nested_list_snapshot_is_set_aside_with_a_notice(
    tmp_path: Path, content: str
) -> None:
    snapshot = ListSnapshot(tmp_path, "embedded", USER)
    snapshot.path.parent.mkdir(parents=True)
    snapshot.path.write_text(content)
    assert snapshot.load() == []
    assert snapshot.notice is not None
    assert snapshot.notice.startswith("The saved client list was damaged (")
    assert snapshot.notice.endswith(
        f"and was set aside as {aside(snapshot.path)}: the list is loaded afresh."
    )
    assert aside(snapshot.path).read_text() == content
    assert ListSnapshot(tmp_path, "embedded", USER).load() == []  # then simply none


def test_a_list_snapshot_round_trips_and_a_wrong_one_is_set_aside(tmp_path: Path) -> None:
    snapshot = ListSnapshot(tmp_path, "embedded", USER)
    rows = [make_client(1), make_client(2)]
    snapshot.save(rows)
    # read back without pydantic, as the rows the list draws
    assert snapshot.load() == [ClientRow.from_summary(row) for row in rows]
    assert snapshot.notice is None
    snapshot.path.write_text(json.dumps([{"id": "one"}]))
    assert snapshot.load() == []
    assert snapshot.notice is not None
    assert "was damaged (client 0: a client's id is not int)" in snapshot.notice


def test_a_list_snapshot_that_cannot_be_opened_is_not_worth_a_notice(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data dir should be")
    snapshot = ListSnapshot(blocker, "embedded", USER)
    assert snapshot.load() == [] and snapshot.notice is None  # the data dir's error says it
