"""Where lucy-tui keeps its files (local.paths): making a folder private, never via a link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lucy_tui.local.paths import ensure_private_dir, make_private


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_folder_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    os.chmod(folder, 0o755)
    assert make_private(folder) is True
    assert mode(folder) == 0o700


def test_a_private_folder_stays_as_it_is(tmp_path: Path) -> None:
    folder = ensure_private_dir(tmp_path / "a" / "b")
    assert make_private(folder) is True
    assert mode(folder) == 0o700


def test_a_link_to_a_folder_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "shared"
    target.mkdir()
    os.chmod(target, 0o775)
    link = tmp_path / "config"
    link.symlink_to(target, target_is_directory=True)
    assert make_private(link) is False
    assert mode(target) == 0o775


def test_a_link_to_a_file_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    os.chmod(target, 0o644)
    link = tmp_path / "config"
    link.symlink_to(target)
    assert make_private(link) is False
    assert mode(target) == 0o644


def test_a_missing_folder_is_the_callers_to_hear(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        make_private(tmp_path / "none")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NotADirectoryError):
        make_private(blocker)
