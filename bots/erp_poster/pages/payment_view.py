"""The customer payment view: what the ERP actually posted, read back as data.

The poster compares this with its decision before marking a payment done, so the
reading is literal: amounts as shown (parsed to ``Decimal``), lines in the ERP's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from playwright.sync_api import Page

from bots.erp_poster.pages.base import ErpPage, table_cells
from bots.erp_poster.pages.errors import ErpPageError
from shared.money import format_amount, parse_amount

__all__ = ["PaymentViewPage", "PostedAdjustment", "PostedApplication", "PostedPayment"]


@dataclass(frozen=True)
class PostedApplication:
    doc_no: str
    amount: Decimal


@dataclass(frozen=True)
class PostedAdjustment:
    type: str
    doc_no: str
    amount: Decimal
    reason_code: str | None


@dataclass(frozen=True)
class PostedPayment:
    """A posted customer payment as its view page shows it."""

    document_no: str
    customer_id: str
    amount: Decimal
    currency: str
    value_date: date
    method: str
    deposit_account: str
    memo: str
    posted_by: str
    applications: tuple[PostedApplication, ...]
    adjustments: tuple[PostedAdjustment, ...]
    applied: Decimal
    adjustments_total: Decimal
    on_account: Decimal

    def to_record(self) -> dict[str, Any]:
        """The payment in the export's JSONL shape (FORMAT.md 3.1 amounts as strings)."""
        return {
            "payment_id": self.memo or None,
            "document_no": self.document_no,
            "customer_id": self.customer_id,
            "amount": format_amount(self.amount),
            "currency": self.currency,
            "value_date": self.value_date.isoformat(),
            "applications": [
                {"doc_no": a.doc_no, "amount": format_amount(a.amount)} for a in self.applications
            ],
            "adjustments": [
                {
                    "type": a.type,
                    "doc_no": a.doc_no,
                    "amount": format_amount(a.amount),
                    "reason_code": a.reason_code,
                }
                for a in self.adjustments
            ],
            "on_account": format_amount(self.on_account),
        }


class PaymentViewPage(ErpPage):
    """Open a posted payment and read it."""

    def __init__(self, page: Page, base_url: str) -> None:
        super().__init__(page, base_url)
        self.details = page.get_by_role("table", name="Payment", exact=True)
        self.totals = page.get_by_role("table", name="Totals", exact=True)
        self.applications = page.get_by_role("table", name="Applications", exact=True)
        self.adjustments = page.get_by_role("table", name="Adjustments", exact=True)

    def open(self, document_no: str) -> None:
        self._goto(f"/payments/{document_no}")

    def read(self) -> PostedPayment:
        """Everything the page shows about the payment (this page or the confirmation).

        The four tables are read in one browser round trip.
        """
        tables = self.named_tables()
        missing = {"Payment", "Totals", "Applications", "Adjustments"} - set(tables)
        if missing:
            names = ", ".join(sorted(missing))
            raise ErpPageError(f"no {names} table on the page", url=self.page.url)
        head = {row[0]: row[1] for row in tables["Payment"] if len(row) >= 2}
        totals = {row[0]: row[1] for row in tables["Totals"] if len(row) >= 2}
        applications = tuple(
            PostedApplication(doc_no=cells[0], amount=parse_amount(cells[2]))
            for cells in tables["Applications"]
            if len(cells) == 3
        )
        adjustments = tuple(
            PostedAdjustment(
                type=cells[1],
                doc_no=cells[0],
                amount=parse_amount(cells[3]),
                reason_code=cells[2] or None,
            )
            for cells in tables["Adjustments"]
            if len(cells) == 4
        )
        return PostedPayment(
            document_no=head["Payment"],
            customer_id=head["Customer"].split()[0],
            amount=parse_amount(head["Payment amount"]),
            currency=head["Currency"],
            value_date=date.fromisoformat(head["Date"]),
            method=head["Payment method"],
            deposit_account=head["Deposit account"],
            memo=head["Reference / Memo"],
            posted_by=head["Posted by"],
            applications=applications,
            adjustments=adjustments,
            applied=parse_amount(totals["Applied"]),
            adjustments_total=parse_amount(totals["Adjustments"]),
            on_account=parse_amount(totals["On account"]),
        )

    @staticmethod
    def _rows_with_headers(table: Any) -> list[list[str]]:
        # Detail tables are <th scope=row>label</th><td>value</td>: both are cells here.
        return [cells for cells in table_cells(table) if len(cells) >= 2]
