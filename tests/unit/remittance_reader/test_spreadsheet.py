"""XLSX attachments: sheets to rows of text that Decimal reads exactly."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from bots.remittance_reader.extract.spreadsheet import cell_text, read_xlsx


def _xlsx(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _advice() -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Payment"
    sheet.append(["Payment Advice Note"])
    sheet.append(["Payer", "Kessler Holdings SE"])
    sheet.append(["Payment Amount", "1.700,00 EUR"])
    sheet.append([])
    sheet.append(["Document", "Your Ref", "Doc. Date", "Gross", "Disc.", "Net Paid"])
    sheet.append([5100063095, "INV-2026-001174", datetime(2026, 2, 7), 1335.92, None, 1335.92])
    sheet.append(["AP-1", "CM-2026-00072", datetime(2026, 2, 4), -735.03, None, -735.03])
    sheet.append(["AP-2", "INV-2026-001963", datetime(2026, 2, 21), 1150.6, 23.0, 1127.6])
    for row in sheet.iter_rows(min_row=6, min_col=4, max_col=6):
        for cell in row:
            cell.number_format = "#,##0.00"
    for row in sheet.iter_rows(min_row=6, min_col=3, max_col=3):
        row[0].number_format = "dd.mm.yyyy"
    sheet.append([])
    sheet.append(["Total", 1700])
    sheet["B10"].number_format = "#,##0.00"
    return book


def test_sheet_rows_with_exact_amounts_and_iso_dates() -> None:
    doc = read_xlsx(_xlsx(_advice()), "advice.xlsx")
    assert doc.problem is None and doc.channel == "xlsx"
    [table] = doc.tables
    assert table == [
        ["Payment Advice Note"],
        ["Payer", "Kessler Holdings SE"],
        ["Payment Amount", "1.700,00 EUR"],
        ["Document", "Your Ref", "Doc. Date", "Gross", "Disc.", "Net Paid"],
        ["5100063095", "INV-2026-001174", "2026-02-07", "1335.92", "", "1335.92"],
        ["AP-1", "CM-2026-00072", "2026-02-04", "-735.03", "", "-735.03"],
        ["AP-2", "INV-2026-001963", "2026-02-21", "1150.60", "23.00", "1127.60"],
        ["Total", "1700.00"],
    ]
    assert "Payer: Kessler Holdings SE" in doc.text
    assert "Payment Amount: 1.700,00 EUR" in doc.text


def test_every_sheet_with_content_is_a_table() -> None:
    book = _advice()
    book.create_sheet("Empty")
    extra = book.create_sheet("Notes")
    extra.append(["Invoice #", "Net Paid"])
    extra.append(["INV-2026-000001", 10])
    doc = read_xlsx(_xlsx(book), "two.xlsx")
    assert len(doc.tables) == 2
    assert doc.tables[1] == [["Invoice #", "Net Paid"], ["INV-2026-000001", "10"]]
    assert "[Notes]" in doc.text


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (1234.5, "#,##0.00", "1234.50"),
        (1234.5, "General", "1234.50"),
        (1150.6, "General", "1150.60"),
        (63.947, "General", "63.947"),
        (0.1 + 0.2, "0.00", "0.30"),
        (2026001359, "General", "2026001359"),
        (2026001359.0, "General", "2026001359"),
        (1700, "#,##0.00;[Red](#,##0.00)", "1700.00"),
        (-12.5, "#,##0.00_);(#,##0.00)", "-12.50"),
        (0.05, "0%", "5%"),
        (1e-7, "General", "0.0000001"),
        (True, "General", "TRUE"),
        (date(2026, 3, 1), "yyyy-mm-dd", "2026-03-01"),
        (datetime(2026, 3, 1, 14, 30), "yyyy-mm-dd hh:mm", "2026-03-01 14:30:00"),
        ("  INV-1  ", "@", "INV-1"),
        (None, "General", ""),
    ],
)
def test_cell_text(value: object, number_format: str, expected: str) -> None:
    assert cell_text(value, number_format) == expected


def test_unreadable_workbooks_are_problems() -> None:
    assert read_xlsx(b"PK\x03\x04 broken", "bad.xlsx").problem is not None
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    problem = read_xlsx(ole, "old.xls").problem
    assert problem == "old.xls is an encrypted workbook or an old binary .xls; it was not read"


def test_workbook_without_content_says_so() -> None:
    doc = read_xlsx(_xlsx(Workbook()), "empty.xlsx")
    assert doc.tables == [] and doc.problem == "empty.xlsx has no cells with content"
