"""shared.browser: how Debian's Chromium is launched (without launching it)."""

from __future__ import annotations

from typing import Any

import pytest

from shared import browser


class _FakeChromium:
    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def launch(self, **kwargs: Any) -> str:
        self.kwargs = kwargs
        return "browser"


class _FakePlaywright:
    def __init__(self) -> None:
        self.chromium = _FakeChromium()


def test_background_networking_is_off_and_no_sandbox_only_as_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(browser, "_is_root", lambda: False)
    assert browser.chromium_args() == list(browser.CHROMIUM_ARGS)
    monkeypatch.setattr(browser, "_is_root", lambda: True)
    args = browser.chromium_args(["--lang=en-US", "--no-first-run"])
    assert args[-2:] == ["--no-sandbox", "--lang=en-US"]
    assert {
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    } <= set(args)


def test_launch_uses_debians_chromium_headless(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    fake_binary = tmp_path / "chromium"
    fake_binary.write_text("")
    playwright = _FakePlaywright()
    result = browser.launch_chromium(playwright, executable_path=fake_binary)  # type: ignore[arg-type]
    assert result == "browser"
    assert playwright.chromium.kwargs["executable_path"] == str(fake_binary)
    assert playwright.chromium.kwargs["headless"] is True
    assert browser.DEFAULT_CHROMIUM == "/usr/bin/chromium"


def test_a_missing_browser_names_the_package(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError, match="'chromium' package"):
        browser.launch_chromium(_FakePlaywright(), executable_path=tmp_path / "none")  # type: ignore[arg-type]
