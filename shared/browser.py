"""The one place Chromium is launched, for the product and for the tests.

Debian's Chromium (``/usr/bin/chromium``) is driven through Playwright; Playwright's own
browser download is never used (``playwright install`` needs a network these machines do
not have).  Background networking is switched off so a bot's browser talks only to the
ERP it drives: no component updates, sync, first-run pings or QUIC probes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from playwright.sync_api import Browser, Playwright

__all__ = ["CHROMIUM_ARGS", "DEFAULT_CHROMIUM", "chromium_args", "launch_chromium"]

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS: tuple[str, ...] = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def _is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def chromium_args(extra: Sequence[str] = ()) -> list[str]:
    """The command-line switches for Chromium (``--no-sandbox`` only when root)."""
    args = list(CHROMIUM_ARGS)
    # Chromium refuses to start its sandbox as root; CI containers run as root.
    if _is_root():
        args.append("--no-sandbox")
    args.extend(a for a in extra if a not in args)
    return args


def launch_chromium(
    playwright: Playwright,
    *,
    headless: bool = True,
    executable_path: str | os.PathLike[str] = DEFAULT_CHROMIUM,
    extra_args: Sequence[str] = (),
    slow_mo_ms: float | None = None,
) -> Browser:
    """Launch Debian's Chromium through Playwright (sync API) and return the browser.

    ``executable_path`` may point to another Chromium build; ``extra_args`` are added to
    the switches of :data:`CHROMIUM_ARGS`.  Raises ``FileNotFoundError`` when the browser
    is not installed, with the package to install in the message.
    """
    path = os.fspath(executable_path)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"Chromium not found at {path}: install Debian's 'chromium' package "
            "(scripts/bootstrap.sh does), never 'playwright install'"
        )
    return playwright.chromium.launch(
        executable_path=path,
        headless=headless,
        args=chromium_args(extra_args),
        chromium_sandbox=False,
        slow_mo=slow_mo_ms,
    )
