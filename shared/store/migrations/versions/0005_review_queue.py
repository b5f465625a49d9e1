"""The review queue's workplace: handlers and their sign-in sessions, source documents
attached to items, and write-offs waiting for a second person.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-22

* ``review_users``: people who sign in to the review page, with a role (viewer, handler,
  approver, admin) and a scrypt password hash (never the password);
* ``review_sessions``: signed-in browsers; only a SHA-256 of the cookie's token is kept,
  so a stolen database does not hand out sessions; each holds its CSRF token;
* ``review_documents``: the source documents an item was made from (mail body, PDF,
  scan), as the bot saw them, shown on the item page;
* ``review_approvals``: maker-checker for write-offs above the authority threshold: the
  handler's proposal waits here until an approver (another person) confirms or returns it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_users",
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "role IN ('viewer', 'handler', 'approver', 'admin')", name="ck_review_users_role"
        ),
        sa.PrimaryKeyConstraint("username", name="pk_review_users"),
    )
    op.create_table(
        "review_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["username"], ["review_users.username"],
            name="fk_review_sessions_username_review_users", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_review_sessions"),
    )
    op.create_index("ix_review_sessions_username", "review_sessions", ["username"])
    op.create_table(
        "review_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["review_items.id"], name="fk_review_documents_item_id_review_items"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_documents"),
    )
    op.create_index("ix_review_documents_item_id", "review_documents", ["item_id"])
    op.create_table(
        "review_approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("proposal", _JSON, nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("requested_at", _WHEN, nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", _WHEN, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'returned')", name="ck_review_approvals_state"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["review_items.id"], name="fk_review_approvals_item_id_review_items"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_approvals"),
    )
    op.create_index("ix_review_approvals_item_id", "review_approvals", ["item_id"])
    op.create_index("ix_review_approvals_state", "review_approvals", ["state"])


def downgrade() -> None:
    op.drop_index("ix_review_approvals_state", table_name="review_approvals")
    op.drop_index("ix_review_approvals_item_id", table_name="review_approvals")
    op.drop_table("review_approvals")
    op.drop_index("ix_review_documents_item_id", table_name="review_documents")
    op.drop_table("review_documents")
    op.drop_index("ix_review_sessions_username", table_name="review_sessions")
    op.drop_table("review_sessions")
    op.drop_table("review_users")
