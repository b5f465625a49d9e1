"""Review items: what a bot hands to a person, and the moves an item may make.

An item has a ``kind`` (what to look at), a JSON ``payload`` (what the bot saw: ids,
amounts, links to source documents), ranked ``suggestions`` with evidence, and a
``status`` that moves only along :data:`TRANSITIONS`::

    open ──claim──► claimed ──resolve──► resolved
      │  ◄─release──   │
      └──resolve/reject┴──reject──────► rejected

``version`` grows by one on every change; writers name the version they read and
lose (``StaleVersionError``) when someone else changed the item in between.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field, JsonValue, model_validator

from shared.domain.vocabulary import FrozenModel, NonBlank, PaymentId, ReviewKind, ReviewStatus

__all__ = ["TRANSITIONS", "ReviewItem", "can_move"]

TRANSITIONS: dict[ReviewStatus, frozenset[ReviewStatus]] = {
    ReviewStatus.OPEN: frozenset(
        {ReviewStatus.CLAIMED, ReviewStatus.RESOLVED, ReviewStatus.REJECTED}
    ),
    ReviewStatus.CLAIMED: frozenset(
        {ReviewStatus.OPEN, ReviewStatus.RESOLVED, ReviewStatus.REJECTED}
    ),
    # Final: a decided item is reopened by opening a new item, so history stays linear.
    ReviewStatus.RESOLVED: frozenset(),
    ReviewStatus.REJECTED: frozenset(),
}


def can_move(current: ReviewStatus, wanted: ReviewStatus) -> bool:
    """Whether an item in ``current`` status may move to ``wanted``."""
    return wanted in TRANSITIONS[current]


class ReviewItem(FrozenModel):
    """One entry of the review queue as stored (see the module docstring).

    ``key`` is an optional idempotency key (``"payment:<id>"``): opening an item with
    a key that exists returns the existing item instead of a duplicate.  ``payload``
    and ``resolution`` are JSON objects; being dicts they are not deep-frozen, so treat
    them as read-only.
    """

    item_id: int
    kind: ReviewKind
    status: ReviewStatus
    title: NonBlank
    payment_id: PaymentId | None = None
    key: str | None = None
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    suggestions: tuple[JsonValue, ...] = ()
    assignee: str | None = None
    sla_due: AwareDatetime | None = None
    version: int = Field(ge=1)
    created_at: AwareDatetime
    updated_at: AwareDatetime
    resolution: dict[str, JsonValue] | None = None

    @model_validator(mode="after")
    def _claimed_has_assignee(self) -> ReviewItem:
        if self.status is ReviewStatus.CLAIMED and not self.assignee:
            raise ValueError(f"review item {self.item_id} is claimed by nobody")
        return self

    @property
    def is_open(self) -> bool:
        """True while a person still has to act (open or claimed)."""
        return self.status in (ReviewStatus.OPEN, ReviewStatus.CLAIMED)

    def overdue(self, now: datetime) -> bool:
        """True when the item is still open after its SLA due time."""
        return self.is_open and self.sla_due is not None and now > self.sla_due
