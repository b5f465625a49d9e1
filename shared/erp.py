"""The ERP port: what a bot asks of an ERP when it posts customer payments.

:class:`ErpGateway` is the protocol; the erp_poster bot has its adapters (the sandbox
ERP's web screens through Playwright, and a JSONL file for dry runs).  Another ERP
(NetSuite, SAP Fiori, Dynamics) is another adapter behind the same five methods, with its
own page objects; the poster's logic (search before posting, verify what was saved,
review items, retries) does not change.

The records are plain data: a :class:`PostingRequest` says what to post, an
:class:`ErpPayment` is what the ERP shows as posted (read back from its own screens).
The ``payment_id`` travels in the ERP document's memo/reference field: it is the
idempotency key that lets a poster find its own earlier postings after a crash.

Errors follow :mod:`shared.errors`: the ERP refusing the data raises a
:class:`~shared.errors.BusinessError` (a person must look); an ERP that is down, slow or
logged out raises an :class:`~shared.errors.ExternalServiceError` after the adapter's own
retries; :class:`SaveOutcomeUnknown` says that a save was sent but its answer was lost,
so the caller must search before it posts again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from shared.domain import Decision, Payment
from shared.errors import ExternalServiceError
from shared.money import ZERO

__all__ = [
    "ErpAdjustment",
    "ErpApplication",
    "ErpGateway",
    "ErpPayment",
    "PostingRequest",
    "SaveOutcomeUnknown",
]


@dataclass(frozen=True, slots=True)
class ErpApplication:
    """Cash on one document; negative for a credit memo."""

    doc_no: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ErpAdjustment:
    """A discount, bank fee or deduction booked on one document."""

    type: str
    doc_no: str
    amount: Decimal
    reason_code: str | None = None


@dataclass(frozen=True, slots=True)
class PostingRequest:
    """One customer payment to post: the payment's header and the decision's lines.

    ``value_date`` None leaves the ERP's posting date; ``currency`` None the customer's.
    """

    payment_id: str
    customer_id: str
    amount: Decimal
    currency: str | None
    value_date: date | None
    applications: tuple[ErpApplication, ...]
    adjustments: tuple[ErpAdjustment, ...] = ()
    on_account: Decimal = ZERO

    @classmethod
    def of(cls, payment: Payment, decision: Decision) -> PostingRequest:
        """The request for an ``auto`` decision on ``payment``.

        Raises ``ValueError`` for a decision that names no customer (the ERP needs one).
        """
        if decision.customer_id is None:
            raise ValueError(f"decision on {payment.payment_id} names no customer to post to")
        return cls(
            payment_id=payment.payment_id,
            customer_id=decision.customer_id,
            amount=payment.amount,
            currency=payment.currency,
            value_date=payment.value_date,
            applications=tuple(ErpApplication(a.doc_no, a.amount) for a in decision.applications),
            adjustments=tuple(
                ErpAdjustment(
                    j.type.value, j.doc_no, j.amount, None if j.reason_code is None else
                    j.reason_code.value
                )
                for j in decision.adjustments
            ),
            on_account=decision.on_account,
        )


@dataclass(frozen=True, slots=True)
class ErpPayment:
    """A posted customer payment as the ERP shows it."""

    document_no: str
    payment_id: str
    customer_id: str
    amount: Decimal
    currency: str
    value_date: date
    applications: tuple[ErpApplication, ...]
    adjustments: tuple[ErpAdjustment, ...]
    on_account: Decimal


class SaveOutcomeUnknown(ExternalServiceError):
    """Raised when Save was pressed but no answer came back (error page, timeout, logout).

    The document may or may not have been posted: search by payment_id before posting
    again.
    """

    def __init__(self, message: str) -> None:
        super().__init__("erp", message)


class ErpGateway(Protocol):
    """Post customer payments to one ERP and read them back (one session, one seat)."""

    def begin(self, payment_id: str) -> None:
        """Start the work on one payment (adapters start a trace for evidence here)."""
        ...

    def find_payments(self, payment_id: str) -> list[ErpPayment]:
        """Every posted payment whose memo/reference is exactly ``payment_id``."""
        ...

    def post_payment(
        self, request: PostingRequest, *, before_save: Callable[[], None]
    ) -> ErpPayment:
        """Enter and save the payment, then read the saved document back.

        ``before_save`` is called right before the irreversible step; if it raises, the
        payment is not saved.  Raises a :class:`~shared.errors.BusinessError` when the
        ERP refuses the payment, :class:`SaveOutcomeUnknown` when the answer to Save
        was lost, another :class:`~shared.errors.ExternalServiceError` when the ERP
        kept failing before Save.
        """
        ...

    def keep_evidence(self, directory: Path, stem: str) -> dict[str, str]:
        """Save what shows the current payment's failure (screenshot, trace); paths by kind."""
        ...

    def close(self) -> None:
        """End the session and free the browser or file."""
        ...
