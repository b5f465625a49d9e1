"""What a payment's own text says: references, deductions, partial payment, discounts.

Bank free text is at most 140 characters and noisy: ``PMT FOR INV-2026-001262;
INV-2025-009076 ETC``, ``INV 2026-0008454``, ``20260O1307``, ``INV2026001840 LESS 2%
DISC``, ``INV-2026-001701 LESS 150.41 RETURN CREDIT``, ``PARTIAL PAYMENT INV-2025-008965``,
``RECHNUNG NL-2026-02477 NW LOGISTICS GMBH``.  :func:`read_bank_text` turns it into
:class:`BankText`: the tokens that may be references (resolved later against the
ledger, in the payer's group), the payer's own payment number candidates (to link a
remittance), and the statements that change how the money is applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from shared.domain import ReasonCode
from shared.matching.reasons import reason_code_for
from shared.money import MoneyParseError, parse_amount

__all__ = ["BankText", "mentions_sister_company", "read_bank_text", "states_partial_payment"]

# A document number with any prefix and separators, or a bare number, or a PO-like code.
_TOKEN = re.compile(
    r"[A-Z]{0,6}[-./ ]?20\d{2}[-./ ]?[0-9O]{5,7}\b"  # INV-2026-000451, INV 2026-0008454
    r"|RF\d{2}[0-9A-Z ]{4,25}"  # ISO 11649 creditor reference
    r"|\b[A-Z]{1,5}-?\d{3,10}\b"  # PO027211, ROC522976, WHI-34192
    r"|\b\d{3,12}\b",  # 451, 4500029324, 2026001735
    re.IGNORECASE,
)
_PARTIAL_WORDS = (
    "partial", "part[- ]payment", "part pay", "instal+ment", "installment",
    "balance to follow", "teilzahlung", "abschlag", "acompte", "paiement partiel",
    "pago parcial", "pagamento parziale", "deelbetaling")
_PARTIAL = re.compile(r"\b(" + "|".join(_PARTIAL_WORDS) + r")\b", re.IGNORECASE)
# OCR reads l, i, 1 and | for one another ("Teilzahiung"): compare with all made "l".
_OCR_L = str.maketrans("i1|!", "llll")
_PARTIAL_OCR = re.compile(r"\b(" + "|".join(w.translate(_OCR_L) for w in _PARTIAL_WORDS) + r")\b")
# "INV2026001533 +MORE", "... ETC", "2026001520 AND OTHERS", "SEE REMITTANCE": the text
# names only some of the documents paid.
_MORE = re.compile(
    r"(\+\s*MORE|\bETC\b|\bAND OTHERS\b|&\s*OTHERS|\bVARIOUS\b|\bMULTIPLE\b|\bSEE (THE )?"
    r"(REMITTANCE|REMIT|EMAIL|E-MAIL|ADVICE|ATTACHED)\b|\bUSW\b|\bETC\.|"
    r"\b(REMITTANCE|ADVICE) (SENT|TO FOLLOW|BY E-?MAIL)\b)", re.IGNORECASE)
_DISCOUNT = re.compile(r"\b(disc(ount)?|skonto|escompte|descuento|sconto|korting)\b",
                       re.IGNORECASE)
_LESS = re.compile(
    r"\b(?:less|minus|ded(?:uct(?:ion|ed)?)?|short(?:\s*paid)?|abzgl|abzuglich|abzüglich)"
    r"\.?\s*:?\s*([$€£]?\s?\d[\d,]*\.\d{2})\s*([A-Z][A-Z /&-]{2,40})?", re.IGNORECASE)


@dataclass(frozen=True)
class BankText:
    """What one payment's text states."""

    tokens: list[str] = field(default_factory=list)  # may be references; in text order
    partial: bool = False
    more_documents: bool = False  # the text names only some of what is paid
    discount_taken: bool = False
    deduction: Decimal | None = None  # "LESS 150.41 RETURN CREDIT"
    deduction_reason: ReasonCode | None = None
    deduction_text: str = ""


def read_bank_text(*texts: str | None) -> BankText:
    """Read the payment's free text (and any other text the bank gives)."""
    text = " ".join(t for t in texts if t)
    upper = text.upper()
    tokens = _tokens(upper)
    deduction = reason = None
    reason_text = ""
    if (less := _LESS.search(upper)) is not None and not _DISCOUNT.search(less.group(0)):
        try:
            deduction = abs(parse_amount(less.group(1)))
        except MoneyParseError:
            deduction = None
        reason_text = (less.group(2) or "").strip()
        reason = reason_code_for(reason_text) if deduction is not None else None
    return BankText(
        tokens=tokens,
        partial=states_partial_payment(text),
        more_documents=bool(_MORE.search(text)),
        discount_taken=bool(_DISCOUNT.search(text)),
        deduction=deduction,
        deduction_reason=reason,
        deduction_text=reason_text,
    )


def _tokens(text: str) -> list[str]:
    amounts = {m.span() for m in re.finditer(r"\d[\d,]*\.\d{2}\b", text)}
    found: list[str] = []
    for match in _TOKEN.finditer(text):
        if any(a[0] <= match.start() < a[1] for a in amounts):
            continue
        token = match.group(0).strip(" -./")
        if token and token not in found:
            found.append(token)
        # "INV 2025-009084 + 2026-001909": the digits alone are a token as well.
        digits = re.sub(r"\D", "", token)
        if digits and digits != token and digits not in found and len(digits) >= 3:
            found.append(digits)
    return found


def mentions_sister_company(texts: Iterable[str | None], names: Iterable[str]) -> str | None:
    """The sister company a payment is meant for, when its text names it.

    ``names`` are the sister companies' names and the short forms they go by (``NW
    Logistics``); each is matched as words, legal suffix optional, any punctuation
    between the words (``N.W. LOGISTICS``, ``NORTHWIND-LOGISTICS``).
    """
    text = " ".join(t for t in texts if t).upper()
    for name in names:
        words = [w for w in re.sub(r"[^A-Z0-9 ]", " ", name.upper()).split()
                 if w not in _LEGAL_SUFFIXES]
        if not words:
            continue
        pattern = r"\b" + r"\W*".join(r"\.?".join(map(re.escape, w)) if len(w) <= 3
                                       else re.escape(w) for w in words) + r"\b"
        if re.search(pattern, text):
            return name
    return None


_LEGAL_SUFFIXES = frozenset({"GMBH", "LTD", "LIMITED", "INC", "AG", "LLC", "SA", "BV", "KG"})


def states_partial_payment(text: str) -> bool:
    """The text says the payment is partial (rule 8), in any of the languages we read."""
    return bool(_PARTIAL.search(text) or _PARTIAL_OCR.search(text.lower().translate(_OCR_L)))
