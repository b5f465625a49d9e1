"""A statement entry as every bank reader returns it, whatever the file format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = ["StatementEntry", "StatementError"]


class StatementError(ValueError):
    """Raised when a statement file cannot be read; the message says where and why."""


@dataclass(frozen=True)
class StatementEntry:
    """One booked entry.  Credits are customer payments; debits are not."""

    payment_id: str  # the bank's own reference for the entry
    credit: bool
    value_date: date
    amount: Decimal  # positive, two places
    currency: str
    payer_name: str
    payer_account: str
    payer_bank_id: str
    free_text: str
    source_file: str
