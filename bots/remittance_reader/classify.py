"""What kind of mail this is: remittance, dispute, promise to pay, or other.

Rules in order, first hit wins:

1. an auto-reply (out-of-office, "Automatic reply", "Abwesenheitsnotiz"...) is
   ``other``, whatever it quotes;
2. a mail with remittance lines is a ``remittance``;
3. dispute wording ("we dispute", "billing discrepancy", "will hold payment") makes a
   ``dispute``;
4. a stated future payment ("we will pay ... on 2026-03-28") makes a ``promise_to_pay``;
5. remittance wording without readable lines is still a ``remittance`` (its attachment
   may be unreadable: a person must see it);
6. the rest is ``other`` (statement requests, vendor-data requests, newsletters).

Wording is matched in English, German, French, Spanish, Italian and Dutch.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["MailKind", "classify"]

MailKind = Literal["remittance", "dispute", "promise_to_pay", "other"]

_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[\s:-]*(reply|response|antwort)|auto\s*:|out of (the )?office|"
    r"abwesenheit|absence|r[ée]ponse automatique|respuesta autom[aá]tica|"
    r"risposta automatica|afwezig|automatisch antwoord|fuera de la oficina)", re.I)
_AUTO_REPLY_BODY = re.compile(
    r"\b(i am|i'm|ich bin|je suis|estoy|sono)\b.{0,40}\b(out of (the )?office|on leave|"
    r"on vacation|away|abwesend|nicht im b[üu]ro|absent|fuera de la oficina|fuori ufficio)\b",
    re.I | re.S)
_REMITTANCE = re.compile(
    r"\b(remittance|remit advice|payment advice|payment notification|payment details|"
    r"zahlungsavis|avis de paiement|aviso de pago|avviso di pagamento|betalingsadvies|"
    r"has been (released|issued|sent|initiated|made)|payment (has been )?(issued|sent|made)|"
    r"sent you a payment|we have (paid|transferred|remitted)|please find (our|the) (payment|"
    r"remittance))\b", re.I)
_DISPUTE = re.compile(
    r"\b(we dispute|disputed?|dispute[sd]? (the|this|these|invoice)|billing discrepancy|"
    r"invoice (query|discrepancy)|we (will|shall|cannot|can ?not) (not )?pay (this|these)|"
    r"hold payment|reklamation|beanstand|contestation|contestons|litige|reclamaci[oó]n|"
    r"disputa|contestazione)\b", re.I)
_PROMISE = re.compile(
    r"\b(we will pay|will be paid|promise to pay|payment (is )?(scheduled|planned)|"
    r"will be settled|we will (settle|remit|transfer)|"
    r"wir (werden|zahlen)|zahlung erfolgt|nous (allons )?(payer|r[ée]glerons|paierons)|"
    r"pagaremos|pagheremo|wij (zullen )?betalen)\b", re.I)


def classify(subject: str, body: str, *, has_lines: bool) -> MailKind:
    """Classify a mail from its subject, readable body and whether lines were found."""
    if _AUTO_REPLY_SUBJECT.search(subject) or _AUTO_REPLY_BODY.search(body[:600]):
        return "other"
    if has_lines:
        return "remittance"
    text = f"{subject}\n{body}"
    if _DISPUTE.search(text):
        return "dispute"
    if _PROMISE.search(text):
        return "promise_to_pay"
    if _REMITTANCE.search(text):
        return "remittance"
    return "other"
