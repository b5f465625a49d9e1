"""Proposals for the reviewer when a payment cannot be posted automatically.

A person clearing the queue should find the right answer first in the list most of the
time.  The proposals, best first:

1. **completions**: what the payment's remittance or bank text did identify, plus the
   one set of the customer's other open items that makes up exactly the rest (an OCR
   line dropped, a document the text did not name);
2. the same with the rest short by a bank fee (0.01 to 25.00) on the last invoice;
3. the identified documents alone, with the rest on account.

Proposals that account for the payment without anything on account come first.  This
module only proposes; nothing here is posted without a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from shared.domain import (
    Adjustment,
    AdjustmentType,
    Application,
    DocType,
    OpenItem,
    Payment,
    Suggestion,
)
from shared.matching.allocation import BANK_FEE_LIMIT, Plan
from shared.matching.amount_only import match_amount
from shared.matching.ledger_state import LedgerState

__all__ = ["MAX_SUGGESTIONS", "suggest"]

MAX_SUGGESTIONS = 5


def suggest(payment: Payment, base: Plan | None, candidates: Sequence[OpenItem],
            ledger: LedgerState) -> list[Suggestion]:
    """Ranked proposals for ``payment`` (see the module docstring)."""
    base = base or Plan()
    used = {a.doc_no for a in base.applications}
    others = [i for i in candidates if i.doc_no not in used and i.currency == payment.currency]
    missing = payment.amount - base.applied
    plans: list[tuple[int, Plan]] = []
    if missing == 0 and base.applications:
        plans.append((0, base))
    elif missing > 0:
        for match in match_amount(missing, others, ledger.remaining, payment.value_date):
            plans.append((1, _extended(base, match.items, match.discounted, ledger,
                                       f"the rest, {missing}, equals exactly "
                                       f"{match.describe()}")))
        for item in others:
            fee = ledger.remaining[item.doc_no] - missing
            if (Decimal("0.01") <= fee <= BANK_FEE_LIMIT
                    and item.doc_type is not DocType.CREDIT_MEMO):
                plan = _extended(base, (item,), (False,), ledger,
                                 f"the rest is {item.doc_no} less a bank fee of {fee}")
                plans.append((2, _with_fee(plan, fee)))
        if base.applications:
            plans.append((3, base))
    out: list[Suggestion] = []
    seen: set[tuple[tuple[str, Decimal], ...]] = set()
    for _rank, plan in sorted(plans, key=lambda p: p[0]):
        suggestion = plan.suggestion(payment, confidence=0.6 if _rank < 3 else 0.3)
        key = tuple(sorted((a.doc_no, a.amount) for a in plan.applications))
        if suggestion is None or key in seen:
            continue
        seen.add(key)
        out.append(suggestion)
        if len(out) >= MAX_SUGGESTIONS:
            break
    return out


def _extended(base: Plan, items: Sequence[OpenItem], discounted: Sequence[bool],
              ledger: LedgerState, note: str) -> Plan:
    plan = Plan(list(base.applications), list(base.adjustments), [*base.evidence, note])
    for item, net in zip(items, discounted, strict=True):
        open_amount = ledger.remaining[item.doc_no]
        discount = item.discount_amount if net and item.discount_amount else Decimal(0)
        plan.applications.append(Application(doc_no=item.doc_no, amount=open_amount - discount))
        if discount:
            plan.adjustments.append(Adjustment(type=AdjustmentType.DISCOUNT, doc_no=item.doc_no,
                                               amount=discount))
    return plan


def _with_fee(plan: Plan, fee: Decimal) -> Plan:
    invoices = [a for a in plan.applications if not a.doc_no.startswith("CM")]
    last = max(invoices, key=lambda a: a.doc_no)
    applications = [Application(doc_no=a.doc_no, amount=a.amount - fee) if a is last else a
                    for a in plan.applications]
    adjustments = [*plan.adjustments,
                   Adjustment(type=AdjustmentType.BANK_FEE, doc_no=last.doc_no, amount=fee)]
    return Plan(applications, adjustments, plan.evidence)
