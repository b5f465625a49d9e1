"""Decide each payment: post it automatically, or send it to a person with suggestions.

For each payment, in value-date order against one evolving ledger (policy rule 1):

1. **Wrong pocket.**  Text naming the sister company goes to review (``wrong_pocket``).
2. **Who paid.**  Known bank account, or the payer name as banks print it
   (``payer.py``); platforms paying on behalf are read through (``OBO``, ``*``).
3. **Which documents.**  The linked remittance's resolved lines (``linking.py``), else
   the references in the payment's text resolved within the payer's group, weak ones
   only when confirmed (``refs.py``, ``bank_text.py``).
4. **How much on each.**  By the policy (``allocation.py``): discounts, deductions,
   partial payments, credit memos, bank fees, overpayment on account.
5. **No reference at all.**  The amount must equal exactly one open item or one
   combination of the customer's (``amount_only.py``), or it is ``ambiguous``.

Anything not proven goes to review with the exception name (``unidentified``,
``ambiguous``, ``currency_mismatch``, ``duplicate``, ``wrong_pocket``) or a plain
reason, and the best proposal first among its suggestions.  Every decision carries its
evidence in words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from shared.domain import (
    Customer,
    Decision,
    ExceptionKind,
    OpenItem,
    Payment,
    Remittance,
    Suggestion,
)
from shared.matching.allocation import BANK_FEE_LIMIT, Claim, Plan, Refusal, allocate
from shared.matching.amount_only import AmountMatch, match_amount
from shared.matching.bank_text import BankText, mentions_sister_company, read_bank_text
from shared.matching.ledger_state import LedgerState
from shared.matching.linking import Link, link_remittances
from shared.matching.payer import PayerDirectory, PayerMatch
from shared.matching.refs import ReferenceIndex, RefMatch
from shared.matching.suggest import (
    MAX_SUGGESTIONS,
    repaired_readings,
    suggest,
    unclaimed_advices,
)
from shared.money import ZERO
from shared.runtime import gc_paused
from shared.settings import MatchingSettings

__all__ = ["AWAITING_REMITTANCE", "MatchingPolicy", "awaits_remittance", "decide_batch"]

# Reason prefix of review decisions that a remittance advice still to come may settle.
AWAITING_REMITTANCE = "awaiting the remittance advice"


def awaits_remittance(decision: Decision) -> bool:
    """True for a review that the payment's remittance, once it arrives, may settle."""
    return (decision.reason or "").startswith(AWAITING_REMITTANCE)

log = logging.getLogger(__name__)
# Printed like one of our document numbers or a creditor reference (RF...).
_DOC_LIKE = re.compile(r"^(?:[A-Z]{0,6}[-./ ]?20\d{2}[-./ ]?[0-9O]{5,7}|RF\d{2}.*)$")
# The remittance reader's problems about the printed total (bots/remittance_reader).
_TOTAL_PROBLEMS = ("lines add up to", "no printed total")


@dataclass(frozen=True)
class MatchingPolicy:
    """The business's own facts the matcher needs (defaults: the benchmark's seller)."""

    sister_companies: tuple[str, ...] = ("Northwind Logistics GmbH", "NW Logistics")
    # The largest unexplained shortfall booked as a bank fee (rule 7).
    bank_fee_limit: Decimal = BANK_FEE_LIMIT

    @classmethod
    def from_settings(cls, settings: MatchingSettings) -> MatchingPolicy:
        """The policy with the operator's settings (``O2C_MATCHING__BANK_FEE_MAX``)."""
        return cls(bank_fee_limit=settings.bank_fee_max)


@dataclass
class _Context:
    directory: PayerDirectory
    refs: ReferenceIndex
    ledger: LedgerState
    policy: MatchingPolicy
    texts: dict[str, BankText] = field(default_factory=dict)
    # Documents named by earlier payments of the batch that went to review: a later
    # payment naming them may pay them twice, so it is not posted on its own.
    named_in_review: dict[str, str] = field(default_factory=dict)
    refs_in_text: dict[str, list[tuple[str, RefMatch]]] = field(default_factory=dict)
    unresolved_in_text: dict[str, list[str]] = field(default_factory=dict)
    payers: dict[str, PayerMatch | None] = field(default_factory=dict)
    # Advices no payment of the batch links to, by the customers they may be from.
    unlinked: dict[str, list[Remittance]] = field(default_factory=dict)

    def text(self, payment: Payment) -> BankText:
        if payment.payment_id not in self.texts:
            self.texts[payment.payment_id] = read_bank_text(payment.text)
        return self.texts[payment.payment_id]

    def payer(self, payment: Payment) -> PayerMatch | None:
        if payment.payment_id not in self.payers:
            self.payers[payment.payment_id] = self.directory.identify(payment)
        return self.payers[payment.payment_id]

    def group(self, payment: Payment) -> set[str]:
        payer = self.payer(payment)
        return self.refs.group_of([payer.customer.customer_id]) if payer else set()

    def text_refs(self, payment: Payment) -> list[tuple[str, RefMatch]]:
        """Our documents the payment's text names, each once, in text order."""
        if payment.payment_id not in self.refs_in_text:
            group = self.group(payment)
            found: list[tuple[str, RefMatch]] = []
            unresolved: list[str] = []
            for token in self.text(payment).tokens:
                match = self.refs.resolve(token, customer_ids=group, amounts=[payment.amount])
                if match is None:
                    if _DOC_LIKE.match(token):
                        unresolved.append(token)
                elif all(m.doc_no != match.doc_no for _, m in found):
                    found.append((token, match))
            # A token is only "unresolved" if no other spelling of it resolved.
            digits = {re.sub(r"\D", "", m.doc_no) for _, m in found}
            self.unresolved_in_text[payment.payment_id] = [
                t for t in unresolved if re.sub(r"\D", "", t)[-9:] not in
                {d[-9:] for d in digits}]
            self.refs_in_text[payment.payment_id] = found
        return self.refs_in_text[payment.payment_id]


def decide_batch(
    payments: Sequence[Payment],
    *,
    customers: Iterable[Customer],
    open_items: Iterable[OpenItem],
    remittances: Iterable[Remittance] = (),
    policy: MatchingPolicy = MatchingPolicy(),
    links_out: dict[str, list[str]] | None = None,
) -> list[Decision]:
    """Decide every payment, in value-date order, against one evolving ledger.

    ``links_out``, when given, receives for each payment the ids of the remittances
    linked to it (the advice and its repeated sends), so the caller can store the link.
    """
    with gc_paused():
        return _decide_all(payments, customers, open_items, remittances, policy, links_out)


def _decide_all(payments: Sequence[Payment], customers: Iterable[Customer],
                open_items: Iterable[OpenItem], remittances: Iterable[Remittance],
                policy: MatchingPolicy, links_out: dict[str, list[str]] | None,
                ) -> list[Decision]:
    customers = list(customers)
    items = list(open_items)
    remittances = list(remittances)
    ledger = LedgerState(items)
    ctx = _Context(PayerDirectory(customers), ReferenceIndex(ledger.items, customers),
                   ledger, policy)
    ordered = sorted(payments, key=lambda p: (p.value_date, p.payment_id))
    owners = {r.remittance_id: _owners(r, ctx) for r in remittances}
    links = link_remittances(
        ordered, remittances,
        group_of_payer=ctx.group,
        text_tokens=lambda p: ctx.text(p).tokens,
        docs_in_text=lambda p: {m.doc_no for _, m in ctx.text_refs(p)},
        owners_of=lambda r: owners[r.remittance_id],
        fee_limit=policy.bank_fee_limit,
    )
    linked = {r.remittance_id for link in links.values() for r in link.copies}
    for remittance in remittances:
        if remittance.remittance_id not in linked and remittance.lines:
            for owner in owners[remittance.remittance_id]:
                ctx.unlinked.setdefault(owner, []).append(remittance)
    if links_out is not None:
        for payment_id, link in links.items():
            links_out[payment_id] = [r.remittance_id for r in link.copies]
    decisions = []
    for payment in ordered:
        try:
            decision = _decide(payment, links.get(payment.payment_id), ctx)
        except Exception as exc:  # one payment must not stop the batch
            log.exception("payment %s could not be decided", payment.payment_id)
            decision = Decision.review(payment, reason=f"the matcher failed on this payment: "
                                       f"{type(exc).__name__}", evidence=(str(exc)[:500],))
        if decision.kind == "auto":
            ctx.ledger.apply(decision)
        elif decision.exception is None:
            for doc in _named_docs(payment, links.get(payment.payment_id), ctx):
                ctx.named_in_review.setdefault(doc, payment.payment_id)
        decisions.append(decision)
    return decisions


def _named_docs(payment: Payment, link: Link | None, ctx: _Context) -> set[str]:
    if link is not None:
        return {x.doc_no for x in link.remittance.lines if x.doc_no}
    return {m.doc_no for _, m in ctx.text_refs(payment) if m.strong}


def _owners(remittance: Remittance, ctx: _Context) -> set[str]:
    owners = {ctx.refs.items[x.doc_no].customer_id for x in remittance.lines
              if x.doc_no and x.doc_no in ctx.refs.items}
    if remittance.customer_id:
        owners.add(remittance.customer_id)
    return ctx.refs.group_of(owners) if owners else set()


def _decide(payment: Payment, link: Link | None, ctx: _Context) -> Decision:
    sister = mentions_sister_company([payment.text, payment.payer_name],
                                     ctx.policy.sister_companies)
    if sister is not None:
        return Decision.review(payment, exception=ExceptionKind.WRONG_POCKET, evidence=(
            f"the payment's text names {sister}, our sister company",))
    payer = ctx.payer(payment)
    evidence = [payer.evidence] if payer else [
        f"payer {payment.payer_name or '(no name)'!r} is not a known customer"]
    if link is not None:
        evidence.append(f"remittance {link.remittance.source}: {link.evidence}")
        return _from_remittance(payment, link.remittance, payer, evidence, ctx)
    found = ctx.text_refs(payment)
    if found:
        claims = [Claim(doc_no=m.doc_no, printed=token) for token, m in found]
        weak = [token for token, m in found if not m.strong]
        evidence.append("the payment's text names " + ", ".join(
            f"{m.doc_no} (as {token!r}, {m.kind})" for token, m in found))
        return _from_claims(payment, claims, payer, evidence, ctx, weak=weak, from_text=True)
    if payer is None:
        look_alikes = ctx.directory.look_alikes(payment.payer_name or "",
                                                currency=payment.currency)
        if look_alikes:
            evidence.append("the payer name is like " + ", ".join(
                f"{c.name} ({c.customer_id})" for _, c in look_alikes))
        advices = _unlinked_advices(
            payment, ctx.refs.group_of(c.customer_id for _, c in look_alikes), ctx)
        return Decision.review(payment, exception=ExceptionKind.UNIDENTIFIED,
                               suggestions=advices[:MAX_SUGGESTIONS], evidence=(
            *evidence, "no reference to our documents in the payment, and no remittance"))
    return _amount_only(payment, payer, evidence, ctx)


def _from_remittance(payment: Payment, remittance: Remittance, payer: PayerMatch | None,
                     evidence: list[str], ctx: _Context) -> Decision:
    claims = [Claim.from_line(line) for line in remittance.lines
              if line.doc_no and line.doc_no in ctx.ledger.items]
    missing = [line.ref_as_printed for line in remittance.lines
               if not line.doc_no or line.doc_no not in ctx.ledger.items]
    blocker = None
    lines_paid = sum((c.paid or ZERO for c in claims), ZERO)
    totals_only = (remittance.problem or "").startswith(_TOTAL_PROBLEMS)
    if remittance.problem and not (totals_only and lines_paid == payment.amount
                                   and not missing):
        # (Lines that add up to the payment itself outweigh a misread printed total.)
        blocker = f"the remittance cannot be trusted as read: {remittance.problem}"
    elif missing:
        blocker = f"remittance references not found in the ledger: {', '.join(missing)}"
    elif not claims:
        blocker = "the remittance has no lines"
    repairs = (repaired_readings(payment, remittance, ctx.ledger, ctx.text(payment),
                                 fee_limit=ctx.policy.bank_fee_limit)
               if remittance.problem and claims else [])
    return _from_claims(payment, claims, payer, evidence, ctx, blocker=blocker,
                        repairs=repairs)


def _from_claims(payment: Payment, claims: list[Claim], payer: PayerMatch | None,
                 evidence: list[str], ctx: _Context, *, weak: Sequence[str] = (),
                 blocker: str | None = None, from_text: bool = False,
                 repairs: Sequence[Plan] = ()) -> Decision:
    owners = {ctx.ledger.items[c.doc_no].customer_id for c in claims}
    customer_id = _paying_customer(owners, payer, ctx)
    try:
        plan = allocate(payment, claims, ctx.ledger, ctx.text(payment),
                        fee_limit=ctx.policy.bank_fee_limit) if claims else None
    except Refusal as refused:
        return _refused(payment, refused, customer_id, evidence, ctx, repairs)
    reasons = []
    if blocker:
        reasons.append(blocker)
    if customer_id is None:
        reasons.append("the documents belong to customers that are not one group: "
                       + ", ".join(sorted(owners)))
    elif (payer is not None and payer.by_account
          and payer.customer.customer_id not in ctx.refs.group_of(owners)):
        # A known account outweighs the documents; a name (customers share names) not.
        reasons.append(f"the payer is {payer.customer.customer_id} ({payer.evidence}) but the "
                       f"documents belong to {', '.join(sorted(owners))}")
    if plan is not None and weak and plan.applied != payment.amount:
        reasons.append(f"references {', '.join(weak)} are uncertain and the amounts do not "
                       "match exactly")
    if plan is not None and from_text and payer is None and plan.applied != payment.amount:
        reasons.append("the payer is not identified and the documents the text names do not "
                       "account for the whole payment")
    unresolved = ctx.unresolved_in_text.get(payment.payment_id, []) if from_text else []
    if plan is not None and unresolved and plan.applied != payment.amount:
        reasons.append(f"the bank text also names {', '.join(unresolved)}, which is not one of "
                       "our open documents, and the rest of the payment is not explained")
    if (plan is not None and from_text and ctx.text(payment).more_documents
            and plan.applied != payment.amount):
        reasons.append(f"{AWAITING_REMITTANCE}: the bank text names only some of the "
                       "documents paid and the rest is not explained")
    earlier = sorted({ctx.named_in_review[c.doc_no] for c in claims
                      if c.doc_no in ctx.named_in_review})
    if earlier:
        reasons.append(f"possible duplicate: earlier payment {', '.join(earlier)} (in review) "
                       "names the same documents")
    if reasons or plan is None:
        suggestions = _suggestions(payment, plan, customer_id, ctx, repairs)
        return Decision.review(payment, reason="; ".join(reasons) or "nothing to apply",
                               customer_id=customer_id, suggestions=suggestions,
                               evidence=(*evidence, *(plan.evidence if plan else ())))
    return Decision.auto(payment, applications=plan.applications, adjustments=plan.adjustments,
                         customer_id=customer_id, confidence=0.9 if weak else 0.98,
                         evidence=(*evidence, *plan.evidence))


def _paying_customer(owners: set[str], payer: PayerMatch | None, ctx: _Context) -> str | None:
    """The customer that pays these documents: the payer's group, or one parent."""
    if payer is not None and (payer.by_account or owners <= ctx.refs.group_of(
            [payer.customer.customer_id])):
        return payer.customer.customer_id
    if len(owners) == 1:
        return next(iter(owners))
    parents = {ctx.directory.customers[o].parent_id or o for o in owners
               if o in ctx.directory.customers}
    return next(iter(parents)) if len(parents) == 1 else None


def _suggestions(payment: Payment, plan: Plan | None, customer_id: str | None,
                 ctx: _Context, repairs: Sequence[Plan] = ()) -> list[Suggestion]:
    """Proposals for the reviewer, from the customer's open items (``suggest.py``)."""
    candidates = (ctx.ledger.open_items_of(ctx.refs.group_of([customer_id]))
                  if customer_id is not None else [])
    return suggest(payment, plan, candidates, ctx.ledger, repairs=repairs,
                   fee_limit=ctx.policy.bank_fee_limit)


def _refused(payment: Payment, refused: Refusal, customer_id: str | None,
             evidence: list[str], ctx: _Context, repairs: Sequence[Plan] = ()) -> Decision:
    suggestions = []
    if refused.exception is None:
        suggestions = _suggestions(payment, refused.plan, customer_id, ctx, repairs)
    return Decision.review(payment, reason=refused.reason, exception=refused.exception,
                           customer_id=customer_id, suggestions=suggestions,
                           evidence=(*evidence, refused.reason))


def _amount_only(payment: Payment, payer: PayerMatch, evidence: list[str],
                 ctx: _Context) -> Decision:
    cid = payer.customer.customer_id
    own = ctx.ledger.open_items_of([cid])
    in_currency = [i for i in own if i.currency == payment.currency]
    if own and not in_currency:
        return Decision.review(payment, exception=ExceptionKind.CURRENCY_MISMATCH,
                               customer_id=cid, evidence=(
                                   *evidence, f"the payment is in {payment.currency}; "
                                   f"{cid}'s open items are not"))
    matches = match_amount(payment.amount, in_currency, ctx.ledger.remaining,
                           payment.value_date)
    if not matches:
        group = [i for i in ctx.ledger.open_items_of(ctx.refs.group_of([cid]) - {cid})
                 if i.currency == payment.currency]
        matches = match_amount(payment.amount, group, ctx.ledger.remaining, payment.value_date)
    evidence = [*evidence, "no reference to our documents: matched on the amount alone"]
    if len(matches) == 1:
        plan = _amount_plan(payment, matches[0], ctx)
        return Decision.auto(payment, applications=plan.applications,
                             adjustments=plan.adjustments, customer_id=cid, confidence=0.9,
                             evidence=(*evidence, *plan.evidence))
    suggestions: list[Suggestion] = [
        s for m in matches if (s := _amount_plan(payment, m, ctx).suggestion(payment, 0.4))]
    if matches:
        return Decision.review(payment, exception=ExceptionKind.AMBIGUOUS, customer_id=cid,
                               suggestions=suggestions, evidence=(
                                   *evidence, f"{len(matches)} different sets of open items "
                                   "equal the amount: " + "; ".join(m.describe() for m in matches)))
    reason = "no reference, and no open item or combination of open items equals the amount"
    if ctx.text(payment).more_documents:  # "REMITTANCE ADVICE SENT BY EMAIL", "SEE EMAIL"
        reason = f"{AWAITING_REMITTANCE}: {reason}"
    suggestions = [*_unlinked_advices(payment, ctx.refs.group_of([cid]), ctx),
                   *_suggestions(payment, None, cid, ctx)]
    return Decision.review(payment, reason=reason, customer_id=cid,
                           suggestions=suggestions[:MAX_SUGGESTIONS], evidence=evidence)


def _unlinked_advices(payment: Payment, customer_ids: set[str],
                      ctx: _Context) -> list[Suggestion]:
    advices = [r for cid in sorted(customer_ids) for r in ctx.unlinked.get(cid, [])]
    return unclaimed_advices(payment, advices, ctx.ledger,
                             fee_limit=ctx.policy.bank_fee_limit)


def _amount_plan(payment: Payment, match: AmountMatch, ctx: _Context) -> Plan:
    claims = []
    for item, discounted in zip(match.items, match.discounted, strict=True):
        remaining = ctx.ledger.remaining[item.doc_no]
        discount = item.discount_amount if discounted and item.discount_amount else ZERO
        claims.append(Claim(doc_no=item.doc_no, printed="(amount)", paid=remaining - discount,
                            discount=discount))
    plan = allocate(payment, claims, ctx.ledger, BankText(),
                    fee_limit=ctx.policy.bank_fee_limit)
    plan.evidence.append(f"the amount equals exactly {match.describe()}")
    return plan
