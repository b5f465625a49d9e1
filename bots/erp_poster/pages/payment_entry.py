"""The "Accept customer payment" screen: header, Apply grid, Credits, Adjustments, Save.

Every control is found by its label or role, as a person would: the grid's per-row
controls are labelled ``Apply <doc no>``, ``Discount taken <doc no>``, ``Payment <doc
no>`` and ``Credit <doc no>``.  The grid is paginated on the server and keeps what was
ticked on other pages, so a row that is not on the current page is reached by filtering
for its document number (several numbers at once when possible, to save round trips).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from playwright.sync_api import Locator, Page

from bots.erp_poster.pages.base import ErpPage, FillValue
from bots.erp_poster.pages.errors import DocumentNotInGrid, ErpPageError, PaymentRejected
from shared.money import format_amount, parse_amount

__all__ = ["AdjustmentLine", "EntryTotals", "GridLine", "PaymentEntryPage"]

_SAVED = re.compile(r"^Customer payment (PMT-\d+) saved$")
_PAGE_SIZE = 25


@dataclass(frozen=True)
class GridLine:
    """What to put on one Apply-grid row: payment and (optional) discount taken."""

    doc_no: str
    amount: Decimal
    discount: Decimal | None = None


@dataclass(frozen=True)
class AdjustmentLine:
    """One line of the Adjustments table (``type``: discount, bank_fee or deduction)."""

    doc_no: str
    type: str
    amount: Decimal
    reason_code: str | None = None


@dataclass(frozen=True)
class EntryTotals:
    """The totals bar as shown."""

    amount: Decimal
    applied: Decimal
    adjustments: Decimal
    on_account: Decimal


def _text(amount: Decimal) -> str:
    return format_amount(amount)


class PaymentEntryPage(ErpPage):
    """Enter a customer payment.  Methods act on the screen; none decides anything."""

    def __init__(self, page: Page, base_url: str) -> None:
        super().__init__(page, base_url)
        label = page.get_by_label
        role = page.get_by_role
        # Header (the first screen and the entry screen share the labels).
        self.customer = label("Customer", exact=True)
        self.amount = label("Payment amount", exact=True)
        self.currency = label("Currency", exact=True)
        self.payment_date = label("Date", exact=True)
        self.method = label("Payment method", exact=True)
        self.deposit_account = label("Deposit account", exact=True)
        self.memo = label("Reference / Memo", exact=True)
        self.continue_button = role("button", name="Continue", exact=True)
        self.recalculate_button = role("button", name="Recalculate", exact=True)
        # Apply grid.
        self.apply_grid = role("table", name="Invoices and debit memos to apply", exact=True)
        self.credits_table = role("table", name="Credit memos", exact=True)
        self.grid_filter = label("Filter invoices", exact=True)
        self.filter_button = role("button", name="Filter", exact=True)
        self.clear_filter_button = role("button", name="Clear filter", exact=True)
        self.next_page_button = role("button", name="Next page", exact=True)
        self.previous_page_button = role("button", name="Previous page", exact=True)
        # Adjustments: the blank line at the bottom of the table.
        self.new_adjustment_doc = label("New adjustment document", exact=True)
        self.new_adjustment_type = label("New adjustment type", exact=True)
        self.new_adjustment_reason = label("New adjustment reason code", exact=True)
        self.new_adjustment_amount = label("New adjustment amount", exact=True)
        self.add_adjustment_button = role("button", name="Add adjustment", exact=True)
        self.adjustments_table = role("table", name="Adjustment lines", exact=True)
        # Totals bar, messages, actions.
        self.total_amount = label("Payment total", exact=True)
        self.total_applied = label("Applied total", exact=True)
        self.total_adjustments = label("Adjustments total", exact=True)
        self.total_on_account = label("On account total", exact=True)
        self.errors = page.get_by_role("alert")
        self.save_button = role("button", name="Save", exact=True)
        self.cancel_button = role("button", name="Cancel", exact=True)

    # -- rows -------------------------------------------------------------------------
    def apply_checkbox(self, doc_no: str) -> Locator:
        return self.page.get_by_label(f"Apply {doc_no}", exact=True)

    def payment_input(self, doc_no: str) -> Locator:
        return self.page.get_by_label(f"Payment {doc_no}", exact=True)

    def discount_input(self, doc_no: str) -> Locator:
        return self.page.get_by_label(f"Discount taken {doc_no}", exact=True)

    def credit_input(self, doc_no: str) -> Locator:
        return self.page.get_by_label(f"Credit {doc_no}", exact=True)

    # -- header -----------------------------------------------------------------------
    def open_new(self) -> None:
        """Go to the first screen (customer and header)."""
        self._goto("/payments/new")

    def start(
        self,
        customer_id: str,
        *,
        amount: Decimal,
        memo: str,
        currency: str | None = None,
        payment_date: date | None = None,
        method: str | None = None,
        deposit_account: str | None = None,
    ) -> None:
        """Open a new payment for ``customer_id`` with its header and go to the grid.

        Raises :class:`PaymentRejected` when the ERP cannot start it (unknown customer).
        """
        self.open_new()
        if self.fill_labelled([("Customer", customer_id)]):
            raise ErpPageError("the payment screen has no Customer field", url=self.page.url)
        self._fill_header(amount, memo, currency, payment_date, method, deposit_account)
        self._submit(self.continue_button)
        if "/payments/drafts/" not in self.page.url:
            raise PaymentRejected(self.error_messages(), customer_id=customer_id)

    def set_header(
        self,
        *,
        amount: Decimal | None = None,
        memo: str | None = None,
        currency: str | None = None,
        payment_date: date | None = None,
        method: str | None = None,
        deposit_account: str | None = None,
    ) -> None:
        """Change header fields on the entry screen (taken in on the next button press)."""
        self._fill_header(amount, memo, currency, payment_date, method, deposit_account)

    def _fill_header(
        self,
        amount: Decimal | None,
        memo: str | None,
        currency: str | None,
        payment_date: date | None,
        method: str | None,
        deposit_account: str | None,
    ) -> None:
        entries: list[tuple[str, FillValue]] = []
        if amount is not None:
            entries.append(("Payment amount", _text(amount)))
        if currency is not None:
            entries.append(("Currency", currency))
        if payment_date is not None:
            entries.append(("Date", payment_date.isoformat()))
        if method is not None:
            entries.append(("Payment method", method))
        if deposit_account is not None:
            entries.append(("Deposit account", deposit_account))
        if memo is not None:
            entries.append(("Reference / Memo", memo))
        missing = self.fill_labelled(entries)
        if missing:
            raise ErpPageError(f"the payment header has no {', '.join(missing)}", url=self.page.url)

    # -- Apply grid -------------------------------------------------------------------
    def filter_grid(self, text: str) -> None:
        """Filter the Apply grid (document numbers, POs, customer ids or amounts)."""
        self.grid_filter.fill(text)
        self._submit(self.filter_button)

    def next_page(self) -> None:
        self._submit(self.next_page_button)

    def visible_documents(self) -> list[str]:
        """Document numbers of the Apply rows on the current page (one round trip)."""
        return self._apply_labels(self.apply_grid)

    def credit_documents(self) -> list[str]:
        """Document numbers of the open credit memos on the Credits tab."""
        return self._apply_labels(self.credits_table)

    @staticmethod
    def _apply_labels(table: Locator) -> list[str]:
        labels: list[str] = table.evaluate(
            "t => [...t.querySelectorAll('input[type=checkbox]')]"
            "  .map(b => b.getAttribute('aria-label') || '')"
            "  .filter(l => l.startsWith('Apply '))"
        )
        return [label[len("Apply ") :] for label in labels]

    def open_draft(self, url: str) -> None:
        """Go (back) to a draft's entry screen; the draft keeps what was merged into it."""
        self.page.goto(url, wait_until="domcontentloaded")
        self._check()
        if "/payments/drafts/" not in self.page.url:
            raise ErpPageError("the draft is gone (posted or discarded)", url=self.page.url)

    def fill_rows(
        self, rows: Sequence[GridLine], credits: Sequence[GridLine] = ()
    ) -> list[str]:
        """Tick and fill Apply rows and Credits shown on this page (no button pressed).

        All or nothing, in one round trip: returns the document numbers this page does
        not show (then nothing was typed), an empty list when everything was filled.
        """
        entries: list[tuple[str, FillValue]] = []
        for row in rows:
            # Always write the discount: the page script pre-fills an available one.
            discount = "" if row.discount is None else _text(row.discount)
            entries += [
                (f"Apply {row.doc_no}", True),
                (f"Discount taken {row.doc_no}", discount),
                (f"Payment {row.doc_no}", _text(row.amount)),
            ]
        for credit in credits:
            entries += [
                (f"Apply {credit.doc_no}", True),
                (f"Credit {credit.doc_no}", _text(abs(credit.amount))),
            ]
        missing = self.fill_labelled(entries)
        prefixes = ("Apply ", "Discount taken ", "Payment ", "Credit ")
        docs = []
        for label in missing:
            doc = next((label[len(p) :] for p in prefixes if label.startswith(p)), label)
            if doc not in docs:
                docs.append(doc)
        return docs

    def adjustment_lines(self) -> list[AdjustmentLine]:
        """The adjustment lines the draft already holds, as the screen shows them."""
        rows: list[list[str]] = self.page.evaluate(
            """() => {
              const out = [];
              for (let n = 1; ; n++) {
                const get = (what) => document.querySelector(
                  `[aria-label="Adjustment ${n} ${what}"]`);
                if (!get('document')) return out;
                out.push(['document', 'type', 'reason code', 'amount'].map(
                  (w) => get(w) ? get(w).value : ''));
              }
            }"""
        )
        return [
            AdjustmentLine(doc, kind, parse_amount(amount), reason or None)
            for doc, kind, reason, amount in rows
            if amount.strip()
        ]

    def fill_new_adjustment(self, line: AdjustmentLine) -> None:
        """Type a line into the blank adjustment row; the next button press adds it."""
        missing = self.fill_labelled(
            [
                ("New adjustment document", line.doc_no),
                ("New adjustment type", line.type),
                ("New adjustment reason code", line.reason_code or ""),
                ("New adjustment amount", _text(line.amount)),
            ]
        )
        if missing:
            raise ErpPageError(f"no {', '.join(missing)} on the entry screen", url=self.page.url)

    def press_add_adjustment(self) -> None:
        """Press "Add adjustment": the screen takes in everything typed so far."""
        self._submit(self.add_adjustment_button)

    def apply(self, doc_no: str, amount: Decimal, *, discount: Decimal | None = None) -> None:
        """Tick one invoice or debit memo and enter its payment (and discount taken)."""
        self.apply_lines([GridLine(doc_no, amount, discount)])

    def apply_lines(self, lines: Sequence[GridLine]) -> None:
        """Tick and fill several grid rows, filtering for those not on the current page.

        Raises :class:`DocumentNotInGrid` for a document the grid does not offer.
        """
        pending: list[GridLine] = []
        for line in lines:
            if self.apply_checkbox(line.doc_no).count():
                self._fill_row(line)  # on this page: kept by the draft on the next press
            else:
                pending.append(line)
        for start in range(0, len(pending), _PAGE_SIZE):
            chunk = pending[start : start + _PAGE_SIZE]
            self.filter_grid(" ".join(line.doc_no for line in chunk))
            for line in chunk:
                self._fill_row(line)

    def _fill_row(self, line: GridLine) -> None:
        box = self.apply_checkbox(line.doc_no)
        if not box.count():
            raise DocumentNotInGrid(line.doc_no)
        box.check()
        # Always write the discount: the page script pre-fills an available one.
        self.discount_input(line.doc_no).fill("" if line.discount is None else _text(line.discount))
        self.payment_input(line.doc_no).fill(_text(line.amount))

    def unapply(self, doc_no: str) -> None:
        """Untick a row on the current page."""
        box = self.apply_checkbox(doc_no)
        if not box.count():
            raise DocumentNotInGrid(doc_no)
        box.uncheck()
        self.payment_input(doc_no).fill("")

    # -- Credits and adjustments ------------------------------------------------------
    def apply_credit(self, doc_no: str, amount: Decimal) -> None:
        """Take a credit memo; ``amount`` may be given as in the ledger (negative)."""
        box = self.apply_checkbox(doc_no)
        if not box.count():
            raise DocumentNotInGrid(doc_no)
        box.check()
        self.credit_input(doc_no).fill(_text(abs(amount)))

    def add_adjustment(
        self, doc_no: str, type: str, amount: Decimal, reason_code: str | None = None
    ) -> None:
        """Add an adjustment line (``discount``, ``bank_fee`` or ``deduction``)."""
        self.new_adjustment_doc.fill(doc_no)
        self.new_adjustment_type.select_option(type)
        self.new_adjustment_reason.select_option(reason_code or "")
        self.new_adjustment_amount.fill(_text(amount))
        self._submit(self.add_adjustment_button)

    # -- totals, errors, save ---------------------------------------------------------
    def recalculate(self) -> None:
        """Send what was typed to the ERP and let it redo the totals."""
        self._submit(self.recalculate_button)

    def read_totals(self) -> EntryTotals:
        """The totals bar as it stands (call :meth:`recalculate` first for the ERP's view)."""
        return EntryTotals(
            amount=parse_amount(self.total_amount.inner_text()),
            applied=parse_amount(self.total_applied.inner_text()),
            adjustments=parse_amount(self.total_adjustments.inner_text()),
            on_account=parse_amount(self.total_on_account.inner_text()),
        )

    def error_messages(self) -> list[str]:
        """The inline error list, in the order shown (empty when there is none)."""
        if not self.errors.count():
            return []
        items = self.errors.first.get_by_role("listitem").all_inner_texts()
        return [i.strip() for i in items if i.strip()] or [self.errors.first.inner_text()]

    def save(self) -> str:
        """Press Save and return the ERP document number (``PMT-000123``).

        Raises :class:`PaymentRejected` with the inline errors when the ERP refuses the
        payment (nothing was posted), or an :class:`ErpPageError` for anything else.
        """
        self._submit(self.save_button)
        shown: dict[str, Any] = self.page.evaluate(
            """() => ({
              heading: (document.querySelector('h1') || {textContent: ''}).textContent.trim(),
              errors: [...document.querySelectorAll('[role=alert] li')]
                .map((li) => li.textContent.trim()).filter(Boolean),
            })"""
        )
        heading = str(shown["heading"])
        saved = _SAVED.match(heading)
        if saved:
            return saved.group(1)
        errors = [str(e) for e in shown["errors"]] or self.error_messages()
        if errors:
            raise PaymentRejected(errors)
        raise ErpPageError(f"no confirmation after Save (page {heading!r})", url=self.page.url)

    def cancel(self) -> None:
        """Discard the draft."""
        self._submit(self.cancel_button)
