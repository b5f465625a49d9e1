"""Printed references to our document numbers: every spelling, and refusals to guess."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shared.domain import Customer, DocType, OpenItem
from shared.matching.refs import ReferenceIndex


def _item(doc_no: str, customer: str, amount: str, po: str | None = None) -> OpenItem:
    doc_type = DocType(doc_no.split("-")[0])
    return OpenItem(doc_no=doc_no, doc_type=doc_type, customer_id=customer, po_number=po,
                    doc_date=date(2026, 1, 5), due_date=date(2026, 2, 4), currency="USD",
                    amount=Decimal(amount), open_amount=Decimal(amount))


@pytest.fixture()
def index() -> ReferenceIndex:
    items = [
        _item("INV-2026-000451", "C00001", "1000.00", po="4500012345"),
        _item("INV-2025-009061", "C00001", "2988.94", po="PO-77"),
        _item("INV-2026-000314", "C00002", "1442.43", po="PO-77"),
        _item("INV-2025-000314", "C00003", "99.00"),
        _item("CM-2026-00012", "C00001", "-250.00"),
        _item("INV-2026-000120", "C00004", "500.00"),
    ]
    customers = [
        Customer(customer_id="C00001", name="Acme Corp", currency="USD"),
        Customer(customer_id="C00002", name="Acme West", currency="USD", parent_id="C00001"),
        Customer(customer_id="C00003", name="Other Inc", currency="USD"),
        Customer(customer_id="C00004", name="Fourth Ltd", currency="USD"),
    ]
    return ReferenceIndex(items, customers)


@pytest.mark.parametrize("printed", [
    "INV-2026-000451", "inv 2026 000451", "INV2026000451", "2026-000451", "2026000451",
    "NW2026000451", "NWINV-2026-000451", "V-2026000451",
])
def test_every_spelling_of_a_document_number_resolves(index: ReferenceIndex,
                                                      printed: str) -> None:
    match = index.resolve(printed)
    assert match is not None and match.doc_no == "INV-2026-000451" and match.strong


def test_credit_memo_digits_prefer_the_credit_memo(index: ReferenceIndex) -> None:
    match = index.resolve("CM202600012")
    assert match is not None and match.doc_no == "CM-2026-00012"


def test_po_number_resolves_within_the_customer_only(index: ReferenceIndex) -> None:
    assert index.resolve("4500012345") is None  # one candidate, but weak and unconfirmed
    match = index.resolve("4500012345", customer_ids=["C00001"])
    assert match is not None and match.doc_no == "INV-2026-000451" and match.kind == "po"


def test_blanket_po_is_settled_by_the_printed_amount(index: ReferenceIndex) -> None:
    assert index.resolve("PO-77", customer_ids=["C00001"]) is None  # two docs in the group
    match = index.resolve("PO-77", customer_ids=["C00001"], amounts=[Decimal("1442.43")])
    assert match is not None and match.doc_no == "INV-2026-000314"


def test_bare_sequence_number_needs_customer_or_amount(index: ReferenceIndex) -> None:
    assert index.resolve("314") is None  # 2025 and 2026 documents share the number
    by_group = index.resolve("314", customer_ids=["C00003"])
    assert by_group is not None and by_group.doc_no == "INV-2025-000314"
    by_amount = index.resolve("314", amounts=[Decimal("1442.43")])
    assert by_amount is not None and by_amount.doc_no == "INV-2026-000314"


def test_one_transposed_digit_resolves_inside_the_group(index: ReferenceIndex) -> None:
    match = index.resolve("INV-2025-000961", customer_ids=["C00001"])
    assert match is not None and (match.doc_no, match.kind) == ("INV-2025-009061", "typo")


def test_a_typo_alone_is_not_enough_without_customer_or_amount(index: ReferenceIndex) -> None:
    assert index.resolve("INV-2025-000961") is None
    confirmed = index.resolve("INV-2025-000961", amounts=[Decimal("2988.94")])
    assert confirmed is not None and confirmed.doc_no == "INV-2025-009061"


def test_ocr_letters_in_digits_are_read_as_digits(index: ReferenceIndex) -> None:
    match = index.resolve("INV-2026-OOO451")
    assert match is not None and match.doc_no == "INV-2026-000451"


def test_group_includes_parent_and_subsidiaries(index: ReferenceIndex) -> None:
    assert index.group_of(["C00002"]) == {"C00001", "C00002"}
    assert index.group_of(["C00001"]) == {"C00001", "C00002"}


@pytest.mark.parametrize("printed", ["", "PAYMENT", "INV-2024-999999", "12.50"])
def test_unknown_references_stay_unresolved(index: ReferenceIndex, printed: str) -> None:
    assert index.resolve(printed) is None
