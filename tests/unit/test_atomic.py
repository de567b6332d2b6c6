"""Crash-safe writes and setting files aside (lucy_tui.local.atomic)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lucy_tui.local.atomic import set_aside, write_atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_creates_the_file_and_its_parents(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "file.json"
    write_atomic(path, '{"x": 1}')
    assert path.read_text(encoding="utf-8") == '{"x": 1}'


def test_write_atomic_is_private_by_default(tmp_path: Path) -> None:
    path = tmp_path / "file"
    write_atomic(path, "data")
    assert mode(path) == 0o600


@pytest.mark.parametrize("wanted", [0o600, 0o644, 0o640])
def test_write_atomic_sets_the_mode_regardless_of_umask(tmp_path: Path, wanted: int) -> None:
    previous = os.umask(0o077)
    try:
        write_atomic(tmp_path / "file", "data", mode=wanted)
    finally:
        os.umask(previous)
    assert mode(tmp_path / "file") == wanted


def test_write_atomic_replaces_content_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("old content that is longer than the new one")
    os.chmod(path, 0o644)
    write_atomic(path, "new")
    assert path.read_text() == "new"
    assert mode(path) == 0o600


def test_write_atomic_keeps_unicode(tmp_path: Path) -> None:
    text = "Café ★ Ελλάδα — 日本"
    write_atomic(tmp_path / "file", text)
    assert (tmp_path / "file").read_bytes() == text.encode("utf-8")


def test_write_atomic_leaves_no_temporary_file(tmp_path: Path) -> None:
    for content in ("one", "two", "three"):
        write_atomic(tmp_path / "file", content)
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "file"
    path.write_text("old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, "new")
    monkeypatch.undo()
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_a_failed_write_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "file"
    path.write_text("old")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_atomic(path, "new")
    monkeypatch.undo()
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_an_interrupt_also_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "file", "new")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_writing_over_a_directory_fails_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.mkdir()
    with pytest.raises(OSError):
        write_atomic(target, "data")
    assert target.is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_writing_under_a_file_raises_oserror(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(OSError):
        write_atomic(blocker / "file", "data")


# --- set_aside ----------------------------------------------------------------------------------


def test_set_aside_moves_the_file_and_keeps_its_content(tmp_path: Path) -> None:
    path = tmp_path / "favourites.json"
    path.write_bytes(b"\x00broken")
    moved = set_aside(path)
    assert moved == tmp_path / "favourites.json.corrupt"
    assert not path.exists()
    assert moved.read_bytes() == b"\x00broken"


def test_set_aside_never_overwrites_an_earlier_copy(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    names = []
    for index in range(4):
        path.write_text(f"version {index}")
        names.append(set_aside(path).name)
    assert names == [
        "config.toml.corrupt",
        "config.toml.corrupt2",
        "config.toml.corrupt3",
        "config.toml.corrupt4",
    ]
    for index, name in enumerate(names):
        assert (tmp_path / name).read_text() == f"version {index}"


def test_set_aside_of_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        set_aside(tmp_path / "missing")
