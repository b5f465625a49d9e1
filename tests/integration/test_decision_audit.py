"""Every decision goes to the audit log with who made it, its evidence and what it replaced."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from shared import audit
from shared.domain import Application, Decision, Payment
from shared.store import read_transaction, record_decision, upsert_payment, write_transaction

pytestmark = pytest.mark.integration


def test_decisions_are_audited_with_their_evidence(store_engine: Engine) -> None:
    payment = Payment(payment_id="P1", amount=Decimal("100.00"), currency="USD",
                      value_date=date(2026, 3, 2), payer_name="ACME")
    review = Decision.review(payment, reason="ambiguous: two sets of open items",
                             evidence=("payer account 123 is on file",
                                       "INV-A + INV-B and INV-C both equal 100.00"))
    resolved = Decision.auto(payment, customer_id="C1", evidence=("handler chose INV-C",),
                             applications=[Application(doc_no="INV-C",
                                                       amount=Decimal("100.00"))])
    with write_transaction(store_engine) as session:
        upsert_payment(session, payment=payment)
        record_decision(session, decision=review, decided_by="bot:matcher")
        record_decision(session, decision=resolved, decided_by="alice")

    with read_transaction(store_engine) as session:
        entries = [e for e in audit.history(session, entity_type="payment", entity_id="P1")
                   if e.action == "decision_recorded"]
    first, second = entries
    assert (first.actor, second.actor) == ("bot:matcher", "alice")
    assert first.before is None and first.after is not None
    assert first.after["kind"] == "review"
    assert "INV-A + INV-B and INV-C both equal 100.00" in first.after["evidence"]
    assert second.before == first.after  # what the handler's decision replaced
    assert second.after is not None and second.after["kind"] == "auto"
    assert second.after["applications"] == [{"doc_no": "INV-C", "amount": "100.00"}]
