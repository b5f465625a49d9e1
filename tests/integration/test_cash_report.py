"""The AR lead's figures from a real store (SQLite and PostgreSQL), and their rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from flows.artifacts import cash_report_markdown, outcome_rows, run_markdown
from shared.domain import Application, Decision, Payment, ReviewKind
from shared.store import (
    claim_next_posting,
    enqueue_posting,
    mark_posted,
    open_review_item,
    read_transaction,
    record_decision,
    upsert_payment,
    write_transaction,
)
from shared.store.reporting import cash_report, run_outcomes

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def _payment(pid: str, amount: str, currency: str = "USD") -> Payment:
    return Payment(payment_id=pid, amount=Decimal(amount), currency=currency,
                   value_date=date(2026, 3, 2), payer_name="ACME")


def _seed(engine: Engine) -> datetime:
    with write_transaction(engine) as s:
        for p in (_payment("P-POSTED", "1200.00"), _payment("P-QUEUED", "300.00"),
                  _payment("P-REVIEW", "999.99"), _payment("P-NEW", "50.00", "EUR"),
                  _payment("P-HANDLER", "75.00")):
            upsert_payment(s, payment=p)
        posted = Decision.auto(_payment("P-POSTED", "1200.00"), customer_id="C1",
                               applications=[Application(doc_no="INV-2026-000001",
                                                         amount=Decimal("1000.00"))])
        queued = Decision.auto(_payment("P-QUEUED", "300.00"), customer_id="C1",
                               applications=[Application(doc_no="INV-2026-000002",
                                                         amount=Decimal("300.00"))])
        by_handler = Decision.auto(_payment("P-HANDLER", "75.00"), customer_id="C2",
                                   applications=[Application(doc_no="INV-2026-000003",
                                                             amount=Decimal("75.00"))])
        review = Decision.review(_payment("P-REVIEW", "999.99"), reason="ambiguous: two sets")
        for decision, by in ((posted, "bot:matcher"), (queued, "bot:matcher"),
                             (by_handler, "anna"), (review, "bot:matcher")):
            decision_id = record_decision(s, decision=decision, decided_by=by)
            if decision.kind.value == "auto":
                enqueue_posting(s, payment_id=decision.payment_id, decision_id=decision_id)
        open_review_item(s, kind=ReviewKind.UNMATCHED_PAYMENT, title="ambiguous", actor="bot",
                         payment_id="P-REVIEW", sla_due=NOW - timedelta(hours=1),
                         now=NOW - timedelta(days=4))
    with write_transaction(engine) as s:
        claimed = claim_next_posting(s, worker="w1")
        assert claimed is not None and claimed.payment_id == "P-POSTED"
        mark_posted(s, payment_id="P-POSTED", worker="w1", erp_document_no="PAY-000042")
    return NOW - timedelta(days=1)


def test_cash_report_figures(store_engine: Engine) -> None:
    _seed(store_engine)
    with read_transaction(store_engine) as s:
        report = cash_report(s, now=NOW)
    assert (report.payments, report.decided, report.undecided, report.in_review) == (5, 4, 1, 1)
    assert report.auto_by_bot == 2 and report.auto_match_rate == pytest.approx(0.5)
    assert report.posted == 1
    assert report.applied == {"USD": Decimal("1000.00")}  # 200.00 of it went on account
    # In review 999.99 + on account 200.00; EUR 50.00 not yet decided.
    assert report.unapplied == {"USD": Decimal("1199.99"), "EUR": Decimal("50.00")}
    assert report.backlog_by_kind == {"unmatched_payment": 1}
    assert report.backlog_by_age["3-7 days"] == 1 and report.sla_breaches == 1
    text = cash_report_markdown(report)
    assert "| auto-match rate | 50.0% (2 of 4 decided) |" in text
    assert "| amounts applied | USD 1,000.00 |" in text
    assert "EUR 50.00; USD 1,199.99" in text
    assert "| unmatched_payment | 1 |" in text


def test_run_outcomes_say_what_became_of_each_payment(store_engine: Engine) -> None:
    since = _seed(store_engine)
    with read_transaction(store_engine) as s:
        outcomes = {o.payment_id: o for o in run_outcomes(s, since=since)}
        report = cash_report(s, now=NOW)
    assert outcomes["P-POSTED"].outcome == "posted"
    assert outcomes["P-POSTED"].detail == "ERP document PAY-000042"
    assert outcomes["P-QUEUED"].outcome == "queued for the ERP"
    assert outcomes["P-REVIEW"].outcome == "in review"
    assert outcomes["P-REVIEW"].detail == "ambiguous: two sets"
    assert "P-NEW" not in outcomes  # not decided yet: nothing happened to it
    with read_transaction(store_engine) as s:
        assert run_outcomes(s, since=datetime.now(UTC) + timedelta(hours=1)) == []
    rows = outcome_rows(outcomes.values())
    assert {"payment": "P-POSTED", "amount": "USD 1,200.00", "customer": "C1",
            "outcome": "posted", "detail": "ERP document PAY-000042"} in rows
    text = run_markdown("Cash application", {"mails read": 3}, list(outcomes.values()), report)
    assert "| mails read | 3 |" in text and "| payments in review | 1 |" in text
