"""Decisions on payments: recorded as history, the newest one per payment is current.

A payment may be decided more than once: the matcher sends it to review, then a handler
decides it (same :class:`~shared.domain.Decision` shape, ``decided_by`` the person).
Nothing is overwritten, so the trail of who decided what stays in the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared import audit
from shared.domain import Decision, PaymentId
from shared.errors import ConflictingDataError, RecordNotFoundError
from shared.store.tables import DecisionRow, PaymentRow
from shared.store.types import utcnow

__all__ = [
    "DecisionRecord",
    "auto_decisions_since",
    "decision_history",
    "latest_decision",
    "record_decision",
]


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A stored decision with its id (what the outbox refers to) and its author."""

    decision_id: int
    decision: Decision
    decided_by: str
    decided_at: datetime


def record_decision(
    session: Session,
    *,
    decision: Decision,
    decided_by: str,
    now: datetime | None = None,
) -> int:
    """Store a decision on a stored payment and return its id.

    ``decided_by`` is ``"matcher"`` or the handler's login.  A decision that does not
    name the payment amount gets the stored one.  Raises
    :class:`~shared.errors.RecordNotFoundError` for an unknown payment and
    :class:`~shared.errors.ConflictingDataError` (``decision_amount_mismatch``) when the
    decision was made for another amount than the payment's.
    """
    payment = session.get(PaymentRow, decision.payment_id)
    if payment is None:
        raise RecordNotFoundError("payment", decision.payment_id)
    if decision.payment_amount is None:
        decision = decision.model_copy(update={"payment_amount": payment.amount})
    elif decision.payment_amount != payment.amount:
        raise ConflictingDataError(
            "decision_amount_mismatch",
            f"decision for payment {decision.payment_id} assumes amount "
            f"{decision.payment_amount}, the payment is {payment.amount}",
            payment_id=decision.payment_id,
        )
    row = DecisionRow(
        payment_id=decision.payment_id,
        kind=decision.kind.value,
        customer_id=decision.customer_id,
        on_account=decision.on_account,
        confidence=decision.confidence,
        reason=decision.reason,
        document=decision.model_dump(mode="json"),
        decided_by=decided_by,
        decided_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    # The audit trail says who decided what on which evidence (before: the decision it
    # replaces, e.g. the matcher's review when a handler resolves the payment).
    before = session.scalars(select(DecisionRow).where(
        DecisionRow.payment_id == decision.payment_id, DecisionRow.id < row.id)
        .order_by(DecisionRow.id.desc()).limit(1)).first()
    audit.append(session, actor=decided_by, action="decision_recorded", entity_type="payment",
                 entity_id=decision.payment_id, at=row.decided_at,
                 before=_audited(before.document) if before is not None else None,
                 after=_audited(row.document), reason=decision.reason)
    return row.id


def _audited(document: dict[str, Any]) -> dict[str, Any]:
    """What an auditor reads of a decision: the outcome and its evidence in words."""
    keys = ("kind", "customer_id", "applications", "adjustments", "on_account", "reason",
            "exception", "confidence", "evidence")
    return {key: document.get(key) for key in keys}


def latest_decision(session: Session, *, payment_id: PaymentId) -> DecisionRecord | None:
    """The current (newest) decision on a payment, or None if it was never decided."""
    row = session.scalars(
        select(DecisionRow)
        .where(DecisionRow.payment_id == payment_id)
        .order_by(DecisionRow.id.desc())
        .limit(1)
    ).first()
    return None if row is None else _record(row)


def auto_decisions_since(session: Session, *, since: datetime | None) -> list[Decision]:
    """Current auto decisions made after ``since`` (all when None), oldest first.

    What the matcher has applied that a ledger loaded at ``since`` cannot show yet.
    """
    newest = (select(func.max(DecisionRow.id)).group_by(DecisionRow.payment_id)).scalar_subquery()
    query = select(DecisionRow).where(DecisionRow.id.in_(newest), DecisionRow.kind == "auto")
    if since is not None:
        query = query.where(DecisionRow.decided_at > since)
    return [_record(row).decision for row in session.scalars(query.order_by(DecisionRow.id))]


def decision_history(session: Session, *, payment_id: PaymentId) -> list[DecisionRecord]:
    """Every decision on a payment, oldest first."""
    rows = session.scalars(
        select(DecisionRow).where(DecisionRow.payment_id == payment_id).order_by(DecisionRow.id)
    )
    return [_record(row) for row in rows]


def _record(row: DecisionRow) -> DecisionRecord:
    return DecisionRecord(
        decision_id=row.id,
        decision=Decision.model_validate(row.document),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
