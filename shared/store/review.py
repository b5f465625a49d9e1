"""The review queue in the store: open, list, claim, release, update and resolve items.

Every change names the ``expected_version`` the caller read (the version shown in the
handler's page) and is a compare-and-set: ``UPDATE ... WHERE id = :id AND version =
:expected``, bumping the version.  If someone else changed the item in between, the
update matches no row and :class:`~shared.errors.StaleVersionError` is raised; nothing
is overwritten blindly.  Status moves follow :data:`shared.domain.TRANSITIONS`.

Each change appends an audit entry (before/after snapshots) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from shared import audit
from shared.domain import PaymentId, ReviewItem, ReviewKind, ReviewStatus, can_move
from shared.errors import InvalidTransitionError, RecordNotFoundError, StaleVersionError
from shared.store.engine import insert_new, rows_changed
from shared.store.tables import ReviewItemRow
from shared.store.types import utcnow

__all__ = [
    "assign_review_item",
    "change_review_item",
    "claim_review_item",
    "comment_review_item",
    "get_review_item",
    "list_review_items",
    "lock_review_item",
    "open_review_item",
    "release_review_item",
    "resolve_review_item",
    "update_review_item",
]

_ENTITY = "review_item"


def open_review_item(
    session: Session,
    *,
    kind: ReviewKind,
    title: str,
    actor: str,
    payload: Mapping[str, Any] | None = None,
    suggestions: Iterable[BaseModel | Mapping[str, Any]] = (),
    payment_id: PaymentId | None = None,
    key: str | None = None,
    sla_due: datetime | None = None,
    now: datetime | None = None,
) -> ReviewItem:
    """Open an item (status ``open``, version 1) and return it.

    With a ``key`` (e.g. ``"payment:<id>"``) opening is idempotent: if an item with that
    key exists it is returned unchanged, so a re-run after a crash opens no duplicate.
    """
    stamp = now or utcnow()
    values: dict[str, Any] = {
        "key": key,
        "kind": ReviewKind(kind).value,
        "status": ReviewStatus.OPEN.value,
        "title": title,
        "payment_id": payment_id,
        "payload": audit.snapshot(payload) or {},
        "suggestions": [audit.snapshot(s) for s in suggestions],
        "sla_due": sla_due,
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }
    if key is None:
        item_id = session.execute(
            insert(ReviewItemRow).values(**values).returning(ReviewItemRow.id)
        ).scalar_one()
    elif insert_new(session, ReviewItemRow, values, key=("key",)):
        item_id = session.execute(
            select(ReviewItemRow.id).where(ReviewItemRow.key == key)
        ).scalar_one()
    else:
        existing = session.execute(
            select(ReviewItemRow.id).where(ReviewItemRow.key == key)
        ).scalar_one()
        return get_review_item(session, item_id=existing)
    item = get_review_item(session, item_id=item_id)
    audit.append(
        session,
        actor=actor,
        action="review.open",
        entity_type=_ENTITY,
        entity_id=item_id,
        after=item,
        at=stamp,
    )
    return item


def lock_review_item(session: Session, *, item_id: int) -> ReviewItem:
    """The item as stored now, row-locked until the transaction ends.

    PostgreSQL: ``SELECT ... FOR UPDATE``, so a second writer waits for the first to
    commit and then sees its version (and loses cleanly with a stale version) instead
    of acting on what it read before.  SQLite's write transactions are serialised by
    BEGIN IMMEDIATE already.
    """
    row = session.get(ReviewItemRow, item_id, populate_existing=True, with_for_update=True)
    if row is None:
        raise RecordNotFoundError(_ENTITY, item_id)
    return _item(row)


def get_review_item(session: Session, *, item_id: int) -> ReviewItem:
    """The item as stored now; raises :class:`~shared.errors.RecordNotFoundError`."""
    row = session.get(ReviewItemRow, item_id, populate_existing=True)
    if row is None:
        raise RecordNotFoundError(_ENTITY, item_id)
    return _item(row)


def list_review_items(
    session: Session,
    *,
    status: ReviewStatus | Iterable[ReviewStatus] | None = (
        ReviewStatus.OPEN,
        ReviewStatus.CLAIMED,
    ),
    kind: ReviewKind | None = None,
    assignee: str | None = None,
    payment_id: PaymentId | None = None,
    due_before: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ReviewItem]:
    """A page of the queue, most urgent first (SLA due, items without SLA last, then id).

    By default the items a person still has to act on (open and claimed); pass
    ``status=None`` for all.  ``due_before`` keeps items due before that time.
    """
    query = select(ReviewItemRow).execution_options(populate_existing=True)
    if status is not None:
        wanted = [status] if isinstance(status, ReviewStatus) else list(status)
        query = query.where(ReviewItemRow.status.in_([s.value for s in wanted]))
    if kind is not None:
        query = query.where(ReviewItemRow.kind == ReviewKind(kind).value)
    if assignee is not None:
        query = query.where(ReviewItemRow.assignee == assignee)
    if payment_id is not None:
        query = query.where(ReviewItemRow.payment_id == payment_id)
    if due_before is not None:
        query = query.where(ReviewItemRow.sla_due < due_before)
    query = query.order_by(ReviewItemRow.sla_due.is_(None), ReviewItemRow.sla_due, ReviewItemRow.id)
    return [_item(row) for row in session.scalars(query.limit(limit).offset(offset))]


def claim_review_item(
    session: Session,
    *,
    item_id: int,
    expected_version: int,
    assignee: str,
    now: datetime | None = None,
) -> ReviewItem:
    """``assignee`` takes an open item; it becomes ``claimed`` by them."""
    return _change(
        session,
        item_id=item_id,
        expected_version=expected_version,
        actor=assignee,
        action="review.claim",
        status=ReviewStatus.CLAIMED,
        values={"assignee": assignee},
        now=now,
    )


def release_review_item(
    session: Session,
    *,
    item_id: int,
    expected_version: int,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> ReviewItem:
    """Give a claimed item back to the queue (``open``, no assignee)."""
    return _change(
        session,
        item_id=item_id,
        expected_version=expected_version,
        actor=actor,
        action="review.release",
        status=ReviewStatus.OPEN,
        values={"assignee": None},
        reason=reason,
        now=now,
    )


def update_review_item(
    session: Session,
    *,
    item_id: int,
    expected_version: int,
    actor: str,
    payload: Mapping[str, Any] | None = None,
    suggestions: Iterable[BaseModel | Mapping[str, Any]] | None = None,
    sla_due: datetime | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> ReviewItem:
    """Replace the payload, suggestions or SLA of an item still being worked on."""
    values: dict[str, Any] = {}
    if payload is not None:
        values["payload"] = audit.snapshot(payload)
    if suggestions is not None:
        values["suggestions"] = [audit.snapshot(s) for s in suggestions]
    if sla_due is not None:
        values["sla_due"] = sla_due
    return _change(
        session,
        item_id=item_id,
        expected_version=expected_version,
        actor=actor,
        action="review.update",
        status=None,
        values=values,
        reason=reason,
        now=now,
    )


def resolve_review_item(
    session: Session,
    *,
    item_id: int,
    expected_version: int,
    actor: str,
    resolution: Mapping[str, Any] | BaseModel,
    reject: bool = False,
    reason: str | None = None,
    on_behalf_of_assignee: bool = False,
    now: datetime | None = None,
) -> ReviewItem:
    """Close an item as ``resolved`` (or ``rejected``) with what was decided.

    A claimed item can only be closed by its assignee, unless ``on_behalf_of_assignee``
    (an approver confirming the assignee's proposal: maker-checker).  ``resolution``
    records the outcome (e.g. the handler's decision as JSON); ``reason`` is the note.
    """
    return _change(
        session,
        on_behalf_of_assignee=on_behalf_of_assignee,
        item_id=item_id,
        expected_version=expected_version,
        actor=actor,
        action="review.reject" if reject else "review.resolve",
        status=ReviewStatus.REJECTED if reject else ReviewStatus.RESOLVED,
        values={"resolution": audit.snapshot(resolution)},
        reason=reason,
        now=now,
    )


def assign_review_item(
    session: Session,
    *,
    item_id: int,
    expected_version: int,
    actor: str,
    assignee: str | None,
    reason: str | None = None,
    now: datetime | None = None,
) -> ReviewItem:
    """Give an item to ``assignee`` (``claimed`` by them), or back to the queue (None).

    Unlike :func:`claim_review_item` the actor may be someone else (a team lead
    reassigning work, bulk assignment), and the item may be claimed by a third person.
    """
    status = ReviewStatus.OPEN if assignee is None else ReviewStatus.CLAIMED
    before = get_review_item(session, item_id=item_id)
    if before.status is status and before.assignee == assignee:
        if before.version != expected_version:
            raise StaleVersionError(_ENTITY, item_id, expected_version, before.version)
        return before
    return _change(
        session,
        item_id=item_id,
        expected_version=expected_version,
        actor=actor,
        action="review.assign",
        status=status if before.status is not status else None,
        values={"assignee": assignee, "status": status.value},
        reason=reason,
        on_behalf_of_assignee=True,
        now=now,
    )


def comment_review_item(
    session: Session,
    *,
    item_id: int,
    actor: str,
    text: str,
    now: datetime | None = None,
) -> int:
    """Add a comment to an item's history (the audit log); returns the entry id.

    A comment changes nothing on the item, so it takes no version: two people may
    comment at once.  Closed items still take comments (an auditor's note).
    """
    if not text.strip():
        raise ValueError("a comment needs some text")
    get_review_item(session, item_id=item_id)  # RecordNotFoundError for a wrong id
    return audit.append(
        session,
        actor=actor,
        action="review.comment",
        entity_type=_ENTITY,
        entity_id=item_id,
        reason=text.strip()[:4000],
        at=now,
    )


def change_review_item(
    session: Session,
    *,
    item_id: int,
    expected_version: int,
    actor: str,
    action: str,
    status: ReviewStatus | None = None,
    values: Mapping[str, Any] | None = None,
    reason: str | None = None,
    on_behalf_of_assignee: bool = False,
    now: datetime | None = None,
) -> ReviewItem:
    """A compare-and-set step under a named ``action`` (for store modules built on this).

    Same rules as every change here: the version must match, the status move must be
    allowed, an item claimed by someone else refuses (unless ``on_behalf_of_assignee``);
    an audit entry is appended.
    """
    return _change(session, item_id=item_id, expected_version=expected_version, actor=actor,
                   action=action, status=status, values=dict(values or {}), reason=reason,
                   on_behalf_of_assignee=on_behalf_of_assignee, now=now)


def _change(
    session: Session,
    *,
    item_id: int,
    expected_version: int,
    actor: str,
    action: str,
    status: ReviewStatus | None,
    values: dict[str, Any],
    reason: str | None = None,
    on_behalf_of_assignee: bool = False,
    now: datetime | None = None,
) -> ReviewItem:
    before = get_review_item(session, item_id=item_id)
    if before.version != expected_version:
        raise StaleVersionError(_ENTITY, item_id, expected_version, before.version)
    if status is not None and not can_move(before.status, status):
        raise InvalidTransitionError(_ENTITY, item_id, before.status.value, status.value)
    if status is None and not before.is_open:
        raise InvalidTransitionError(_ENTITY, item_id, before.status.value, "updated")
    claimed_by_other = before.status is ReviewStatus.CLAIMED and before.assignee != actor
    if claimed_by_other and status is not ReviewStatus.OPEN and not on_behalf_of_assignee:
        raise InvalidTransitionError(
            _ENTITY, item_id, f"claimed by {before.assignee}", f"{action} by {actor}"
        )
    stamp = now or utcnow()
    if status is not None:
        values = {**values, "status": status.value}
    changed = rows_changed(
        session,
        update(ReviewItemRow)
        .where(ReviewItemRow.id == item_id, ReviewItemRow.version == expected_version)
        .values(**values, version=ReviewItemRow.version + 1, updated_at=stamp),
    )
    if changed != 1:
        # Lost the race between our read and our update (PostgreSQL, READ COMMITTED).
        current = get_review_item(session, item_id=item_id)
        raise StaleVersionError(_ENTITY, item_id, expected_version, current.version)
    after = get_review_item(session, item_id=item_id)
    audit.append(
        session,
        actor=actor,
        action=action,
        entity_type=_ENTITY,
        entity_id=item_id,
        before=before,
        after=after,
        reason=reason,
        at=stamp,
    )
    return after


def _item(row: ReviewItemRow) -> ReviewItem:
    return ReviewItem(
        item_id=row.id,
        kind=ReviewKind(row.kind),
        status=ReviewStatus(row.status),
        title=row.title,
        payment_id=row.payment_id,
        key=row.key,
        payload=row.payload,
        suggestions=tuple(row.suggestions),
        assignee=row.assignee,
        sla_due=row.sla_due,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        resolution=row.resolution,
    )
