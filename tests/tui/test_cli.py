"""The lucy-tui command line: help, version, and the environment overrides."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lucy_server.app import create_app
from lucy_tui.api.client import LucyClient
from lucy_tui.cli import main
from lucy_tui.config import load_settings
from lucy_tui.screens.dashboard import DashboardScreen

from .conftest import SIZE, wait_loaded


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
