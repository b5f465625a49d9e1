"""One entry point for every bank statement format, chosen by the file's content.

:func:`read_statement` looks at the first bytes of a file, not at its name (banks and
people rename files), and hands it to the reader of its format:

========  =========================================================  ==================
format    recognised by                                              reader
========  =========================================================  ==================
camt      an XML document (``<``)                                    ``camt053.py``
bai2      a first record ``NN,`` (BAI2 record code)                  ``bai2.py``
mt940     a ``:20:`` tag at the start of a line, or a ``{1:`` block  ``mt940.py``
csv       a header row with ``Bank Reference`` and ``Value Date``    ``csv_export.py``
========  =========================================================  ==================

Every failure is a :class:`StatementError` naming the file, the line or element and
the reason; nothing else escapes for a bad file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from bots.remittance_reader.bank.bai2 import read_bai2
from bots.remittance_reader.bank.camt053 import read_camt053
from bots.remittance_reader.bank.csv_export import read_csv_export
from bots.remittance_reader.bank.entry import StatementEntry, StatementError
from bots.remittance_reader.bank.mt940 import read_mt940

__all__ = ["StatementFormat", "detect_format", "read_statement"]

_SNIFF = 8192
# Byte-order mark, and the SOH/STX/ETX framing some banks' SWIFT exports keep.
_LEADING = b"\xef\xbb\xbf\x01\x02\x03 \t\r\n"


class StatementFormat(StrEnum):
    """The statement formats the reader knows."""

    CAMT = "camt"
    BAI2 = "bai2"
    MT940 = "mt940"
    CSV = "csv"


_READERS: dict[StatementFormat, Callable[[Path], list[StatementEntry]]] = {
    StatementFormat.CAMT: read_camt053,
    StatementFormat.BAI2: read_bai2,
    StatementFormat.MT940: read_mt940,
    StatementFormat.CSV: read_csv_export,
}


def detect_format(path: Path) -> StatementFormat | None:
    """The format of ``path`` judged by its content; None when it is none of ours.

    Raises :class:`StatementError` when the file cannot be read at all.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF)
    except OSError as exc:
        raise StatementError(f"{path.name}: cannot read: {exc}") from exc
    # latin-1 maps every byte, so sniffing never fails on a foreign code page.
    text = head.lstrip(_LEADING).decode("latin-1")
    first_line = text.split("\n", 1)[0]
    if text.startswith("<"):
        return StatementFormat.CAMT
    if re.match(r"\d\d,", text):
        return StatementFormat.BAI2
    if text.startswith("{1:") or re.search(r"(?m)^:20:", text):
        return StatementFormat.MT940
    if "Bank Reference" in first_line and "Value Date" in first_line:
        return StatementFormat.CSV
    return None


def read_statement(path: Path) -> list[StatementEntry]:
    """Every entry (credits and debits) of the statement file ``path``, in file order.

    Raises :class:`StatementError` for an unknown format or an invalid file.
    """
    found = detect_format(path)
    if found is None:
        if not path.read_bytes().strip(_LEADING):
            raise StatementError(f"{path.name}: the file is empty")
        raise StatementError(
            f"{path.name}: not a bank statement this reader knows "
            "(camt.052/053/054 XML, BAI2, MT940/MT942 or a CSV export with a header row)"
        )
    return _READERS[found](path)
