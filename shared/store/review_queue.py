"""The queue as a handler sees it: filtered, searched and sorted pages, source documents,
and the numbers a team lead watches (open by kind and age, SLA breaches, throughput).

Filters that the database answers well (status, kind, assignee, amount, age, text) run
in SQL on both backends; the effective SLA due time (``sla_due``, or opening time plus
the configured SLA hours when a bot set none) is worked out here, so breach filters and
the "most urgent first" order agree on every backend.  Queues of people are small (a few
thousand open items at most), so sorting the filtered rows in Python is cheap; a page
reads at most :data:`MAX_ROWS` rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from shared.domain import OpenItem, ReviewItem, ReviewKind, ReviewStatus
from shared.errors import RecordNotFoundError
from shared.store.review import _item
from shared.store.tables import (
    AuditRow,
    CustomerRow,
    OpenItemRow,
    PaymentRow,
    ReviewApprovalRow,
    ReviewDocumentRow,
    ReviewItemRow,
)
from shared.store.types import utcnow

__all__ = [
    "AGE_BUCKETS",
    "MAX_ROWS",
    "DocumentInfo",
    "QueueFilter",
    "QueueMetrics",
    "QueuePage",
    "QueueRow",
    "attach_review_document",
    "get_review_document",
    "list_review_documents",
    "open_items_by_doc",
    "queue_metrics",
    "search_queue",
]

MAX_ROWS = 5000
StatusFilter = Literal["active", "open", "claimed", "approval", "closed", "all"]
SortKey = Literal["due", "age", "amount", "kind", "customer"]
# (label, lower bound in hours, upper bound in hours or None)
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("< 1 day", 0, 24),
    ("1-3 days", 24, 72),
    ("3-7 days", 72, 168),
    ("> 7 days", 168, None),
)
_ACTIVE = (ReviewStatus.OPEN.value, ReviewStatus.CLAIMED.value)
_CLOSED = (ReviewStatus.RESOLVED.value, ReviewStatus.REJECTED.value)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the list page asks for; every field optional.

    ``assignee``: a username, ``"-"`` for unassigned, None for anyone.  ``customer``
    matches the customer id, the customer's name or the payer's name (substring);
    ``text`` the title, the payment id and the customer.  ``older_than_days`` keeps
    items opened at least that long ago.
    """

    status: StatusFilter = "active"
    kind: ReviewKind | None = None
    customer: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    older_than_days: int | None = None
    sla_breached: bool = False
    assignee: str | None = None
    text: str | None = None
    sort: SortKey = "due"
    descending: bool = False


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the list: the item and what the list shows beside it."""

    item: ReviewItem
    amount: Decimal | None
    currency: str | None
    customer_id: str | None
    customer_name: str | None
    payer_name: str | None
    due: datetime
    breached: bool
    awaiting_approval: bool

    def age(self, now: datetime) -> timedelta:
        """How long the item has been in the queue."""
        return now - self.item.created_at


@dataclass(frozen=True, slots=True)
class QueuePage:
    """A page of rows plus the total matching the filter."""

    rows: list[QueueRow]
    total: int
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A source document of an item, without its bytes."""

    document_id: int
    item_id: int
    name: str
    content_type: str
    size: int
    created_at: datetime


@dataclass
class QueueMetrics:
    """Numbers for the metrics page and ``o2c review metrics``."""

    open_by_kind_age: dict[str, dict[str, int]] = field(default_factory=dict)
    open_total: int = 0
    breached_by_kind: dict[str, int] = field(default_factory=dict)
    breached_total: int = 0
    awaiting_approval: int = 0
    unassigned: int = 0
    # handler -> (closed in the last day, closed in the window)
    throughput: dict[str, tuple[int, int]] = field(default_factory=dict)
    window_days: int = 7
    median_hours_to_close: float | None = None


def _customer_expr() -> ColumnElement[Any]:
    # Where the bots put the customer: the matcher's payload, or the decision of a
    # posting failure.  JSON paths compile to json_extract / ->> on the two backends.
    payload = ReviewItemRow.payload
    return func.coalesce(payload["customer_id"].as_string(),
                         payload[("decision", "customer_id")].as_string())


def search_queue(
    session: Session,
    *,
    filters: QueueFilter,
    sla: timedelta,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> QueuePage:
    """A page of the queue under ``filters``; ``sla`` is the default time to resolve."""
    stamp = now or utcnow()
    customer = _customer_expr().label("customer_id")
    pending = (
        select(ReviewApprovalRow.id)
        .where(ReviewApprovalRow.item_id == ReviewItemRow.id,
               ReviewApprovalRow.state == "pending")
        .exists()
        .label("awaiting")
    )
    query = (
        select(ReviewItemRow, PaymentRow.amount, PaymentRow.currency, PaymentRow.payer_name,
               customer, CustomerRow.name, pending)
        .outerjoin(PaymentRow, PaymentRow.payment_id == ReviewItemRow.payment_id)
        .outerjoin(CustomerRow, CustomerRow.customer_id == _customer_expr())
        .execution_options(populate_existing=True)
    )
    query = query.where(*_conditions(filters, customer, stamp, sla))
    if filters.status == "approval":
        query = query.where(pending)
    rows = []
    for row, amount, currency, payer, customer_id, customer_name, awaiting in session.execute(
        query.order_by(ReviewItemRow.id.desc()).limit(MAX_ROWS + 1)
    ):
        item = _item(row)
        due = item.sla_due or item.created_at + sla
        breached = item.is_open and due < stamp
        if filters.sla_breached and not breached:
            continue
        rows.append(QueueRow(item=item, amount=amount, currency=currency,
                             customer_id=customer_id, customer_name=customer_name,
                             payer_name=payer, due=due, breached=breached,
                             awaiting_approval=bool(awaiting)))
    truncated = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    rows.sort(key=_sort_key(filters.sort), reverse=filters.descending)
    return QueuePage(rows=rows[offset:offset + limit], total=len(rows), truncated=truncated)


def _conditions(filters: QueueFilter, customer: ColumnElement[Any], now: datetime,
                sla: timedelta) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    status = {
        "active": _ACTIVE, "open": (ReviewStatus.OPEN.value,),
        "claimed": (ReviewStatus.CLAIMED.value,), "approval": _ACTIVE, "closed": _CLOSED,
    }.get(filters.status)
    if status is not None:
        where.append(ReviewItemRow.status.in_(status))
    if filters.kind is not None:
        where.append(ReviewItemRow.kind == ReviewKind(filters.kind).value)
    if filters.assignee == "-":
        where.append(ReviewItemRow.assignee.is_(None))
    elif filters.assignee:
        where.append(ReviewItemRow.assignee == filters.assignee)
    if filters.amount_min is not None:
        where.append(PaymentRow.amount >= filters.amount_min)
    if filters.amount_max is not None:
        where.append(PaymentRow.amount <= filters.amount_max)
    if filters.older_than_days is not None:
        where.append(ReviewItemRow.created_at <= now - timedelta(days=filters.older_than_days))
    if filters.sla_breached:
        # Coarse pre-filter in SQL; the exact test (sla_due or opening + sla) follows.
        where.append(or_(ReviewItemRow.sla_due < now,
                         and_(ReviewItemRow.sla_due.is_(None),
                              ReviewItemRow.created_at < now - sla)))
    if filters.customer:
        like = f"%{_escape(filters.customer.strip())}%"
        where.append(or_(customer.ilike(like, escape="\\"),
                         CustomerRow.name.ilike(like, escape="\\"),
                         PaymentRow.payer_name.ilike(like, escape="\\")))
    if filters.text:
        like = f"%{_escape(filters.text.strip())}%"
        where.append(or_(ReviewItemRow.title.ilike(like, escape="\\"),
                         ReviewItemRow.payment_id.ilike(like, escape="\\"),
                         customer.ilike(like, escape="\\"),
                         CustomerRow.name.ilike(like, escape="\\")))
    return where


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sort_key(key: SortKey) -> Any:
    zero = Decimal(0)
    keys: dict[str, Any] = {
        "due": lambda r: (r.due, r.item.item_id),
        "age": lambda r: (r.item.created_at, r.item.item_id),
        "amount": lambda r: (r.amount if r.amount is not None else zero, r.item.item_id),
        "kind": lambda r: (r.item.kind.value, r.due),
        "customer": lambda r: ((r.customer_name or r.customer_id or r.payer_name or "~").lower(),
                               r.due),
    }
    return keys[key]


def queue_metrics(
    session: Session,
    *,
    sla: timedelta,
    window_days: int = 7,
    now: datetime | None = None,
) -> QueueMetrics:
    """Open items by kind and age, SLA breaches, and items closed per handler."""
    stamp = now or utcnow()
    metrics = QueueMetrics(window_days=window_days)
    labels = [label for label, _, _ in AGE_BUCKETS]
    rows = session.execute(
        select(ReviewItemRow.kind, ReviewItemRow.created_at, ReviewItemRow.sla_due,
               ReviewItemRow.assignee)
        .where(ReviewItemRow.status.in_(_ACTIVE))
    )
    breached: Counter[str] = Counter()
    for kind, created_at, sla_due, assignee in rows:
        hours = (stamp - created_at).total_seconds() / 3600
        bucket = next(label for label, low, high in AGE_BUCKETS
                      if hours >= low and (high is None or hours < high)) if hours >= 0 \
            else labels[0]
        by_age = metrics.open_by_kind_age.setdefault(kind, dict.fromkeys(labels, 0))
        by_age[bucket] += 1
        metrics.open_total += 1
        metrics.unassigned += assignee is None
        if (sla_due or created_at + sla) < stamp:
            breached[kind] += 1
    metrics.breached_by_kind = dict(breached)
    metrics.breached_total = sum(breached.values())
    metrics.awaiting_approval = int(session.execute(
        select(func.count()).select_from(ReviewApprovalRow)
        .where(ReviewApprovalRow.state == "pending")).scalar_one())
    since = stamp - timedelta(days=window_days)
    day_ago = stamp - timedelta(days=1)
    closes = session.execute(
        select(AuditRow.actor, AuditRow.at, ReviewItemRow.created_at)
        .join(ReviewItemRow, AuditRow.entity_id == cast(ReviewItemRow.id, String))
        .where(AuditRow.entity_type == "review_item",
               AuditRow.action.in_(("review.resolve", "review.reject")),
               AuditRow.at >= since)
    )
    week: Counter[str] = Counter()
    day: Counter[str] = Counter()
    durations: list[float] = []
    for actor, at, created_at in closes:
        week[actor] += 1
        day[actor] += at >= day_ago
        durations.append((at - created_at).total_seconds() / 3600)
    metrics.throughput = {a: (day[a], week[a]) for a in sorted(week, key=lambda a: -week[a])}
    if durations:
        durations.sort()
        middle = len(durations) // 2
        metrics.median_hours_to_close = (
            durations[middle] if len(durations) % 2
            else (durations[middle - 1] + durations[middle]) / 2)
    return metrics


def open_items_by_doc(session: Session, *, doc_nos: Iterable[str]) -> dict[str, OpenItem]:
    """The ledger's open items with these document numbers (missing ones left out)."""
    wanted = sorted(set(doc_nos))
    if not wanted:
        return {}
    rows = session.scalars(select(OpenItemRow).where(OpenItemRow.doc_no.in_(wanted)))
    return {row.doc_no: OpenItem(
        doc_no=row.doc_no, doc_type=row.doc_type, customer_id=row.customer_id,
        po_number=row.po_number, doc_date=row.doc_date, due_date=row.due_date,
        currency=row.currency, amount=row.amount, open_amount=row.open_amount,
        discount_date=row.discount_date, discount_amount=row.discount_amount)
        for row in rows if row.open_amount != 0}


# --- source documents ------------------------------------------------------------------

def attach_review_document(
    session: Session,
    *,
    item_id: int,
    name: str,
    content_type: str,
    content: bytes,
    now: datetime | None = None,
) -> int:
    """Keep a source document (as the bot saw it) with an item; returns its id.

    Bots call this in the transaction that opens the item.  The bytes are shown to
    handlers as untrusted content (sandboxed, never executed).
    """
    if session.get(ReviewItemRow, item_id) is None:
        raise RecordNotFoundError("review_item", item_id)
    row = ReviewDocumentRow(item_id=item_id, name=name[:300] or "document",
                            content_type=content_type[:100] or "application/octet-stream",
                            content=content, created_at=now or utcnow())
    session.add(row)
    session.flush()
    return row.id


def list_review_documents(session: Session, *, item_id: int) -> list[DocumentInfo]:
    """The item's documents in the order they were attached (no bytes read)."""
    rows = session.execute(
        select(ReviewDocumentRow.id, ReviewDocumentRow.item_id, ReviewDocumentRow.name,
               ReviewDocumentRow.content_type, func.length(ReviewDocumentRow.content),
               ReviewDocumentRow.created_at)
        .where(ReviewDocumentRow.item_id == item_id).order_by(ReviewDocumentRow.id)
    )
    return [DocumentInfo(document_id=i, item_id=it, name=n, content_type=ct, size=int(sz or 0),
                         created_at=at) for i, it, n, ct, sz, at in rows]


def get_review_document(
    session: Session, *, item_id: int, document_id: int
) -> tuple[DocumentInfo, bytes]:
    """One document of an item with its bytes; RecordNotFoundError if not that item's."""
    row = session.get(ReviewDocumentRow, document_id)
    if row is None or row.item_id != item_id:
        raise RecordNotFoundError("review_document", document_id)
    info = DocumentInfo(document_id=row.id, item_id=row.item_id, name=row.name,
                        content_type=row.content_type, size=len(row.content),
                        created_at=row.created_at)
    return info, bytes(row.content)
