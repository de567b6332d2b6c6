"""Favourite clients on disk (lucy_tui.local.favourites)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from lucy_tui.local import local_files
from lucy_tui.local.favourites import FavouritesStore

SERVER = "https://lucy.example.be"
USER = "eline@firm.be"


def store(tmp_path: Path, server: str = SERVER, user: str = USER) -> FavouritesStore:
    return FavouritesStore(tmp_path / "data", server, user)


def test_no_file_means_no_favourites_and_no_notice(tmp_path: Path) -> None:
    favs = store(tmp_path)
    assert favs.load() == set()
    assert favs.notice is None
    assert not favs.path.exists()


def test_save_then_load_round_trips_in_a_new_store(tmp_path: Path) -> None:
    store(tmp_path).save({30, 4, 17})
    again = store(tmp_path)
    assert again.load() == {4, 17, 30}
    assert again.notice is None


def test_saving_an_empty_set_clears_the_favourites(tmp_path: Path) -> None:
    favs = store(tmp_path)
    favs.save({1, 2})
    favs.save(set())
    assert store(tmp_path).load() == set()


def test_the_file_lives_in_the_data_dir_and_names_server_and_user(tmp_path: Path) -> None:
    favs = store(tmp_path)
    favs.save({3, 1, 2})
    assert favs.path.parent == tmp_path / "data" / "favourites"
    assert favs.path.suffix == ".json"
    assert len(favs.path.stem) == 16
    int(favs.path.stem, 16)  # a hex digest: no e-mail address or URL in the file name
    assert json.loads(favs.path.read_text(encoding="utf-8")) == {
        "server": SERVER,
        "user": USER,
        "clients": [1, 2, 3],
    }


def test_the_file_is_private(tmp_path: Path) -> None:
    favs = store(tmp_path)
    favs.save({1})
    assert stat.S_IMODE(favs.path.stat().st_mode) == 0o600


def test_each_server_and_user_has_its_own_favourites(tmp_path: Path) -> None:
    store(tmp_path, SERVER, "eline@firm.be").save({1})
    store(tmp_path, SERVER, "jan@firm.be").save({2})
    store(tmp_path, "https://other.example.be", "eline@firm.be").save({3})
    assert store(tmp_path, SERVER, "eline@firm.be").load() == {1}
    assert store(tmp_path, SERVER, "jan@firm.be").load() == {2}
    assert store(tmp_path, "https://other.example.be", "eline@firm.be").load() == {3}
    assert len(set((tmp_path / "data" / "favourites").iterdir())) == 3


def test_server_and_user_cannot_be_confused_by_concatenation(tmp_path: Path) -> None:
    a = store(tmp_path, "https://a.be", "b@c.be")
    b = store(tmp_path, "https://a.beb", "@c.be")
    assert a.path != b.path


def test_save_creates_the_data_dir(tmp_path: Path) -> None:
    favs = FavouritesStore(tmp_path / "deep" / "er" / "data", SERVER, USER)
    favs.save({5})
    assert favs.load() == {5}


def test_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    favs = store(tmp_path)
    favs.save({1})
    favs.save({1, 2})
    assert [p.name for p in favs.path.parent.iterdir()] == [favs.path.name]


def test_a_failed_save_keeps_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    favs = store(tmp_path)
    favs.save({1, 2})

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        favs.save({9})
    monkeypatch.undo()
    assert store(tmp_path).load() == {1, 2}
    assert [p.name for p in favs.path.parent.iterdir()] == [favs.path.name]


def test_save_into_an_unusable_data_dir_raises_oserror(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")  # root ignores permissions; a file blocks anyone
    favs = FavouritesStore(blocker, SERVER, USER)
    with pytest.raises(OSError):
        favs.save({1})


# --- damaged files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "",
        "[1, 2, 3]",
        "{}",
        '{"clients": "1,2"}',
        '{"clients": [1, "2"]}',
        '{"clients": [1.5]}',
        '{"clients": null}',
        '{"clients": {"1": true}}',
        "null",
        '"clients"',
        "42",
    ],
)
def test_a_damaged_file_is_set_aside_and_reported(tmp_path: Path, content: str) -> None:
    favs = store(tmp_path)
    favs.path.parent.mkdir(parents=True)
    favs.path.write_text(content, encoding="utf-8")

    assert favs.load() == set()

    aside = favs.path.with_name(favs.path.name + ".corrupt")
    assert not favs.path.exists()
    assert aside.read_text(encoding="utf-8") == content  # kept for the user
    assert favs.notice is not None
    assert aside.name in favs.notice
    assert "damaged" in favs.notice


def test_after_a_damaged_file_favourites_can_be_saved_again(tmp_path: Path) -> None:
    favs = store(tmp_path)
    favs.path.parent.mkdir(parents=True)
    favs.path.write_text("{oops", encoding="utf-8")
    assert favs.load() == set()
    favs.save({8})
    assert store(tmp_path).load() == {8}


def test_a_second_damaged_file_does_not_overwrite_the_first(tmp_path: Path) -> None:
    favs = store(tmp_path)
    favs.path.parent.mkdir(parents=True)
    favs.path.write_text("first", encoding="utf-8")
    favs.load()
    favs.path.write_text("second", encoding="utf-8")
    second = store(tmp_path)
    assert second.load() == set()
    assert favs.path.with_name(favs.path.name + ".corrupt").read_text() == "first"
    assert favs.path.with_name(favs.path.name + ".corrupt2").read_text() == "second"
    assert second.notice is not None and ".corrupt2" in second.notice


def test_a_damaged_file_that_cannot_be_moved_is_still_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    favs = store(tmp_path)
    favs.path.parent.mkdir(parents=True)
    favs.path.write_text("{oops", encoding="utf-8")

    def cannot_move(path: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(local_files, "set_aside", cannot_move)
    assert favs.load() == set()
    assert favs.notice == (
        f"Your favourites file {favs.path} was damaged (Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1)) and could not be set aside (Permission "
        "denied): favourites start empty."
    )
    assert favs.path.exists()


def test_an_unreadable_file_is_reported_not_raised(tmp_path: Path) -> None:
    favs = store(tmp_path)
    favs.path.mkdir(parents=True)  # a directory where the file should be: reading fails
    assert favs.load() == set()
    assert favs.notice == (
        f"Your favourites file {favs.path} could not be read (it is not a regular file): "
        "favourites start empty."
    )
    assert favs.path.is_dir()  # not ours to move


def test_a_file_that_is_not_utf8_is_set_aside_not_raised(tmp_path: Path) -> None:
    favs = store(tmp_path)
    favs.path.parent.mkdir(parents=True)
    favs.path.write_bytes(b'{"clients": [1]}\xff\xfe')
    assert favs.load() == set()
    assert favs.notice is not None
    assert favs.path.with_name(favs.path.name + ".corrupt").exists()
