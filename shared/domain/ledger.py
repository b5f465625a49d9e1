"""What the ledger knows before any payment: customers and their open items.

Both are read from the ERP's own export (FORMAT.md 1.2, 1.3) and never changed by the
matcher: applying a payment produces a :class:`~shared.domain.decision.Decision`, and
the ERP, not this model, closes the documents.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import model_validator

from shared.domain.vocabulary import (
    Currency,
    CustomerId,
    DocNo,
    DocType,
    FrozenModel,
    Money,
    NonBlank,
    PositiveMoney,
)

__all__ = ["Customer", "OpenItem"]


class Customer(FrozenModel):
    """A customer of the master data, with everything that helps recognise its payments.

    ``aliases`` are trade, former and short names; ``bank_accounts`` are payer identifiers
    as the master data writes them (``IBAN:...``, ``ABA:.../ACCT:...``, ``ACHID:...``).
    A ``parent_id`` customer may pay this customer's invoices.
    """

    customer_id: CustomerId
    name: NonBlank
    aliases: tuple[str, ...] = ()
    parent_id: CustomerId | None = None
    currency: Currency
    terms: str = "NET30"
    country: str | None = None
    remit_emails: tuple[str, ...] = ()
    bank_accounts: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _not_own_parent(self) -> Customer:
        if self.parent_id == self.customer_id:
            raise ValueError(f"customer {self.customer_id} cannot be its own parent")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """The legal name followed by the aliases: every name the payer may use."""
        return (self.name, *self.aliases)


class OpenItem(FrozenModel):
    """An AR document still (partly) open at the ledger date.

    Signs follow the ledger: invoices and debit memos are positive, credit memos
    negative, and ``open_amount`` has the sign of ``amount`` and is never larger in size.
    ``discount_date`` and ``discount_amount`` come together, only on discount terms.
    """

    doc_no: DocNo
    doc_type: DocType
    customer_id: CustomerId
    po_number: str | None = None
    doc_date: date
    due_date: date
    currency: Currency
    amount: Money
    open_amount: Money
    discount_date: date | None = None
    discount_amount: PositiveMoney | None = None

    @model_validator(mode="after")
    def _signs_and_discount(self) -> OpenItem:
        credit = self.doc_type is DocType.CREDIT_MEMO
        if credit and not self.amount < 0:
            raise ValueError(f"credit memo {self.doc_no} must have a negative amount")
        if not credit and not self.amount > 0:
            raise ValueError(f"{self.doc_type} {self.doc_no} must have a positive amount")
        if self.open_amount != 0 and (self.open_amount < 0) != credit:
            raise ValueError(f"{self.doc_no}: open amount has the wrong sign")
        if abs(self.open_amount) > abs(self.amount):
            raise ValueError(f"{self.doc_no}: open amount exceeds the document amount")
        if (self.discount_date is None) != (self.discount_amount is None):
            raise ValueError(f"{self.doc_no}: discount date and amount come together")
        if credit and self.discount_amount is not None:
            raise ValueError(f"credit memo {self.doc_no} cannot carry an early-payment discount")
        return self

    @property
    def is_credit(self) -> bool:
        """True for credit memos, which are applied in full as negative amounts."""
        return self.doc_type is DocType.CREDIT_MEMO

    def discount_on(self, value_date: date) -> Decimal | None:
        """The early-payment discount still earned on ``value_date``, or ``None``.

        FORMAT.md 2.4: valid when ``value_date <= discount_date``.
        """
        if self.discount_date is None or self.discount_amount is None:
            return None
        return self.discount_amount if value_date <= self.discount_date else None
