"""MT940: :61: lines, structured and German :86: details, 65-column wrapping, errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bots.remittance_reader.bank.entry import StatementError
from bots.remittance_reader.bank.mt940 import read_mt940
from tests.unit.remittance_reader.bank.samples import MT940_STATEMENT

GERMAN = """:20:STARTUMS
:25:50880050/0194791600888
:28C:00004/00001
:60F:C070903EUR0,00
:61:0709070907CR50990,05NTRFNONREF//0724710333343453
:86:166?00GUTSCHRIFT?100399?20EREF+EndToEndId TFNR 22 004?21 00001?2
2SVWZ+Verw CTSc-01 BC-PPP TF?23Nr 22 004?30DRESDEFF508?31DE145088005
00194785000?32KARL?33        KAUFMANN
:62F:C070907EUR50990,05
-
"""


def _write(tmp_path: Path, text: str, name: str = "stmt.sta") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode("ascii"))
    return path


def test_structured_details_wrapped_at_65_columns_are_glued(tmp_path: Path) -> None:
    entry = read_mt940(_write(tmp_path, MT940_STATEMENT))[0]

    assert entry.payment_id == "TMB26030238398"
    assert entry.credit is True
    assert entry.value_date == date(2026, 3, 2)
    assert (entry.amount, entry.currency) == (Decimal("9617.79"), "GBP")
    assert entry.payer_name == "JANSEN INDUSTRIE NV"
    assert entry.payer_account == "NL11TRIO6147489397"
    assert entry.free_text == "REF:440225 INV 2026-02024"
    assert entry.customer_ref == "892525"
    assert entry.receiving_account == "GB58NWBK47523654577961"
    assert entry.bank_text.startswith("/EREF/NOTPROVIDED/ORDP//NAME/JANSEN")


def test_structured_creditor_reference_and_ultimate_payer(tmp_path: Path) -> None:
    entry = read_mt940(_write(tmp_path, MT940_STATEMENT))[1]

    assert entry.value_date == date(2026, 3, 3)
    assert entry.structured_ref == "RF182026000451"
    assert entry.free_text == "RF182026000451"
    assert (entry.payer_name, entry.ultimate_payer) == (
        "BILL.COM PAYABLES",
        "SEVERN VALLEY PLASTICS",
    )
    assert entry.customer_ref == "E2E-77"  # :61: says NONREF, so the EREF


def test_debit_and_reversal_marks(tmp_path: Path) -> None:
    fee, reversal = read_mt940(_write(tmp_path, MT940_STATEMENT))[2:]

    assert (fee.credit, fee.amount, fee.free_text) == (
        False,
        Decimal("110.15"),
        "KONTOFUEHRUNGSGEBUEHR",
    )
    assert reversal.credit is True  # RD: a debit reversed, money in
    assert reversal.free_text == "STORNO GEBUEHR"  # the owner's :86: after :62F: is not added


def test_german_sub_fields_give_payer_and_purpose(tmp_path: Path) -> None:
    (entry,) = read_mt940(_write(tmp_path, GERMAN))

    assert entry.credit is True  # "CR": credit with funds code R
    assert entry.amount == Decimal("50990.05")
    assert entry.payer_account == "DE14508800500194785000"
    assert entry.payer_bank_id == "DRESDEFF508"
    assert entry.payer_name.split() == ["KARL", "KAUFMANN"]
    assert entry.free_text == "Verw CTSc-01 BC-PPP TFNr 22 004"


def test_short_lines_are_joined_with_a_space(tmp_path: Path) -> None:
    two_lines = ":86:HIER EEN OMSCHRIJVING\nOP TWEE REGELS"
    text = MT940_STATEMENT.replace(":86:KONTOFUEHRUNGSGEBUEHR", two_lines)

    entry = read_mt940(_write(tmp_path, text))[2]

    assert entry.free_text == "HIER EEN OMSCHRIJVING OP TWEE REGELS"


def test_several_statements_in_one_file(tmp_path: Path) -> None:
    second = MT940_STATEMENT.replace("GB58NWBK47523654577961", "GB00SECOND0000000001")

    entries = read_mt940(_write(tmp_path, MT940_STATEMENT + second))

    assert len(entries) == 8
    assert {e.receiving_account for e in entries[4:]} == {"GB00SECOND0000000001"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MT940_STATEMENT.replace(":61:2603020302D110,15", ":61:2603020302X110,15"),
            r"line 13: :61: field does not match the MT940 layout",
        ),
        (
            MT940_STATEMENT.replace(":61:2603020302C9617,79", ":61:2613020302C9617,79"),
            r"not a readable MT940 statement \(ValueError",
        ),
        ("no tags at all\n", r"no MT940 statement \(no :20: tag\)"),
    ],
)
def test_invalid_files_raise_statement_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(StatementError, match=r"^bad\.sta.*" + message):
        read_mt940(_write(tmp_path, text, "bad.sta"))
