"""Fault injection and request protection of the sandbox ERP, seen from real Chromium."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import Page

from bots.erp_poster.pages import (
    ErpPageError,
    LoginPage,
    PaymentEntryPage,
    PaymentListPage,
    SessionExpired,
)
from tests.plugins.sandbox_erp import SandboxErp, posted_payments

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_server_errors_on_save_post_nothing(erp_page: Page, clean_sandbox_erp: SandboxErp) -> None:
    entry = PaymentEntryPage(erp_page, clean_sandbox_erp.url)
    entry.start("C00007", amount=Decimal("500.00"), memo="FC-FAULT-500")
    entry.apply("INV-2026-000495", Decimal("500.00"))

    clean_sandbox_erp.set_faults(error_rate=1.0)
    with pytest.raises(ErpPageError, match="Server error"):
        entry.save()
    clean_sandbox_erp.set_faults(error_rate=0.0)

    assert posted_payments(erp_page, clean_sandbox_erp) == []
    assert PaymentListPage(erp_page, clean_sandbox_erp.url).find_document_numbers("FC-FAULT") == []


def test_expired_session_sends_the_next_request_to_login_and_back(
    erp_page: Page, clean_sandbox_erp: SandboxErp
) -> None:
    clean_sandbox_erp.set_faults(session_lifetime_s=0.3)
    time.sleep(0.5)
    entry = PaymentEntryPage(erp_page, clean_sandbox_erp.url)
    with pytest.raises(SessionExpired):
        entry.open_new()

    login = LoginPage(erp_page, clean_sandbox_erp.url)
    assert login.is_shown()
    assert login.message() == "Your session has expired. Please log in again."
    clean_sandbox_erp.set_faults(session_lifetime_s=3600)
    login.log_in("poster", "poster-pass")
    assert erp_page.url.endswith("/payments/new")


def test_latency_and_slow_grid_slow_the_pages_down(
    erp_page: Page, clean_sandbox_erp: SandboxErp
) -> None:
    entry = PaymentEntryPage(erp_page, clean_sandbox_erp.url)
    clean_sandbox_erp.set_faults(latency_ms=300, slow_grid_ms=400)
    started = time.monotonic()
    entry.start("C00007", amount=Decimal("1.00"), memo="FC-SLOW")  # new page + POST + grid
    assert time.monotonic() - started >= 0.3 * 3 + 0.4
    assert clean_sandbox_erp.faults()["slow_grid_ms"] == 400


def test_posts_without_the_csrf_token_are_refused(
    erp_page: Page, clean_sandbox_erp: SandboxErp
) -> None:
    url = clean_sandbox_erp.url
    # The browser's cookies go along (a logged-in session), the form's token does not.
    refused = erp_page.request.post(f"{url}/customers/C00001/notes", form={"note": "forged"})
    assert refused.status == 403
    assert "security token is missing or no longer valid" in refused.text()
    wrong = erp_page.request.post(
        f"{url}/payments/new", form={"customer": "C00001", "csrf_token": "not-the-token"}
    )
    assert wrong.status == 403

    erp_page.goto(f"{url}/customers/C00001")
    assert "forged" not in erp_page.get_by_role("region", name="Notes").inner_text()
    audit = httpx.get(f"{url}/audit", follow_redirects=False)
    assert audit.status_code == 303  # and without the session cookie: off to the login page
