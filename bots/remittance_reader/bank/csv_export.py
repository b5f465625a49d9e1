"""CSV bank exports (``Bank Reference``, ``Value Date`` MM/DD/YYYY, ``Credit``/``Debit``).

The payment_id is the ``Bank Reference``; a row is a credit when its ``Credit`` column
is filled.  ``Customer Reference``, ``Description`` and ``Account Number`` fill
``customer_ref``, ``bank_text`` and ``receiving_account``.  Amounts are parsed through
shared.money, so ``1,234.56`` reads the same.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from bots.remittance_reader.bank.entry import StatementEntry, StatementError
from shared.money import MoneyParseError, parse_amount

__all__ = ["read_csv_export"]

_REQUIRED = ("Bank Reference", "Value Date", "Debit", "Credit", "Currency")


def _date(text: str, where: str) -> date:
    for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise StatementError(f"{where}: value date {text!r} is not MM/DD/YYYY")


def read_csv_export(path: Path) -> list[StatementEntry]:
    """Every entry of a CSV bank export; raises :class:`StatementError` on bad files."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise StatementError(f"{path.name}: cannot read: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise StatementError(f"{path.name} line {reader.line_num}: {exc}") from exc
    if missing:
        raise StatementError(f"{path.name}: not a CSV bank export (missing {', '.join(missing)})")
    entries = []
    for n, row in rows:
        where = f"{path.name} line {n}"
        credit_text = (row.get("Credit") or "").strip()
        debit_text = (row.get("Debit") or "").strip()
        if bool(credit_text) == bool(debit_text):
            raise StatementError(f"{where}: exactly one of Credit and Debit must be filled")
        try:
            amount = parse_amount(credit_text or debit_text)
        except MoneyParseError as exc:
            raise StatementError(f"{where}: {exc}") from exc
        reference = (row.get("Bank Reference") or "").strip()
        if not reference:
            raise StatementError(f"{where}: no Bank Reference")
        entries.append(
            StatementEntry(
                payment_id=reference,
                credit=bool(credit_text),
                value_date=_date(row.get("Value Date") or "", where),
                amount=abs(amount),
                currency=(row.get("Currency") or "").strip().upper(),
                payer_name=(row.get("Originator Name") or "").strip(),
                payer_account=(row.get("Originator Account") or "").strip(),
                payer_bank_id=(row.get("Originator Bank ID") or "").strip(),
                free_text=(row.get("Payment Details") or "").strip(),
                source_file=path.name,
                customer_ref=(row.get("Customer Reference") or "").strip(),
                bank_text=(row.get("Description") or "").strip(),
                receiving_account=(row.get("Account Number") or "").strip(),
            )
        )
    return entries
