"""Deduction reasons as customers word them, mapped to the policy's reason codes."""

from __future__ import annotations

import re

from shared.domain import ReasonCode

__all__ = ["reason_code_for"]

# First hit wins; the order puts the specific wordings before the generic ones.
_RULES: tuple[tuple[ReasonCode, re.Pattern[str]], ...] = (
    (ReasonCode.DAMAGED, re.compile(
        r"damag|broken|defect|beschädig|beschaedig|defekt|bruch|endommag|avari|cass[ée]|"
        r"dañad|danad|roto|rott|danneggi|beschadig", re.I)),
    (ReasonCode.SHORTAGE, re.compile(
        r"short(age| ship|-ship)|quantity|missing|not received|fehlmenge|fehlt|mindermenge|"
        r"manquant|quantit[ée]|faltante|cantidad|mancant|ontbrek|tekort", re.I)),
    (ReasonCode.PRICING, re.compile(
        r"pric|preis|prix|tarif|precio|prezzo|prijs", re.I)),
    (ReasonCode.PROMOTION, re.compile(
        r"promo|co-?op|marketing|rebate|allowance|advertis|werbe|bonus|rabatt|"
        r"publicit|ristorno|reclame", re.I)),
    (ReasonCode.FREIGHT, re.compile(
        r"freight|shipping|delivery charge|carriage|fracht|versand|fret|transport|flete|"
        r"envío|envio|trasporto|vracht", re.I)),
    (ReasonCode.RETURN, re.compile(
        r"return|\bRMA\b|retour|rücksend|ruecksend|rückgabe|devoluci|devolu|reso\b", re.I)),
)


def reason_code_for(text: str) -> ReasonCode:
    """The reason code a stated deduction reason belongs to (``OTHER`` if none)."""
    for code, pattern in _RULES:
        if pattern.search(text):
            return code
    return ReasonCode.OTHER
