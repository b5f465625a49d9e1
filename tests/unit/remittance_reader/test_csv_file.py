"""CSV attachments: delimiter and encoding found, rows of cell texts."""

from __future__ import annotations

import pytest

from bots.remittance_reader.extract.csv_file import decode_csv_bytes, read_csv, sniff_delimiter

ADVICE = (
    "Payer,Schneider South Inc.\r\n"
    'Payment Amount,"$11,945.26"\r\n'
    "\r\n"
    "Inv No.,Description,Amount Due,Amount Paid\r\n"
    "INV-2026-002413,,11945.26,11945.26\r\n"
    "Payment amount,,,11945.26\r\n"
)

SEMICOLON = (
    "Payer;Schäfer Holdings AG\r\n"
    "Payment Amount;10.965,70 EUR\r\n"
    "\r\n"
    "Document;Your Ref;Doc. Date;Gross;Disc.;Deduction;Reason;Net Paid\r\n"
    "1974362487;INV2026001854;19.02.2026;4444,48;;;;4444,48\r\n"
    "AP-259443;INV2025008968;01.12.2025;2365,87;;;;2365,87\r\n"
)


def test_comma_file_with_header_block_and_quoted_amount() -> None:
    doc = read_csv(ADVICE.encode(), "remit.csv")
    assert doc.channel == "csv" and doc.problem is None
    assert doc.tables == [[
        ["Payer", "Schneider South Inc."],
        ["Payment Amount", "$11,945.26"],
        ["Inv No.", "Description", "Amount Due", "Amount Paid"],
        ["INV-2026-002413", "", "11945.26", "11945.26"],
        ["Payment amount", "", "", "11945.26"],
    ]]
    assert "Payment Amount: $11,945.26" in doc.text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252",
                                      "latin-1"])
def test_semicolon_file_with_decimal_commas_in_any_encoding(encoding: str) -> None:
    doc = read_csv(SEMICOLON.encode(encoding), "remit.csv")
    [table] = doc.tables
    assert table[0] == ["Payer", "Schäfer Holdings AG"]
    assert table[2][1] == "Your Ref"
    assert table[3] == ["1974362487", "INV2026001854", "19.02.2026", "4444,48", "", "", "",
                        "4444,48"]


def test_tab_separated() -> None:
    doc = read_csv(b"Invoice #\tNet Paid\nINV-2026-000001\t1,234.56\n", "remit.csv")
    assert doc.tables == [[["Invoice #", "Net Paid"], ["INV-2026-000001", "1,234.56"]]]


def test_encoding_detection() -> None:
    assert decode_csv_bytes("€".encode("cp1252")) == ("€", "cp1252")
    assert decode_csv_bytes("a;b".encode("utf-16-le")) == ("a;b", "utf-16-le")
    assert decode_csv_bytes("a;b".encode("utf-16-be")) == ("a;b", "utf-16-be")
    assert decode_csv_bytes(b"\xef\xbb\xbfx") == ("x", "utf-8-sig")
    assert decode_csv_bytes(b"\x81") == ("\x81", "latin-1")


def test_sniffer_prefers_the_delimiter_of_the_widest_consistent_rows() -> None:
    assert sniff_delimiter(SEMICOLON) == ";"
    assert sniff_delimiter(ADVICE) == ","
    assert sniff_delimiter("just words\nand more words\n") is None


def test_text_file_laid_out_with_spaces_is_handed_back_as_text() -> None:
    body = ("Invoice            Amount\n"
            "INV-2026-000001    1,234.56\n"
            "INV-2026-000002    2,000.00\n")
    doc = read_csv(body.encode(), "remittance.txt")
    assert (doc.channel, doc.tables, doc.text) == ("text", [], body)


def test_stray_quote_keeps_the_rows() -> None:
    doc = read_csv(b'Invoice #,Net Paid\nINV-2026-000001,"10.00\nINV-2026-000002,5.00\n',
                   "remit.csv")
    assert doc.tables == [[["Invoice #", "Net Paid"], ["INV-2026-000001", "10.00"],
                           ["INV-2026-000002", "5.00"]]]


def test_empty_file_is_a_problem() -> None:
    assert read_csv(b" \r\n", "empty.csv").problem == "empty.csv is empty"
