"""Initial schema: ledger, payments, remittances, mail seen, decisions, outbox, review, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Column types are spelled out here (not imported from the application) so this revision
keeps describing the same schema when the application's types change later.  The audit
log gets triggers refusing UPDATE and DELETE (and TRUNCATE on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = 64
AMOUNT = sa.Numeric(18, 2)
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)

SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$""",
    """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()""",
]


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(KEY), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("aliases", JSON_DOCUMENT, nullable=False),
        sa.Column("parent_id", sa.String(KEY), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("terms", sa.String(32), nullable=False),
        sa.Column("country", sa.String(8), nullable=True),
        sa.Column("remit_emails", JSON_DOCUMENT, nullable=False),
        sa.Column("bank_accounts", JSON_DOCUMENT, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customers"),
    )
    op.create_table(
        "open_items",
        sa.Column("doc_no", sa.String(KEY), nullable=False),
        sa.Column("doc_type", sa.String(3), nullable=False),
        sa.Column("customer_id", sa.String(KEY), nullable=False),
        sa.Column("po_number", sa.String(KEY), nullable=True),
        sa.Column("doc_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("open_amount", AMOUNT, nullable=False),
        sa.Column("discount_date", sa.Date(), nullable=True),
        sa.Column("discount_amount", AMOUNT, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_open_items_customer_id_customers",
        ),
        sa.PrimaryKeyConstraint("doc_no", name="pk_open_items"),
    )
    op.create_index("ix_open_items_customer_id", "open_items", ["customer_id"])
    op.create_index("ix_open_items_po_number", "open_items", ["po_number"])

    op.create_table(
        "payments",
        sa.Column("payment_id", sa.String(KEY), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("payer_name", sa.Text(), nullable=True),
        sa.Column("payer_account", sa.String(128), nullable=True),
        sa.Column("payer_bank", sa.String(128), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("receiving_account", sa.String(KEY), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("payment_id", name="pk_payments"),
    )
    op.create_index("ix_payments_value_date", "payments", ["value_date"])

    op.create_table(
        "remittances",
        sa.Column("remittance_id", sa.String(KEY), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("customer_id", sa.String(KEY), nullable=True),
        sa.Column("payment_id", sa.String(KEY), nullable=True),
        sa.Column("payer_name", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("total_paid", AMOUNT, nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("remittance_id", name="pk_remittances"),
    )
    op.create_index("ix_remittances_customer_id", "remittances", ["customer_id"])
    op.create_index("ix_remittances_payment_id", "remittances", ["payment_id"])
    op.create_table(
        "remittance_lines",
        sa.Column("remittance_id", sa.String(KEY), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("ref_as_printed", sa.Text(), nullable=False),
        sa.Column("doc_no", sa.String(KEY), nullable=True),
        sa.Column("gross", AMOUNT, nullable=True),
        sa.Column("deduction", AMOUNT, nullable=False),
        sa.Column("discount", AMOUNT, nullable=False),
        sa.Column("paid", AMOUNT, nullable=False),
        sa.Column("reason_code", sa.String(16), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["remittances.remittance_id"],
            name="fk_remittance_lines_remittance_id_remittances",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("remittance_id", "line_no", name="pk_remittance_lines"),
    )
    op.create_index("ix_remittance_lines_doc_no", "remittance_lines", ["doc_no"])

    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mail_messages"),
        sa.UniqueConstraint("source", "uidvalidity", "uid", name="uq_mail_messages_source"),
    )
    op.create_index("ix_mail_messages_message_id", "mail_messages", ["message_id"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.String(KEY), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("customer_id", sa.String(KEY), nullable=True),
        sa.Column("on_account", AMOUNT, nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("document", JSON_DOCUMENT, nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("kind IN ('auto', 'review')", name="ck_decisions_kind"),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.payment_id"], name="fk_decisions_payment_id_payments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
    )
    op.create_index("ix_decisions_payment_id", "decisions", ["payment_id"])

    op.create_table(
        "postings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.String(KEY), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("erp_document_no", sa.String(KEY), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("available_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("posted_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'posting', 'posted', 'failed')", name="ck_postings_state"
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name="fk_postings_decision_id_decisions"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.payment_id"], name="fk_postings_payment_id_payments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_postings"),
        sa.UniqueConstraint("payment_id", name="uq_postings_payment_id"),
    )
    op.create_index("ix_postings_state_available_at", "postings", ["state", "available_at"])

    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("payment_id", sa.String(KEY), nullable=True),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column("suggestions", JSON_DOCUMENT, nullable=False),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("sla_due", TIMESTAMP, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("resolution", JSON_DOCUMENT, nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'claimed', 'resolved', 'rejected')", name="ck_review_items_status"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.payment_id"], name="fk_review_items_payment_id_payments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_items"),
        sa.UniqueConstraint("key", name="uq_review_items_key"),
    )
    op.create_index("ix_review_items_assignee", "review_items", ["assignee"])
    op.create_index("ix_review_items_payment_id", "review_items", ["payment_id"])
    op.create_index("ix_review_items_status_kind", "review_items", ["status", "kind"])

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("before", JSON_DOCUMENT, nullable=True),
        sa.Column("after", JSON_DOCUMENT, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id"])
    triggers = POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    for table in (
        "audit_log",
        "review_items",
        "postings",
        "decisions",
        "mail_messages",
        "remittance_lines",
        "remittances",
        "payments",
        "open_items",
        "customers",
    ):
        op.drop_table(table)
