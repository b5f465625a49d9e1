"""The open-items ledger as it stands while a batch is decided.

Payments are decided in value-date order; every auto decision closes what it applies
(applications plus adjustments) so a later payment cannot apply the same money again,
and a later payment that names a document closed earlier in the batch is recognised
as a duplicate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from shared.domain import Decision, OpenItem

__all__ = ["LedgerState", "normalise_ref"]

_NON_ALNUM = re.compile(r"[^A-Z0-9]")


def normalise_ref(text: str) -> str:
    """``inv 2026-000451`` and ``INV2026000451`` both become ``INV2026000451``."""
    return _NON_ALNUM.sub("", text.upper())


class LedgerState:
    def __init__(self, items: Iterable[OpenItem]) -> None:
        self.items = {i.doc_no: i for i in items}
        self.remaining = {doc: i.open_amount for doc, i in self.items.items()}
        self.closed_in_batch: set[str] = set()
        self._by_ref = {normalise_ref(doc): doc for doc in self.items}
        self._by_customer: dict[str, list[str]] = {}
        for doc, item in self.items.items():
            self._by_customer.setdefault(item.customer_id, []).append(doc)

    def resolve(self, ref: str) -> str | None:
        """Our document number for a printed reference, if it is one exactly."""
        return self._by_ref.get(normalise_ref(ref))

    def open_items_of(self, customer_ids: Iterable[str]) -> list[OpenItem]:
        return [
            self.items[doc]
            for cid in sorted(customer_ids)
            for doc in self._by_customer.get(cid, [])
            if self.remaining[doc] != 0
        ]

    def is_open(self, doc_no: str) -> bool:
        return self.remaining.get(doc_no, Decimal(0)) != 0

    def apply(self, decision: Decision) -> None:
        """Close what an auto decision applies and adjusts."""
        for app in decision.applications:
            self.remaining[app.doc_no] -= app.amount
        for adj in decision.adjustments:
            self.remaining[adj.doc_no] -= adj.amount
        for doc in {a.doc_no for a in decision.applications}:
            if self.remaining[doc] == 0:
                self.closed_in_batch.add(doc)
