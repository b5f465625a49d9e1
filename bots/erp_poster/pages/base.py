"""Shared mechanics of the sandbox ERP page objects: navigation and page checks."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlparse

from playwright.sync_api import Locator, Page

from bots.erp_poster.pages.errors import ErpPageError, SessionExpired

__all__ = ["ErpPage", "FillValue", "table_cells"]


FillValue = str | bool

# Finds controls the way assistive technology names them (aria-label, or the text of a
# <label for=...>), then sets them all in one browser round trip and fires the events a
# person's typing fires.  Nothing is set unless every label is found.
_FILL_BY_LABEL = """
(entries) => {
  const named = new Map();
  for (const el of document.querySelectorAll('[aria-label]')) {
    if (!named.has(el.getAttribute('aria-label'))) named.set(el.getAttribute('aria-label'), el);
  }
  for (const label of document.querySelectorAll('label[for]')) {
    const el = document.getElementById(label.htmlFor);
    const text = label.textContent.trim();
    if (el && !named.has(text)) named.set(text, el);
  }
  const missing = entries.map(([name]) => name).filter((name) => !named.has(name));
  if (missing.length) return missing;
  for (const [name, value] of entries) {
    const el = named.get(name);
    if (el.type === 'checkbox') {
      if (el.checked === value) continue;
      el.checked = value;
    } else if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === value)) {
      return ['option ' + value + ' of ' + name];
    } else {
      el.value = value;
      el.dispatchEvent(new Event('input', {bubbles: true}));
    }
    el.dispatchEvent(new Event('change', {bubbles: true}));
  }
  return [];
}
"""

# Every table with an accessible name (aria-label or caption): its body rows' cell texts.
_NAMED_TABLES = """
() => Object.fromEntries([...document.querySelectorAll('table')].map((t) => [
  t.getAttribute('aria-label') || (t.caption ? t.caption.textContent.trim() : ''),
  [...t.tBodies].flatMap((b) => [...b.rows])
    .map((r) => [...r.cells].map((c) => c.innerText.trim())),
]))
"""


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
        """Press a button that posts the form, and wait for the next page.

        The button gets a click event rather than a simulated mouse click: the same
        form submission without waiting for the button to be scrolled into view and
        hold still for two frames (~60 ms a press on a 2-core machine).
        """
        with self.page.expect_navigation(wait_until="domcontentloaded"):
            button.dispatch_event("click")
        self._check()

    def fill_labelled(self, entries: Sequence[tuple[str, FillValue]]) -> list[str]:
        """Set controls by their labels in one round trip; returns the labels not found.

        ``entries`` are (label, value) in order: text for inputs and selects, a bool for
        checkboxes.  When a label is missing nothing is set, so the caller can go to
        another page and try again.
        """
        missing: list[str] = self.page.evaluate(_FILL_BY_LABEL, [list(e) for e in entries])
        return missing

    def named_tables(self) -> dict[str, list[list[str]]]:
        """Body cells of every table on the page by its accessible name (one round trip)."""
        tables: dict[str, list[list[str]]] = self.page.evaluate(_NAMED_TABLES)
        return tables

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
