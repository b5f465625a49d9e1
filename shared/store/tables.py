"""The store's tables as typed SQLAlchemy 2 ORM classes (``Mapped[...]``).

The schema itself is created by the Alembic migrations in ``shared/store/migrations``;
these classes must describe the same thing, and a test compares them with the migrated
database on both backends.  Rows stay inside the store: repository functions return
domain models or small frozen records, never these classes.

Natural keys are primary keys where the world gives us one (``payment_id``, ``doc_no``,
``customer_id``, ``remittance_id``): they are the idempotency keys, so a second insert of
the same thing collides instead of duplicating.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.store.types import JSON_DOCUMENT, Amount, UtcDateTime

__all__ = [
    "AuditRow",
    "Base",
    "CustomerRow",
    "DecisionRow",
    "MailMessageRow",
    "OpenItemRow",
    "PaymentRow",
    "PostingRow",
    "RemittanceLineRow",
    "RemittanceRow",
    "ReviewApprovalRow",
    "ReviewDocumentRow",
    "ReviewItemRow",
    "ReviewSessionRow",
    "ReviewUserRow",
]

# Fixed constraint names, so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

KEY = 64  # width of every identifier column; matches the domain's id aliases


class Base(DeclarativeBase):
    """Declarative base with the naming convention and the suite's column types."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        Decimal: Amount(),
        datetime: UtcDateTime(),
        dict[str, Any]: JSON_DOCUMENT,
        list[Any]: JSON_DOCUMENT,
    }


class CustomerRow(Base):
    """Customer master data as last loaded from the ERP export."""

    __tablename__ = "customers"

    customer_id: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    aliases: Mapped[list[Any]]
    # No foreign key: exports list children before parents, and a parent may be missing.
    parent_id: Mapped[str | None] = mapped_column(String(KEY))
    currency: Mapped[str] = mapped_column(String(3))
    terms: Mapped[str] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(8))
    remit_emails: Mapped[list[Any]]
    bank_accounts: Mapped[list[Any]]
    updated_at: Mapped[datetime]


class OpenItemRow(Base):
    """An AR open item as last loaded from the ERP export (signed like the ledger)."""

    __tablename__ = "open_items"

    doc_no: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(3))
    customer_id: Mapped[str] = mapped_column(
        String(KEY), ForeignKey("customers.customer_id"), index=True
    )
    po_number: Mapped[str | None] = mapped_column(String(KEY), index=True)
    doc_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal]
    open_amount: Mapped[Decimal]
    discount_date: Mapped[date | None] = mapped_column(Date)
    discount_amount: Mapped[Decimal | None]
    updated_at: Mapped[datetime]


class PaymentRow(Base):
    """A bank credit; ``payment_id`` (the bank's reference) is the idempotency key."""

    __tablename__ = "payments"

    payment_id: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    value_date: Mapped[date] = mapped_column(Date, index=True)
    payer_name: Mapped[str | None] = mapped_column(Text)
    payer_account: Mapped[str | None] = mapped_column(String(128))
    payer_bank: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    receiving_account: Mapped[str | None] = mapped_column(String(KEY))
    source: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]


class RemittanceRow(Base):
    """A remittance advice read from mail; its lines are in ``remittance_lines``."""

    __tablename__ = "remittances"

    remittance_id: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(16))
    customer_id: Mapped[str | None] = mapped_column(String(KEY), index=True)
    # No foreign key: the advice often arrives before the money (FORMAT.md 1.5).
    payment_id: Mapped[str | None] = mapped_column(String(KEY), index=True)
    payer_name: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    payment_date: Mapped[date | None] = mapped_column(Date)
    total_paid: Mapped[Decimal | None]
    payment_ref: Mapped[str | None] = mapped_column(String(KEY))
    problem: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]


class RemittanceLineRow(Base):
    """One document line of a remittance, in printed order (``line_no`` from 1)."""

    __tablename__ = "remittance_lines"

    remittance_id: Mapped[str] = mapped_column(
        String(KEY), ForeignKey("remittances.remittance_id", ondelete="CASCADE"), primary_key=True
    )
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref_as_printed: Mapped[str] = mapped_column(Text)
    doc_no: Mapped[str | None] = mapped_column(String(KEY), index=True)
    gross: Mapped[Decimal | None]
    deduction: Mapped[Decimal]
    discount: Mapped[Decimal]
    paid: Mapped[Decimal]
    reason_code: Mapped[str | None] = mapped_column(String(16))
    reason_text: Mapped[str | None] = mapped_column(Text)
    gross_unexplained: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())


class MailMessageRow(Base):
    """A mail seen in a mailbox, so each message is processed exactly once.

    IMAP names a message by (mailbox, UIDVALIDITY, UID); when UIDVALIDITY changes the
    UIDs start over, and the Message-ID index lets the reader recognise old mail.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (UniqueConstraint("source", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(300))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    status: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DecisionRow(Base):
    """A decision on a payment; the newest row per payment is the current one.

    ``document`` is the whole :class:`~shared.domain.Decision` as JSON (amounts as
    strings); the other columns repeat what queries filter on.
    """

    __tablename__ = "decisions"
    __table_args__ = (CheckConstraint("kind IN ('auto', 'review')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(
        String(KEY), ForeignKey("payments.payment_id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    customer_id: Mapped[str | None] = mapped_column(String(KEY))
    on_account: Mapped[Decimal]
    confidence: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    document: Mapped[dict[str, Any]]
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime]


class PostingRow(Base):
    """Outbox entry: one posting of one payment to the ERP, at most once.

    ``state``: pending -> posting (claimed, lease running) -> posted | failed; a failure
    that may be retried goes back to pending with a later ``available_at``.
    """

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'posting', 'posted', 'failed')", name="state"),
        Index("ix_postings_state_available_at", "state", "available_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(
        String(KEY), ForeignKey("payments.payment_id"), unique=True
    )
    decision_id: Mapped[int] = mapped_column(Integer, ForeignKey("decisions.id"))
    state: Mapped[str] = mapped_column(String(16))
    erp_document_no: Mapped[str | None] = mapped_column(String(KEY))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    available_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]


class ReviewItemRow(Base):
    """A review queue item; ``version`` is the optimistic lock (grows on every change)."""

    __tablename__ = "review_items"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'claimed', 'resolved', 'rejected')", name="status"),
        Index("ix_review_items_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    payment_id: Mapped[str | None] = mapped_column(
        String(KEY), ForeignKey("payments.payment_id"), index=True
    )
    payload: Mapped[dict[str, Any]]
    suggestions: Mapped[list[Any]]
    assignee: Mapped[str | None] = mapped_column(String(100), index=True)
    sla_due: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolution: Mapped[dict[str, Any] | None]


class AuditRow(Base):
    """One entry of the append-only audit log (see :mod:`shared.audit`).

    Triggers created by the migration refuse UPDATE and DELETE on both backends.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    # BIGINT on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(Text)


class ReviewUserRow(Base):
    """A person who signs in to the review page; ``password_hash`` is scrypt, never plain."""

    __tablename__ = "review_users"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'handler', 'approver', 'admin')", name="role"),
    )

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReviewSessionRow(Base):
    """A signed-in browser: the SHA-256 of its cookie token, and its CSRF token."""

    __tablename__ = "review_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(
        String(100), ForeignKey("review_users.username", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ReviewDocumentRow(Base):
    """A source document of a review item (mail body, PDF, scan) as the bot saw it."""

    __tablename__ = "review_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(Integer, ForeignKey("review_items.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class ReviewApprovalRow(Base):
    """A handler's proposal above the write-off authority, waiting for an approver."""

    __tablename__ = "review_approvals"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'returned')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(Integer, ForeignKey("review_items.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    amount: Mapped[Decimal]
    proposal: Mapped[dict[str, Any]]
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
