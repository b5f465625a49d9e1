"""The header block of a remittance advice: payer, payment number, date and total.

Contract: :func:`advice_fields` reads labelled values (``Payer:``, ``Payment No.:``,
``Payment Date:``, ``Payment Amount:``, ``TOTAL PAYMENT:`` and their French, German,
Spanish, Italian and Dutch wordings) and sentences such as "a payment of 11,198.34 USD"
from the readable text of a mail and its documents.  Every amount found is kept in
``totals`` (the caller cross-checks them against the lines); nothing here raises.

Dates are printed in the remitter's own order: ``03/04/2026`` is read day-first when the
text or its currency says so (EUR, GBP, a ``.``-separated date) and month-first
otherwise, unless one part is above 12, which settles it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from shared.matching.bank_text import states_partial_payment
from shared.money import MoneyParseError, parse_amount

__all__ = ["AdviceFields", "advice_fields", "parse_printed_date"]

_LABEL_END = r"\s*[:#]?\s*"
_PAYER = re.compile(
    r"^\s*(?:payer|paid by|remitter|payeur|zahler|auftraggeber|pagador|ordinante|betaler)"
    r"\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_PAYMENT_REF = re.compile(
    r"^\s*(?:payment\s*(?:no|number|ref(?:erence)?|id)\.?|check\s*(?:no|number)\.?|"
    r"eft\s*(?:no|number)\.?|n[°o]\.?\s*de\s*paiement|zahlungs(?:nr|nummer|referenz)\.?|"
    r"n[°ºo]\.?\s*(?:de\s*)?pago|numero\s*pagamento|betalingsnummer)"
    rf"{_LABEL_END}([A-Z0-9][A-Z0-9\-/]*)\s*$", re.IGNORECASE | re.MULTILINE)
_PAYMENT_DATE = re.compile(
    r"^\s*(?:payment\s*date|value\s*date|date\s*de\s*paiement|zahlungsdatum|valuta|"
    r"fecha\s*de\s*pago|data\s*(?:di\s*)?pagamento|betaaldatum)"
    rf"{_LABEL_END}(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_AMOUNT_TEXT = (r"((?:[A-Z]{3}\s?)?[-(]?[$€£]?\s?\d[\d.,' \u00a0]*\d(?:\s?[$€£])?\)?"
                r"(?:\s?[A-Z]{3})?)")
_TOTAL = re.compile(
    r"(?:payment\s*amount|amount\s*paid|total\s*(?:payment|paid|amount|remitted)?|"
    r"payment\s*total|check/eft\s*total|eft\s*total|grand\s*total|net\s*payment|"
    r"montant(?:\s*(?:total|r[ée]gl[ée]|pay[ée]))?|total\s*r[ée]gl[ée]|zahlbetrag|"
    r"gesamtbetrag|summe|betrag|importe(?:\s*total)?|total\s*pagado|importo(?:\s*totale)?|"
    r"totaal|bedrag)"
    rf"\s*:\s*{_AMOUNT_TEXT}", re.IGNORECASE)
_PAYMENT_OF = re.compile(
    rf"(?:payment|remittance|transfer|paiement|zahlung|pago|pagamento|betaling)\s+"
    rf"(?:\S+\s+)?(?:of|in the amount of|de|von|über|uber|di|van)\s+{_AMOUNT_TEXT}",
    re.IGNORECASE)
_CURRENCY = re.compile(r"\b(USD|EUR|GBP|CHF|CAD)\b|([$€£])")
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
_DATE = re.compile(r"(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})")
_MONTHS = {m: n for n, names in enumerate(
    (("jan", "janv", "januar", "enero", "gennaio"), ("feb", "fev", "februar", "febrero"),
     ("mar", "mars", "marz", "märz", "marzo"), ("apr", "avr", "april", "abril", "aprile"),
     ("may", "mai", "mayo", "maggio"), ("jun", "juin", "juni", "junio", "giugno"),
     ("jul", "juil", "juli", "julio", "luglio"), ("aug", "aout", "août", "agosto"),
     ("sep", "sept", "september", "septiembre", "settembre"),
     ("oct", "okt", "oktober", "octubre", "ottobre"), ("nov", "november", "noviembre"),
     ("dec", "dez", "dezember", "diciembre", "dicembre")), start=1) for m in names}
_WORD_DATE = re.compile(r"(?:(\d{1,2})\.?\s+([A-Za-zäéû]{3,9})\.?,?\s+(\d{4}))|"
                        r"(?:([A-Za-zäéû]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4}))")


@dataclass(frozen=True)
class AdviceFields:
    """Labelled values of an advice's header block (all optional)."""

    payer: str | None = None
    payment_ref: str | None = None
    payment_date: date | None = None
    currency: str | None = None
    totals: list[Decimal] = field(default_factory=list)
    partial: bool = False  # the advice says the payment is partial ("Teilzahlung")


def _amounts(pattern: re.Pattern[str], text: str) -> list[Decimal]:
    found = []
    for match in pattern.finditer(text):
        try:
            found.append(abs(parse_amount(match.group(1).strip())))
        except MoneyParseError:
            continue
    return found


def parse_printed_date(text: str, *, day_first: bool) -> date | None:
    """A date as customers print it (ISO, ``03/04/2026``, ``4 March 2026``), or ``None``."""
    if match := _DATE.search(text):
        a, b, c = (int(g) for g in match.groups())
        if a > 31:  # ISO: year first
            year, month, day = a, b, c
        else:
            year = c + 2000 if c < 100 else c
            dot = "." in match.group(0)
            if a > 12 or ((day_first or dot) and b <= 12):
                day, month = a, b
            else:
                month, day = a, b
        try:
            return date(year, month, day)
        except ValueError:
            return None
    if match := _WORD_DATE.search(text):
        day_s, month_s, year_s = (match.group(1), match.group(2), match.group(3)) if match.group(
            1) else (match.group(5), match.group(4), match.group(6))
        month_no = _MONTHS.get(month_s.lower()[:4]) or _MONTHS.get(month_s.lower()[:3])
        if month_no:
            try:
                return date(int(year_s), month_no, int(day_s))
            except ValueError:
                return None
    return None


def _day_first(text: str, currency: str | None) -> bool:
    """Whether ``03/04/2026`` on this advice is the 3rd of April.

    The advice's other dates tell (``20/02/2026`` can only be day first); without such
    a date, the currency's custom does.
    """
    votes = [(int(a) > 12) - (int(b) > 12) for a, b, year in _DATE.findall(text)
             if len(year) == 4 and int(a) <= 31 and int(b) <= 31]
    if any(v > 0 for v in votes) != any(v < 0 for v in votes):
        return any(v > 0 for v in votes)
    return currency in ("EUR", "GBP")


def advice_fields(text: str) -> AdviceFields:
    """Read the header block of an advice from its readable text."""
    payer = _PAYER.search(text)
    ref = _PAYMENT_REF.search(text)
    totals = _amounts(_TOTAL, text) + _amounts(_PAYMENT_OF, text)
    currency = None
    if match := _CURRENCY.search(text):
        currency = match.group(1) or _SYMBOLS[match.group(2)]
    printed = _PAYMENT_DATE.search(text)
    day_first = _day_first(text, currency)
    return AdviceFields(
        payer=payer.group(1) if payer else None,
        payment_ref=ref.group(1)[:64] if ref else None,
        payment_date=parse_printed_date(printed.group(1), day_first=day_first)
        if printed else None,
        currency=currency,
        totals=list(dict.fromkeys(totals)),
        partial=states_partial_payment(text),
    )
