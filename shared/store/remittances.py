"""Remittance advices in the store, with their lines; idempotent by ``remittance_id``.

The reader stores an advice in the same transaction that marks its mail processed, so a
crash between the two cannot lose or double it.  Storing the same advice again is a
no-op; the same id with other content is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from shared.domain import CustomerId, PaymentId, Remittance, RemittanceId, RemittanceLine
from shared.errors import ConflictingDataError, RecordNotFoundError
from shared.store.engine import insert_new
from shared.store.tables import RemittanceLineRow, RemittanceRow
from shared.store.types import utcnow

__all__ = ["get_remittance", "link_remittance", "list_remittances", "save_remittance"]

_HEADER_FIELDS = tuple(name for name in Remittance.model_fields if name != "lines")
_LINE_FIELDS = tuple(RemittanceLine.model_fields)


def save_remittance(
    session: Session, *, remittance: Remittance, now: datetime | None = None
) -> bool:
    """Store an advice and its lines once; True when new, False when already stored.

    Raises :class:`~shared.errors.ConflictingDataError` (``remittance_id_conflict``)
    when the id is known with different content.
    """
    header = {name: getattr(remittance, name) for name in _HEADER_FIELDS}
    if not insert_new(
        session,
        RemittanceRow,
        {**header, "received_at": now or utcnow()},
        key=("remittance_id",),
    ):
        if get_remittance(session, remittance_id=remittance.remittance_id) != remittance:
            raise ConflictingDataError(
                "remittance_id_conflict",
                f"remittance {remittance.remittance_id} is already stored with other content",
                remittance_id=remittance.remittance_id,
                source=remittance.source,
            )
        return False
    if remittance.lines:
        session.execute(
            insert(RemittanceLineRow),
            [
                {
                    "remittance_id": remittance.remittance_id,
                    "line_no": number,
                    **{name: getattr(line, name) for name in _LINE_FIELDS},
                }
                for number, line in enumerate(remittance.lines, start=1)
            ],
        )
    return True


def get_remittance(session: Session, *, remittance_id: RemittanceId) -> Remittance | None:
    """The advice with this id and its lines in printed order, or None."""
    found = _load(
        session, select(RemittanceRow).where(RemittanceRow.remittance_id == remittance_id)
    )
    return found[0] if found else None


def list_remittances(
    session: Session,
    *,
    payment_id: PaymentId | None = None,
    customer_id: CustomerId | None = None,
    unlinked: bool = False,
) -> list[Remittance]:
    """Advices filtered by payment or customer; ``unlinked`` keeps those without a payment.

    Ordered by arrival (``received_at``), then id.
    """
    query = select(RemittanceRow).order_by(RemittanceRow.received_at, RemittanceRow.remittance_id)
    if payment_id is not None:
        query = query.where(RemittanceRow.payment_id == payment_id)
    if customer_id is not None:
        query = query.where(RemittanceRow.customer_id == customer_id)
    if unlinked:
        query = query.where(RemittanceRow.payment_id.is_(None))
    return _load(session, query)


def link_remittance(session: Session, *, remittance_id: RemittanceId,
                    payment_id: PaymentId) -> None:
    """Record that an advice belongs to a payment (commit it with the payment's decision).

    Linking an advice again to the same payment is a no-op; to another payment it is
    refused (:class:`~shared.errors.ConflictingDataError`): one advice, one payment.
    """
    row = session.get(RemittanceRow, remittance_id)
    if row is None:
        raise RecordNotFoundError("remittance", remittance_id)
    if row.payment_id not in (None, payment_id):
        raise ConflictingDataError(
            "remittance_already_linked",
            f"remittance {remittance_id} already belongs to payment {row.payment_id}",
            remittance_id=remittance_id, payment_id=payment_id, linked_to=row.payment_id)
    row.payment_id = payment_id


def _load(session: Session, query: Select[tuple[RemittanceRow]]) -> list[Remittance]:
    headers = session.scalars(query).all()
    if not headers:
        return []
    ids = [row.remittance_id for row in headers]
    lines: dict[str, list[RemittanceLine]] = {rid: [] for rid in ids}
    line_rows = session.scalars(
        select(RemittanceLineRow)
        .where(RemittanceLineRow.remittance_id.in_(ids))
        .order_by(RemittanceLineRow.remittance_id, RemittanceLineRow.line_no)
    )
    for row in line_rows:
        lines[row.remittance_id].append(
            RemittanceLine(**{name: getattr(row, name) for name in _LINE_FIELDS})
        )
    return [
        Remittance(
            **{name: getattr(row, name) for name in _HEADER_FIELDS},
            lines=tuple(lines[row.remittance_id]),
        )
        for row in headers
    ]
