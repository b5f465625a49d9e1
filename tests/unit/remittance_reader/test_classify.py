"""Mail kinds: remittance, dispute, promise to pay, other."""

from __future__ import annotations

import pytest

from bots.remittance_reader.classify import classify


@pytest.mark.parametrize(("subject", "body", "has_lines", "kind"), [
    ("Remittance advice", "Please find our remittance attached.", True, "remittance"),
    ("Payment Notification 123", "Details attached.", False, "remittance"),
    ("Out of Office: Payment reminder", "I am out of the office until 03/12.", False, "other"),
    ("Abwesenheitsnotiz: Zahlungserinnerung", "Remittance questions to ap@x.de", False, "other"),
    ("Automatic reply: Statement", "Thank you for your message.", False, "other"),
    ("Auto: Overdue invoices", "Payment has been issued", False, "other"),
    ("Re: invoices", "Thank you. I am out of the office until Monday.", False, "other"),
    ("Dispute - INV-2026-001551", "We dispute INV-2026-001551 because...", False, "dispute"),
    ("Billing discrepancy 1352", "we dispute 1352 ... will hold payment", False, "dispute"),
    ("RE: Payment reminder", "We will pay INV-2026-000529 on 14.03.2026.", False,
     "promise_to_pay"),
    ("Vendor information update required",
     "We require an updated W-9 form before the next payment run.", False, "other"),
    ("Request: open items list", "Please send us a statement of account.", False, "other"),
    ("This week: supply chain outlook", "View this email in your browser.", False, "other"),
])
def test_kinds(subject: str, body: str, has_lines: bool, kind: str) -> None:
    assert classify(subject, body, has_lines=has_lines) == kind
