"""Remember the advice lines whose printed gross the reader could not explain.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

``remittance_lines.gross_unexplained``: OCR read a gross amount on the line that paid,
deduction and discount do not add up to.  Most often a deduction or discount column
was missed; the matcher sends such an advice to a person and proposes the line closed
with that adjustment first.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("remittance_lines") as batch:
        batch.add_column(sa.Column("gross_unexplained", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("remittance_lines") as batch:
        batch.drop_column("gross_unexplained")
