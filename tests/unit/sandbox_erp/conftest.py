"""In-process fixtures for the sandbox ERP's unit tests (no server, no browser)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from fixtures.sandbox_erp.app import create_app
from fixtures.sandbox_erp.db import Database, sqlite_url
from fixtures.sandbox_erp.faults import FaultSettings

with warnings.catch_warnings():
    # Starlette 1.x asks for the "httpx2" package for its test client; httpx still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ADMIN_TOKEN = "unit-test-token"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


class ErpClient(TestClient):
    """A TestClient with the sandbox's admin token and a login helper."""

    def login(self, username: str = "clerk", password: str = "clerk-pass") -> str:
        """Log in and return the session's CSRF token."""
        page = self.get("/login")
        done = self.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
        )
        assert done.status_code == 200, done.text
        return csrf_token(self.get("/").text)

    def admin(self, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        done = self.post(path, json=body or {}, headers={"X-Admin-Token": ADMIN_TOKEN})
        assert done.status_code == 200, done.text
        result: dict[str, object] = done.json()
        return result


@pytest.fixture
def erp_db_path(tmp_path: Path) -> Path:
    return tmp_path / "erp.sqlite3"


@pytest.fixture
def erp_client(erp_db_path: Path) -> Iterator[ErpClient]:
    """The sandbox ERP app in-process on a fresh database with the default data."""
    app = create_app(sqlite_url(erp_db_path), FaultSettings(), admin_token=ADMIN_TOKEN)
    with ErpClient(app, base_url="http://erp.test") as client:
        yield client


@pytest.fixture
def erp_database(erp_db_path: Path) -> Iterator[Database]:
    """A bare database (schema only, no data)."""
    db = Database(sqlite_url(erp_db_path))
    db.create_schema()
    try:
        yield db
    finally:
        db.dispose()
