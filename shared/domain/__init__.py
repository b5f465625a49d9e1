"""The domain model: immutable values the bots exchange, with their rules built in.

Models are frozen pydantic v2 models, not dataclasses: they are built at the edges from
untrusted text (CSV exports, bank files, OCR, JSON lines, web forms), so validation and
coercion on construction (``"12.50"`` -> ``Decimal("12.50")``, ``"INV"`` ->
``DocType.INVOICE``) and JSON in and out are the main job, and pydantic does both with
clear error messages.  ``frozen=True`` makes them hashable values that no stage can
change behind another's back; collections are tuples for the same reason.

Rule violations raise ``pydantic.ValidationError`` (a ``ValueError``) whose message
names the payment or document and the rule.
"""

from shared.domain.decision import Adjustment, Application, Decision, Suggestion
from shared.domain.ledger import Customer, OpenItem
from shared.domain.payments import Payment, Remittance, RemittanceLine
from shared.domain.review import TRANSITIONS, ReviewItem, can_move
from shared.domain.vocabulary import (
    AdjustmentType,
    Currency,
    CustomerId,
    DecisionKind,
    DocNo,
    DocType,
    ExceptionKind,
    Money,
    NonNegativeMoney,
    PaymentId,
    PositiveMoney,
    ReasonCode,
    RemittanceId,
    ReviewKind,
    ReviewStatus,
)

__all__ = [
    "TRANSITIONS",
    "Adjustment",
    "AdjustmentType",
    "Application",
    "Currency",
    "Customer",
    "CustomerId",
    "Decision",
    "DecisionKind",
    "DocNo",
    "DocType",
    "ExceptionKind",
    "Money",
    "NonNegativeMoney",
    "OpenItem",
    "Payment",
    "PaymentId",
    "PositiveMoney",
    "ReasonCode",
    "Remittance",
    "RemittanceId",
    "RemittanceLine",
    "ReviewItem",
    "ReviewKind",
    "ReviewStatus",
    "Suggestion",
    "can_move",
]
