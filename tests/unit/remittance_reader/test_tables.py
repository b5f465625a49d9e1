"""Table rows to remittance lines: columns by name in any language and order."""

from __future__ import annotations

from decimal import Decimal

from bots.remittance_reader.extract.tables import html_tables, lines_from_rows, lines_from_tables


def _read(rows: list[list[str]]) -> list[tuple[str, Decimal | None, Decimal, Decimal, Decimal]]:
    return [(x.ref_as_printed, x.gross, x.deduction, x.discount, x.paid)
            for x in lines_from_rows(rows)]


def test_columns_are_found_by_name_in_any_order() -> None:
    rows = [
        ["Net Paid", "Invoice #", "Deduction", "Gross"],
        ["950.00", "INV-2026-000451", "50.00", "1,000.00"],
        ["(120.00)", "CM-2026-00012", "", "(120.00)"],
        ["830.00", "TOTAL", "", ""],
    ]
    assert _read(rows) == [
        ("INV-2026-000451", Decimal("1000.00"), Decimal("50.00"), Decimal("0"), Decimal("950.00")),
        ("CM-2026-00012", Decimal("-120.00"), Decimal("0"), Decimal("0"), Decimal("-120.00")),
    ]


def test_french_headers_and_european_numbers() -> None:
    rows = [
        ["N° facture", "Date facture", "Montant TTC", "Escompte", "Retenue", "Motif",
         "Montant réglé"],
        ["INV-2026-002096", "23/02/2026", "2 471,54", "", "988,62", "Goods returned", "1 482,92"],
    ]
    (line,) = lines_from_rows(rows)
    assert (line.gross, line.deduction, line.paid, line.reason) == (
        Decimal("2471.54"), Decimal("988.62"), Decimal("1482.92"), "Goods returned")


def test_german_headers() -> None:
    rows = [["Rechnungsnummer", "Bruttobetrag", "Skonto", "Zahlbetrag"],
            ["INV2026000451", "1.000,00", "20,00", "980,00"]]
    assert _read(rows) == [("INV2026000451", Decimal("1000.00"), Decimal("0"),
                            Decimal("20.00"), Decimal("980.00"))]


def test_our_ref_is_the_customers_number_and_your_ref_is_ours() -> None:
    rows = [["Our Ref", "Your Ref", "Date", "Amount", "Deduction", "Amount Paid"],
            ["1936129377", "INV-2026-000082", "07/02/2026", "851.34", "", "851.34"]]
    assert [x.ref_as_printed for x in lines_from_rows(rows)] == ["INV-2026-000082"]


def test_the_most_reference_like_column_wins_between_named_ones() -> None:
    rows = [["Document", "Your Ref", "Gross", "Net Paid"],
            ["5100006813", "INV2026001553", "2.100,00", "2.100,00"]]
    assert [x.ref_as_printed for x in lines_from_rows(rows)] == ["INV2026001553"]


def test_deduction_written_in_the_description_explains_the_short_payment() -> None:
    rows = [["Inv No.", "Description", "Amount Due", "Amount Paid"],
            ["INV2025008824", "Deduction 248.49 - Fehlmenge", "$3,106.18", "$2,857.69"],
            ["INV2025009275", "Remaining balance", "$5,063.15", "$4,050.52"]]
    first, second = lines_from_rows(rows)
    assert (first.deduction, first.reason) == (Decimal("248.49"), "Fehlmenge")
    assert second.deduction == Decimal("0")  # a partial payment, not a deduction


def test_next_page_without_header_keeps_the_columns_and_totals_are_dropped() -> None:
    page1 = [["Invoice", "PO", "Paid"], ["INV-2026-000001", "PO1", "10.00"],
             ["Page total", "", "10.00"], ["Carried forward", "", "10.00"]]
    page2 = [["INV-2026-000002", "PO2", "20.00"], ["Grand total", "", "30.00"]]
    lines = lines_from_tables([page1, page2])
    assert [(x.ref_as_printed, x.paid) for x in lines] == [
        ("INV-2026-000001", Decimal("10.00")), ("INV-2026-000002", Decimal("20.00"))]


def test_repeated_header_on_a_later_page_is_not_a_line() -> None:
    rows = [["Invoice", "Paid"], ["INV-2026-000001", "10.00"], ["Invoice", "Paid"],
            ["INV-2026-000002", "12.50 CR"]]
    assert [x.paid for x in lines_from_rows(rows)] == [Decimal("10.00"), Decimal("-12.50")]


def test_rows_without_header_take_the_reference_and_the_last_amount() -> None:
    rows = [["INV2026000451", "1.000,00", "980,00"], ["Thank you"]]
    (line,) = lines_from_rows(rows)
    assert (line.ref_as_printed, line.gross, line.paid) == (
        "INV2026000451", Decimal("1000.00"), Decimal("980.00"))


def test_custom_reference_test_recognises_bare_numbers() -> None:
    rows = [["Document", "Gross", "Net"], ["8660", "14312.75", "14312.75"]]
    assert lines_from_rows(rows, lambda text: text == "8660")[0].ref_as_printed == "8660"


def test_html_table_cells_are_read_with_entities_decoded() -> None:
    html = ("<table><thead><tr><th>Your Ref</th><th>Amount&nbsp;Paid</th></tr></thead>"
            "<tr><td>INV-2026-000451</td><td>$1,234.50</td></tr>"
            "<tfoot><tr><td colspan=2>Total réglé: 1 234,50</td></tr></tfoot></table>")
    (table,) = html_tables(html)
    (line,) = lines_from_rows(table)
    assert (line.ref_as_printed, line.paid) == ("INV-2026-000451", Decimal("1234.50"))


def test_unreadable_rows_are_skipped_not_raised() -> None:
    rows = [["Invoice", "Paid"], ["INV-2026-000001", "n/a"], ["", ""], ["INV-2026-000002"]]
    assert lines_from_rows(rows) == []
