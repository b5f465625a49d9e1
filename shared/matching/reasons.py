"""Deduction reasons as customers word them, mapped to the policy's reason codes."""

from __future__ import annotations

import re

from shared.domain import ReasonCode

__all__ = ["reason_code_for"]

# First hit wins; the order puts the specific wordings before the generic ones.
_RULES: tuple[tuple[ReasonCode, re.Pattern[str]], ...] = (
    (ReasonCode.DAMAGED, re.compile(r"damag|broken|defect", re.I)),
    (ReasonCode.SHORTAGE, re.compile(r"short(age| ship)|quantity|missing", re.I)),
    (ReasonCode.PRICING, re.compile(r"pric", re.I)),
    (ReasonCode.PROMOTION, re.compile(r"promo|co-?op|marketing|rebate|allowance", re.I)),
    (ReasonCode.FREIGHT, re.compile(r"freight|shipping|delivery charge", re.I)),
    (ReasonCode.RETURN, re.compile(r"return|\bRMA\b", re.I)),
)


def reason_code_for(text: str) -> ReasonCode:
    """The reason code a stated deduction reason belongs to (``OTHER`` if none)."""
    for code, pattern in _RULES:
        if pattern.search(text):
            return code
    return ReasonCode.OTHER
