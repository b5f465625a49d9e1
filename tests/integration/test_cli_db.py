"""``o2c db``: upgrade and current on a SQLite file (the lead registers the group)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.db import app
from shared.store.migrate import head


def test_upgrade_then_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o2c.sqlite3'}"
    runner = CliRunner()

    before = runner.invoke(app, ["current", "--url", url])
    first = runner.invoke(app, ["upgrade", "--url", url])
    second = runner.invoke(app, ["upgrade", "--url", url])
    after = runner.invoke(app, ["current", "--url", url])

    newest = head()
    assert before.exit_code == 1 and "empty (behind" in before.output
    assert first.exit_code == 0 and f"upgraded empty -> {newest}" in first.output
    assert second.exit_code == 0 and f"already at {newest}" in second.output
    assert after.exit_code == 0 and f"{newest} (up to date)" in after.output


def test_url_defaults_to_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("O2C_STORE__URL", "sqlite:///./var/from-settings.sqlite3")

    result = CliRunner().invoke(app, ["upgrade"])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "from-settings.sqlite3").is_file()


@pytest.mark.postgres
@pytest.mark.integration
def test_password_is_not_printed(postgres_url: str) -> None:
    password = postgres_url.split(":")[2].split("@")[0]

    result = CliRunner().invoke(app, ["current", "--url", postgres_url])

    assert "empty" in result.output
    assert password not in result.output
    assert ":***@127.0.0.1" in result.output
