"""The words of the domain, named once: identifiers, money, currencies and the enums.

Identifiers are ``Annotated[str, ...]`` aliases rather than ``NewType``: they read as
the concept in every signature (``payment_id: PaymentId``), pydantic validates them
(trimmed, non-empty, at most 64 characters, the store's column width), and callers pass
plain strings without wrapping each literal.

Money fields use :data:`Money`: a ``Decimal`` with exactly two places.  Input may be a
``Decimal``, an ``int`` or a machine-format string (``"-12.5"``); a ``float`` is refused
(it cannot hold cents), and so is a value with more than two significant places
(``"1.005"``), because silently rounding a parsed amount would hide a reading error.
Text printed by people goes through :func:`shared.money.parse_amount` first.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

from shared.money import format_amount, to_money

__all__ = [
    "AdjustmentType",
    "Currency",
    "CustomerId",
    "DecisionKind",
    "DocNo",
    "DocType",
    "ExceptionKind",
    "FrozenModel",
    "Money",
    "NonBlank",
    "NonNegativeMoney",
    "PaymentId",
    "PositiveMoney",
    "ReasonCode",
    "RemittanceId",
    "ReviewKind",
    "ReviewStatus",
]

_KEY = StringConstraints(strip_whitespace=True, min_length=1, max_length=64)

DocNo = Annotated[str, _KEY]
"""Our document number as the ledger spells it: ``INV-2026-000451``, ``CM-2026-00012``."""

CustomerId = Annotated[str, _KEY]
"""A customer master key: ``C00042``."""

PaymentId = Annotated[str, _KEY]
"""The bank's own reference of a credit entry; the idempotency key of a posting."""

RemittanceId = Annotated[str, _KEY]
"""Stable id of one remittance advice, chosen by the reader (e.g. Message-ID + part)."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 4217 code in capitals: ``USD``, ``EUR``, ``GBP``."""


def _to_money(value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError(f"money must be a Decimal, int or string, not {type(value).__name__}")
    if not isinstance(value, Decimal | int | str):
        raise ValueError(f"money must be a Decimal, int or string, not {type(value).__name__}")
    try:
        exact = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not exact.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    amount = to_money(exact)
    if amount != exact:
        raise ValueError(f"more than two decimal places: {value!r}")
    return amount


Money = Annotated[
    Decimal,
    BeforeValidator(_to_money),
    PlainSerializer(format_amount, return_type=str, when_used="json"),
]
"""An amount with two places; serialised to JSON as a string (``"1031.03"``)."""

PositiveMoney = Annotated[Money, Field(gt=0)]
NonNegativeMoney = Annotated[Money, Field(ge=0)]


def _no_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NonBlank = Annotated[str, AfterValidator(_no_blank)]
"""Free text that must say something (a review reason, a printed reference)."""


class FrozenModel(BaseModel):
    """Base of the domain models: immutable, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class DocType(StrEnum):
    """Kind of ledger document: invoice, credit memo (negative) or debit memo."""

    INVOICE = "INV"
    CREDIT_MEMO = "CM"
    DEBIT_MEMO = "DM"


class AdjustmentType(StrEnum):
    """Why part of a document is closed without cash (FORMAT.md 2.4, 2.6, 2.7)."""

    DISCOUNT = "discount"
    BANK_FEE = "bank_fee"
    DEDUCTION = "deduction"


class ReasonCode(StrEnum):
    """Reason of a customer's deduction (FORMAT.md 2.6)."""

    PRICING = "PRICING"
    DAMAGED = "DAMAGED"
    SHORTAGE = "SHORTAGE"
    PROMOTION = "PROMOTION"
    FREIGHT = "FREIGHT"
    RETURN = "RETURN"
    OTHER = "OTHER"


class DecisionKind(StrEnum):
    """What the matcher decided for a payment: post it, or send it to a person."""

    AUTO = "auto"
    REVIEW = "review"


class ExceptionKind(StrEnum):
    """Payments that must go to review without any application (FORMAT.md 2.12)."""

    AMBIGUOUS = "ambiguous"
    UNIDENTIFIED = "unidentified"
    CURRENCY_MISMATCH = "currency_mismatch"
    WRONG_POCKET = "wrong_pocket"
    DUPLICATE = "duplicate"


class ReviewKind(StrEnum):
    """What a review item asks a person to look at (DESIGN.md, Review queue)."""

    UNMATCHED_PAYMENT = "unmatched_payment"
    PARTIAL_MATCH = "partial_match"
    EXTRACTION_FAILURE = "extraction_failure"
    POSTING_FAILURE = "posting_failure"
    BILLING_CHECK = "billing_check"
    DISPUTE = "dispute"
    PROMISE_TO_PAY = "promise_to_pay"
    BAD_DOCUMENT = "bad_document"


class ReviewStatus(StrEnum):
    """Life of a review item: open -> claimed -> resolved | rejected."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    REJECTED = "rejected"
