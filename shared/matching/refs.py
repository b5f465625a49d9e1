"""From a reference as a customer printed it to our document number.

Customers quote our documents in many spellings: ``INV-2026-000451``,
``INV2026000451``, ``2026-000451``, ``NW2026000451``, just ``451``, their own PO
number, or with a typing or OCR slip (``INV-2025-000961`` for ``INV-2025-009061``).
:class:`ReferenceIndex` answers "which of our documents can this be?" with the
evidence of each candidate, and :meth:`ReferenceIndex.resolve` picks one only when
the evidence leaves a single candidate:

1. the same document number after normalisation (``exact``), or the same year and
   sequence digits with any prefix (``digits``);
2. the customer's purchase-order number (``po``);
3. the bare sequence number, ``451`` (``sequence``);
4. one typing or OCR slip in the digits (``typo``).

Weak kinds (``po``, ``sequence``, ``typo``) only count within the customers the
remittance is already known to come from, or when a printed amount confirms the
candidate; between several candidates the printed amount decides, or nothing is
resolved.  Refusing to resolve is always safe: the line stays unresolved and the
matcher sends the payment to review.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from rapidfuzz.distance import DamerauLevenshtein

from shared.domain import Customer, DocType, OpenItem

__all__ = ["RefKind", "RefMatch", "ReferenceIndex"]

RefKind = Literal["exact", "digits", "po", "sequence", "typo", "amount"]
STRONG: frozenset[RefKind] = frozenset({"exact", "digits"})

_NON_ALNUM = re.compile(r"[^A-Z0-9]")
_DOC_NO = re.compile(r"^(INV|CM|DM)-(\d{4})-(\d+)$")
_NORM_DOC_NO = re.compile(r"^(INV|CM|DM)(\d{4})(\d+)$")  # the same, normalised
# Letters OCR and hurried typists put where digits belong.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1",
                                   "Z": "2", "S": "5", "G": "6", "B": "8"})
_TYPE_HINTS: tuple[tuple[str, DocType], ...] = (
    ("CM", DocType.CREDIT_MEMO), ("CN", DocType.CREDIT_MEMO), ("GUT", DocType.CREDIT_MEMO),
    ("DM", DocType.DEBIT_MEMO), ("DN", DocType.DEBIT_MEMO),
)


@dataclass(frozen=True)
class RefMatch:
    """One candidate document for a printed reference, and why."""

    doc_no: str
    kind: RefKind
    customer_id: str

    @property
    def strong(self) -> bool:
        return self.kind in STRONG


def _norm(text: str) -> str:
    return _NON_ALNUM.sub("", text.upper())


def _type_hint(norm: str) -> DocType | None:
    letters = re.sub(r"\d", " ", norm).split()
    prefix = letters[0] if letters else ""
    for hint, doc_type in _TYPE_HINTS:
        if prefix.endswith(hint):
            return doc_type
    return None


class ReferenceIndex:
    """Our open documents indexed by every way customers refer to them."""

    def __init__(self, items: Iterable[OpenItem] | Mapping[str, OpenItem],
                 customers: Iterable[Customer] = ()) -> None:
        # A mapping is shared as it is (the engine's ledger already holds one).
        self.items = items if isinstance(items, Mapping) else {i.doc_no: i for i in items}
        self._exact: dict[str, str] = {}  # numbers not in our own format only
        self._digits: dict[str, list[str]] = defaultdict(list)
        self._po: dict[str, list[str]] = defaultdict(list)
        self._sequence: dict[str, list[str]] = defaultdict(list)  # without leading zeros
        # One pass over what may be a million documents: no regex substitution where
        # the text is already plain (our own numbers, most PO numbers).
        for doc_no, item in self.items.items():
            if parsed := _DOC_NO.match(doc_no):
                _prefix, year, sequence = parsed.groups()
                self._digits[year + sequence].append(doc_no)
                self._sequence[sequence.lstrip("0")].append(doc_no)
            else:
                self._exact[_norm(doc_no)] = doc_no
            if po := item.po_number:
                po = po.upper() if po.isascii() and po.isalnum() else _norm(po)
                if po:
                    self._po[po].append(doc_no)
        children: dict[str, set[str]] = defaultdict(set)
        self._parent: dict[str, str] = {}
        for customer in customers:
            if customer.parent_id:
                children[customer.parent_id].add(customer.customer_id)
                self._parent[customer.customer_id] = customer.parent_id
        self._children = dict(children)
        self._by_customer: dict[str, list[str]] | None = None
        self._by_amount: dict[Decimal, list[str]] | None = None

    # -- customers ---------------------------------------------------------------

    def group_of(self, customer_ids: Iterable[str]) -> set[str]:
        """The customers, their parents and their subsidiaries (who may pay for whom)."""
        group: set[str] = set()
        for cid in customer_ids:
            parent = self._parent.get(cid, cid)
            group |= {cid, parent} | self._children.get(cid, set()) | self._children.get(
                parent, set())
        return group

    # -- candidates --------------------------------------------------------------

    def candidates(self, ref: str) -> list[RefMatch]:
        """Every document ``ref`` may stand for, strongest evidence first."""
        norm = _norm(ref)
        if not norm:
            return []
        if (doc := self._exact_doc(norm)) is not None:
            return [self._match(doc, "exact")]
        found: list[RefMatch] = []
        digits = self._digit_part(norm)
        if digits and (docs := self._digits.get(digits)):
            hint = _type_hint(norm)
            typed = [d for d in docs if self.items[d].doc_type is hint] if hint else []
            found += [self._match(d, "digits") for d in (typed or docs)]
        if norm in self._po:
            found += [self._match(d, "po") for d in self._po[norm]]
        if norm.isdigit() and len(norm) <= 6:
            found += [self._match(d, "sequence") for d in self._sequence.get(norm.lstrip("0"), [])]
        return _unique(found)

    def resolve(
        self,
        ref: str,
        *,
        customer_ids: Collection[str] = (),
        amounts: Collection[Decimal] = (),
    ) -> RefMatch | None:
        """The one document ``ref`` stands for, or ``None`` when it is not clear.

        ``customer_ids`` are the customers the remittance is known to come from (their
        groups are searched); ``amounts`` are the amounts printed on the line (gross,
        paid, gross less discount), used to confirm weak evidence and to choose.
        """
        group = self.group_of(customer_ids) if customer_ids else set()
        found = self.candidates(ref) or self._typos(ref, group, amounts)
        if not found:
            return None
        if group:
            inside = [m for m in found if m.customer_id in group]
            found = inside or [m for m in found if m.strong]
        confirmed = [m for m in found if self._amount_fits(m.doc_no, amounts)]
        for pool in (found, confirmed):
            if len(pool) == 1 and (pool[0].strong or group or pool is confirmed):
                return pool[0]
        strong = [m for m in confirmed if m.strong]
        return strong[0] if len(strong) == 1 else None

    def fits(self, doc_no: str, amounts: Collection[Decimal]) -> bool:
        """True when one of ``amounts`` is the document's amount, open or discount-net."""
        return self._amount_fits(doc_no, amounts)

    def nearest(self, ref: str, *, customer_ids: Collection[str],
                amounts: Collection[Decimal]) -> RefMatch | None:
        """A misread reference: the one document of the group whose amount fits and whose
        digits are within two slips of the printed ones (OCR reads ``2450`` as ``2459``)."""
        printed = re.sub(r"^[A-Z]*", "", _norm(ref)).translate(_DIGIT_LOOKALIKES)
        printed = re.sub(r"\D", "", printed)
        if len(printed) < 3:
            return None
        fitting = [doc for doc in self._docs_of(customer_ids) if self._amount_fits(doc, amounts)]
        near = [doc for doc in fitting
                if DamerauLevenshtein.distance(re.sub(r"\D", "", doc)[-len(printed):],
                                               printed) <= 2]
        return self._match(near[0], "typo") if len(near) == 1 else None

    def by_amount(self, *, customer_ids: Collection[str],
                  amounts: Collection[Decimal]) -> RefMatch | None:
        """The one document of the group whose amount is one of ``amounts``, if just one."""
        fitting = [doc for doc in self._docs_of(customer_ids) if self._amount_fits(doc, amounts)]
        return self._match(fitting[0], "amount") if len(fitting) == 1 else None

    # -- helpers -----------------------------------------------------------------

    def _docs_of(self, customer_ids: Collection[str]) -> list[str]:
        group = self.group_of(customer_ids)
        if self._by_customer is None:
            by_customer: dict[str, list[str]] = defaultdict(list)
            for doc_no, item in self.items.items():
                by_customer[item.customer_id].append(doc_no)
            self._by_customer = dict(by_customer)
        return [doc for cid in sorted(group) for doc in self._by_customer.get(cid, [])]

    def _exact_doc(self, norm: str) -> str | None:
        """Our document whose number, normalised, is ``norm``."""
        if parsed := _NORM_DOC_NO.match(norm):
            doc_no = "-".join(parsed.groups())
            return doc_no if doc_no in self.items else None
        return self._exact.get(norm)

    def _match(self, doc_no: str, kind: RefKind) -> RefMatch:
        return RefMatch(doc_no, kind, self.items[doc_no].customer_id)

    def _digit_part(self, norm: str) -> str:
        """Year and sequence digits of a reference with any letter prefix."""
        match = re.search(r"(\d{4})(\d{5,6})$", norm)
        if match is None:
            repaired = re.sub(r"^[A-Z]*", "", norm).translate(_DIGIT_LOOKALIKES)
            match = re.fullmatch(r"(\d{4})(\d{5,6})", repaired)
        return match.group(1) + match.group(2) if match else ""

    def _typos(self, ref: str, group: set[str],
               amounts: Collection[Decimal]) -> list[RefMatch]:
        """Documents one typing or OCR slip away from ``ref``: searched among the group's
        documents, or else among those whose amount is printed on the line (indexed, so
        a large ledger is never scanned per reference)."""
        loose = re.sub(r"^[A-Z]*", "", _norm(ref)).translate(_DIGIT_LOOKALIKES)
        if not (loose.isdigit() and 8 <= len(loose) <= 12):
            return []
        pool = self._docs_of(group) if group else self._docs_by_amount(amounts)
        return [self._match(doc, "typo") for doc in pool
                if (digits := _doc_digits(doc))
                and DamerauLevenshtein.distance(digits, loose) == 1]

    def _docs_by_amount(self, amounts: Collection[Decimal]) -> list[str]:
        if self._by_amount is None:
            by_amount: dict[Decimal, list[str]] = defaultdict(list)
            for doc_no, item in self.items.items():
                for value in {item.open_amount, item.amount}:
                    by_amount[value].append(doc_no)
                if item.discount_amount is not None:
                    by_amount[item.open_amount - item.discount_amount].append(doc_no)
            self._by_amount = dict(by_amount)
        return list(dict.fromkeys(d for a in amounts for d in self._by_amount.get(a, [])))

    def _amount_fits(self, doc_no: str, amounts: Collection[Decimal]) -> bool:
        item = self.items[doc_no]
        values = {item.open_amount, item.amount}
        if item.discount_amount is not None:
            values |= {item.open_amount - item.discount_amount, item.amount - item.discount_amount}
        return any(a in values for a in amounts)


def _doc_digits(doc_no: str) -> str:
    """Year and sequence of one of our document numbers (``""`` for other formats)."""
    parsed = _DOC_NO.match(doc_no)
    return parsed.group(2) + parsed.group(3) if parsed else ""


def _unique(matches: list[RefMatch]) -> list[RefMatch]:
    seen: set[str] = set()
    out = []
    for match in matches:
        if match.doc_no not in seen:
            seen.add(match.doc_no)
            out.append(match)
    return out
