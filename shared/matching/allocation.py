"""Turn identified documents into applications and adjustments, by the business policy.

Input: the payment and its *claims*, one per document it pays, each either stated on a
remittance line (paid, deduction with reason, discount) or only named in the bank text
(amount unknown).  Output: a :class:`Plan` that balances (applications + on account =
payment), or a :class:`Refusal` that says why not, with the best plan as a suggestion.

The policy (the benchmark's FORMAT.md, section 2), rule by rule:

* credit memos are applied in full, negative (rule 3);
* a stated discount is booked as an adjustment only when it is exactly the invoice's
  discount and the value date is on or before the discount date (rule 4); otherwise the
  amount actually paid is applied and the rest stays open (rule 5);
* a stated deduction is an adjustment with its reason code (rule 6);
* with amounts unknown (bank text only), a shortfall is explained, in this order, by
  the valid discounts of the named invoices, a stated partial payment of one invoice
  (rule 8), a stated deduction of that amount from the one invoice named (several
  invoices: which one is not known, so a person decides), an unearned discount of
  exactly the invoices' discounts;
* whatever is still short by 0.01 to 25.00 is a bank fee on the last invoice (rule 7);
* whatever is paid beyond the documents goes on account (rule 9).

No closed amount ever exceeds a document's open amount (rule 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from shared.domain import (
    Adjustment,
    AdjustmentType,
    Application,
    DocType,
    ExceptionKind,
    OpenItem,
    Payment,
    ReasonCode,
    RemittanceLine,
    Suggestion,
)
from shared.matching.bank_text import BankText
from shared.matching.ledger_state import LedgerState
from shared.money import ZERO

__all__ = ["BANK_FEE_LIMIT", "Claim", "Plan", "Refusal", "allocate", "discount_valid"]

BANK_FEE_LIMIT = Decimal("25.00")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Claim:
    """One document a payment pays, and what the payer said about it (if anything)."""

    doc_no: str
    printed: str  # the reference as printed, for the evidence
    paid: Decimal | None = None  # None: named in the bank text, amount not stated
    deduction: Decimal = ZERO
    discount: Decimal = ZERO
    reason_code: ReasonCode | None = None

    @classmethod
    def from_line(cls, line: RemittanceLine) -> Claim:
        """What a resolved remittance line says about its document."""
        assert line.doc_no is not None
        return cls(doc_no=line.doc_no, printed=line.ref_as_printed, paid=line.paid,
                   deduction=line.deduction, discount=line.discount,
                   reason_code=line.reason_code)


@dataclass
class Plan:
    """Applications and adjustments that account for a payment, with the evidence."""

    applications: list[Application] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def applied(self) -> Decimal:
        return sum((a.amount for a in self.applications), ZERO)

    def suggestion(self, payment: Payment, confidence: float | None = None) -> Suggestion | None:
        """This plan as a proposal for the reviewer, when it can balance the payment."""
        rest = payment.amount - self.applied
        if rest < 0 or not self.applications:
            return None
        return Suggestion(applications=tuple(self.applications),
                          adjustments=tuple(self.adjustments), on_account=rest,
                          confidence=confidence, evidence=tuple(self.evidence))


class Refusal(Exception):
    """The documents cannot be applied safely; ``plan`` is the best proposal, if any."""

    def __init__(self, reason: str, *, exception: ExceptionKind | None = None,
                 plan: Plan | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exception = exception
        self.plan = plan


def discount_valid(item: OpenItem, value_date: date) -> bool:
    """The invoice has a discount and the payment's value date is in time for it."""
    return (item.discount_date is not None and item.discount_amount is not None
            and value_date <= item.discount_date)


@dataclass
class _Line:
    item: OpenItem
    claim: Claim
    remaining: Decimal
    applied: Decimal
    adjustments: list[Adjustment] = field(default_factory=list)

    @property
    def closed(self) -> Decimal:
        return self.applied + sum((a.amount for a in self.adjustments), ZERO)


def allocate(payment: Payment, claims: Sequence[Claim], ledger: LedgerState,
             text: BankText, *, fee_limit: Decimal = BANK_FEE_LIMIT) -> Plan:
    """Apply ``claims`` to ``payment`` by the policy; raises :class:`Refusal`.

    ``fee_limit`` is the largest unexplained shortfall booked as a bank fee (rule 7).
    """
    lines = _lines(payment, claims, ledger)
    plan = Plan()
    stated = all(c.paid is not None for c in claims)
    if stated:
        for line in lines:
            _apply_stated(line, payment.value_date, plan)
    shortfall = sum((x.applied for x in lines), ZERO) - payment.amount
    if shortfall > 0 and not stated:
        _explain_shortfall(lines, shortfall, payment, text, plan)
        shortfall = sum((x.applied for x in lines), ZERO) - payment.amount
    if shortfall > 0:
        _bank_fee(lines, shortfall, plan, fee_limit)
    for line in lines:
        if abs(line.closed) > abs(line.remaining) or (line.applied <= 0 < line.remaining):
            raise Refusal(f"{line.item.doc_no}: would apply {line.applied} and close "
                          f"{line.closed} of the open {line.remaining}",
                          plan=_as_plan(lines, plan))
    result = _as_plan(lines, plan)
    if result.applied > payment.amount:  # pragma: no cover - guarded above
        raise Refusal("documents exceed the payment", plan=result)
    over = payment.amount - result.applied
    if over > 0:
        result.evidence.append(f"{over} paid beyond the documents goes on account")
    return result


def _merged(claims: Sequence[Claim]) -> list[Claim]:
    """One claim per document: an advice may list one invoice on two lines."""
    merged: dict[str, Claim] = {}
    for claim in claims:
        if (known := merged.get(claim.doc_no)) is None:
            merged[claim.doc_no] = claim
        elif known.paid is not None and claim.paid is not None:
            merged[claim.doc_no] = Claim(
                doc_no=claim.doc_no, printed=known.printed, paid=known.paid + claim.paid,
                deduction=known.deduction + claim.deduction,
                discount=known.discount + claim.discount,
                reason_code=known.reason_code or claim.reason_code)
    return list(merged.values())


def _lines(payment: Payment, claims: Sequence[Claim], ledger: LedgerState) -> list[_Line]:
    lines: list[_Line] = []
    duplicates: list[str] = []
    for claim in _merged(claims):
        item = ledger.items[claim.doc_no]
        if item.currency != payment.currency:
            raise Refusal(f"currency_mismatch: {item.doc_no} is in {item.currency}, the payment "
                          f"in {payment.currency}", exception=ExceptionKind.CURRENCY_MISMATCH)
        if not ledger.is_open(claim.doc_no):
            if claim.doc_no in ledger.closed_in_batch:
                duplicates.append(claim.doc_no)
                continue
            raise Refusal(f"{claim.doc_no} is not open")
        remaining = ledger.remaining[claim.doc_no]
        lines.append(_Line(item, claim, remaining, remaining))
    if duplicates:
        raise Refusal(f"duplicate: {', '.join(duplicates)} already paid by an earlier payment "
                      "of this batch", exception=ExceptionKind.DUPLICATE)
    if not lines:
        raise Refusal("no open document to apply")
    return lines


def _apply_stated(line: _Line, value_date: date, plan: Plan) -> None:
    """A remittance line: apply what it says was paid, book valid discounts and deductions."""
    claim, item = line.claim, line.item
    assert claim.paid is not None
    if item.doc_type is DocType.CREDIT_MEMO:
        line.applied = line.remaining
        plan.evidence.append(f"{claim.printed} is credit memo {item.doc_no}, taken in full "
                             f"({line.remaining})")
        return
    line.applied = claim.paid
    note = f"{claim.printed} is {item.doc_no} (open {line.remaining}), paid {claim.paid}"
    if claim.discount > 0:
        if discount_valid(item, value_date) and claim.discount == item.discount_amount:
            line.applied = line.remaining - claim.discount
            line.adjustments.append(Adjustment(type=AdjustmentType.DISCOUNT, doc_no=item.doc_no,
                                               amount=claim.discount))
            note += f", early-payment discount {claim.discount} in time"
        else:
            note += f", discount {claim.discount} not earned: the rest stays open"
    if claim.deduction > 0:
        line.adjustments.append(Adjustment(
            type=AdjustmentType.DEDUCTION, doc_no=item.doc_no, amount=claim.deduction,
            reason_code=claim.reason_code or ReasonCode.OTHER))
        note += f", deduction {claim.deduction} ({(claim.reason_code or 'OTHER')})"
    if line.closed > line.remaining:
        # Paid beyond what is open (e.g. the original amount of a part-paid invoice):
        # close the document, the excess goes on account.
        line.applied = line.remaining - (line.closed - line.applied)
        note += "; more than open, the excess goes on account"
    plan.evidence.append(note)


def _explain_shortfall(lines: list[_Line], shortfall: Decimal, payment: Payment,
                       text: BankText, plan: Plan) -> None:
    """Bank text only: find the policy rule that explains why the payment is short."""
    debits = [x for x in lines if x.item.doc_type is not DocType.CREDIT_MEMO]
    valid = [x for x in debits if discount_valid(x.item, payment.value_date)]
    if valid and sum((x.item.discount_amount or ZERO for x in valid), ZERO) == shortfall:
        for x in valid:
            amount = x.item.discount_amount or ZERO
            x.applied = x.remaining - amount
            x.adjustments.append(Adjustment(type=AdjustmentType.DISCOUNT, doc_no=x.item.doc_no,
                                            amount=amount))
        plan.evidence.append(f"short by {shortfall}: the early-payment discounts, in time")
        return
    if text.partial and len(debits) == 1:
        debits[0].applied -= shortfall
        plan.evidence.append(f"stated partial payment of {debits[0].item.doc_no}: "
                             f"{debits[0].applied} applied, the rest stays open")
        return
    if text.deduction is not None and text.deduction == shortfall and len(debits) > 1:
        raise Refusal(f"the bank text deducts {shortfall} ({text.deduction_text or 'no reason'}) "
                      "but names several invoices: which one is not stated",
                      plan=_as_plan(lines, plan))
    if text.deduction is not None and text.deduction == shortfall and len(debits) == 1:
        x = debits[0]
        x.applied -= shortfall
        x.adjustments.append(Adjustment(type=AdjustmentType.DEDUCTION, doc_no=x.item.doc_no,
                                        amount=shortfall,
                                        reason_code=text.deduction_reason or ReasonCode.OTHER))
        stated = text.deduction_text or "no reason given"
        plan.evidence.append(f"the bank text deducts {shortfall} ({stated})")
        return
    with_discount = [x for x in debits if x.item.discount_amount is not None]
    if with_discount and sum((x.item.discount_amount or ZERO for x in with_discount),
                             ZERO) == shortfall:
        # Short by exactly the discounts, but too late for them (rule 5), said or not.
        for x in with_discount:
            x.applied -= x.item.discount_amount or ZERO
        plan.evidence.append(f"discount of {shortfall} taken after the discount date: "
                             "applied what was paid, the rest stays open")


def _bank_fee(lines: list[_Line], shortfall: Decimal, plan: Plan, fee_limit: Decimal) -> None:
    if not (_CENT <= shortfall <= fee_limit):
        raise Refusal(f"the documents come to {shortfall} more than the payment and nothing "
                      "explains it", plan=_as_plan(lines, plan))
    invoices = [x for x in lines
                if x.item.doc_type in (DocType.INVOICE, DocType.DEBIT_MEMO) and x.applied > 0]
    if not invoices:
        raise Refusal(f"short by {shortfall} with no invoice to book a bank fee on")
    last = max(invoices, key=lambda x: x.item.doc_no)
    last.applied -= shortfall
    last.adjustments.append(Adjustment(type=AdjustmentType.BANK_FEE, doc_no=last.item.doc_no,
                                       amount=shortfall))
    plan.evidence.append(f"short by {shortfall}: bank fee booked on {last.item.doc_no}")


def _as_plan(lines: list[_Line], plan: Plan) -> Plan:
    kept = [x for x in lines if x.applied != 0]
    return Plan(
        applications=[Application(doc_no=x.item.doc_no, amount=x.applied) for x in kept],
        adjustments=[a for x in kept for a in x.adjustments],
        evidence=list(plan.evidence),
    )
