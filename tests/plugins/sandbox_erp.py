"""pytest fixtures: the sandbox ERP as a real server, and Chromium pages to drive it.

* ``sandbox_erp`` (session): ``python -m cli.sandbox serve`` on a free loopback port with
  a temporary database and admin token; yields a :class:`SandboxErp` handle.
* ``clean_sandbox_erp`` (function): the same server, reset to the default data with the
  faults off before the test.
* ``chromium`` (session): Debian's Chromium through ``shared.browser.launch_chromium``.
* ``page`` (function): a new browser context per test with tracing on; on failure the
  trace and a full-page screenshot are kept under ``test-results/<test>/``.
* ``erp_page`` (function): ``page`` logged in to a clean sandbox ERP as ``poster``.

One server per session keeps each test to its own work (a reset is ~50 ms); tests that
need a different start-up (``--scenario``) call :func:`start_sandbox_erp` themselves.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from shared.browser import launch_chromium

__all__ = ["SandboxErp", "posted_payments", "start_sandbox_erp"]

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 30.0
ERP_USER = ("poster", "poster-pass")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SandboxErp:
    """A running sandbox ERP server (a subprocess) and its admin endpoints."""

    url: str
    admin_token: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers={"X-Admin-Token": self.admin_token},
            timeout=60.0,
        )
        response.raise_for_status()
        return response.json()

    def reset(self, scenario_dir: str | Path | None = None) -> dict[str, Any]:
        """Wipe and reseed (default data or a scenario folder); faults back to start-up."""
        body = {"scenario_dir": str(scenario_dir) if scenario_dir else None}
        result: dict[str, Any] = self._admin("POST", "/_admin/reset", body)
        return result

    def set_faults(
        self,
        *,
        latency_ms: int | None = None,
        error_rate: float | None = None,
        session_lifetime_s: float | None = None,
        slow_grid_ms: int | None = None,
        reset: bool = False,
    ) -> dict[str, Any]:
        """Change some fault settings (``reset=True`` first switches every fault off)."""
        body: dict[str, Any] = {
            "latency_ms": latency_ms,
            "error_rate": error_rate,
            "session_lifetime_s": session_lifetime_s,
            "slow_grid_ms": slow_grid_ms,
            "reset": reset,
        }
        result: dict[str, Any] = self._admin(
            "POST", "/_admin/faults", {k: v for k, v in body.items() if v is not None}
        )
        return result

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("GET", "/_admin/faults")
        return result

    def expire_sessions(self) -> int:
        """End every login session now (the next request goes to the login page)."""
        return int(self._admin("POST", "/_admin/expire-sessions")["expired"])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            # The server runs in its own process group: one signal stops it and children.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_sandbox_erp(
    workdir: Path, *, scenario_dir: Path | None = None, extra_args: Sequence[str] = ()
) -> SandboxErp:
    """Start ``python -m cli.sandbox serve`` in ``workdir`` and wait until it is healthy."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    token = secrets.token_urlsafe(16)
    db_path = workdir / "sandbox_erp.sqlite3"
    log_path = workdir / "sandbox_erp.log"
    command = [
        sys.executable, "-m", "cli.sandbox", "serve",
        "--host", "127.0.0.1", "--port", str(port), "--db", str(db_path),
        "--admin-token", token, "--log-level", "warning", *extra_args,
    ]  # fmt: skip
    if scenario_dir is not None:
        command += ["--scenario", str(scenario_dir)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    erp = SandboxErp(f"http://127.0.0.1:{port}", token, db_path, log_path, process)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sandbox ERP exited with {process.returncode}:\n{erp.log()}")
        try:
            if httpx.get(f"{erp.url}/healthz", timeout=1.0).status_code == 200:
                return erp
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    erp.stop()
    raise RuntimeError(f"sandbox ERP not healthy after {STARTUP_TIMEOUT_S} s:\n{erp.log()}")


def posted_payments(page: Page, erp: SandboxErp) -> list[dict[str, Any]]:
    """The ERP's payments export (JSONL), fetched in the page's logged-in session."""
    response = page.request.get(f"{erp.url}/reports/payments.jsonl")
    assert response.ok, response.status
    return [json.loads(line) for line in response.text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def sandbox_erp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxErp]:
    """The sandbox ERP server for the whole session (default data, faults off)."""
    erp = start_sandbox_erp(tmp_path_factory.mktemp("sandbox_erp"))
    try:
        yield erp
    finally:
        erp.stop()


@pytest.fixture
def clean_sandbox_erp(sandbox_erp: SandboxErp) -> SandboxErp:
    """The session's sandbox ERP, reset to the default data with every fault off."""
    sandbox_erp.reset()
    return sandbox_erp


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium for the session (launched via shared.browser)."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep each phase's report on the item so fixtures can tell whether the test failed.
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


def _failed(item: pytest.Item) -> bool:
    return any(
        getattr(getattr(item, f"_report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@pytest.fixture
def page(chromium: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context and page; trace + screenshot kept only when the test fails."""
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US")
    context.set_default_timeout(10_000)
    context.tracing.start(screenshots=True, snapshots=True, sources=False)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        if _failed(request.node):
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-120:]
            out = Path(request.config.rootpath) / "test-results" / name
            out.mkdir(parents=True, exist_ok=True)
            try:
                new_page.screenshot(path=str(out / "screenshot.png"), full_page=True)
            finally:
                context.tracing.stop(path=str(out / "trace.zip"))
        else:
            context.tracing.stop()
        context.close()


@pytest.fixture
def erp_page(page: Page, clean_sandbox_erp: SandboxErp) -> Page:
    """``page`` logged in to a freshly reset sandbox ERP as the ``poster`` user."""
    from bots.erp_poster.pages import LoginPage

    login = LoginPage(page, clean_sandbox_erp.url)
    login.open()
    login.log_in(*ERP_USER)
    return page
