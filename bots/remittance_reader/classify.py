"""What kind of mail this is: remittance, dispute, promise to pay, or other.

Rules in order, first hit wins: an auto-reply is ``other`` whatever it quotes; a mail
with remittance lines or remittance wording is a ``remittance``; dispute wording makes
a ``dispute``; a stated future payment makes a ``promise_to_pay``; the rest is
``other`` (statement requests, vendor-data requests, newsletters).
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["MailKind", "classify"]

MailKind = Literal["remittance", "dispute", "promise_to_pay", "other"]

_AUTO_REPLY = re.compile(
    r"\b(automatic reply|auto-?reply|out of (the )?office|abwesenheit)\b", re.I)
_REMITTANCE = re.compile(
    r"\b(remittance|payment advice|zahlungsavis|avis de paiement|has been released|"
    r"payment (has been )?(issued|sent|made)|sent you a payment)\b", re.I)
_DISPUTE = re.compile(r"\b(dispute|disputed|we (will|shall) not pay|credit note|claim)\b", re.I)
_PROMISE = re.compile(
    r"\b(will be paid|we will pay|promise to pay|payment (is )?scheduled|will be settled)\b", re.I)


def classify(subject: str, body: str, *, has_lines: bool) -> MailKind:
    """Classify a mail from its subject, readable body and whether lines were found."""
    text = f"{subject}\n{body}"
    if _AUTO_REPLY.search(subject):
        return "other"
    if has_lines or _REMITTANCE.search(text):
        return "remittance"
    if _DISPUTE.search(text):
        return "dispute"
    if _PROMISE.search(text):
        return "promise_to_pay"
    return "other"
