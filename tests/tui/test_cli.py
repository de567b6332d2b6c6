"""The lucy-tui command line: help, version, and the environment overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from lucy_server.app import create_app
from lucy_tui.api.client import LucyClient
from lucy_tui.cli import main
from lucy_tui.local.config import load_settings
from lucy_tui.screens.dashboard import DashboardScreen

from .conftest import SIZE, settle, wait_loaded


@pytest.fixture(autouse=True)
def no_lucy_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own LUCY_THEME or LUCY_KEYS__* must not reach these tests."""
    for name in list(os.environ):
        if name.upper() == "LUCY_THEME" or name.upper().startswith("LUCY_KEYS"):
            monkeypatch.delenv(name)


class FakeApp:
    """Stands in for LucyApp in ``main``: records what it was given, runs nothing."""

    made: ClassVar[list[dict[str, Any]]] = []
    return_code = 0

    def __init__(self, **kwargs: Any) -> None:
        FakeApp.made.append(kwargs)

    def run(self) -> None:
        pass


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    import lucy_tui.app

    FakeApp.made = []
    monkeypatch.setattr(lucy_tui.app, "LucyApp", FakeApp)
    return FakeApp.made


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("lucy-tui ")
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for option in ("--server", "--as", "--insecure-storage", "logout"):
        assert option in text


def test_server_from_the_environment_wins_over_the_config_file(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text('server = "https://from-file.example"\n')
    assert load_settings(config_dir).server == "https://from-file.example"
    monkeypatch.setenv("LUCY_SERVER", "https://from-env.example")
    assert load_settings(config_dir).server == "https://from-env.example"


async def test_lucy_token_signs_in_without_asking(  # type: ignore[no-untyped-def]
    make_app, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = httpx.ASGITransport(app=create_app(data_dir / "demo.db"))
    async with LucyClient("http://lucy.test", transport=transport) as client:
        login = await client.login("employee@demo-firm.be", "lucy-demo")
    monkeypatch.setenv("LUCY_TOKEN", login.access_token)
    app = make_app(server="http://lucy.test", transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.session.staff.email == "employee@demo-firm.be"


# --- the command line over the environment over config.toml ---------------------------------------


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--server", "https://flag.example"], "https://env.example", "https://flag.example"),
        ([], "https://env.example", "https://env.example"),
        ([], None, "https://file.example"),
    ],
)
def test_main_gives_the_app_the_server_by_precedence(
    config_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_app: list[dict[str, Any]],
    argv: list[str],
    env: str | None,
    expected: str,
) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text('server = "https://file.example"\ntheme = "nord"\n')
    if env is not None:
        monkeypatch.setenv("LUCY_SERVER", env)
    assert main(argv) == 0
    [given] = fake_app
    assert given["server"] == expected
    assert given["settings"].server == expected
    assert given["settings"].theme == "nord"
    assert given["settings"].notice is None


def test_a_bad_lucy_server_reaches_the_app_as_a_notice(
    monkeypatch: pytest.MonkeyPatch, fake_app: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("LUCY_SERVER", "lucy.example.be")
    assert main([]) == 0
    [given] = fake_app
    assert given["server"] is None  # the embedded demo firm
    assert given["settings"].notice == (
        'LUCY_SERVER="lucy.example.be" does not start with https:// (or http://); the embedded '
        "demo firm is opened instead."
    )


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--server", "lucy.example.be"], "'lucy.example.be' does not start with https://"),
        (["--server", "https://a.be:99999"], "has a port that is not a number from 1 to 65535"),
        (["--server", "https://me:secret@a.be"], "the address has a user name or password"),
        (["logout", "--server", "ftp://a.be"], "'ftp://a.be' does not start with https://"),
    ],
)
def test_a_malformed_server_flag_is_refused_by_the_command_line(
    capsys: pytest.CaptureFixture[str], fake_app: list[dict[str, Any]], argv: list[str], said: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --server: " in err and said in err
    assert "A server address looks like https://lucy.your-firm.be" in err  # issue 12
    assert "secret" not in err
    assert fake_app == []


def test_logout_takes_the_server_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LUCY_SERVER", "https://env.example")
    assert main(["logout"]) == 0
    assert capsys.readouterr().out.strip() == "No session stored for https://env.example."
    assert main(["logout", "--server", "https://flag.example"]) == 0
    assert capsys.readouterr().out.strip() == "No session stored for https://flag.example."


async def test_lucy_theme_and_lucy_keys_reach_the_running_app(  # type: ignore[no-untyped-def]
    make_app, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(
        'theme = "gruvbox"\n[keys]\n"clients.favourite" = "g"\n'
    )
    monkeypatch.setenv("LUCY_THEME", "nord")
    monkeypatch.setenv("LUCY_KEYS__CLIENTS__FAVOURITE", "asterisk")
    monkeypatch.setenv("LUCY_KEYS__CLIENTS__FAVORITE", "x")  # a typo: said, not applied
    app = make_app(settings=load_settings(config_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        assert app.theme == "nord"
        await pilot.press("f", "g")
        await settle(pilot)
        assert screen.view.favourites == set()
        await pilot.press("asterisk")
        await settle(pilot)
        assert len(screen.view.favourites) == 1
        said = [n.message for n in app._notifications if "LUCY_KEYS" in n.message]
        assert said == [
            'LUCY_KEYS__CLIENTS__FAVORITE (binding id "clients.favorite") is not a key binding '
            'of lucy-tui (did you mean "clients.favourite"?); it is ignored.'
        ]
