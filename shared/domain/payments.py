"""Money coming in: bank payments and the remittance advices that explain them.

A :class:`Payment` is one credit entry of a bank statement (FORMAT.md 1.4); its
``payment_id`` is the bank's own reference and the idempotency key of everything done
with it downstream.  A :class:`Remittance` is what a customer says it paid for (FORMAT.md
1.5, 1.7): its lines keep the reference *as printed* beside the document number the
reader resolved, so a handler can see both.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import model_validator

from shared.domain.vocabulary import (
    Currency,
    CustomerId,
    DocNo,
    FrozenModel,
    Money,
    NonBlank,
    NonNegativeMoney,
    PaymentId,
    PositiveMoney,
    ReasonCode,
    RemittanceId,
)
from shared.money import ZERO

__all__ = ["Payment", "Remittance", "RemittanceLine"]


class Payment(FrozenModel):
    """One incoming credit on a bank statement: the unit the matcher decides on.

    Payer fields hold what the bank shows (upper case, truncated, a payment platform's
    name and account instead of the customer's); identifying the customer is the
    matcher's job.  ``text`` is the entry's free text (at most 140 characters in the
    banks' formats, not enforced here).
    """

    payment_id: PaymentId
    amount: PositiveMoney
    currency: Currency
    value_date: date
    payer_name: str | None = None
    payer_account: str | None = None
    payer_bank: str | None = None
    text: str | None = None
    receiving_account: str | None = None
    source: str | None = None


class RemittanceLine(FrozenModel):
    """One document line of a remittance advice (page totals are not lines).

    ``paid`` is net of the line's ``deduction`` and ``discount`` and negative for credit
    memos.  ``doc_no`` is our document the reader resolved ``ref_as_printed`` to, or
    ``None`` while unresolved.  When ``gross`` is printed, it must equal
    ``paid + deduction + discount``.
    """

    ref_as_printed: NonBlank
    doc_no: DocNo | None = None
    gross: Money | None = None
    deduction: NonNegativeMoney = ZERO
    discount: NonNegativeMoney = ZERO
    paid: Money
    reason_code: ReasonCode | None = None
    reason_text: str | None = None
    # OCR read a gross that paid + deduction + discount do not explain (the gross is
    # then not kept): most likely a deduction or discount column was missed.
    gross_unexplained: bool = False

    @model_validator(mode="after")
    def _gross_adds_up(self) -> RemittanceLine:
        if self.gross is not None and self.gross != self.paid + self.deduction + self.discount:
            raise ValueError(
                f"line {self.ref_as_printed!r}: gross {self.gross} != paid {self.paid} "
                f"+ deduction {self.deduction} + discount {self.discount}"
            )
        if self.reason_code is not None and self.deduction == 0:
            raise ValueError(f"line {self.ref_as_printed!r}: a reason code needs a deduction")
        return self


class Remittance(FrozenModel):
    """A remittance advice as read from one mail (or one attachment of it).

    ``source`` says where it came from (Message-ID or file name); ``payment_id`` links
    it to a statement payment once known (the advice may arrive before the money).
    """

    remittance_id: RemittanceId
    source: NonBlank
    channel: str | None = None
    customer_id: CustomerId | None = None
    payment_id: PaymentId | None = None
    payer_name: str | None = None
    currency: Currency | None = None
    payment_date: date | None = None
    total_paid: Money | None = None
    payment_ref: str | None = None  # the payer's own payment number, as printed
    problem: str | None = None  # why the advice cannot be trusted as read, if so
    lines: tuple[RemittanceLine, ...] = ()

    @property
    def lines_paid(self) -> Decimal:
        """Sum of ``paid`` over the lines; compare with ``total_paid`` to spot misreads."""
        return sum((line.paid for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        """What the advice says is paid: its printed total, else the sum of its lines."""
        return self.total_paid if self.total_paid is not None else self.lines_paid
