"""Decide the payments waiting in the store and queue what follows from each decision.

``auto`` decisions go to the posting outbox (the erp_poster bot takes them from
there); ``review`` decisions open a review item keyed by the payment, with the
reason, the suggestions and the evidence.  Decision, outbox entry and review item
are written in one transaction per payment, so a crash never leaves half of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from shared.domain import DecisionKind, ReviewKind
from shared.matching.engine import decide_batch
from shared.store import (
    enqueue_posting,
    get_customers,
    get_open_items,
    list_remittances,
    list_undecided_payments,
    open_review_item,
    read_transaction,
    record_decision,
    write_transaction,
)

__all__ = ["DecideSummary", "decide_pending"]

_ACTOR = "bot:matcher"


@dataclass
class DecideSummary:
    auto: int = 0
    review: int = 0


def decide_pending(engine: Engine) -> DecideSummary:
    """Decide every undecided payment against the stored ledger and remittances."""
    with read_transaction(engine) as session:
        payments = list_undecided_payments(session)
        customers = get_customers(session)
        items = get_open_items(session)
        remittances = list_remittances(session)
    summary = DecideSummary()
    decisions = decide_batch(payments, customers=customers, open_items=items,
                             remittances=remittances)
    amounts = {p.payment_id: p for p in payments}
    for decision in decisions:
        with write_transaction(engine) as session:
            decision_id = record_decision(session, decision=decision, decided_by=_ACTOR)
            if decision.kind is DecisionKind.AUTO:
                enqueue_posting(session, payment_id=decision.payment_id, decision_id=decision_id)
                summary.auto += 1
                continue
            payment = amounts[decision.payment_id]
            open_review_item(
                session, kind=ReviewKind.UNMATCHED_PAYMENT, actor=_ACTOR,
                title=f"{payment.currency} {payment.amount} from {payment.payer_name or '?'}: "
                      f"{decision.reason}",
                payment_id=decision.payment_id, key=f"payment:{decision.payment_id}",
                payload={"reason": decision.reason, "customer_id": decision.customer_id,
                         "evidence": list(decision.evidence),
                         "payment": payment.model_dump(mode="json")},
                suggestions=decision.suggestions,
            )
            summary.review += 1
    return summary
