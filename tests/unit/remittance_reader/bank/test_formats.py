"""read_statement: the format comes from the content, and a bad file is a StatementError."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from bots.remittance_reader.bank import (
    StatementError,
    StatementFormat,
    detect_format,
    read_statement,
)
from bots.remittance_reader.bank.entry import exact_amount
from tests.unit.remittance_reader.bank.samples import (
    BAI2_STATEMENT,
    CAMT_CREDIT_V08,
    CSV_EXPORT,
    MT940_STATEMENT,
    NS08,
    camt_document,
)

SAMPLES = {
    StatementFormat.CAMT: camt_document(NS08, CAMT_CREDIT_V08),
    StatementFormat.BAI2: BAI2_STATEMENT,
    StatementFormat.MT940: MT940_STATEMENT,
    StatementFormat.CSV: CSV_EXPORT,
}


@pytest.mark.parametrize("kind", list(StatementFormat))
def test_format_is_recognised_by_content_whatever_the_name(
    tmp_path: Path, kind: StatementFormat
) -> None:
    path = tmp_path / "statement.txt"
    path.write_text(SAMPLES[kind], encoding="utf-8")

    assert detect_format(path) is kind
    credits = [e for e in read_statement(path) if e.credit]
    assert credits and all(e.amount > 0 and e.payment_id for e in credits)


def test_byte_order_mark_and_swift_framing_bytes_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"\x01" + MT940_STATEMENT.encode())
    bom = tmp_path / "y"
    bom.write_bytes(b"\xef\xbb\xbf" + BAI2_STATEMENT.encode())

    assert detect_format(path) is StatementFormat.MT940
    assert detect_format(bom) is StatementFormat.BAI2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"^empty\.bin: the file is empty"),
        (b"\n \n", r"^empty\.bin: the file is empty"),
        (b"%PDF-1.7 ...", r"^empty\.bin: not a bank statement this reader knows"),
    ],
)
def test_unknown_or_empty_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(content)

    with pytest.raises(StatementError, match=message):
        read_statement(path)


def test_missing_file_and_directory_are_statement_errors(tmp_path: Path) -> None:
    with pytest.raises(StatementError, match=r"^nope\.xml: cannot read"):
        read_statement(tmp_path / "nope.xml")
    with pytest.raises(StatementError, match=r"cannot read"):
        read_statement(tmp_path)


@pytest.mark.parametrize("kind", list(StatementFormat))
def test_damaged_files_never_raise_anything_but_statement_error(
    tmp_path: Path, kind: StatementFormat
) -> None:
    """Cut and scribbled-on copies of a good file: read, or refused with a StatementError."""
    data = SAMPLES[kind].encode()
    rng = random.Random(kind.value)
    path = tmp_path / "damaged"
    for _ in range(150):
        damaged = bytearray(data[: rng.randrange(1, len(data) + 1)])
        for _ in range(rng.randrange(0, 4)):
            damaged[rng.randrange(len(damaged))] = rng.choice(b"/,:<>\n 0123456789AZCD?\xff")
        path.write_bytes(bytes(damaged))
        try:
            entries = read_statement(path)
        except StatementError as exc:
            assert str(exc).startswith("damaged")
        else:
            assert all(e.amount >= 0 for e in entries)


@pytest.mark.parametrize(
    ("text", "expected"), [("8.850", "8.85"), ("474.4", "474.40"), ("200000", "200000.00")]
)
def test_exact_amount_keeps_cents(text: str, expected: str) -> None:
    assert exact_amount(text, "x") == Decimal(expected)


@pytest.mark.parametrize("text", ["1.005", "-1.00", "NaN", "1e40", "abc", ""])
def test_exact_amount_refuses_what_a_cent_cannot_hold(text: str) -> None:
    with pytest.raises(StatementError, match=r"^here: amount"):
        exact_amount(text, "here")
