"""The customer payment list: search by memo/reference (and date, customer).

The poster searches for a payment id here before posting again after a crash: a payment
whose id is already in a memo must not be posted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from playwright.sync_api import Page

from bots.erp_poster.pages.base import ErpPage
from shared.money import parse_amount

__all__ = ["PaymentListPage", "PaymentListRow"]


@dataclass(frozen=True)
class PaymentListRow:
    document_no: str
    value_date: date
    customer_id: str
    memo: str
    currency: str
    amount: Decimal
    on_account: Decimal
    posted_by: str


class PaymentListPage(ErpPage):
    """Search posted customer payments and read the hits (all result pages)."""

    def __init__(self, page: Page, base_url: str) -> None:
        super().__init__(page, base_url)
        self.memo = page.get_by_label("Reference / Memo", exact=True)
        self.customer = page.get_by_label("Customer ID", exact=True)
        self.date_from = page.get_by_label("Date from", exact=True)
        self.date_to = page.get_by_label("Date to", exact=True)
        self.search_button = page.get_by_role("button", name="Search", exact=True)
        self.results = page.get_by_role("table", name="Customer payments", exact=True)
        self.next_page_link = page.get_by_role("link", name="Next page", exact=True)

    def open(self) -> None:
        self._goto("/payments")

    def search(
        self,
        memo: str = "",
        *,
        customer_id: str = "",
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> list[PaymentListRow]:
        """Every payment the ERP lists for the search (memo matches as a substring)."""
        self.open()
        self.memo.fill(memo)
        self.customer.fill(customer_id)
        self.date_from.fill(date_from.isoformat() if date_from else "")
        self.date_to.fill(date_to.isoformat() if date_to else "")
        self._submit(self.search_button)
        return self._all_pages()

    def search_memo(self, memo: str) -> list[PaymentListRow]:
        """The payments whose memo contains ``memo``, opened by the search's address.

        The same result as :meth:`search` with one page load instead of two (the poster
        runs this before every posting).
        """
        self._goto("/payments?" + urlencode({"memo": memo}))
        return self._all_pages()

    def _all_pages(self) -> list[PaymentListRow]:
        rows = self._read_rows()
        while self.next_page_link.count():
            self.next_page_link.click()
            self.page.wait_for_load_state("domcontentloaded")
            self._check()
            rows += self._read_rows()
        return rows

    def find_document_numbers(self, memo: str) -> list[str]:
        """Document numbers of the payments whose memo contains ``memo``."""
        return [row.document_no for row in self.search(memo)]

    def _read_rows(self) -> list[PaymentListRow]:
        return [
            PaymentListRow(
                document_no=cells[0],
                value_date=date.fromisoformat(cells[1]),
                customer_id=cells[2],
                memo=cells[3],
                currency=cells[4],
                amount=parse_amount(cells[5]),
                on_account=parse_amount(cells[6]),
                posted_by=cells[7],
            )
            for cells in self.named_tables().get("Customer payments", [])
            if len(cells) == 8
        ]
