"""Ask a customer for the remittance advice of a payment that arrived without one.

A payment whose advice never came sits in review with the reason "awaiting the
remittance advice" (``shared.matching``).  When the payer is known and has a
remittance address on file, the customer is asked, once, to send the advice; the
answer arrives in the AR mailbox and the next run links it to the payment.

Once means: the request is written to the audit log (action ``remittance_requested``)
before it is sent; a later run finds it and does not ask again.  A send that fails is
logged as ``remittance_request_failed`` and tried again on the next run.  A crash
between the log entry and the send loses that one request (the payment is still in the
review queue): never two requests for one payment.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shared import audit
from shared.domain import Customer, Payment
from shared.mail.outgoing import MailSender, compose
from shared.matching.engine import awaits_remittance
from shared.store import (
    get_customers,
    get_payment,
    latest_decision,
    write_transaction,
)

__all__ = ["RequestSummary", "request_missing_remittances"]

log = logging.getLogger(__name__)

REQUESTED = "remittance_requested"
FAILED = "remittance_request_failed"
_ACTOR = "bot:remittance_reader"


@dataclass
class RequestSummary:
    sent: int = 0
    already_asked: int = 0
    no_address: int = 0
    failed: int = 0


def request_missing_remittances(engine: Engine, sender: MailSender, *, from_address: str,
                                payment_ids: Iterable[str]) -> RequestSummary:
    """Ask for the advice of each payment that awaits one (see the module docstring)."""
    summary = RequestSummary()
    for payment_id in payment_ids:
        with write_transaction(engine) as session:
            record = latest_decision(session, payment_id=payment_id)
            payment = get_payment(session, payment_id=payment_id)
            if (record is None or payment is None or not awaits_remittance(record.decision)
                    or record.decision.customer_id is None):
                continue
            customers = get_customers(session, customer_ids=[record.decision.customer_id])
            if not customers or not customers[0].remit_emails:
                summary.no_address += 1
                continue
            if _asked_before(session, payment_id):
                summary.already_asked += 1
                continue
            message = _request(payment, customers[0], from_address)
            audit.append(session, actor=_ACTOR, action=REQUESTED, entity_type="payment",
                         entity_id=payment_id, after={
                             "to": message["To"], "subject": message["Subject"],
                             "message_id": message["Message-ID"]})
        try:
            sender.send(message)
        except (OSError, smtplib.SMTPException) as exc:
            summary.failed += 1
            log.warning("remittance request for %s not sent: %s", payment_id, exc)
            with write_transaction(engine) as session:
                audit.append(session, actor=_ACTOR, action=FAILED, entity_type="payment",
                             entity_id=payment_id, reason=f"{type(exc).__name__}: {exc}"[:500])
            continue
        summary.sent += 1
    return summary


def _asked_before(session: Session, payment_id: str) -> bool:
    entries = [e for e in audit.history(session, entity_type="payment", entity_id=payment_id)
               if e.action in (REQUESTED, FAILED)]
    return bool(entries) and entries[-1].action == REQUESTED


def _request(payment: Payment, customer: Customer, from_address: str) -> EmailMessage:
    body = (
        f"Dear {customer.name} accounts payable team,\n\n"
        f"we received your payment of {payment.currency} {payment.amount:,.2f} on "
        f"{payment.value_date:%d %B %Y} (bank reference {payment.payment_id}), thank you.\n"
        "We could not find a remittance advice for it, so we cannot yet tell which "
        "invoices it settles.\n\n"
        "Please reply to this message with the remittance advice: the invoice numbers and "
        "the amount paid on each, and any deductions with their reason.\n\n"
        "Kind regards,\nAccounts Receivable\n")
    return compose(key=f"remittance-request.{payment.payment_id}", from_address=from_address,
                   to=customer.remit_emails[:2],
                   subject=f"Remittance advice requested: payment {payment.currency} "
                           f"{payment.amount:,.2f} of {payment.value_date:%d %b %Y}",
                   body=body)
