"""What the reader needs to know about the ledger to read a remittance well.

A printed reference is only "ours" once it is found in the open-items ledger, and a
sender is only a customer once found in the master data.  :class:`ReadingContext`
bundles both lookups so the channel-independent parts of reading (which column holds
our references, which customer sent the advice, which document a line means) use the
same facts as the matcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bots.remittance_reader.extract.tables import looks_like_doc_no
from shared.domain import Customer, OpenItem
from shared.matching.payer import PayerDirectory
from shared.matching.refs import ReferenceIndex

__all__ = ["ReadingContext"]

_AMOUNT_LIKE = re.compile(r"\d[.,]\d{2}(?:\s?(?:CR|-|[$€£]|[A-Z]{3}))?\)?$|^[$€£(]")


@dataclass
class ReadingContext:
    """Customer master and open items, indexed for reading."""

    customers: list[Customer]
    refs: ReferenceIndex
    payers: PayerDirectory = field(init=False)
    _by_email: dict[str, set[str]] = field(init=False, default_factory=dict)
    _by_domain: dict[str, set[str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.payers = PayerDirectory(self.customers)
        for customer in self.customers:
            for address in customer.remit_emails:
                address = address.strip().lower()
                self._by_email.setdefault(address, set()).add(customer.customer_id)
                domain = address.rpartition("@")[2]
                self._by_domain.setdefault(domain, set()).add(customer.customer_id)

    @classmethod
    def build(cls, customers: Iterable[Customer], items: Iterable[OpenItem]) -> ReadingContext:
        customers = list(customers)
        return cls(customers, ReferenceIndex(items, customers))

    @classmethod
    def empty(cls) -> ReadingContext:
        """No ledger: references are recognised by their printed shape only."""
        return cls.build([], [])

    def looks_like_ref(self, text: str) -> bool:
        """True when ``text`` may be one of our documents (any spelling).

        Amounts (``93.02``) are never references, however their digits read.
        """
        text = text.strip()
        if not text or len(text) > 40 or _AMOUNT_LIKE.search(text):
            return False
        return looks_like_doc_no(text) or bool(self.refs.candidates(text))

    def customers_for_sender(self, address: str, payer_name: str | None) -> set[str]:
        """Customers an advice comes from, by its sender address or its printed payer."""
        address = address.strip().lower()
        if found := self._by_email.get(address):
            return set(found)
        if payer_name and (match := self.payers.identify_name(payer_name)) is not None:
            return {match.customer.customer_id}
        owners = self._by_domain.get(address.rpartition("@")[2], set())
        return set(owners) if len(owners) == 1 else set()
