"""Payments without a usable reference: match the amount, exactly, or not at all.

Policy rule 11: a payment from an identified customer with no usable reference may be
applied automatically only when its amount equals exactly one open item, or exactly one
combination of the customer's open items (open amounts, or discount-net amounts where
the discount is valid on the value date).  Two or more matches are the exception
``ambiguous``.  A tolerance is never used.

The search is bounded and indexed, not all-pairs over the ledger: singles by a dict
lookup, pairs by one pass with a dict of amounts, triples and quadruples through a dict
of pair sums, and only over the customer's own open items in the payment's currency.
Customers with more open items than ``MAX_ITEMS_FOR_TRIPLES`` are searched up to pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.domain import OpenItem
from shared.matching.allocation import discount_valid

__all__ = ["MAX_ITEMS_FOR_TRIPLES", "AmountMatch", "match_amount"]

MAX_ITEMS_FOR_TRIPLES = 300
MAX_MATCHES = 6  # enough to call it ambiguous and show a few to the reviewer


@dataclass(frozen=True)
class AmountMatch:
    """One set of open items whose amounts add up to the payment."""

    items: tuple[OpenItem, ...]
    discounted: tuple[bool, ...]  # per item: the discount-net amount was used

    def describe(self) -> str:
        return " + ".join(
            f"{i.doc_no} ({'net of discount' if d else 'open'})"
            for i, d in zip(self.items, self.discounted, strict=True))


def _candidates(items: Sequence[OpenItem], remaining: dict[str, Decimal],
                value_date: date) -> list[tuple[Decimal, OpenItem, bool]]:
    out = []
    for item in items:
        open_amount = remaining[item.doc_no]
        if open_amount == 0:
            continue  # credit memos (negative) take part: A + CM may equal B
        out.append((open_amount, item, False))
        if discount_valid(item, value_date) and open_amount == item.open_amount:
            out.append((open_amount - (item.discount_amount or 0), item, True))
    return out


def match_amount(amount: Decimal, items: Sequence[OpenItem], remaining: dict[str, Decimal],
                 value_date: date, *,
                 max_items_for_triples: int = MAX_ITEMS_FOR_TRIPLES) -> list[AmountMatch]:
    """Every distinct set of one to four of ``items`` equal to ``amount`` (bounded: with
    more than ``max_items_for_triples`` items, singles and pairs only)."""
    cands = _candidates(items, remaining, value_date)
    found: dict[frozenset[tuple[str, bool]], AmountMatch] = {}

    def add(parts: Sequence[tuple[Decimal, OpenItem, bool]]) -> None:
        docs = frozenset(p[1].doc_no for p in parts)
        key = frozenset((p[1].doc_no, p[2]) for p in parts)  # which one is discount-net
        if len(docs) == len(parts) and key not in found:
            found[key] = AmountMatch(tuple(p[1] for p in parts), tuple(p[2] for p in parts))

    by_amount: dict[Decimal, list[int]] = defaultdict(list)
    for n, cand in enumerate(cands):
        by_amount[cand[0]].append(n)
    for n in by_amount.get(amount, []):
        add([cands[n]])
    for n, cand in enumerate(cands):
        for m in by_amount.get(amount - cand[0], []):
            if m > n:
                add([cand, cands[m]])
        if len(found) >= MAX_MATCHES:
            return list(found.values())
    if len(items) > max_items_for_triples:
        return list(found.values())
    # Triples and quadruples through a dict of pair sums (i < j < k < l, no repeats).
    pairs: dict[Decimal, list[tuple[int, int]]] = defaultdict(list)
    for n in range(len(cands)):
        for m in range(n + 1, len(cands)):
            pairs[cands[n][0] + cands[m][0]].append((n, m))
    for n, first in enumerate(cands):
        for m, k in pairs.get(amount - first[0], []):
            if m > n:
                add([first, cands[m], cands[k]])
        if len(found) >= MAX_MATCHES:
            return list(found.values())
    for total, members in pairs.items():
        for n, m in members:
            for k, last in pairs.get(amount - total, []):
                if k > m:
                    add([cands[n], cands[m], cands[k], cands[last]])
            if len(found) >= MAX_MATCHES:
                return list(found.values())
    return list(found.values())
