"""Maker-checker: proposals above a handler's write-off authority wait for an approver.

The handler (maker) files the proposal with :func:`request_approval`; the item stays
claimed by them, marked as waiting.  An approver (checker, never the maker) then
:func:`approve` s it, and the caller resolves the item in the same transaction, or
:func:`return_approval` s it to the maker with a note.  Both steps bump the item's
version, so a stale page cannot act on a proposal that changed meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared import audit
from shared.domain import ReviewStatus
from shared.errors import BusinessError, InvalidTransitionError, RecordNotFoundError
from shared.store.engine import rows_changed
from shared.store.review import change_review_item, get_review_item
from shared.store.tables import ReviewApprovalRow
from shared.store.types import utcnow

__all__ = [
    "Approval",
    "approve",
    "get_pending_approval",
    "list_pending_approvals",
    "request_approval",
    "return_approval",
]


@dataclass(frozen=True, slots=True)
class Approval:
    """A proposal waiting for (or decided by) an approver."""

    approval_id: int
    item_id: int
    state: str
    amount: Decimal
    proposal: dict[str, Any]
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


def request_approval(
    session: Session,
    *,
    item_id: int,
    expected_version: int,
    actor: str,
    amount: Decimal,
    proposal: dict[str, Any],
    note: str | None = None,
    now: datetime | None = None,
) -> Approval:
    """File ``proposal`` (JSON) for an approver; the item becomes claimed by ``actor``.

    Raises :class:`~shared.errors.InvalidTransitionError` when a proposal is already
    waiting, and the item's usual errors (stale version, claimed by someone else).
    """
    stamp = now or utcnow()
    if get_pending_approval(session, item_id=item_id) is not None:
        raise InvalidTransitionError("review_item", item_id, "awaiting approval", "approval")
    item = get_review_item(session, item_id=item_id)
    change_review_item(
        session, item_id=item_id, expected_version=expected_version, actor=actor,
        action="review.request_approval",
        status=ReviewStatus.CLAIMED if item.status is ReviewStatus.OPEN else None,
        values={"assignee": actor}, reason=note, now=stamp,
    )
    row = ReviewApprovalRow(item_id=item_id, state="pending", amount=amount,
                            proposal=audit.snapshot(proposal) or {}, requested_by=actor,
                            requested_at=stamp, note=note)
    session.add(row)
    session.flush()
    return _approval(row)


def approve(
    session: Session,
    *,
    item_id: int,
    actor: str,
    now: datetime | None = None,
) -> Approval:
    """Mark the waiting proposal approved by ``actor`` and return it.

    The caller resolves the item with the proposal in the same transaction.  Raises
    :class:`~shared.errors.BusinessError` (``maker_checker``) when the approver is the
    maker, and :class:`~shared.errors.RecordNotFoundError` when nothing waits.
    """
    return _decide(session, item_id=item_id, actor=actor, state="approved", note=None,
                   now=now)


def return_approval(
    session: Session,
    *,
    item_id: int,
    expected_version: int,
    actor: str,
    note: str,
    now: datetime | None = None,
) -> Approval:
    """Send the waiting proposal back to its maker with ``note``; the item stays theirs."""
    stamp = now or utcnow()
    approval = _decide(session, item_id=item_id, actor=actor, state="returned", note=note,
                       now=stamp)
    # The approver acts on the maker's claimed item; the item stays the maker's.
    change_review_item(session, item_id=item_id, expected_version=expected_version,
                       actor=actor, action="review.approval_returned", reason=note,
                       on_behalf_of_assignee=True, now=stamp)
    return approval


def get_pending_approval(session: Session, *, item_id: int) -> Approval | None:
    """The proposal of an item waiting for an approver, if any."""
    row = session.scalars(
        select(ReviewApprovalRow)
        .where(ReviewApprovalRow.item_id == item_id, ReviewApprovalRow.state == "pending")
        .execution_options(populate_existing=True)
    ).first()
    return None if row is None else _approval(row)


def list_pending_approvals(session: Session) -> list[Approval]:
    """Every proposal waiting for an approver, oldest first."""
    rows = session.scalars(
        select(ReviewApprovalRow).where(ReviewApprovalRow.state == "pending")
        .order_by(ReviewApprovalRow.id).execution_options(populate_existing=True)
    )
    return [_approval(row) for row in rows]


def _decide(session: Session, *, item_id: int, actor: str, state: str, note: str | None,
            now: datetime | None) -> Approval:
    stamp = now or utcnow()
    pending = get_pending_approval(session, item_id=item_id)
    if pending is None:
        raise RecordNotFoundError("pending approval of review_item", item_id)
    if pending.requested_by == actor:
        raise BusinessError("maker_checker",
                            "the person who proposed a write-off cannot approve it",
                            item_id=item_id, actor=actor)
    changed = rows_changed(
        session,
        update(ReviewApprovalRow)
        .where(ReviewApprovalRow.id == pending.approval_id, ReviewApprovalRow.state == "pending")
        .values(state=state, decided_by=actor, decided_at=stamp,
                note=note if note is not None else ReviewApprovalRow.note),
    )
    if changed != 1:
        raise InvalidTransitionError("approval", pending.approval_id, "decided", state)
    audit.append(session, actor=actor, action=f"approval.{state}", entity_type="review_item",
                 entity_id=item_id, before={"state": "pending", "amount": str(pending.amount),
                                            "requested_by": pending.requested_by},
                 after={"state": state}, reason=note, at=stamp)
    row = session.get_one(ReviewApprovalRow, pending.approval_id, populate_existing=True)
    return _approval(row)


def _approval(row: ReviewApprovalRow) -> Approval:
    return Approval(approval_id=row.id, item_id=row.item_id, state=row.state, amount=row.amount,
                    proposal=dict(row.proposal), requested_by=row.requested_by,
                    requested_at=row.requested_at, decided_by=row.decided_by,
                    decided_at=row.decided_at, note=row.note)
