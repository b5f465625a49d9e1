"""BAI2: 16 details with 88 continuations, groups, trailers and the payer layouts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bots.remittance_reader.bank.bai2 import read_bai2
from bots.remittance_reader.bank.entry import StatementError


def _wrapped(record: str) -> list[str]:
    """A 16 record cut into 80-column physical lines the way banks write them."""
    lines = [record[:80]]
    rest = record[80:]
    while rest:
        lines.append("88," + rest[:77])
        rest = rest[77:]
    return lines


ACH = (
    "16,165,141399,0,FC260302026762,,ORIG CO NAME:EVERGREEN MACHIN ORIG ID:3149669286"
    " DESC DATE:260302 ENTRY DESCR:EDI PYMNTS SEC:CCD TRACE#:140338051483051 EED:2603"
    "02 IND ID:98833691 IND NAME:NORTHWIND COMPONENTS ADDENDA:2025009051 PO EVE-71963"
)
FED_WIRE = (  # the second line ends in a space at column 80
    "16,195,176400,0,FC260302734272,,WIRE TYPE:FED IN DATE:260302 TIME:1713 ET TRN:20"
    "26030219557188 ORIG:ALLEGHENY AUTOMOTIVE INC ID:888425249449 SND BK:JPMORGAN "
    "CHASE BANK NA ID:327671086 OBI:INV2026001840 LESS 2% DISC"
)
INTL_WIRE = (
    "16,195,1200000,0,FC260302471948,,WIRE TYPE:INTL IN DATE:260302 TIME:1617 ET TRN:"
    "2026030243774812 ORIG:LAURENTIAN CONTROLS (MISSISSAUGA) I ID:53286263 ORIG BK:GC"
    "STCAAA INTERMEDIARY BK:CITIUS33 OBI:2026001338 2026000391"
)
DEPOSIT = "16,301,2109753,0,FC260303200377,,LOCKBOX DEPOSIT CHECK NO 651131 REMITTER TIDEWATER ELECTRONICS MEMO TRANSFER"  # noqa: E501
DEBIT = "16,495,17826364,0,FC260303026671,,BOOK TRANSFER TO NORTHWIND OPERATING"

# Account 1 (2026-03-02): summaries 100000 + 250000, details 141399 + 176400 + 1200000.
# Account 1 (2026-03-03): summary 0, details 2109753 + 17826364.
TOTAL_1 = 100000 + 250000 + 141399 + 176400 + 1200000
TOTAL_2 = 2109753 + 17826364


def _file(tmp_path: Path, lines: list[str], name: str = "stmt.bai") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _statement(tmp_path: Path) -> Path:
    day1 = [
        "03,9260497381,USD,010,100000,,,015,250000,,/",
        *_wrapped(ACH),
        *_wrapped(FED_WIRE),
        *_wrapped(INTL_WIRE),
    ]
    day2 = ["03,9260497381,USD,015,0,,/", *_wrapped(DEPOSIT), DEBIT]
    return _file(
        tmp_path,
        [
            "01,222625975,NORTHWINDCMP,260304,0630,1,80,,2/",
            "02,NORTHWINDCMP,222625975,1,260302,2400,USD,2/",
            *day1,
            f"49,{TOTAL_1},{len(day1) + 1}/",
            f"98,{TOTAL_1},1,{len(day1) + 3}/",
            "02,NORTHWINDCMP,222625975,1,260303,2400,USD,2/",
            *day2,
            f"49,{TOTAL_2},{len(day2) + 1}/",
            f"98,{TOTAL_2},1,{len(day2) + 3}/",
            f"99,{TOTAL_1 + TOTAL_2},2,{len(day1) + len(day2) + 8}/",
        ],
    )


def test_ach_credit_continued_text_is_glued_without_separator(tmp_path: Path) -> None:
    entry = read_bai2(_statement(tmp_path))[0]

    assert entry.payment_id == "FC260302026762"
    assert entry.credit is True
    assert entry.value_date == date(2026, 3, 2)
    assert entry.amount == Decimal("1413.99")
    assert entry.currency == "USD"
    assert entry.payer_name == "EVERGREEN MACHIN"
    assert (entry.payer_account, entry.payer_bank_id) == ("3149669286", "ACH COMPANY ID")
    assert entry.free_text == "2025009051 PO EVE-71963"
    assert "EED:260302 IND ID" in entry.bank_text  # "2603" + "02" across the 88 line
    assert entry.receiving_account == "9260497381"


def test_fed_wire_keeps_the_space_at_the_end_of_a_full_line(tmp_path: Path) -> None:
    entry = read_bai2(_statement(tmp_path))[1]

    assert entry.payer_name == "ALLEGHENY AUTOMOTIVE INC"
    assert entry.payer_account == "888425249449"
    assert entry.payer_bank_id == "327671086"  # the sending bank's ABA, not its name
    assert "SND BK:JPMORGAN CHASE BANK NA" in entry.bank_text
    assert entry.free_text == "INV2026001840 LESS 2% DISC"


def test_international_wire_gives_the_originator_bank_bic(tmp_path: Path) -> None:
    entry = read_bai2(_statement(tmp_path))[2]

    assert entry.payer_name == "LAURENTIAN CONTROLS (MISSISSAUGA) I"
    assert (entry.payer_account, entry.payer_bank_id) == ("53286263", "GCSTCAAA")
    assert entry.free_text == "2026001338 2026000391"
    assert entry.amount == Decimal("12000.00")


def test_deposit_and_debit_in_the_second_group_take_its_as_of_date(tmp_path: Path) -> None:
    deposit, debit = read_bai2(_statement(tmp_path))[3:]

    assert deposit.value_date == debit.value_date == date(2026, 3, 3)
    assert (deposit.payer_name, deposit.free_text) == ("TIDEWATER ELECTRONICS", "TRANSFER")
    assert deposit.credit is True
    assert debit.credit is False
    assert debit.amount == Decimal("178263.64")
    assert debit.free_text == "BOOK TRANSFER TO NORTHWIND OPERATING"


def test_control_total_mismatch_is_refused_unless_told_otherwise(tmp_path: Path) -> None:
    path = _statement(tmp_path)
    path.write_text(path.read_text().replace(f"49,{TOTAL_1},", f"49,{TOTAL_1 + 1},"))

    with pytest.raises(StatementError, match=r"stmt\.bai line \d+: account 9260497381 control"):
        read_bai2(path)
    assert len(read_bai2(path, check_totals=False)) == 5


def test_text_after_a_short_line_is_joined_with_a_space(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        [
            "01,GSBI,cont001,210706,1249,1,,,2/",
            "02,cont001,026015079,1,230906,2000,,/",
            "03,107049932,USD,,,/",
            "16,447,60000,,SPB2322984714570,1111,ACH Credit Payment",
            "88,EREF: 1111",
            "88,DBNM: TEST INC",
            "49,60000,5/",
            "98,60000,1,7/",
            "99,60000,1,9/",
        ],
    )

    entry = read_bai2(path)[0]

    assert entry.bank_text == "ACH Credit Payment EREF: 1111 DBNM: TEST INC"
    assert entry.free_text == entry.bank_text  # not a layout we know: all of it is free text
    assert (entry.payment_id, entry.customer_ref) == ("SPB2322984714570", "1111")
    assert entry.currency == "USD"  # the BAI2 default when no currency is given


def test_packed_records_slash_terminated_text_and_continued_summaries(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        [
            "01,0004,12345,060321,0829,001,80,1,2/   02,12345,0004,1,060317,,CAD,/",
            # a summary triple split by the 88 line, funds types V (date, time) and S (3 amounts)
            "03,10200123456,,010,+500,,,040/",
            "88,1000,3,V,060316,,/",
            "16,409,000000000002500,V,060316,,,,RETURNED CHEQUE     / 16,108,300,S,100,100,100,"
            "BR1,CR1,TFR 1020/0345678   /",
            "49,+4300,5/",
            "98,+4300,1,7/",
            "99,+4300,1,9",  # some banks leave out the final "/"
        ],
    )

    cheque, transfer = read_bai2(path)

    assert (cheque.credit, cheque.amount, cheque.free_text) == (
        False,
        Decimal("25.00"),
        "RETURNED CHEQUE",
    )
    assert cheque.currency == "CAD"
    assert (transfer.payment_id, transfer.customer_ref) == ("BR1", "CR1")
    assert transfer.free_text == "TFR 1020/0345678"  # a "/" inside text is text
    assert transfer.credit is True


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["00,0004,1/2/345,06/0321,0829,001,80,1,2/"], r"line 1: unsupported record type '00'"),
        (["02,X,Y,1,260302,2400,USD,2/"], r"line 1: a BAI2 file starts with a 01 file header"),
        (["01,A,B,260304,0630,1,80,,2/", "02,A,B,1,260302,2400,USD,2/"], r"no 99 file trailer"),
        (
            ["01,A,B,260304,0630,1,80,,2/", "02,A,B,1,260231,2400,USD,2/"],
            r"line 2: as-of date '260231' is not YYMMDD",
        ),
        (
            ["01,A,B,260304,0630,1,80,,2/", "02,A,B,1,260302,2400,USD,2/", "16,165,100,0,R,,X"],
            r"line 3: 16 transaction detail outside an account",
        ),
        (
            [
                "01,A,B,260304,0630,1,80,,2/",
                "02,A,B,1,260302,2400,USD,2/",
                "03,1,USD,/",
                "16,165,12.50,0,R,,X",
            ],
            r"line 4: amount '12.50' is not an unsigned number",
        ),
        (
            [
                "01,A,B,260304,0630,1,80,,2/",
                "02,A,B,1,260302,2400,USD,2/",
                "03,1,USD,/",
                "16,165,100,Q,R,,X",
            ],
            r"line 4: unknown funds type 'Q'",
        ),
        (["01,A,B,260304,0630,1,80,,2/", "this is not BAI2"], r"line 2: not a BAI2 record"),
        (["88,orphan"], r"line 1: continuation \(88\) with nothing to continue"),
    ],
)
def test_invalid_files_raise_statement_error_with_file_and_line(
    tmp_path: Path, lines: list[str], message: str
) -> None:
    with pytest.raises(StatementError, match=r"^bad\.bai.*" + message):
        read_bai2(_file(tmp_path, lines, "bad.bai"))


def test_a_latin_1_byte_in_a_name_is_read_not_refused(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        [
            "01,A,B,260304,0630,1,80,,2/",
            "02,A,B,1,260302,2400,USD,2/",
            "03,1,USD,/",
            "16,301,500,0,R1,,LOCKBOX DEPOSIT REMITTER M\xdcLLER GMBH MEMO INV 7",
            "49,500,3/",
            "98,500,1,5/",
            "99,500,1,7/",
        ],
    )
    path.write_bytes(path.read_text().encode("latin-1"))

    assert read_bai2(path)[0].payer_name == "M\u00dcLLER GMBH"
