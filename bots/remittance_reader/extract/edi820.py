"""ANSI X12 820 remittance advices, read into the table every other channel produces.

Contract: :func:`read_edi820` never raises.  Delimiters are read from the ISA
envelope (element separator after ``ISA``, component separator ISA16, segment
terminator right after it; padded and unpadded ISAs, newline terminators), so
003010, 004010 and 005010 files all read.  Per 820 transaction set (ST..SE):

* ``BPR`` (``BPS`` in 003010): payment amount, date (BPR16) and method; ``TRN02``
  trace number; ``CUR02`` currency; ``N1*PR`` payer, ``N1*PE`` payee, ``N1*RM``
  remitter -- written to ``text`` as ``"Payment Amount: 22656.75"``,
  ``"Payment Date: 2026-02-28"``, ``"Payer: ..."``, ``"Trace: ..."`` lines;
* each ``RMR`` (``RMT`` in 003010) becomes one row under the header
  ``Invoice # | Gross Amount | Discount | Deduction | Deduction Reason | Net Paid``:
  reference RMR02, paid RMR04, gross RMR05, discount RMR06; the ``ADX`` segments that
  follow it are its deductions (an ADX of -40.00 is a deduction of 40.00) with their
  reason codes.  An ADX before any RMR is a payment-level adjustment, kept in ``text``.

Amounts are written as printed, padded to two places (``30`` -> ``30.00``).  One table
per transaction set.  Input that is not an X12 820 comes back with ``problem`` set; a
file cut short (no ``SE``, or an ``SE`` count that does not match) keeps its lines and
says so in ``problem``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from bots.remittance_reader.extract.document import DocumentContent, Rows

__all__ = ["HEADER", "read_edi820"]

HEADER = ["Invoice #", "Gross Amount", "Discount", "Deduction", "Deduction Reason", "Net Paid"]
_MAX_SEGMENTS = 200_000


@dataclass
class _Line:
    ref: str
    paid: str
    gross: str
    discount: str
    deduction: Decimal = Decimal(0)
    reasons: list[str] = field(default_factory=list)

    def row(self) -> list[str]:
        deduction = _amount(str(-self.deduction)) if self.deduction else ""
        return [self.ref, self.gross, self.discount, deduction, ", ".join(self.reasons),
                self.paid]


@dataclass
class _Transaction:
    facts: dict[str, str] = field(default_factory=dict)
    lines: list[_Line] = field(default_factory=list)
    adjustments: list[str] = field(default_factory=list)
    segments: int = 0
    closed: bool = False
    declared: str = ""

    def text(self) -> str:
        out = [f"{label}: {value}" for label, value in self.facts.items() if value]
        out += [f"Adjustment: {adj}" for adj in self.adjustments]
        return "\n".join(out)


def _amount(text: str) -> str:
    text = text.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return f"{value:f}"


def _date(text: str) -> str:
    text = text.strip()
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        if len(text) == 6 and text.isdigit():  # YYMMDD in 003010
            year = int(text[:2])
            year += 2000 if year < 50 else 1900
            return date(year, int(text[2:4]), int(text[4:])).isoformat()
    except ValueError:
        pass
    return ""


def _delimiters(text: str) -> tuple[str, str, str] | str:
    """(element, component, segment) separators from the ISA, or why there are none."""
    if not text.startswith("ISA") or len(text) < 16:
        return "it does not start with an ISA interchange header"
    element = text[3]
    if element.isalnum() or element.isspace():
        return f"the ISA element separator {element!r} is not valid"
    position = 3
    for _ in range(15):  # ISA01..ISA15 each end at the next separator
        position = text.find(element, position + 1)
        if position < 0:
            return "the ISA header is incomplete"
    if position + 2 >= len(text):
        return "the ISA header is incomplete"
    component, terminator = text[position + 1], text[position + 2]
    if terminator == "\r":
        terminator = "\n"
    if component.isalnum() or terminator.isalnum() or terminator == element:
        return "the ISA separators are not valid"
    return element, component, terminator


def _at(elements: list[str], index: int) -> str:
    return elements[index].strip() if index < len(elements) else ""


def _read_segment(tx: _Transaction, tag: str, el: list[str]) -> None:
    facts = tx.facts
    if tag == "BPR":
        facts.setdefault("Payment Amount", _amount(_at(el, 2)))
        facts.setdefault("Payment Date", _date(_at(el, 16)))
        facts.setdefault("Payment Method", _at(el, 4))
    elif tag == "BPS":  # 003010: the date is the last element
        facts.setdefault("Payment Amount", _amount(_at(el, 2)))
        facts.setdefault("Payment Date", _date(_at(el, len(el) - 1)))
    elif tag == "TRN":
        facts.setdefault("Trace", _at(el, 2))
    elif tag == "CUR":
        facts.setdefault("Currency", _at(el, 2))
    elif tag == "N1":
        role = {"PR": "Payer", "PE": "Payee", "RM": "Remitter"}.get(_at(el, 1))
        if role:
            facts.setdefault(role, _at(el, 2))
    elif tag in ("RMR", "RMT"):
        # RMR03 (RMR) is the payment action code; RMT (003010) has no such element.
        shift = 0 if tag == "RMR" else -1
        tx.lines.append(_Line(
            ref=_at(el, 2),
            paid=_amount(_at(el, 4 + shift)),
            gross=_amount(_at(el, 5 + shift)),
            discount=_amount(_at(el, 6 + shift)),
        ))
    elif tag == "ADX":
        amount, reason = _at(el, 1), " ".join(filter(None, (_at(el, 2), _at(el, 4))))
        try:
            value = Decimal(amount)
        except InvalidOperation:
            return
        if tx.lines:
            tx.lines[-1].deduction += value
            if reason:
                tx.lines[-1].reasons.append(reason)
        else:
            tx.adjustments.append(f"{_amount(amount)} {reason}".strip())


def _transactions(segments: list[list[str]]) -> tuple[list[_Transaction], list[str]]:
    found: list[_Transaction] = []
    others: list[str] = []
    current: _Transaction | None = None
    for el in segments:
        tag = el[0].strip().upper()
        if tag == "ST":
            current = None
            if _at(el, 1) == "820":
                current = _Transaction()
                found.append(current)
            else:
                others.append(_at(el, 1) or "?")
        if current is None:
            continue
        current.segments += 1
        if tag == "SE":
            current.closed, current.declared = True, _at(el, 1)
            current = None
            continue
        _read_segment(current, tag, el)
    return found, others


def read_edi820(data: bytes, name: str) -> DocumentContent:
    """Read an X12 820 file (see the module docstring)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = text.lstrip("\ufeff \t\r\n")
    delimiters = _delimiters(text)
    if isinstance(delimiters, str):
        return DocumentContent(name, "edi820", problem=f"{name} is not X12: {delimiters}")
    element, _, terminator = delimiters
    raw_segments = text.split(terminator, _MAX_SEGMENTS)
    segments = [seg.strip("\r\n \t").split(element) for seg in raw_segments]
    segments = [seg for seg in segments if seg and seg[0].strip()]
    found, others = _transactions(segments)
    if not found:
        kinds = ", ".join(sorted(set(others))) or "none"
        return DocumentContent(name, "edi820", problem=(
            f"{name} holds no 820 remittance (transaction sets: {kinds})"))
    tables: list[Rows] = [[list(HEADER), *(line.row() for line in tx.lines)]
                          for tx in found if tx.lines]
    problems = []
    for number, tx in enumerate(found, 1):
        if not tx.closed:
            problems.append(f"transaction {number} has no SE segment (file cut short?)")
        elif tx.declared.isdigit() and int(tx.declared) != tx.segments:
            problems.append(f"transaction {number} declares {tx.declared} segments but has "
                            f"{tx.segments}")
    return DocumentContent(
        name,
        "edi820",
        text="\n\n".join(tx.text() for tx in found),
        tables=tables,
        problem=f"{name}: " + "; ".join(problems) if problems else None,
    )
