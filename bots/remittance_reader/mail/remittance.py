"""From one mail to what the matcher needs: its kind and, for remittances, the advice.

Contract: :func:`read_mail` never raises for bad content.  A remittance whose lines
cannot be found, or whose lines do not add up to the stated total, comes back with a
``review_reason`` instead of a remittance, so a person looks at it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from bots.remittance_reader.classify import MailKind, classify
from bots.remittance_reader.extract.tables import (
    ExtractedLine,
    html_tables,
    lines_from_rows,
    text_rows,
)
from bots.remittance_reader.mail.message import ParsedMail, parse_message
from shared.domain import Customer, Remittance, RemittanceLine
from shared.matching.reasons import reason_code_for
from shared.money import MoneyParseError, parse_amount

__all__ = ["MailReading", "read_mail"]

_TOTAL = re.compile(
    r"(?:total(?: paid| payment| amount)?|payment amount|amount)\s*:?\s*(?:USD|EUR|GBP|[$€£])?\s*"
    r"([-(]?\d[\d.,' ]*\d)", re.IGNORECASE)


@dataclass(frozen=True)
class MailReading:
    """What one mail said: ``kind``, and a ``remittance`` or a ``review_reason``."""

    message_id: str
    sender: str
    subject: str
    kind: MailKind
    remittance: Remittance | None = None
    review_reason: str | None = None


def _lines(mail: ParsedMail) -> list[ExtractedLine]:
    for table in html_tables(mail.html):
        if found := lines_from_rows(table):
            return found
    return lines_from_rows(text_rows(mail.text))


def _stated_total(text: str) -> Decimal | None:
    for match in _TOTAL.finditer(text):
        try:
            return parse_amount(match.group(1))
        except MoneyParseError:
            continue
    return None


def _customer_for(sender: str, customers: Iterable[Customer]) -> Customer | None:
    domain = sender.rpartition("@")[2]
    owners = [c for c in customers if sender in c.remit_emails]
    if not owners and domain:
        owners = [c for c in customers if any(e.endswith("@" + domain) for e in c.remit_emails)]
    return owners[0] if len(owners) == 1 else None


def read_mail(raw: bytes, customers: Iterable[Customer], *, source: str) -> MailReading:
    """Classify one mail and, for a remittance, extract and cross-check its lines."""
    mail = parse_message(raw)
    found = _lines(mail)
    kind = classify(mail.subject, mail.readable_text, has_lines=bool(found))
    reading = MailReading(mail.message_id or source, mail.sender, mail.subject, kind)
    if kind != "remittance":
        return reading
    if not found:
        reason = "remittance without readable lines"
        if mail.attachments:
            names = ", ".join(name or ctype for name, ctype in mail.attachments)
            reason += f" (attachments not read yet: {names})"
        return replace(reading, review_reason=reason)
    lines = [
        RemittanceLine(
            ref_as_printed=x.ref_as_printed,
            gross=x.gross if x.gross is not None and x.gross == x.paid + x.deduction + x.discount
            else None,
            deduction=x.deduction,
            discount=x.discount,
            paid=x.paid,
            reason_code=reason_code_for(x.reason) if x.deduction else None,
            reason_text=x.reason or None,
        )
        for x in found
    ]
    total = _stated_total(mail.readable_text)
    lines_paid = sum((line.paid for line in lines), Decimal("0.00"))
    if total is not None and total != lines_paid:
        mismatch = f"lines add up to {lines_paid}, the advice says {total}"
        return replace(reading, review_reason=mismatch)
    customer = _customer_for(mail.sender, customers)
    remittance = Remittance(
        # Message-IDs can be long; the id only needs to be stable per mail.
        remittance_id="R-" + hashlib.sha256(reading.message_id.encode()).hexdigest()[:24],
        source=source,
        channel="html" if mail.html and html_tables(mail.html) else "text",
        customer_id=customer.customer_id if customer else None,
        payer_name=mail.sender_name or None,
        total_paid=total if total is not None else lines_paid,
        lines=tuple(lines),
    )
    return replace(reading, remittance=remittance)
