"""Advices and money arrive in either order, across runs of the matcher, on a real store."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from shared.domain import (
    Customer,
    DocType,
    OpenItem,
    Payment,
    ReasonCode,
    Remittance,
    RemittanceLine,
)
from shared.matching.run import decide_pending
from shared.store import (
    latest_decision,
    list_remittances,
    read_transaction,
    save_remittance,
    upsert_customers,
    upsert_open_items,
    upsert_payment,
    write_transaction,
)

VALUE_DATE = date(2026, 3, 2)


def _seed(engine: Engine) -> None:
    customer = Customer(customer_id="C00001", name="Acme Corp", currency="USD",
                        bank_accounts=("ABA:021000021/ACCT:123456789",))
    items = [
        OpenItem(doc_no=f"INV-2026-00010{n}", doc_type=DocType.INVOICE, customer_id="C00001",
                 doc_date=date(2026, 1, 5), due_date=date(2026, 2, 4), currency="USD",
                 amount=Decimal(amount), open_amount=Decimal(amount))
        for n, amount in ((1, "1000.00"), (2, "250.00"), (3, "4000.00"))
    ]
    with write_transaction(engine) as session:
        upsert_customers(session, customers=[customer])
        upsert_open_items(session, items=items)


def _payment(payment_id: str, amount: str, text: str) -> Payment:
    return Payment(payment_id=payment_id, amount=Decimal(amount), currency="USD",
                   value_date=VALUE_DATE, payer_name="ACME CORP", payer_account="123456789",
                   text=text)


def _advice(remittance_id: str) -> Remittance:
    # 4950.00 is no combination of the open items: only the advice can explain it.
    lines = (RemittanceLine(ref_as_printed="INV2026000101", doc_no="INV-2026-000101",
                            paid=Decimal("1000.00")),
             RemittanceLine(ref_as_printed="INV2026000103", doc_no="INV-2026-000103",
                            paid=Decimal("3950.00"), deduction=Decimal("50.00"),
                            reason_code=ReasonCode.DAMAGED, reason_text="damaged"))
    return Remittance(remittance_id=remittance_id, source=f"{remittance_id}.eml",
                      customer_id="C00001", payment_ref="AP628196",
                      total_paid=Decimal("4950.00"), lines=lines)


def test_payment_waits_for_its_advice_and_is_decided_when_it_arrives(
        store_engine: Engine) -> None:
    _seed(store_engine)
    with write_transaction(store_engine) as session:
        text = "PAYMENT AP628196 REMITTANCE ADVICE SENT BY EMAIL"
        upsert_payment(session, payment=_payment("P1", "4950.00", text))
    first = decide_pending(store_engine, wait_days=5, today=VALUE_DATE + timedelta(days=1))
    assert (first.auto, first.review, first.waiting) == (0, 0, 1)

    with write_transaction(store_engine) as session:
        save_remittance(session, remittance=_advice("R-1"))
    second = decide_pending(store_engine, wait_days=5, today=VALUE_DATE + timedelta(days=2))

    assert (second.auto, second.review, second.waiting) == (1, 0, 0)
    with read_transaction(store_engine) as session:
        record = latest_decision(session, payment_id="P1")
        (linked,) = list_remittances(session, payment_id="P1")
    assert record is not None
    assert {a.doc_no: a.amount for a in record.decision.applications} == {
        "INV-2026-000101": Decimal("1000.00"), "INV-2026-000103": Decimal("3950.00")}
    assert linked.remittance_id == "R-1"


def test_a_payment_still_without_advice_after_the_wait_goes_to_review(
        store_engine: Engine) -> None:
    _seed(store_engine)
    with write_transaction(store_engine) as session:
        upsert_payment(session, payment=_payment("P1", "4950.01", "SEE EMAIL"))
    summary = decide_pending(store_engine, wait_days=5, today=VALUE_DATE + timedelta(days=6))
    assert (summary.auto, summary.review, summary.waiting) == (0, 1, 0)
    with read_transaction(store_engine) as session:
        record = latest_decision(session, payment_id="P1")
    assert record is not None and "awaiting the remittance advice" in (
        record.decision.reason or "")


def test_an_advice_used_by_one_payment_is_not_used_again_in_a_later_run(
        store_engine: Engine) -> None:
    _seed(store_engine)
    with write_transaction(store_engine) as session:
        save_remittance(session, remittance=_advice("R-1"))
        upsert_payment(session, payment=_payment("P1", "4950.00", "PAYMENT AP628196"))
    assert decide_pending(store_engine).auto == 1

    # The same money again, in a later run: the advice is taken, the invoices are not
    # open in this run's ledger view, so nothing may be posted from that advice twice.
    with write_transaction(store_engine) as session:
        upsert_payment(session, payment=_payment("P2", "4950.00", "PAYMENT AP628196"))
    decide_pending(store_engine)
    with read_transaction(store_engine) as session:
        record = latest_decision(session, payment_id="P2")
        linked = list_remittances(session, payment_id="P2")
    assert linked == []
    assert record is not None
    assert record.decision.kind.value == "review"
