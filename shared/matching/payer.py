"""Who paid: the customer behind a bank entry's payer name and account.

A known bank account decides on its own.  Otherwise names are compared after the
normalisation banks force on them (upper case, ``&``/``AND``, legal suffixes dropped,
truncation), with rapidfuzz; a name match must be clearly better than the runner-up,
or the payer stays unknown rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from shared.domain import Customer, Payment

__all__ = ["PayerDirectory", "PayerMatch"]

_SUFFIXES = re.compile(
    r"\b(INC|INCORPORATED|CORP|CORPORATION|CO|COMPANY|LLC|LTD|LIMITED|GMBH|AG|KG|SA|SAS|"
    r"SRL|BV|NV|PLC|KK|AB|AS|OY|PTY|PTE|LLP|LP)\b"
)
_NAME_THRESHOLD = 90.0
_MARGIN = 5.0
# Payment platforms print their own name first: "BILL.COM PAYABLES OBO ACME CORP",
# "PAYONEER*ACME", "ACME VIA TIPALTI".  The customer is the part after the marker.
_ON_BEHALF = re.compile(r"\b(?:OBO|O/B/O|ON BEHALF OF|FBO|FOR ACCOUNT OF)\b\s*(.+)$", re.I)
_PLATFORM_STAR = re.compile(r"^[A-Z0-9.\- ]{3,20}\*\s*(.+)$", re.I)


def customer_part(printed: str) -> str:
    """The customer's name in a payer name that a payment platform printed."""
    for pattern in (_ON_BEHALF, _PLATFORM_STAR):
        if (match := pattern.search(printed.strip())) is not None:
            return match.group(1)
    return printed


def normalise_name(name: str, *, keep_suffix: bool = False) -> str:
    """Upper case ASCII words, ``&`` as AND, ``N.V.`` as NV; legal suffixes dropped."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = plain.upper().replace("&", " AND ")
    text = re.sub(r"\b([A-Z])\.(?=[A-Z]\b)", r"\1", text)  # N.V. -> NV.
    text = re.sub(r"[^A-Z0-9 ]+", " ", text)
    if not keep_suffix:
        text = _SUFFIXES.sub(" ", text)
    return " ".join(text.split())


def _accounts(identifiers: Iterable[str]) -> set[str]:
    """Account numbers of ``ABA:../ACCT:..``, ``IBAN:..``, ``ACHID:..`` identifiers."""
    found = set()
    for ident in identifiers:
        for part in ident.split("/"):
            _, _, value = part.partition(":")
            if part.startswith(("ACCT:", "IBAN:", "ACHID:")) and value:
                found.add(value.replace(" ", "").upper())
    return found


@dataclass(frozen=True)
class PayerMatch:
    """Who paid, how sure (``score`` in [0, 1]) and why; ``by_account`` for a known account."""

    customer: Customer
    score: float
    evidence: str
    by_account: bool = False


class PayerDirectory:
    """Customers indexed by account and by normalised name."""

    def __init__(self, customers: Iterable[Customer]) -> None:
        self.customers = {c.customer_id: c for c in customers}
        self._by_account: dict[str, list[Customer]] = {}
        self._names: list[tuple[str, Customer]] = []
        self._exact: dict[str, list[Customer]] = {}
        self._by_start: dict[str, list[tuple[str, Customer]]] = {}
        self._look_alikes_of: dict[tuple[str, str | None], list[tuple[float, Customer]]] = {}
        for c in self.customers.values():
            for account in _accounts(c.bank_accounts):
                self._by_account.setdefault(account, []).append(c)
            for name in c.names:
                if normalised := normalise_name(name):
                    self._names.append((normalised, c))
                    self._exact.setdefault(normalised, []).append(c)
                    self._by_start.setdefault(normalised[:3], []).append((normalised, c))

    def _block(self, name: str) -> list[tuple[str, Customer]]:
        """Known names that may match ``name``: those starting alike (banks keep the start)."""
        return self._by_start.get(name[:3], [])

    def group_of(self, customer_id: str) -> set[str]:
        """The customer and every subsidiary whose invoices it may pay."""
        return {customer_id} | {
            c.customer_id for c in self.customers.values() if c.parent_id == customer_id
        }

    def identify(self, payment: Payment) -> PayerMatch | None:
        """The paying customer, or ``None`` when the evidence is not clear."""
        account = (payment.payer_account or "").replace(" ", "").upper()
        owners = self._by_account.get(account, []) if account else []
        if len(owners) == 1:
            return PayerMatch(owners[0], 1.0, f"payer account {account} is on file",
                              by_account=True)
        return self.identify_name(payment.payer_name or "", currency=payment.currency)

    def identify_name(self, printed: str, *, currency: str | None = None) -> PayerMatch | None:
        """The customer a printed payer name belongs to, when it is clearly one.

        Equal names are told apart by their legal suffix as printed (``LTD``/``INC``),
        then by the payment's currency; a fuzzy match must beat the runner-up clearly.
        A platform's own name in front (``AVIDXCHANGE INC ACME PACKAGING``) is skipped.
        """
        found = self.look_alikes(printed, currency=currency)
        if len(found) != 1:
            return None
        score, customer = found[0]
        if score >= 100:
            return PayerMatch(customer, 1.0, f"payer name {printed!r} is {customer.name!r}")
        return PayerMatch(customer, min(score / 100, 0.99),
                          f"payer name {printed!r} matches {customer.name!r}")

    def look_alikes(self, printed: str, *,
                    currency: str | None = None) -> list[tuple[float, Customer]]:
        """The customers a printed payer name may be, with the name score (100: equal).

        One when the name is clear; several when look-alikes cannot be told apart (the
        reviewer's candidates); none when nothing is close.
        """
        key = (printed, currency)
        if (known := self._look_alikes_of.get(key)) is not None:
            return known  # a payer's name recurs on each of its payments
        words = customer_part(printed).split()
        several: list[tuple[float, Customer]] = []
        for skip in range(min(3, max(len(words) - 1, 0)) + 1):
            found = self._look_alikes(" ".join(words[skip:]), currency)
            if len(found) == 1:
                break
            several = several or found
        else:
            found = several
        self._look_alikes_of[key] = found
        return found

    def _look_alikes(self, part: str, currency: str | None) -> list[tuple[float, Customer]]:
        name = normalise_name(part)
        if not name:
            return []
        if exact := self._exact.get(name, []):
            return [(100.0, c) for c in _narrowed(exact, part, currency)]
        best: dict[str, tuple[float, Customer]] = {}
        for known, customer in self._block(name):
            # Banks truncate names: compare the same-length prefixes as well.
            score = max(fuzz.token_sort_ratio(name, known), fuzz.ratio(name, known[: len(name)]),
                        fuzz.ratio(known, name[: len(known)])
                        if len(known) >= 0.7 * len(name) else 0.0)
            if score > best.get(customer.customer_id, (0.0, customer))[0]:
                best[customer.customer_id] = (score, customer)
        ranked = sorted(best.values(), key=lambda s: s[0], reverse=True)
        if not ranked or ranked[0][0] < _NAME_THRESHOLD:
            return []
        close = [c for score, c in ranked if ranked[0][0] - score < _MARGIN]
        return [(min(best[c.customer_id][0], 99.99), c)
                for c in _narrowed(close, part, currency)]


def _narrowed(candidates: list[Customer], printed: str, currency: str | None) -> list[Customer]:
    """Tell look-alike customers apart by the printed legal suffix, then by currency."""
    unique = list({c.customer_id: c for c in candidates}.values())
    if len(unique) > 1:
        full = normalise_name(printed, keep_suffix=True)
        same = [c for c in unique
                if any(normalise_name(n, keep_suffix=True) == full for n in c.names)]
        unique = same or unique
    if len(unique) > 1 and currency:
        unique = [c for c in unique if c.currency == currency] or unique
    return unique
