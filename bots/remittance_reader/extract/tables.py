"""Remittance tables in mail bodies: plain-text and HTML, any column order.

Contract: given the rows of a table (lists of cell texts; a plain-text body is split
into cells on ``|``, tabs or runs of two or more spaces), return one
:class:`ExtractedLine` per document line.  A header row, when there is one, names the
columns through a synonym list (``Invoice #``, ``Your Ref``, ``Net Paid``...); without
one, the reference is the cell that looks like one of our document numbers, and the
last amount on the row is what was paid.  Totals and carried-forward rows are not
lines.  Rows that cannot be read are skipped here; the caller cross-checks the sum
of the lines against the stated total and sends a mismatch to review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser

from shared.money import ZERO, MoneyParseError, parse_amount

__all__ = ["ExtractedLine", "html_tables", "lines_from_rows", "text_rows"]

# Our document numbers as customers print them: INV-2026-000451, INV2026000451,
# CM-2026-00012, and OCR/typing slips such as O for 0 are left to the matcher.
DOC_REF = re.compile(r"\b(?:INV|CM|DM)[-\s]?\d{4}[-\s]?[\dO]{5,6}\b", re.IGNORECASE)
_AMOUNT = re.compile(r"^\(?[-+]?[$€£]?\s?\d[\d.,' \u00a0]*\d?\)?(?:-|\s?CR)?$", re.IGNORECASE)
_TOTAL_ROW = re.compile(r"\b(total|sum|carried|brought forward|subtotal)\b", re.IGNORECASE)
_CELL_SPLIT = re.compile(r"\s*\|\s*|\t+|\s{2,}")

# Header synonyms.  "Our Ref" on a customer's advice is *their* number, "Your Ref" ours.
_HEADERS: dict[str, tuple[str, ...]] = {
    "ref": ("invoice #", "invoice", "invoice no", "invoice number", "your ref", "document",
            "doc no", "reference", "inv no"),
    "gross": ("gross", "gross amount", "invoice amount", "amount due", "original amount"),
    "deduction": ("deduction", "deductions", "adjustment", "short paid"),
    "discount": ("discount", "disc.", "disc", "cash discount"),
    "paid": ("net paid", "amount paid", "paid", "net", "payment", "net amount", "paid amount"),
    "reason": ("reason", "description", "remark", "comment", "memo"),
}


@dataclass(frozen=True)
class ExtractedLine:
    """One document line of a remittance as printed (amounts as Decimal)."""

    ref_as_printed: str
    gross: Decimal | None
    deduction: Decimal
    discount: Decimal
    paid: Decimal
    reason: str


def text_rows(body: str) -> list[list[str]]:
    """Split a plain-text body into rows of cells (rule lines dropped)."""
    rows = []
    for raw in body.splitlines():
        line = raw.strip().strip("|")
        if not line or set(line) <= set("-=+| "):
            continue
        rows.append([c.strip() for c in _CELL_SPLIT.split(line)])
    return rows


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(html: str) -> list[list[list[str]]]:
    """Every ``<table>`` of an HTML body as rows of cell texts."""
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    return [t for t in parser.tables if t]


def _header_map(row: list[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for idx, cell in enumerate(row):
        name = cell.strip().lower().rstrip(":")
        for field, synonyms in _HEADERS.items():
            if name in synonyms and field not in found:
                found[field] = idx
                break
    return found if "ref" in found and ("paid" in found or "gross" in found) else None


def _amount(cell: str) -> Decimal | None:
    text = cell.strip()
    if not text or not _AMOUNT.match(text):
        return None
    try:
        return parse_amount(text)
    except MoneyParseError:
        return None


def _cell(row: list[str], idx: int | None) -> str:
    return row[idx] if idx is not None and idx < len(row) else ""


def lines_from_rows(rows: list[list[str]]) -> list[ExtractedLine]:
    """Document lines from table rows (see the module docstring for the rules)."""
    header: dict[str, int] | None = None
    out: list[ExtractedLine] = []
    for row in rows:
        if header is None and (mapped := _header_map(row)) is not None:
            header = mapped
            continue
        joined = " ".join(row)
        if _TOTAL_ROW.search(joined) and not DOC_REF.search(joined):
            continue
        line = _with_header(row, header) if header else _without_header(row)
        if line is not None:
            out.append(line)
    return out


def _with_header(row: list[str], header: dict[str, int]) -> ExtractedLine | None:
    ref = _cell(row, header.get("ref")).strip()
    if not ref:
        return None
    gross = _amount(_cell(row, header.get("gross")))
    deduction = _amount(_cell(row, header.get("deduction"))) or ZERO
    discount = _amount(_cell(row, header.get("discount"))) or ZERO
    paid = _amount(_cell(row, header.get("paid")))
    if paid is None:
        if gross is None:
            return None
        paid = gross - abs(deduction) - abs(discount)
    return ExtractedLine(ref, gross, abs(deduction), abs(discount), paid,
                         _cell(row, header.get("reason")).strip())


def _without_header(row: list[str]) -> ExtractedLine | None:
    refs = [c for c in row if DOC_REF.fullmatch(c.strip())]
    amounts = [a for c in row if (a := _amount(c)) is not None and not DOC_REF.search(c)]
    if len(refs) != 1 or not amounts:
        return None
    return ExtractedLine(refs[0].strip(), amounts[0], ZERO, ZERO, amounts[-1], "")
