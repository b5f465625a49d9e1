"""The ERP's posted-payments report (JSONL), filtered by memo/reference.

Read in the browser's own session (same login, same cookies) without rendering a page:
the check the poster makes before every posting costs one request instead of a page
load.  The payment list screen (:class:`~bots.erp_poster.pages.PaymentListPage`) shows
the same search to a person.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode, urlparse

from playwright.sync_api import Page

from bots.erp_poster.pages.errors import ErpPageError, SessionExpired
from shared.erp import ErpAdjustment, ErpApplication, ErpPayment

__all__ = ["PaymentReport"]


class PaymentReport:
    """``/reports/payments.jsonl?memo=...`` of the ERP at ``base_url``."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    def find(self, memo: str) -> list[ErpPayment]:
        """Every posted payment whose memo/reference is exactly ``memo``."""
        url = f"{self.base_url}/reports/payments.jsonl?{urlencode({'memo': memo})}"
        response = self.page.request.get(url, max_redirects=0)
        if response.status in (302, 303, 307):
            location = response.headers.get("location", "")
            if urlparse(location).path == "/login":
                raise SessionExpired("the ERP asked to log in again", url=url)
            raise ErpPageError(f"the payments report moved to {location!r}", url=url)
        if response.status != 200:
            raise ErpPageError(f"the payments report answered HTTP {response.status}", url=url)
        found = []
        for line in response.text().splitlines():
            if not line.strip():
                continue
            try:
                found.append(_payment(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise ErpPageError(f"the payments report is unreadable: {exc}", url=url) from exc
        return [p for p in found if p.payment_id == memo]


def _payment(obj: dict[str, object]) -> ErpPayment:
    def amount(value: object) -> Decimal:
        return Decimal(str(value))

    apps = obj["applications"]
    adjs = obj["adjustments"]
    assert isinstance(apps, list) and isinstance(adjs, list)
    return ErpPayment(
        document_no=str(obj["document_no"]),
        payment_id=str(obj["payment_id"] or ""),
        customer_id=str(obj["customer_id"]),
        amount=amount(obj["amount"]),
        currency=str(obj["currency"]),
        value_date=date.fromisoformat(str(obj["value_date"])),
        applications=tuple(ErpApplication(str(a["doc_no"]), amount(a["amount"])) for a in apps),
        adjustments=tuple(
            ErpAdjustment(str(a["type"]), str(a["doc_no"]), amount(a["amount"]),
                          a["reason_code"] or None)
            for a in adjs
        ),
        on_account=amount(obj["on_account"]),
    )
