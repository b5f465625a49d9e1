"""Bank statements in, statement entries out: camt.05x XML, BAI2, MT940 and CSV exports.

``read_statement(path)`` recognises the format by content and returns every entry;
credits are the payments.  Anything wrong with a file is a :class:`StatementError`.
"""

from bots.remittance_reader.bank.entry import StatementEntry, StatementError
from bots.remittance_reader.bank.formats import StatementFormat, detect_format, read_statement

__all__ = [
    "StatementEntry",
    "StatementError",
    "StatementFormat",
    "detect_format",
    "read_statement",
]
