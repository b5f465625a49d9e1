"""Customers are asked once for a missing advice, through a real SMTP server into IMAP."""

from __future__ import annotations

import email
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import Engine

from bots.remittance_reader.remittance_request import request_missing_remittances
from fixtures.mail_rig import Mailbox
from shared import audit
from shared.domain import Customer, DocType, OpenItem, Payment
from shared.mail.outgoing import FolderMailSender, SmtpMailSender
from shared.matching.run import decide_pending
from shared.settings import SmtpSettings
from shared.store import (
    read_transaction,
    upsert_customers,
    upsert_open_items,
    upsert_payment,
    write_transaction,
)

pytestmark = pytest.mark.integration

FROM = "Northwind AR <ar@northwind.test>"


def _seed(engine: Engine, remit_to: str) -> list[str]:
    customers = [
        Customer(customer_id="C00001", name="Acme Corp", currency="USD",
                 bank_accounts=("ABA:021000021/ACCT:123456789",), remit_emails=(remit_to,)),
        Customer(customer_id="C00002", name="Quiet Ltd", currency="USD",
                 bank_accounts=("ABA:021000021/ACCT:555000111",)),
    ]
    items = [OpenItem(doc_no=f"INV-2026-00010{n}", doc_type=DocType.INVOICE, customer_id=cid,
                      doc_date=date(2026, 1, 5), due_date=date(2026, 2, 4), currency="USD",
                      amount=Decimal("1000.00"), open_amount=Decimal("1000.00"))
             for n, cid in ((1, "C00001"), (2, "C00001"), (3, "C00002"))]
    payments = [
        # No reference, no combination of open items: only the advice can explain them.
        Payment(payment_id="P-ACME", amount=Decimal("1234.56"), currency="USD",
                value_date=date(2026, 3, 2), payer_name="ACME CORP",
                payer_account="123456789", text="REMITTANCE ADVICE SENT BY EMAIL"),
        Payment(payment_id="P-QUIET", amount=Decimal("777.00"), currency="USD",
                value_date=date(2026, 3, 2), payer_name="QUIET LTD",
                payer_account="555000111", text="SEE REMITTANCE"),
    ]
    with write_transaction(engine) as session:
        upsert_customers(session, customers=customers)
        upsert_open_items(session, items=items)
        for payment in payments:
            upsert_payment(session, payment=payment)
    return [p.payment_id for p in payments]


def _inbox(box: Mailbox) -> list[email.message.Message]:
    with IMAPClient(box.imap_host, port=box.imap_port, ssl=False, timeout=10) as client:
        client.login(box.username, box.password)
        client.select_folder("INBOX", readonly=True)
        fetched = client.fetch(client.search("ALL"), ["RFC822"])
        return [email.message_from_bytes(m[b"RFC822"]) for m in fetched.values()]


def test_the_customer_is_asked_once_for_the_missing_advice(
        store_engine: Engine, mailbox: Mailbox) -> None:
    _seed(store_engine, mailbox.address)
    decided = decide_pending(store_engine, wait_days=3, today=date(2026, 3, 9))
    assert sorted(decided.awaiting_advice) == ["P-ACME", "P-QUIET"]
    sender = SmtpMailSender(SmtpSettings(adapter="smtp", host=mailbox.smtp_host,
                                         port=mailbox.smtp_port, starttls=False))

    first = request_missing_remittances(store_engine, sender, from_address=FROM,
                                        payment_ids=decided.awaiting_advice)
    again = request_missing_remittances(store_engine, sender, from_address=FROM,
                                        payment_ids=decided.awaiting_advice)

    assert (first.sent, first.no_address) == (1, 1)  # Quiet Ltd has no remittance address
    assert (again.sent, again.already_asked) == (0, 1)
    [mail] = _inbox(mailbox)
    assert "1,234.56" in mail["Subject"] and mail["From"] == FROM
    body = mail.get_payload(decode=True).decode()
    assert "P-ACME" in body and "02 March 2026" in body
    with read_transaction(store_engine) as session:
        [entry] = [e for e in audit.history(session, entity_type="payment", entity_id="P-ACME")
                   if e.action.startswith("remittance_request")]
    assert entry.action == "remittance_requested" and entry.after is not None
    assert entry.after["message_id"] == mail["Message-ID"]


def test_a_failed_send_is_logged_and_tried_again(store_engine: Engine, mailbox: Mailbox,
                                                 tmp_path: Path) -> None:
    _seed(store_engine, mailbox.address)
    decided = decide_pending(store_engine, wait_days=0)
    down = SmtpMailSender(SmtpSettings(adapter="smtp", host="127.0.0.1", port=1,
                                       starttls=False, timeout_seconds=2))

    failed = request_missing_remittances(store_engine, down, from_address=FROM,
                                         payment_ids=decided.awaiting_advice)
    retried = request_missing_remittances(store_engine, FolderMailSender(tmp_path),
                                          from_address=FROM,
                                          payment_ids=decided.awaiting_advice)

    assert (failed.failed, failed.sent) == (1, 0)
    assert retried.sent == 1
    [written] = tmp_path.glob("*.eml")
    assert "P-ACME" in written.read_text()
    with read_transaction(store_engine) as session:
        actions = [e.action for e in audit.history(session, entity_type="payment",
                                                   entity_id="P-ACME")
                   if e.action.startswith("remittance_request")]
    assert actions == ["remittance_requested", "remittance_request_failed",
                       "remittance_requested"]
