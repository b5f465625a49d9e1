"""Decide the payments waiting in the store and queue what follows from each decision.

``auto`` decisions go to the posting outbox (the erp_poster bot takes them from
there); ``review`` decisions open a review item keyed by the payment, with the
reason, the suggestions and the evidence.  Decision, outbox entry and review item
are written in one transaction per payment, so a crash never leaves half of it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine

from shared.domain import Decision, DecisionKind, OpenItem, ReviewKind
from shared.matching.engine import MatchingPolicy, awaits_remittance, decide_batch
from shared.store import (
    auto_decisions_since,
    enqueue_posting,
    get_customers,
    get_open_items,
    ledger_loaded_at,
    link_remittance,
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
    waiting: int = 0  # left undecided for now: their remittance advice may still come
    # Sent to review for want of their advice (the customer may be asked for it).
    awaiting_advice: list[str] = field(default_factory=list)


def _net_of_recent_decisions(items: list[OpenItem],
                             decisions: list[Decision]) -> list[OpenItem]:
    """The open items less what decisions made since the ledger was loaded applied.

    The ledger comes from the ERP's export; a payment decided (and perhaps posted) after
    that load is not in it yet, and must not be applied a second time by a later run.
    """
    closed: dict[str, Decimal] = defaultdict(Decimal)
    for decision in decisions:
        for application in decision.applications:
            closed[application.doc_no] += application.amount
        for adjustment in decision.adjustments:
            closed[adjustment.doc_no] += adjustment.amount
    out = []
    for item in items:
        rest = item.open_amount - closed.get(item.doc_no, Decimal(0))
        if rest != 0 and (rest > 0) == (item.open_amount > 0):
            out.append(item if rest == item.open_amount
                       else item.model_copy(update={"open_amount": rest}))
    return out


def decide_pending(
    engine: Engine,
    *,
    policy: MatchingPolicy | None = None,
    wait_days: int = 0,
    today: date | None = None,
) -> DecideSummary:
    """Decide every undecided payment against the stored ledger and remittances.

    A payment whose text says its advice comes separately and that cannot be decided
    without it stays undecided for ``wait_days`` after its value date, so a later run
    links the advice when it arrives; after that it goes to review.  Each decision is
    committed with the links to its remittances, so an advice is never used twice.
    """
    today = today or datetime.now(UTC).date()
    with read_transaction(engine) as session:
        payments = list_undecided_payments(session)
        customers = get_customers(session)
        items = _net_of_recent_decisions(
            get_open_items(session),
            auto_decisions_since(session, since=ledger_loaded_at(session)))
        waiting_ids = {p.payment_id for p in payments}
        remittances = [r for r in list_remittances(session)
                       if r.payment_id is None or r.payment_id in waiting_ids]
    summary = DecideSummary()
    links: dict[str, list[str]] = {}
    decisions = decide_batch(payments, customers=customers, open_items=items,
                             remittances=remittances, policy=policy or MatchingPolicy(),
                             links_out=links)
    amounts = {p.payment_id: p for p in payments}
    for decision in decisions:
        payment = amounts[decision.payment_id]
        if awaits_remittance(decision) and (today - payment.value_date).days < wait_days:
            summary.waiting += 1
            continue
        with write_transaction(engine) as session:
            decision_id = record_decision(session, decision=decision, decided_by=_ACTOR)
            for remittance_id in links.get(decision.payment_id, []):
                link_remittance(session, remittance_id=remittance_id,
                                payment_id=decision.payment_id)
            if decision.kind is DecisionKind.AUTO:
                enqueue_posting(session, payment_id=decision.payment_id, decision_id=decision_id)
                summary.auto += 1
                continue
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
            if awaits_remittance(decision):
                summary.awaiting_advice.append(decision.payment_id)
    return summary
