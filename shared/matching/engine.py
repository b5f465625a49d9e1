"""Decide each payment: post it automatically, or send it to a person.

This is the first, conservative engine.  It posts only what it can prove:

1. the payer is identified (known account, or a clear name match);
2. the documents come from the payment's remittance (lines resolved exactly to our
   document numbers) or from exact references in the bank text;
3. every document is open, in the payment's currency and belongs to the payer or a
   subsidiary; nothing closes more than its open amount; the payment covers the
   applications, and any excess goes on account;
4. without references, the amount equals exactly one open item or exactly one small
   combination of the payer's open items (policy rule 11).

Anything else goes to review with the exception name (``unidentified``,
``ambiguous``, ``currency_mismatch``, ``duplicate``) or a plain reason, and, where it
can, ranked suggestions.  Each decision carries its evidence in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from shared.domain import (
    Adjustment,
    AdjustmentType,
    Application,
    Customer,
    Decision,
    ExceptionKind,
    OpenItem,
    Payment,
    Remittance,
    Suggestion,
)
from shared.matching.ledger_state import LedgerState
from shared.matching.payer import PayerDirectory, PayerMatch
from shared.matching.reasons import reason_code_for
from shared.money import ZERO

__all__ = ["MatchingLimits", "decide_batch", "link_remittances"]

_TEXT_REF = re.compile(r"\b(?:INV|CM|DM)[-\s]?\d{4}[-\s]?\d{5,6}\b", re.IGNORECASE)


@dataclass(frozen=True)
class MatchingLimits:
    """Bounds that keep amount-only search fast and safe."""

    max_combination_size: int = 3
    max_items_for_combinations: int = 25


@dataclass
class _Plan:
    applications: list[Application] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def link_remittances(
    payments: Sequence[Payment], remittances: Iterable[Remittance], directory: PayerDirectory
) -> dict[str, Remittance]:
    """Pair each payment with the remittance whose customer and total match it.

    A remittance names its customer (from the sender); it links to a payment from
    that customer's group whose amount equals the advice's total, once.
    """
    linked: dict[str, Remittance] = {}
    unused = list(remittances)
    for payment in payments:
        payer = directory.identify(payment)
        group = directory.group_of(payer.customer.customer_id) if payer else set()
        for remittance in unused:
            total = remittance.total_paid if remittance.total_paid is not None else (
                remittance.lines_paid)
            by_id = remittance.payment_id == payment.payment_id
            if by_id or (remittance.customer_id in group and total == payment.amount):
                linked[payment.payment_id] = remittance
                unused.remove(remittance)
                break
    return linked


def decide_batch(
    payments: Sequence[Payment],
    *,
    customers: Iterable[Customer],
    open_items: Iterable[OpenItem],
    remittances: Iterable[Remittance] = (),
    limits: MatchingLimits = MatchingLimits(),
) -> list[Decision]:
    """Decide every payment, in value-date order, against one evolving ledger."""
    directory = PayerDirectory(customers)
    ledger = LedgerState(open_items)
    ordered = sorted(payments, key=lambda p: (p.value_date, p.payment_id))
    linked = link_remittances(ordered, remittances, directory)
    decisions = []
    for payment in ordered:
        decision = _decide(payment, linked.get(payment.payment_id), directory, ledger, limits)
        if decision.kind == "auto":
            ledger.apply(decision)
        decisions.append(decision)
    return decisions


def _decide(
    payment: Payment,
    remittance: Remittance | None,
    directory: PayerDirectory,
    ledger: LedgerState,
    limits: MatchingLimits,
) -> Decision:
    payer = directory.identify(payment)
    if payer is None and remittance is not None and remittance.customer_id:
        customer = directory.customers.get(remittance.customer_id)
        if customer is not None:
            payer = PayerMatch(customer, 0.9, f"remittance sent from {customer.name}'s AP")
    refs = _references(payment, remittance)
    if payer is None:
        if not refs:
            return Decision.review(payment, exception=ExceptionKind.UNIDENTIFIED, evidence=(
                f"payer {payment.payer_name!r} is not a known customer",
                "no document reference in the payment or a remittance"))
        return Decision.review(payment, reason="payer not identified; references need a person",
                               evidence=(f"references: {', '.join(r for r, _ in refs)}",))
    if not refs:
        return _amount_only(payment, payer, directory, ledger, limits)
    return _by_references(payment, payer, refs, remittance, directory, ledger)


def _references(
    payment: Payment, remittance: Remittance | None
) -> list[tuple[str, tuple[Decimal, Decimal, str] | None]]:
    """(printed ref, (paid, deduction, reason) from the advice, or None from bank text)."""
    if remittance is not None and remittance.lines:
        return [
            (line.ref_as_printed, (line.paid, line.deduction, line.reason_text or ""))
            for line in remittance.lines
        ]
    return [(m.group(0), None) for m in _TEXT_REF.finditer(payment.text or "")]


def _by_references(
    payment: Payment,
    payer: PayerMatch,
    refs: list[tuple[str, tuple[Decimal, Decimal, str] | None]],
    remittance: Remittance | None,
    directory: PayerDirectory,
    ledger: LedgerState,
) -> Decision:
    cid = payer.customer.customer_id
    group = directory.group_of(cid)
    plan = _Plan(evidence=[payer.evidence])
    if remittance is not None:
        plan.evidence.append(f"remittance {remittance.source} totals {remittance.total_paid}")
    for printed, stated in refs:
        doc = ledger.resolve(printed)
        if doc is None:
            return _review_with_candidates(payment, cid, ledger, group,
                                           f"reference {printed!r} is not one of our documents",
                                           plan.evidence)
        item = ledger.items[doc]
        if item.currency != payment.currency:
            return Decision.review(payment, exception=ExceptionKind.CURRENCY_MISMATCH,
                                   customer_id=cid, evidence=(
                                       f"{doc} is in {item.currency}, the payment in "
                                       f"{payment.currency}", *plan.evidence))
        if not ledger.is_open(doc):
            if doc in ledger.closed_in_batch:
                return Decision.review(payment, exception=ExceptionKind.DUPLICATE,
                                       customer_id=cid, evidence=(
                                           f"{doc} was paid by an earlier payment of this batch",
                                           *plan.evidence))
            return Decision.review(payment, reason=f"{doc} is not open", customer_id=cid,
                                   evidence=tuple(plan.evidence))
        if item.customer_id not in group:
            return Decision.review(payment, reason=f"{doc} belongs to another customer "
                                   f"({item.customer_id})", customer_id=cid,
                                   evidence=tuple(plan.evidence))
        remaining = ledger.remaining[doc]
        if stated is None:
            paid, deduction, reason = remaining, ZERO, ""
        else:
            paid, deduction, reason = stated
        if item.is_credit:
            paid = remaining  # credit memos are taken in full (policy rule 3)
        elif paid <= 0 or paid + deduction > remaining:
            return Decision.review(payment, reason=f"{doc}: paid {paid} + deduction {deduction} "
                                   f"exceeds the open {remaining}", customer_id=cid,
                                   evidence=tuple(plan.evidence))
        plan.applications.append(Application(doc_no=doc, amount=paid))
        if deduction:
            plan.adjustments.append(Adjustment(type=AdjustmentType.DEDUCTION, doc_no=doc,
                                               amount=deduction,
                                               reason_code=reason_code_for(reason)))
        plan.evidence.append(f"{printed} is {doc}, open {remaining}, applied {paid}")
    applied = sum((a.amount for a in plan.applications), ZERO)
    if applied > payment.amount:
        return Decision.review(payment, reason=f"documents total {applied}, more than the "
                               f"payment {payment.amount}", customer_id=cid,
                               evidence=tuple(plan.evidence))
    if applied < payment.amount:
        plan.evidence.append(f"{payment.amount - applied} more than the documents: on account")
    return Decision.auto(payment, applications=plan.applications, adjustments=plan.adjustments,
                         customer_id=cid, confidence=0.99 if remittance else 0.95,
                         evidence=plan.evidence)


def _amount_only(
    payment: Payment,
    payer: PayerMatch,
    directory: PayerDirectory,
    ledger: LedgerState,
    limits: MatchingLimits,
) -> Decision:
    cid = payer.customer.customer_id
    items = [i for i in ledger.open_items_of(directory.group_of(cid))
             if i.currency == payment.currency]
    matches = _combinations_equal(payment, items, ledger, limits)
    evidence = (payer.evidence, "no document reference: matched on amount")
    if len(matches) == 1:
        (combo,) = matches
        return Decision.auto(
            payment, customer_id=cid, confidence=0.9,
            applications=[Application(doc_no=i.doc_no, amount=ledger.remaining[i.doc_no])
                          for i in combo],
            evidence=(*evidence, f"the amount equals exactly {', '.join(i.doc_no for i in combo)}"),
        )
    suggestions = [_suggest(payment, combo, ledger) for combo in matches[:5]]
    if matches:
        return Decision.review(payment, exception=ExceptionKind.AMBIGUOUS, customer_id=cid,
                               suggestions=suggestions, evidence=(
                                   *evidence, f"{len(matches)} different sets of open items "
                                   "equal the amount"))
    return Decision.review(payment, reason="no reference and no open item or combination "
                           "equals the amount", customer_id=cid, evidence=evidence)


def _combinations_equal(
    payment: Payment, items: list[OpenItem], ledger: LedgerState, limits: MatchingLimits
) -> list[tuple[OpenItem, ...]]:
    # Rule 11: exact equality only, over open amounts (discounts come with issue 4).
    debit_items = [i for i in items if not i.is_credit]
    max_size = limits.max_combination_size if len(debit_items) <= (
        limits.max_items_for_combinations) else 1
    found: list[tuple[OpenItem, ...]] = []
    for size in range(1, max_size + 1):
        for combo in combinations(debit_items, size):
            if sum((ledger.remaining[i.doc_no] for i in combo), ZERO) == payment.amount:
                found.append(combo)
    return found


def _suggest(payment: Payment, combo: Sequence[OpenItem], ledger: LedgerState) -> Suggestion:
    apps = tuple(Application(doc_no=i.doc_no, amount=ledger.remaining[i.doc_no]) for i in combo)
    applied = sum((a.amount for a in apps), ZERO)
    return Suggestion(applications=apps, on_account=payment.amount - applied,
                      evidence=(f"amount equals {', '.join(a.doc_no for a in apps)}",))


def _review_with_candidates(
    payment: Payment, cid: str, ledger: LedgerState, group: set[str], reason: str,
    evidence: list[str],
) -> Decision:
    """Review, suggesting open items of the payer whose open amount equals the payment."""
    suggestions = [
        _suggest(payment, (i,), ledger)
        for i in ledger.open_items_of(group)
        if ledger.remaining[i.doc_no] == payment.amount and i.currency == payment.currency
    ]
    return Decision.review(payment, reason=reason, customer_id=cid, suggestions=suggestions[:5],
                           evidence=(*evidence, reason))
