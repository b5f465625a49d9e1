"""A statement entry as every bank reader returns it, whatever the file format.

Readers raise :class:`StatementError` (never another exception) for a file they cannot
read, with the file name, the line or element and the reason in the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from shared.money import CENT

__all__ = ["StatementEntry", "StatementError", "exact_amount"]


class StatementError(ValueError):
    """Raised when a statement file cannot be read; the message says where and why."""


@dataclass(frozen=True)
class StatementEntry:
    """One booked entry.  Credits are customer payments; debits are not.

    The payer fields describe the counterparty as the bank shows it (for a debit, the
    party paid).  Empty strings mean the bank gave nothing.  FORMAT.md 1.4 says where
    each field comes from in each format.
    """

    payment_id: str  # the bank's own reference for the entry
    credit: bool
    value_date: date
    amount: Decimal  # positive, two places
    currency: str
    payer_name: str
    payer_account: str
    payer_bank_id: str
    free_text: str  # the remittance text (camt RmtInf, MT940 /REMI/, BAI2 OBI/ADDENDA/MEMO)
    source_file: str
    customer_ref: str = ""  # the payer's own reference (EndToEndId, :61: or 16 customer ref)
    structured_ref: str = ""  # creditor reference given as such (RF..., camt Strd, /SCOR/)
    ultimate_payer: str = ""  # camt UltmtDbtr, MT940 /ULTD/: on whose behalf it was paid
    bank_text: str = ""  # the entry's whole narrative as the bank wrote it
    receiving_account: str = ""  # our account the statement is for (IBAN or number)


def exact_amount(value: Decimal | str, where: str) -> Decimal:
    """``value`` as a positive two-place amount; refuses anything a cent cannot hold.

    Banks write ``8.850`` or ``5442.09000``: trailing zeros are fine, a third
    significant decimal is not (rounding it would silently change the payment).
    """
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value.strip())
    except InvalidOperation as exc:
        raise StatementError(f"{where}: amount {value!r} is not a number") from exc
    if not amount.is_finite() or amount < 0 or amount.adjusted() > 15:
        raise StatementError(f"{where}: amount {value!r} is not a positive bank amount")
    cents = amount.quantize(CENT)
    if cents != amount:
        raise StatementError(f"{where}: amount {value!r} has more than two decimal places")
    return cents
