"""The open-items ledger as it stands while a batch is decided.

Payments are decided in value-date order; every auto decision closes what it applies
(applications plus adjustments) so a later payment cannot apply the same money again,
and a later payment that names a document closed earlier in the batch is recognised
as a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from shared.domain import Decision, OpenItem

__all__ = ["LedgerState"]


class LedgerState:
    def __init__(self, items: Iterable[OpenItem]) -> None:
        self.items = {i.doc_no: i for i in items}
        self.remaining = {doc: i.open_amount for doc, i in self.items.items()}
        self.closed_in_batch: set[str] = set()
        self._by_customer: dict[str, list[str]] = {}
        for doc, item in self.items.items():
            self._by_customer.setdefault(item.customer_id, []).append(doc)

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
