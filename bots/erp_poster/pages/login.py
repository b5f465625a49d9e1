"""The ERP's login page."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import Page

from bots.erp_poster.pages.base import ErpPage
from bots.erp_poster.pages.errors import ErpPageError, LoginRejected

__all__ = ["LoginPage"]


class LoginPage(ErpPage):
    """Log in with a user name and password; read the message the page shows."""

    def __init__(self, page: Page, base_url: str) -> None:
        super().__init__(page, base_url)
        self.username = page.get_by_label("User name", exact=True)
        self.password = page.get_by_label("Password", exact=True)
        self.log_in_button = page.get_by_role("button", name="Log in", exact=True)
        self.notice = page.get_by_role("status")
        self.error = page.get_by_role("alert")

    def open(self) -> None:
        """Go to the login page."""
        self.page.goto(f"{self.base_url}/login", wait_until="domcontentloaded")

    def is_shown(self) -> bool:
        """Whether the browser is on the login page (e.g. after a session expired)."""
        return urlparse(self.page.url).path == "/login"

    def message(self) -> str:
        """The notice shown above the form ("Your session has expired..."), or ``""``."""
        return self.notice.first.inner_text() if self.notice.count() else ""

    def log_in(self, username: str, password: str) -> None:
        """Log in; the ERP then shows the page that asked for the login (or home).

        Raises :class:`LoginRejected` when the ERP refuses the credentials, and an
        :class:`ErpPageError` when it answers with an error page instead (a server error
        on the login form is not a wrong password: try again).
        """
        # The login page the ERP sent us to keeps where to go back to (?next=); an error
        # page at /login (a failed try) is no form: load a fresh one.
        if not self.is_shown() or self._error_title():
            self.open()
        self._raise_if_error_page()
        self.username.fill(username)
        self.password.fill(password)
        with self.page.expect_navigation(wait_until="domcontentloaded"):
            self.log_in_button.dispatch_event("click")
        self._raise_if_error_page()
        if self.is_shown():
            shown = self.error.first.inner_text() if self.error.count() else "login refused"
            raise LoginRejected(f"ERP login as {username!r} refused: {shown}")
        self._check()

    def _error_title(self) -> str:
        title = self.page.title()
        return title if title.startswith(("Server error", "Request refused", "Error")) else ""

    def _raise_if_error_page(self) -> None:
        if title := self._error_title():
            raise ErpPageError(f"the ERP answered {title!r} on its login page", url=self.page.url)
