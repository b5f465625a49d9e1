from decimal import Decimal

from bots.remittance_reader.extract.tables import html_tables, lines_from_rows, text_rows


def test_text_table_with_header_reads_columns_by_name_in_any_order() -> None:
    body = """Payment 62144

Net Paid | Invoice #       | Deduction | Gross
---------+-----------------+-----------+---------
  950.00 | INV-2026-000451 |     50.00 | 1,000.00
(120.00) | CM-2026-00012   |           | (120.00)
TOTAL    |                 |           |   830.00
"""
    lines = lines_from_rows(text_rows(body))
    assert [(x.ref_as_printed, x.paid, x.deduction, x.gross) for x in lines] == [
        ("INV-2026-000451", Decimal("950.00"), Decimal("50.00"), Decimal("1000.00")),
        ("CM-2026-00012", Decimal("-120.00"), Decimal("0.00"), Decimal("-120.00")),
    ]


def test_rows_without_header_take_the_reference_and_the_last_amount() -> None:
    rows = [["INV2026000451", "1.000,00", "980,00"], ["Thank you"]]
    (line,) = lines_from_rows(rows)
    assert line.ref_as_printed == "INV2026000451"
    assert line.paid == Decimal("980.00")


def test_html_table_cells_are_read_with_entities_decoded() -> None:
    html = ("<table><tr><th>Your Ref</th><th>Amount&nbsp;Paid</th></tr>"
            "<tr><td>INV-2026-000451</td><td>$1,234.50</td></tr></table>")
    (table,) = html_tables(html)
    (line,) = lines_from_rows(table)
    assert (line.ref_as_printed, line.paid) == ("INV-2026-000451", Decimal("1234.50"))


def test_total_rows_are_not_lines() -> None:
    rows = [["Invoice", "Paid"], ["INV-2026-000451", "10.00"], ["Total", "10.00"]]
    assert len(lines_from_rows(rows)) == 1
