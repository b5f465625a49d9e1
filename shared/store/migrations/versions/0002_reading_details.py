"""What the reader learnt from each mail: its kind, the payer's payment number, problems.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

* ``mail_messages.kind``: remittance, dispute, promise_to_pay or other, so an operator
  sees what every mail was read as;
* ``remittances.payment_ref``: the payer's own payment number as printed on the advice
  (banks often carry it in the payment's free text, which links the two);
* ``remittances.problem``: why an advice cannot be trusted as read (its lines do not add
  up to its stated total, say); the matcher does not post from such an advice.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mail_messages") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=True))
    with op.batch_alter_table("remittances") as batch:
        batch.add_column(sa.Column("payment_ref", sa.String(64), nullable=True))
        batch.add_column(sa.Column("problem", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("remittances") as batch:
        batch.drop_column("problem")
        batch.drop_column("payment_ref")
    with op.batch_alter_table("mail_messages") as batch:
        batch.drop_column("kind")
