"""Positional tables: fixed-width text, PDF-like word boxes and OCR-like boxes alike."""

from __future__ import annotations

import pytest

from bots.remittance_reader.extract.layout import (
    Word,
    find_tables,
    group_lines,
    is_amount,
    join_pages,
    rows_from_words,
    text_tables,
)


def _words(spec: list[tuple[str, float, float]], top: float, height: float = 9.0) -> list[Word]:
    return [Word(text, x0, x1, top, top + height) for text, x0, x1 in spec]


def test_right_aligned_amounts_land_in_their_column_when_cells_to_their_left_are_empty(
) -> None:
    body = """Payment Amount: $18,145.05

Invoice #      Invoice Date  PO Number  Gross Amount  Discount  Deduction   Net Paid  Description
-------------------------------------------------------------------------------------------------
INV2026001358  11/02/2026    WHI-26498     £3,820.64              £129.09  £3,691.55  Freight
INV2026002409  27/02/2026    WHI-45051     £1,600.91                       £1,600.91
INV2026002410  27/02/2026                    £600.00   £12.00                £588.00
-------------------------------------------------------------------------------------------------
TOTAL PAYMENT: £5,880.46

Kind regards,
Whitcombe Engineering Ltd Accounts Payable
"""
    (table,) = text_tables(body)
    assert table[0] == ["Invoice #", "Invoice Date", "PO Number", "Gross Amount", "Discount",
                        "Deduction", "Net Paid", "Description"]
    assert table[1] == ["INV2026001358", "11/02/2026", "WHI-26498", "£3,820.64", "", "£129.09",
                        "£3,691.55", "Freight"]
    assert table[2] == ["INV2026002409", "27/02/2026", "WHI-45051", "£1,600.91", "", "",
                        "£1,600.91", ""]
    assert table[3] == ["INV2026002410", "27/02/2026", "", "£600.00", "£12.00", "", "£588.00",
                        ""]
    # the total stays in the table (the interpreter knows it); prose does not
    assert all("Kind regards" not in " ".join(row) for row in table)


def test_multi_word_cells_stay_whole() -> None:
    body = """Inv No.        Description                     Amount Due    Amount Paid
INV2026001042  Balance after previous payment   1 234,56      $ 1,415.07
INV2026001043  Remaining balance                  12.50 CR      3.400,00 $
INV2026001044  Returned goods                      (12.50)         12.50-
"""
    (table,) = text_tables(body)
    assert table[1:] == [
        ["INV2026001042", "Balance after previous payment", "1 234,56", "$ 1,415.07"],
        ["INV2026001043", "Remaining balance", "12.50 CR", "3.400,00 $"],
        ["INV2026001044", "Returned goods", "(12.50)", "12.50-"],
    ]


def test_pipe_table_keeps_empty_cells_and_skips_its_rules() -> None:
    body = """Net Paid | Invoice #       | Deduction | Gross
---------+-----------------+-----------+---------
  950.00 | INV-2026-000451 |     50.00 | 1,000.00
(120.00) | CM-2026-00012   |           | (120.00)
"""
    (table,) = text_tables(body)
    assert table == [
        ["Net Paid", "Invoice #", "Deduction", "Gross"],
        ["950.00", "INV-2026-000451", "50.00", "1,000.00"],
        ["(120.00)", "CM-2026-00012", "", "(120.00)"],
    ]


def test_pipe_cells_are_placed_by_their_bounds_even_when_text_is_unpadded() -> None:
    body = ("Invoice Number  | PO #     | Invoice Amt | Deductions | Paid Amount\n"
            "INV-2026-001338 | PO048516 |   10,400.00 |            |   10,400.00\n"
            "INV-2026-000391 |          |      657.81 |      12.00 |      645.81\n")
    (table,) = text_tables(body)
    assert table[2] == ["INV-2026-000391", "", "657.81", "12.00", "645.81"]


def test_page_total_and_carried_forward_lines_stay_in_the_table() -> None:
    body = """Document         Date        Curr     Gross  Discount  Deduction  Reason       Net
INV-2026-000830  2026-01-28  USD    5700.00                                5700.00
CM-2025-00604    2025-10-04  USD   -1224.03                               -1224.03
Carried forward                                                            4475.97
INV-2026-001376  2026-02-11  USD     244.93                                 244.93
"""
    (table,) = text_tables(body)
    assert table[3] == ["Carried forward", "", "", "", "", "", "", "4475.97"]
    assert table[4][0] == "INV-2026-001376"
    assert table[2][3] == "-1224.03"


def test_a_reason_between_amounts_splits_from_a_single_spaced_neighbour() -> None:
    body = """Document       Date        Curr    Gross  Discount  Deduction  Reason             Net
INV2026000196  2026-01-04  USD   6016.02               300.80  Damaged goods  5715.22
"""
    (table,) = text_tables(body)
    assert table[1] == ["INV2026000196", "2026-01-04", "USD", "6016.02", "", "300.80",
                        "Damaged goods", "5715.22"]


def test_label_value_lines_and_prose_are_not_tables() -> None:
    body = """This is to advise that payment 22269 in the amount of 12,000.00 USD has been issued.

Payer:         Laurentian Controls (Mississauga) Inc.
Payment No.:   22269
Payment Amount:  12,000.00 USD

Best regards,
Laurentian Controls
"""
    assert text_tables(body) == []


def test_two_tables_separated_by_prose_come_back_apart() -> None:
    body = """Invoice #        Net Paid
INV-2026-000001    100.00

Credits taken:

Credit #         Amount
CM-2026-00012     -20.00
"""
    tables = text_tables(body)
    assert [t[0] for t in tables] == [["Invoice #", "Net Paid"], ["Credit #", "Amount"]]


def test_pdf_words_tight_heading_is_split_where_the_data_says() -> None:
    # "Deduction Reason" set 6 pt apart: one phrase in the heading, two columns in the data
    lines = [
        _words([("Document", 43, 85), ("Gross", 200, 224), ("Deduction", 240, 284),
                ("Reason", 290, 320), ("Net", 420, 440)], 100),
        _words([("INV-2026-000001", 43, 116), ("1,000.00", 188, 224), ("50.00", 258, 284),
                ("Damaged", 290, 325), ("goods", 327, 350), ("950.00", 410, 440)], 114),
        _words([("INV-2026-000002", 43, 116), ("200.00", 196, 224), ("200.00", 410, 440)],
               128),
    ]
    (table,) = rows_from_words(lines, gap=8.0)
    assert table[0] == ["Document", "Gross", "Deduction", "Reason", "Net"]
    assert table[1] == ["INV-2026-000001", "1,000.00", "50.00", "Damaged goods", "950.00"]
    assert table[2] == ["INV-2026-000002", "200.00", "", "", "200.00"]


def test_loose_heading_words_over_one_column_of_data_are_joined() -> None:
    # OCR-like: "Net" and "Paid" far enough apart to be two phrases, the amounts span both
    lines = [
        _words([("Document", 200, 390), ("Gross", 1260, 1366), ("Net", 2149, 2215),
                ("Paid", 2245, 2309)], 1000, 30),
        _words([("INV2026002228", 190, 465), ("3.237,60", 1218, 1366),
                ("3.237,60", 2161, 2309)], 1050, 30),
        _words([("INV2026002304", 190, 465), ("4.008,90", 1216, 1366),
                ("4.008,90", 2160, 2309)], 1100, 30),
    ]
    (table,) = rows_from_words(lines)
    assert table[0] == ["Document", "Gross", "Net Paid"]
    assert table[2] == ["INV2026002304", "4.008,90", "4.008,90"]


def test_without_a_heading_columns_come_from_the_lines_that_agree() -> None:
    body = """INV-2026-000548  01/20/2026    $11,969.65     $11,969.65
INV-2026-000366  01/13/2026     $2,660.54      $2,000.00
INV-2026-000644  01/23/2026       $430.00        $430.00
"""
    (table,) = text_tables(body)
    assert table == [
        ["INV-2026-000548", "01/20/2026", "$11,969.65", "$11,969.65"],
        ["INV-2026-000366", "01/13/2026", "$2,660.54", "$2,000.00"],
        ["INV-2026-000644", "01/23/2026", "$430.00", "$430.00"],
    ]


def test_a_continuation_page_without_heading_uses_the_columns_of_the_page_before() -> None:
    page1 = [
        _words([("Invoice", 40, 70), ("Gross", 200, 224), ("Discount", 260, 296),
                ("Paid", 400, 420)], 100),
        _words([("INV-2026-000001", 40, 113), ("1,000.00", 188, 224), ("980.00", 392, 420)],
               114),
    ]
    page2 = [
        _words([("INV-2026-000002", 40, 113), ("500.00", 196, 224), ("10.00", 272, 296),
                ("490.00", 392, 420)], 60),
        _words([("INV-2026-000003", 40, 113), ("70.00", 200, 224), ("70.00", 398, 420)], 74),
    ]
    first = find_tables(page1)
    second = find_tables(page2, previous=first[-1])
    assert second[0].continued
    (table,) = join_pages([*first, *second])
    assert table[0] == ["Invoice", "Gross", "Discount", "Paid"]
    assert table[2] == ["INV-2026-000002", "500.00", "10.00", "490.00"]
    assert table[3] == ["INV-2026-000003", "70.00", "", "70.00"]


def test_a_heading_repeated_on_the_next_page_is_not_repeated_in_the_table() -> None:
    head = [("Invoice", 40, 70), ("Paid", 400, 420)]
    page1 = [_words(head, 100), _words([("INV-2026-000001", 40, 113), ("9.00", 404, 420)], 114)]
    page2 = [_words(head, 60), _words([("INV-2026-000002", 40, 113), ("8.00", 404, 420)], 74)]
    tables = join_pages([*find_tables(page1), *find_tables(page2)])
    assert tables == [[["Invoice", "Paid"], ["INV-2026-000001", "9.00"],
                       ["INV-2026-000002", "8.00"]]]


def test_group_lines_follows_vertical_overlap_not_exact_tops() -> None:
    words = [Word("b", 50, 60, 101, 110), Word("a", 10, 20, 100, 109),
             Word("c", 10, 20, 120, 129)]
    assert [[w.text for w in line] for line in group_lines(words)] == [["a", "b"], ["c"]]


@pytest.mark.parametrize(("text", "expected"), [
    ("1,234.56", True), ("1.234,56", True), ("1 234,56", True), ("1'234.56", True),
    ("-12.50", True), ("(12.50)", True), ("12.50-", True), ("12.50 CR", True),
    ("$ 1,415.07", True), ("3.400,00 $", True), ("16 481,03 USD", True), ("12802.12", True),
    ("1.234.56", False), ("1,234,56", False), ("2026-01-14", False), ("INV2026000399", False),
    ("1,234", False), ("Total 12.50", False),
])
def test_is_amount(text: str, expected: bool) -> None:
    assert is_amount(text) is expected
