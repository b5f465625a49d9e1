"""CSV (and plain-text) attachments: delimiter and encoding found, rows of cell texts.

Contract: :func:`read_csv` never raises.  The encoding is taken from a byte-order
mark (UTF-8, UTF-16), else from NUL-byte patterns (BOM-less UTF-16), else the first
of UTF-8, cp1252, Latin-1 that decodes.  The delimiter is the one of ``,`` ``;``
tab ``|`` that splits the most lines into the same number of cells (a ``;`` file with
decimal commas still comes out as ``;``); for ``.txt`` files the first line must split
too.  Quoted cells follow RFC 4180.

The result is one table, every non-empty row in order (header block, column header,
lines, totals), cells stripped and trailing empty cells trimmed, and ``text`` with
the same rows ("Payment Amount: $11,945.26").  A file that no delimiter splits
(a ``.txt`` remittance laid out with spaces) comes back as channel ``text`` with only
``text`` set, for the plain-text reader.
"""

from __future__ import annotations

import csv
from collections import Counter

from bots.remittance_reader.extract.document import DocumentContent, Rows
from bots.remittance_reader.extract.spreadsheet import rows_text

__all__ = ["decode_csv_bytes", "read_csv", "sniff_delimiter"]

_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_LINES = 200
_MAX_ROWS = 20_000


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` for the bytes of a text file (see the module docstring)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16"
    sample = data[:4000]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):
        # ASCII text in UTF-16 without a BOM: every other byte is NUL.
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        codec = "utf-16-le" if odd_nuls > even_nuls else "utf-16-be"
        return data.decode(codec, "replace"), codec
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _split(lines: list[str], delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return [line.split(delimiter) for line in lines]


def sniff_delimiter(text: str, *, strict: bool = False) -> str | None:
    """The delimiter that splits the most lines into equally many cells, or None.

    ``strict`` (for ``.txt`` files, often tables laid out with spaces whose amounts
    hold commas) also requires the first line to split into that many cells.
    """
    lines = [line for line in text.splitlines()[:_SAMPLE_LINES] if line.strip()]
    best: tuple[int, str] | None = None
    for delimiter in _DELIMITERS:
        rows = _split(lines, delimiter)
        widths = Counter(len(row) for row in rows if len(row) > 1)
        if not widths:
            continue
        # Lines of the most telling width, weighted by how many cells they have.
        score, width = max((count * (width - 1), width) for width, count in widths.items())
        if strict and len(rows[0]) != width:
            continue
        if best is None or score > best[0]:
            best = (score, delimiter)
    return best[1] if best else None


def _clean(raw: list[str]) -> list[str]:
    row = [cell.strip() for cell in raw]
    while row and not row[-1]:
        row.pop()
    return row


def _rows(text: str, delimiter: str) -> tuple[Rows, bool]:
    rows = [_clean(raw) for raw in _split(text.splitlines(keepends=True), delimiter)]
    if any("\n" in cell or "\r" in cell for row in rows for cell in row):
        # A stray quote swallowed line breaks (or a cell really spans lines, which
        # remittances do not need): read each line on its own so no line is lost.
        rows = [_clean(cells) for line in text.splitlines()
                for cells in _split([line], delimiter)]
    rows = [row for row in rows if row]
    return rows[:_MAX_ROWS], len(rows) > _MAX_ROWS


def read_csv(data: bytes, name: str) -> DocumentContent:
    """Read a CSV attachment into one table (see the module docstring)."""
    if not data.strip():
        return DocumentContent(name, "csv", problem=f"{name} is empty")
    text, _ = decode_csv_bytes(data)
    text = text.replace("\x00", "")
    delimiter = sniff_delimiter(text, strict=name.lower().endswith(".txt"))
    if delimiter is None:
        return DocumentContent(name, "text", text=text)
    rows, cut = _rows(text, delimiter)
    problem = f"{name} has more than {_MAX_ROWS} rows; cut there" if cut else None
    return DocumentContent(name, "csv", text=rows_text(rows), tables=[rows], problem=problem)
