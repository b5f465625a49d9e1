"""XLSX remittances: every sheet's used range as rows of cell texts.

Contract: :func:`read_xlsx` never raises.  Each sheet with content becomes one table
(its rows in order, fully empty rows dropped, trailing empty cells trimmed) and its
rows are also written to ``text`` ("Payment Amount: 4,467.36 USD" for label/value
pairs), so header blocks and stated totals can be read.  Cells are rendered so that
a ``Decimal`` reads them exactly and without locale guessing:

* numbers with no thousands separator and ``.`` as decimal point: a float 1234.5
  shown with two places ``#,##0.00`` gives ``"1234.50"``; a ``General`` float keeps
  its shortest exact digits (``63.947``), padded to two places when it has fewer
  (``1150.6`` -> ``"1150.60"``); whole numbers in ``General`` stay whole
  (document numbers such as ``2026001359``); percentages give ``"5%"``;
* dates as ISO ``2026-02-05`` (a time of day is kept only when there is one);
* text cells as stored, stripped.

A workbook that cannot be opened (encrypted, corrupt, an old binary ``.xls``) comes
back with ``problem`` set.
"""

from __future__ import annotations

import io
import re
import warnings
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bots.remittance_reader.extract.document import DocumentContent, Rows

__all__ = ["cell_text", "read_xlsx", "rows_text"]

_MAX_ROWS = 20_000  # a remittance has tens of lines; a sheet of a million rows is not one
_MAX_COLS = 200
_DECIMALS = re.compile(r"\.(0+)")  # the "0.00" part of a number format
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and encrypted .xlsx


def _number_text(value: int | float, number_format: str) -> str:
    fmt = (number_format or "General").split(";")[0]
    if isinstance(value, int):
        number = Decimal(value)
    else:
        try:
            number = Decimal(repr(value))  # shortest repr: 1150.6, not 1150.5999999...
        except InvalidOperation:
            return str(value)
        if not number.is_finite():
            return str(value)
    if "%" in fmt:
        number *= 100
    places_match = _DECIMALS.search(fmt)
    exponent = number.as_tuple().exponent
    if places_match:
        places = len(places_match.group(1))
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    elif number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    elif isinstance(exponent, int) and exponent > -2:
        number = number.quantize(Decimal("0.01"))
    text = f"{number:f}"
    return text + "%" if "%" in fmt else text


def cell_text(value: Any, number_format: str = "General") -> str:
    """One cell's value as text (see the module docstring for the rules)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _number_text(value, number_format)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def rows_text(rows: Rows) -> str:
    """Rows as text lines: ``"Label: value"`` for pairs, cells tab-separated otherwise."""
    lines = []
    for row in rows:
        cells = [c for c in row if c]
        if len(cells) == 2 and not any(ch.isdigit() for ch in cells[0]):
            lines.append(f"{cells[0].rstrip(':')}: {cells[1]}")
        elif cells:
            lines.append("\t".join(cells))
    return "\n".join(lines)


def _trimmed(row: list[str]) -> list[str]:
    while row and not row[-1]:
        row.pop()
    return row


def _sheet_rows(sheet: Any) -> tuple[Rows, bool]:
    rows: Rows = []
    cut = False
    for count, cells in enumerate(sheet.iter_rows(max_col=_MAX_COLS)):
        if count >= _MAX_ROWS:
            cut = True
            break
        row = _trimmed([
            cell_text(getattr(c, "value", None), getattr(c, "number_format", None) or "General")
            for c in cells
        ])
        if row:
            rows.append(row)
    return rows, cut


def read_xlsx(data: bytes, name: str) -> DocumentContent:
    """Read an XLSX workbook's sheets into tables (see the module docstring)."""
    if data.startswith(_OLE_MAGIC):
        return DocumentContent(name, "xlsx", problem=(
            f"{name} is an encrypted workbook or an old binary .xls; it was not read"))
    try:
        from openpyxl import load_workbook

        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter here
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = [(ws.title, *_sheet_rows(ws)) for ws in book.worksheets]
            finally:
                book.close()
    except Exception as exc:  # openpyxl raises many types on hostile XML; the batch goes on
        return DocumentContent(name, "xlsx", problem=f"{name} could not be read as XLSX ({exc})")
    tables = [rows for _, rows, _ in sheets if rows]
    texts = [f"[{title}]\n{rows_text(rows)}" if len(sheets) > 1 else rows_text(rows)
             for title, rows, _ in sheets if rows]
    cut = [title for title, _, was_cut in sheets if was_cut]
    problem = None
    if not tables:
        problem = f"{name} has no cells with content"
    elif cut:
        problem = f"{name}: sheet(s) {', '.join(cut)} have more than {_MAX_ROWS} rows; cut there"
    return DocumentContent(name, "xlsx", text="\n\n".join(texts), tables=tables,
                           problem=problem)
