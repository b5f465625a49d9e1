"""Money: ``Decimal`` with two places, parsed and formatted in this one place.

Every amount in the suite is a :class:`decimal.Decimal` quantized to cents with
banker-free ``ROUND_HALF_UP`` (what accountants and ERPs expect).  ``float`` never
touches money: :func:`to_money` refuses it.

Parsing accepts what remittances, bank files and spreadsheets print:

* US ``1,234.56``, EU ``1.234,56``, Swiss ``1'234.56``, ISO/SI ``1 234,56`` (also with
  no-break or thin spaces), and plain ``1234.56`` / ``1234,56``;
* negatives as ``-1.00``, ``(1.00)``, ``1.00-``, ``1.00 CR`` (and ``DR`` as positive);
* currency symbols or codes around the number (``$``, ``€``, ``£``, ``USD``...).

When a lone separator could be either (``1,234`` or ``1.234``), ``decimal_hint`` says
which character is the decimal point in this document; without a hint a group of
exactly three digits after a single separator is read as thousands, as most
documents mean it.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

__all__ = [
    "CENT",
    "ZERO",
    "MoneyParseError",
    "format_amount",
    "parse_amount",
    "to_money",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

DecimalHint = Literal[".", ","] | None

_CURRENCY_MARKS = re.compile(
    r"(?i)(?:USD|EUR|GBP|CHF|CAD|AUD|JPY|SEK|NOK|DKK|PLN|US\$|C\$|A\$|[$€£¥])"
)
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_NUMBER_BODY = re.compile(r"^\d[\d.,']*$|^[.,]\d+$")


class MoneyParseError(ValueError):
    """Raised when a text cannot be read as an amount of money.

    ``text`` holds the offending input so callers can put it in a review item.
    """

    def __init__(self, text: str, why: str) -> None:
        super().__init__(f"cannot read {text!r} as an amount: {why}")
        self.text = text
        self.why = why


def to_money(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a two-place ``Decimal``.

    Accepts ``Decimal``, ``int`` or a plain machine-format string (``"-12.5"``).  Use
    :func:`parse_amount` for text printed by people.  ``float`` is rejected because a
    binary float cannot hold cents exactly.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money must not be {type(value).__name__}: {value!r}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation as exc:
        raise MoneyParseError(str(value), "not a decimal number") from exc
    if not amount.is_finite():
        raise MoneyParseError(str(value), "not a finite number")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal) -> str:
    """Machine format with exactly two places: ``"1234.50"``, ``"-250.00"``."""
    return f"{to_money(amount):.2f}"


def parse_amount(text: str, *, decimal_hint: DecimalHint = None) -> Decimal:
    """Read an amount as printed in a document and return it with two places.

    Raises :class:`MoneyParseError` when ``text`` is not an amount.
    """
    raw = text
    s = text.strip()
    if not s:
        raise MoneyParseError(raw, "empty")

    negative = False
    upper = s.upper()
    if upper.endswith("CR"):
        negative, s = True, s[:-2].strip()
    elif upper.endswith("DR"):
        s = s[:-2].strip()
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()

    s = _CURRENCY_MARKS.sub("", s).strip()
    if s.endswith("-"):
        negative, s = True, s[:-1].strip()
    if s.startswith("-") or s.startswith("\u2212"):
        negative, s = True, s[1:].strip()
    elif s.startswith("+"):
        s = s[1:].strip()
    # A sign may also sit between the symbol and the digits: "$-12.00" or "-$12.00".
    s = _CURRENCY_MARKS.sub("", s).strip()
    if s.startswith("-"):
        negative, s = True, s[1:].strip()

    s = _SPACES.sub("", s)
    if not s or not _NUMBER_BODY.match(s):
        raise MoneyParseError(raw, "not a number")

    digits = _normalise_separators(s, raw, decimal_hint)
    amount = to_money(digits)
    return -amount if negative and amount != 0 else amount


def _normalise_separators(s: str, raw: str, hint: DecimalHint) -> str:
    """Turn ``1.234,56``-style text into ``1234.56``."""
    s = s.replace("'", "")
    has_dot, has_comma = "." in s, "," in s
    if has_dot and has_comma:
        decimal_mark = "." if s.rfind(".") > s.rfind(",") else ","
    elif has_dot or has_comma:
        mark = "." if has_dot else ","
        head, _, tail = s.rpartition(mark)
        if s.count(mark) > 1:
            # "1.234.567" or "1,234,567": repeated, so it can only be grouping.
            decimal_mark = "," if mark == "." else "."
        elif hint is not None:
            decimal_mark = hint
        elif len(tail) == 3 and head and head.lstrip("-") not in ("", "0"):
            decimal_mark = "," if mark == "." else "."
        else:
            decimal_mark = mark
    else:
        return s

    group_mark = "," if decimal_mark == "." else "."
    whole, _, frac = s.rpartition(decimal_mark) if decimal_mark in s else (s, "", "")
    if decimal_mark not in s:
        whole, frac = s, ""
    if decimal_mark in whole:
        raise MoneyParseError(raw, "two decimal marks")
    groups = whole.split(group_mark)
    if len(groups) > 1 and (
        not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])
    ):
        raise MoneyParseError(raw, "digit grouping is inconsistent")
    whole = "".join(groups)
    if frac and len(frac) > 2 and set(frac[2:]) != {"0"}:
        raise MoneyParseError(raw, "more than two decimal places")
    return f"{whole or '0'}.{frac or '0'}"
