"""Shared mechanics of the sandbox ERP page objects: navigation and page checks."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import Locator, Page

from bots.erp_poster.pages.errors import ErpPageError, SessionExpired

__all__ = ["ErpPage", "table_cells"]


class ErpPage:
    """A screen of the ERP at ``base_url`` driven in ``page``."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.heading = page.get_by_role("heading", level=1)

    def _goto(self, path: str) -> None:
        self.page.goto(self.base_url + path, wait_until="domcontentloaded")
        self._check()

    def _submit(self, button: Locator) -> None:
        """Press a button that posts the form, and wait for the next page."""
        button.click()
        self.page.wait_for_load_state("domcontentloaded")
        self._check()

    def _check(self) -> None:
        """Raise when the ERP answered with its login page or a server error page."""
        url = self.page.url
        if urlparse(url).path == "/login":
            raise SessionExpired("the ERP asked to log in again", url=url)
        title = self.page.title()
        if title.startswith("Server error") or title.startswith("Request refused"):
            raise ErpPageError(f"the ERP answered {title!r}", url=url)


def table_cells(table: Locator) -> list[list[str]]:
    """The text of every body cell of a table, row by row (one browser round trip)."""
    rows: list[list[str]] = table.evaluate(
        "t => [...t.tBodies].flatMap(b => [...b.rows])"
        "  .map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    return rows
