"""Proposals for the reviewer when a payment cannot be posted automatically.

A person clearing the queue should find the right answer first in the list most of the
time.  The proposals, best first:

0. **repairs**: an untrusted advice (OCR) read again with its likely slips put right,
   when that accounts for the whole payment (the engine makes them);
1. **completions**: what the payment's remittance or bank text did identify, plus the
   one set of the customer's other open items that makes up exactly the rest (an OCR
   line dropped, a document the text did not name);
2. the same with the rest short by a bank fee (0.01 to 25.00) on the last invoice;
3. the identified documents alone, with the rest on account.

Proposals that account for the payment without anything on account come first.  For a
payment with no advice and no reference, the customer's advices that no payment claimed
are proposed (the one closest in amount first, the rest on account).  This module only
proposes; nothing here is posted without a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from shared.domain import (
    Adjustment,
    AdjustmentType,
    Application,
    DocType,
    OpenItem,
    Payment,
    ReasonCode,
    Remittance,
    RemittanceLine,
    Suggestion,
)
from shared.matching.allocation import (
    BANK_FEE_LIMIT,
    Claim,
    Plan,
    Refusal,
    allocate,
    discount_valid,
)
from shared.matching.amount_only import match_amount
from shared.matching.bank_text import BankText
from shared.matching.ledger_state import LedgerState
from shared.money import ZERO

__all__ = ["MAX_SUGGESTIONS", "repaired_readings", "suggest", "unclaimed_advices"]

MAX_SUGGESTIONS = 5
# A proposal searches triples and quadruples only among this many open items: a
# group's whole ledger is for automatic matching to refuse, not for a person to read.
_MAX_ITEMS_FOR_TRIPLES = 100
# How far an advice's payment date may lie from the value date of a payment it may be for.
_ADVICE_DAYS = 14


def suggest(payment: Payment, base: Plan | None, candidates: Sequence[OpenItem],
            ledger: LedgerState, *, repairs: Sequence[Plan] = (),
            fee_limit: Decimal = BANK_FEE_LIMIT) -> list[Suggestion]:
    """Ranked proposals for ``payment`` (see the module docstring).

    ``repairs`` are readings of an untrusted advice with its likely slips put right that
    account for the whole payment; they come first.
    """
    base = base or Plan()
    used = {a.doc_no for a in base.applications}
    others = [i for i in candidates if i.doc_no not in used and i.currency == payment.currency]
    missing = payment.amount - base.applied
    plans: list[tuple[int, Plan]] = [(-1, repair) for repair in repairs]
    if missing == 0 and base.applications:
        plans.append((0, base))
    elif missing > 0:
        for match in match_amount(missing, others, ledger.remaining, payment.value_date,
                                  max_items_for_triples=_MAX_ITEMS_FOR_TRIPLES):
            plans.append((1, _extended(base, match.items, match.discounted, ledger,
                                       f"the rest, {missing}, equals exactly "
                                       f"{match.describe()}")))
        for item in others:
            fee = ledger.remaining[item.doc_no] - missing
            if (Decimal("0.01") <= fee <= fee_limit
                    and item.doc_type is not DocType.CREDIT_MEMO):
                plan = _extended(base, (item,), (False,), ledger,
                                 f"the rest is {item.doc_no} less a bank fee of {fee}")
                plans.append((2, _with_fee(plan, fee)))
        if base.applications:
            plans.append((3, base))
    out: list[Suggestion] = []
    seen: set[tuple[object, ...]] = set()
    for _rank, plan in sorted(plans, key=lambda p: p[0]):
        suggestion = plan.suggestion(payment, confidence=0.7 if _rank < 0 else
                                     0.6 if _rank < 3 else 0.3)
        key = (tuple(sorted((a.doc_no, a.amount) for a in plan.applications)),
               tuple(sorted((a.type, a.doc_no, a.amount) for a in plan.adjustments)))
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


def repaired_readings(payment: Payment, remittance: Remittance, ledger: LedgerState,
                      text: BankText, *, fee_limit: Decimal = BANK_FEE_LIMIT) -> list[Plan]:
    """An untrusted advice read again with its likely slips put right, for the reviewer.

    Only readings that account for the whole payment count: the lines with an
    unexplained gross closed by the missed deduction (or the invoice's discount), or
    every document at its open amount (an amount misread or dropped).
    """
    lines = [x for x in remittance.lines if x.doc_no and ledger.is_open(x.doc_no)]
    readings: list[tuple[list[Claim], str]] = []
    if any(x.gross_unexplained for x in lines):
        readings.append(([_closing_claim(x, payment, ledger) if x.gross_unexplained
                          else Claim.from_line(x) for x in lines],
                         "read with the deduction or discount OCR missed on the lines whose "
                         "gross does not add up"))
    readings.append(([Claim(doc_no=x.doc_no, printed=x.ref_as_printed,
                            paid=ledger.remaining[x.doc_no])
                      for x in lines if x.doc_no],
                     "every document on the advice at its open amount"))
    plans = []
    for claims, note in readings:
        try:
            plan = allocate(payment, claims, ledger, text, fee_limit=fee_limit)
        except Refusal:
            continue
        if plan.applied == payment.amount:
            plan.evidence.insert(0, f"the advice {note} accounts for the payment exactly")
            plans.append(plan)
    return plans


def _closing_claim(line: RemittanceLine, payment: Payment, ledger: LedgerState) -> Claim:
    """The line with the gap between its open amount and what it pays as an adjustment."""
    claim = Claim.from_line(line)
    item = ledger.items[claim.doc_no]
    gap = ledger.remaining[claim.doc_no] - line.paid - line.deduction - line.discount
    if gap <= 0 or item.doc_type is DocType.CREDIT_MEMO:
        return claim
    if discount_valid(item, payment.value_date) and gap == item.discount_amount:
        return replace(claim, discount=line.discount + gap)
    return replace(claim, deduction=line.deduction + gap,
                   reason_code=line.reason_code or ReasonCode.OTHER)


def unclaimed_advices(payment: Payment, advices: Iterable[Remittance], ledger: LedgerState,
                      *, fee_limit: Decimal = BANK_FEE_LIMIT) -> list[Suggestion]:
    """Advices no payment claimed that this payment covers, closest in amount first.

    An advice for less than the payment, from the payer, near its date, is most likely
    its remittance with the rest paid on account (rule 9); only a person may say so.
    """
    seen: set[str] = set()
    found: list[tuple[Decimal, int, Suggestion]] = []
    for advice in advices:
        total = advice.total
        if (advice.remittance_id in seen or not ZERO < total <= payment.amount
                or advice.currency not in (None, payment.currency)
                or (advice.payment_date is not None and abs(
                    (advice.payment_date - payment.value_date).days) > _ADVICE_DAYS)):
            continue
        seen.add(advice.remittance_id)
        claims = [Claim.from_line(x) for x in advice.lines
                  if x.doc_no and ledger.is_open(x.doc_no)]
        try:
            plan = (allocate(payment, claims, ledger, BankText(), fee_limit=fee_limit)
                    if claims else None)
        except Refusal as refused:
            plan = refused.plan
        if plan is None:
            continue
        plan.evidence.insert(0, f"advice {advice.source} from the same customer, total "
                             f"{total}, is not linked to any payment")
        if (suggestion := plan.suggestion(payment, 0.5)) is not None:
            found.append((payment.amount - total, len(found), suggestion))
    return [s for *_, s in sorted(found, key=lambda f: (f[0], f[1]))]
