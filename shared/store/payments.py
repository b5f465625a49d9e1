"""Payments in the store: idempotent by ``payment_id``, read back in value-date order.

Statement files overlap and get re-delivered; :func:`upsert_payment` makes reading the
same entry twice harmless, and refuses an entry whose reference is known with other
content (a bank or reader error a person has to look at).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from shared.domain import Payment, PaymentId
from shared.errors import ConflictingDataError
from shared.store.engine import insert_new
from shared.store.tables import DecisionRow, PaymentRow
from shared.store.types import utcnow

__all__ = ["get_payment", "list_payments", "list_undecided_payments", "upsert_payment"]

_FIELDS = tuple(Payment.model_fields)


def upsert_payment(session: Session, *, payment: Payment, now: datetime | None = None) -> bool:
    """Store a payment once; True when it is new, False when it was already stored.

    Raises :class:`~shared.errors.ConflictingDataError` (code ``payment_id_conflict``)
    when the ``payment_id`` is known with different content.
    """
    values = {name: getattr(payment, name) for name in _FIELDS}
    if insert_new(
        session, PaymentRow, {**values, "received_at": now or utcnow()}, key=("payment_id",)
    ):
        return True
    stored = get_payment(session, payment_id=payment.payment_id)
    if stored != payment:
        raise ConflictingDataError(
            "payment_id_conflict",
            f"payment {payment.payment_id} is already stored with different content",
            payment_id=payment.payment_id,
            stored_amount=None if stored is None else str(stored.amount),
            new_amount=str(payment.amount),
        )
    return False


def get_payment(session: Session, *, payment_id: PaymentId) -> Payment | None:
    """The payment with this bank reference, or None."""
    row = session.get(PaymentRow, payment_id)
    return None if row is None else _payment(row)


def list_payments(session: Session) -> list[Payment]:
    """Every stored payment, in value-date order, then by id."""
    query = select(PaymentRow).order_by(PaymentRow.value_date, PaymentRow.payment_id)
    return [_payment(row) for row in session.scalars(query)]


def list_undecided_payments(session: Session, *, limit: int | None = None) -> list[Payment]:
    """Payments without any decision yet, in value-date order (policy 2.1), then by id."""
    decided = exists().where(DecisionRow.payment_id == PaymentRow.payment_id)
    query = (
        select(PaymentRow)
        .where(~decided)
        .order_by(PaymentRow.value_date, PaymentRow.payment_id)
        .limit(limit)
    )
    return [_payment(row) for row in session.scalars(query)]


def _payment(row: PaymentRow) -> Payment:
    return Payment(**{name: getattr(row, name) for name in _FIELDS})
