"""The outbox of ERP postings: each payment is posted at most once, by one worker at a time.

An ``auto`` decision (or a handler's decision) is enqueued in the same transaction that
records it.  Posters then loop::

    with write_transaction(engine) as s:
        posting = claim_next_posting(s, worker="poster-1")
    ... post in the ERP (payment_id in the memo), read the document back ...
    with write_transaction(engine) as s:
        mark_posted(s, payment_id=posting.payment_id, worker="poster-1", erp_document_no=no)

States::

    pending ──claim──► posting ──mark_posted──► posted
       ▲                  │
       └──retry_at────────┤ mark_posting_failed
                          └──(no retry)──────► failed ──requeue_posting──► pending

A claim holds a lease.  When a worker dies mid-posting the lease runs out and another
worker may claim the entry again; that worker must search the ERP for the payment_id
before posting (DESIGN.md), which is what makes "at most once" hold across crashes.

Claims are exclusive on both backends: PostgreSQL skips rows other workers have locked
(``FOR UPDATE SKIP LOCKED``), SQLite serialises writers (BEGIN IMMEDIATE), and the claim
itself is a compare-and-set on (state, attempts), so even a misused transaction cannot
hand one entry to two workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from shared import audit
from shared.domain import DecisionKind, PaymentId
from shared.errors import InvalidTransitionError, RecordNotFoundError
from shared.store.engine import insert_new, rows_changed
from shared.store.tables import DecisionRow, PostingRow
from shared.store.types import utcnow

__all__ = [
    "DEFAULT_LEASE",
    "Posting",
    "PostingState",
    "claim_next_posting",
    "count_postings",
    "enqueue_posting",
    "get_posting",
    "mark_posted",
    "mark_posting_failed",
    "next_due",
    "renew_lease",
    "requeue_posting",
]

DEFAULT_LEASE = timedelta(minutes=10)
# A claim loses its compare-and-set only if someone bypassed the locks; try a few rows.
_CLAIM_TRIES = 5


class PostingState(StrEnum):
    """Where an outbox entry is; see the module docstring for the moves."""

    PENDING = "pending"
    POSTING = "posting"
    POSTED = "posted"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Posting:
    """An outbox entry as stored."""

    posting_id: int
    payment_id: PaymentId
    decision_id: int
    state: PostingState
    erp_document_no: str | None
    attempts: int
    last_error: str | None
    claimed_by: str | None
    lease_until: datetime | None
    available_at: datetime
    created_at: datetime
    updated_at: datetime
    posted_at: datetime | None


def enqueue_posting(
    session: Session,
    *,
    payment_id: PaymentId,
    decision_id: int,
    now: datetime | None = None,
) -> bool:
    """Queue the posting of an ``auto`` decision; False if the payment is queued already.

    The payment_id is unique in the outbox: enqueueing twice (a re-run after a crash)
    is harmless.  Raises :class:`~shared.errors.InvalidTransitionError` for a review
    decision or one about another payment.
    """
    _check_postable(session, payment_id=payment_id, decision_id=decision_id)
    stamp = now or utcnow()
    return insert_new(
        session,
        PostingRow,
        {
            "payment_id": payment_id,
            "decision_id": decision_id,
            "state": PostingState.PENDING.value,
            "attempts": 0,
            "available_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
        },
        key=("payment_id",),
    )


def claim_next_posting(
    session: Session,
    *,
    worker: str,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> Posting | None:
    """Claim the oldest available entry for ``worker``, or return None when none is.

    Available: ``pending`` and due, or ``posting`` with an expired lease.  The claim
    counts as an attempt.  Commit right after, so other workers see the claim.
    """
    stamp = now or utcnow()
    available = or_(
        and_(PostingRow.state == PostingState.PENDING.value, PostingRow.available_at <= stamp),
        and_(PostingRow.state == PostingState.POSTING.value, PostingRow.lease_until < stamp),
    )
    for _ in range(_CLAIM_TRIES):
        candidate = session.execute(
            select(PostingRow.id, PostingRow.state, PostingRow.attempts)
            .where(available)
            .order_by(PostingRow.available_at, PostingRow.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if candidate is None:
            return None
        won = rows_changed(
            session,
            update(PostingRow)
            .where(
                PostingRow.id == candidate.id,
                PostingRow.state == candidate.state,
                PostingRow.attempts == candidate.attempts,
            )
            .values(
                state=PostingState.POSTING.value,
                claimed_by=worker,
                lease_until=stamp + lease,
                attempts=candidate.attempts + 1,
                updated_at=stamp,
            ),
        )
        if won == 1:
            return _posting(session.get_one(PostingRow, candidate.id, populate_existing=True))
    return None


def renew_lease(
    session: Session,
    *,
    payment_id: PaymentId,
    worker: str,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> Posting:
    """Extend ``worker``'s claim to ``now + lease``; call it right before an irreversible step.

    Raises :class:`~shared.errors.InvalidTransitionError` when the worker no longer holds
    the claim (its lease ran out and another worker took the entry): it must then stop
    without touching the ERP, because the other worker will post the payment.
    """
    stamp = now or utcnow()
    changed = rows_changed(
        session,
        update(PostingRow)
        .where(
            PostingRow.payment_id == payment_id,
            PostingRow.state == PostingState.POSTING.value,
            PostingRow.claimed_by == worker,
        )
        .values(lease_until=stamp + lease, updated_at=stamp),
    )
    return _after_change(session, payment_id, changed, PostingState.POSTING, worker)


def next_due(session: Session) -> datetime | None:
    """When the next entry becomes claimable, or None when nothing waits to be posted.

    The earliest ``available_at`` of a ``pending`` entry or ``lease_until`` of one being
    posted (it comes back when that worker's lease runs out without news).
    """
    pending = session.scalar(
        select(func.min(PostingRow.available_at)).where(
            PostingRow.state == PostingState.PENDING.value
        )
    )
    leased = session.scalar(
        select(func.min(PostingRow.lease_until)).where(
            PostingRow.state == PostingState.POSTING.value
        )
    )
    found = [stamp for stamp in (pending, leased) if stamp is not None]
    return min(found) if found else None


def mark_posted(
    session: Session,
    *,
    payment_id: PaymentId,
    worker: str,
    erp_document_no: str,
    now: datetime | None = None,
) -> Posting:
    """Record that ``worker`` posted the payment as ERP document ``erp_document_no``.

    Only the worker holding the claim may do this.  Raises
    :class:`~shared.errors.InvalidTransitionError` otherwise (the lease ran out and
    another worker took over: it will find the document in the ERP by payment_id).
    """
    stamp = now or utcnow()
    changed = rows_changed(
        session,
        update(PostingRow)
        .where(
            PostingRow.payment_id == payment_id,
            PostingRow.state == PostingState.POSTING.value,
            PostingRow.claimed_by == worker,
        )
        .values(
            state=PostingState.POSTED.value,
            erp_document_no=erp_document_no,
            lease_until=None,
            last_error=None,
            posted_at=stamp,
            updated_at=stamp,
        ),
    )
    posting = _after_change(session, payment_id, changed, PostingState.POSTED, worker)
    audit.append(
        session,
        actor=worker,
        action="posting.posted",
        entity_type="posting",
        entity_id=payment_id,
        after={"erp_document_no": erp_document_no, "attempts": posting.attempts},
        at=stamp,
    )
    return posting


def mark_posting_failed(
    session: Session,
    *,
    payment_id: PaymentId,
    worker: str,
    error: str,
    retry_at: datetime | None = None,
    now: datetime | None = None,
) -> Posting:
    """Record a failed attempt: back to ``pending`` from ``retry_at``, or ``failed`` for good.

    Pass ``retry_at`` for application errors (ERP down, timeout); leave it None for
    business errors, which need a person (a review item of kind posting_failure).
    """
    stamp = now or utcnow()
    state = PostingState.FAILED if retry_at is None else PostingState.PENDING
    changed = rows_changed(
        session,
        update(PostingRow)
        .where(
            PostingRow.payment_id == payment_id,
            PostingRow.state == PostingState.POSTING.value,
            PostingRow.claimed_by == worker,
        )
        .values(
            state=state.value,
            last_error=error,
            claimed_by=None,
            lease_until=None,
            available_at=retry_at if retry_at is not None else PostingRow.available_at,
            updated_at=stamp,
        ),
    )
    posting = _after_change(session, payment_id, changed, state, worker)
    audit.append(
        session,
        actor=worker,
        action="posting.retry" if retry_at is not None else "posting.failed",
        entity_type="posting",
        entity_id=payment_id,
        after={"state": state.value, "attempts": posting.attempts},
        reason=error,
        at=stamp,
    )
    return posting


def requeue_posting(
    session: Session,
    *,
    payment_id: PaymentId,
    decision_id: int,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> Posting:
    """Put a ``failed`` entry back in the queue, with a (new) decision, after a person acted."""
    _check_postable(session, payment_id=payment_id, decision_id=decision_id)
    stamp = now or utcnow()
    changed = rows_changed(
        session,
        update(PostingRow)
        .where(
            PostingRow.payment_id == payment_id,
            PostingRow.state == PostingState.FAILED.value,
        )
        .values(
            state=PostingState.PENDING.value,
            decision_id=decision_id,
            available_at=stamp,
            updated_at=stamp,
        ),
    )
    posting = _after_change(session, payment_id, changed, PostingState.PENDING, actor)
    audit.append(
        session,
        actor=actor,
        action="posting.requeue",
        entity_type="posting",
        entity_id=payment_id,
        after={"decision_id": decision_id},
        reason=reason,
        at=stamp,
    )
    return posting


def get_posting(session: Session, *, payment_id: PaymentId) -> Posting | None:
    """The outbox entry of a payment, or None if it was never queued."""
    row = session.scalars(
        select(PostingRow)
        .where(PostingRow.payment_id == payment_id)
        .execution_options(populate_existing=True)
    ).first()
    return None if row is None else _posting(row)


def count_postings(session: Session) -> dict[PostingState, int]:
    """How many entries are in each state (every state present, zero if none)."""
    counts = dict.fromkeys(PostingState, 0)
    rows = session.execute(select(PostingRow.state, func.count()).group_by(PostingRow.state))
    for state, number in rows:
        counts[PostingState(state)] = int(number)
    return counts


def _check_postable(session: Session, *, payment_id: PaymentId, decision_id: int) -> None:
    decision = session.get(DecisionRow, decision_id)
    if decision is None:
        raise RecordNotFoundError("decision", decision_id)
    if decision.payment_id != payment_id or decision.kind != DecisionKind.AUTO.value:
        raise InvalidTransitionError(
            "decision", decision_id, f"{decision.kind} on {decision.payment_id}", "posting"
        )


def _after_change(
    session: Session, payment_id: PaymentId, changed: int, wanted: PostingState, actor: str
) -> Posting:
    posting = get_posting(session, payment_id=payment_id)
    if posting is None:
        raise RecordNotFoundError("posting", payment_id)
    if changed != 1:
        held = f"{posting.state} by {posting.claimed_by}" if posting.claimed_by else posting.state
        raise InvalidTransitionError("posting", payment_id, f"{held} (asked by {actor})", wanted)
    return posting


def _posting(row: PostingRow) -> Posting:
    return Posting(
        posting_id=row.id,
        payment_id=row.payment_id,
        decision_id=row.decision_id,
        state=PostingState(row.state),
        erp_document_no=row.erp_document_no,
        attempts=row.attempts,
        last_error=row.last_error,
        claimed_by=row.claimed_by,
        lease_until=row.lease_until,
        available_at=row.available_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        posted_at=row.posted_at,
    )
