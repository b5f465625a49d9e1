"""Which remittance belongs to which payment.

Advices and money arrive separately, in either order, from different channels.  A
remittance links to a payment on evidence, strongest first:

1. the payer's payment number printed on the advice appears in the payment's text
   (``PAYMENT 62144``);
2. a document on the advice is named in the payment's text;
3. the advice's total equals the payment and its customer is the payer's group;
4. the advice's total exceeds the payment by a bank fee (up to 25.00) and its
   customer is the payer's group; or the payer is unknown and this advice is the only
   one whose total equals the payment.

Repeated sends of one advice (same documents, same total) link together.  Each advice
links to at most one payment; a payment keeps the best advice.  Advices whose lines do
not add up (``problem``) still link, so the payment is not matched on amount alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from shared.domain import Payment, Remittance
from shared.matching.allocation import BANK_FEE_LIMIT

__all__ = ["Link", "link_remittances"]

_NON_ALNUM = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True)
class Link:
    """A remittance (and its repeated sends) linked to a payment, and why."""

    remittance: Remittance
    copies: tuple[Remittance, ...]
    evidence: str


def _norm(text: str) -> str:
    return _NON_ALNUM.sub("", text.upper())


def _consistent(named: set[str], remittance: Remittance) -> bool:
    """No link on amount alone when the text names documents the advice does not list."""
    return not named or bool(named & {x.doc_no for x in remittance.lines if x.doc_no})


def _signature(remittance: Remittance) -> tuple[object, ...]:
    return (remittance.total, tuple(sorted((x.doc_no or x.ref_as_printed, x.paid)
                                             for x in remittance.lines)))


def link_remittances(
    payments: Sequence[Payment],
    remittances: Iterable[Remittance],
    *,
    group_of_payer: Callable[[Payment], set[str]],
    text_tokens: Callable[[Payment], list[str]],
    docs_in_text: Callable[[Payment], set[str]],
    owners_of: Callable[[Remittance], set[str]],
    fee_limit: Decimal = BANK_FEE_LIMIT,
) -> dict[str, Link]:
    """Link each payment to its remittance (see the module docstring for the evidence).

    ``group_of_payer`` gives the customers a payment may come from (empty when the payer
    is unknown), ``text_tokens`` the tokens of its text, ``docs_in_text`` our documents
    its text names, ``owners_of`` the customers a remittance is from (its sender, its
    documents' owners).  Indexed: no payment is compared with every remittance.
    """
    copies: dict[tuple[object, ...], list[Remittance]] = {}
    for remittance in remittances:
        copies.setdefault(_signature(remittance), []).append(remittance)
    unique = [group[0] for group in copies.values()]
    by_id: dict[str, list[Remittance]] = defaultdict(list)
    by_ref: dict[str, list[Remittance]] = defaultdict(list)
    by_doc: dict[str, list[Remittance]] = defaultdict(list)
    by_owner: dict[str, list[Remittance]] = defaultdict(list)
    by_total: dict[Decimal, list[Remittance]] = defaultdict(list)
    for remittance in unique:
        if remittance.payment_id:
            by_id[remittance.payment_id].append(remittance)
        if (ref := _norm(remittance.payment_ref or "")) and len(ref) >= 4:
            by_ref[ref].append(remittance)
        for line in remittance.lines:
            if line.doc_no:
                by_doc[line.doc_no].append(remittance)
        for owner in owners_of(remittance):
            by_owner[owner].append(remittance)
        by_total[remittance.total].append(remittance)

    scored: list[tuple[int, int, str, Remittance, str]] = []
    for p_index, payment in enumerate(payments):
        pid = payment.payment_id
        named = docs_in_text(payment)

        def add(score: int, remittance: Remittance, why: str) -> None:
            scored.append((score, p_index, pid, remittance, why))  # noqa: B023

        for remittance in by_id.get(pid, []):
            add(5, remittance, "linked before")
        for token in {_norm(t) for t in text_tokens(payment)}:
            for remittance in by_ref.get(token, []):
                add(4, remittance, "the payment's text quotes the advice's payment number "
                    f"{remittance.payment_ref}")
        for doc in sorted(named):
            for remittance in by_doc.get(doc, []):
                add(3, remittance, f"the payment's text names {doc}, which the advice lists")
        group = group_of_payer(payment)

        if (not group and len(same := by_total.get(payment.amount, [])) == 1
                and _consistent(named, same[0])):
            # Payer unknown (a platform's name, say): an advice with exactly this total, the
            # only one, is the payment's; its documents still have to check out.
            add(1, same[0], f"the advice's total {payment.amount} equals the payment; no "
                "other advice has that total")
        for owner in sorted(group):
            for remittance in by_owner.get(owner, []):
                if not _consistent(named, remittance):
                    continue
                total = remittance.total
                if total == payment.amount:
                    add(2, remittance, f"the advice's total {total} equals the payment, "
                        "same customer")
                elif Decimal(0) < total - payment.amount <= fee_limit:
                    add(1, remittance, f"the advice's total {total} is the payment plus "
                        "a bank fee")
    links: dict[str, Link] = {}
    used: set[str] = set()
    for _score, _index, payment_id, remittance, evidence in sorted(
            scored, key=lambda s: (-s[0], s[1])):
        if payment_id in links or remittance.remittance_id in used:
            continue
        used.add(remittance.remittance_id)
        links[payment_id] = Link(remittance, tuple(copies[_signature(remittance)]), evidence)
    return links
