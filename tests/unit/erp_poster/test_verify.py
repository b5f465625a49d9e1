"""What the poster compares after a save, and how a decision becomes screen input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from bots.erp_poster.verify import differences
from bots.erp_poster.web_gateway import split_request
from shared.erp import ErpAdjustment, ErpApplication, ErpPayment, PostingRequest

REQUEST = PostingRequest(
    payment_id="P1", customer_id="C00001", amount=D("1000.00"), currency="USD",
    value_date=date(2026, 3, 2),
    applications=(ErpApplication("INV-1", D("700.00")), ErpApplication("INV-2", D("400.00")),
                  ErpApplication("CM-1", D("-150.00"))),
    adjustments=(ErpAdjustment("discount", "INV-1", D("14.00")),
                 ErpAdjustment("deduction", "INV-2", D("20.00"), "DAMAGED")),
    on_account=D("50.00"),
)


def posted(**changes: object) -> ErpPayment:
    values: dict[str, object] = dict(
        document_no="PMT-000001", payment_id="P1", customer_id="C00001", amount=D("1000.00"),
        currency="USD", value_date=date(2026, 3, 2),
        # The ERP lists invoices before credit memos and grid discounts first.
        applications=(ErpApplication("INV-2", D("400.00")), ErpApplication("INV-1", D("700.00")),
                      ErpApplication("CM-1", D("-150.00"))),
        adjustments=(ErpAdjustment("deduction", "INV-2", D("20.00"), "DAMAGED"),
                     ErpAdjustment("discount", "INV-1", D("14.00"))),
        on_account=D("50.00"),
    )
    values.update(changes)
    return ErpPayment(**values)  # type: ignore[arg-type]


def test_the_same_lines_in_another_order_verify() -> None:
    assert differences(REQUEST, posted()) == []


def test_every_amount_and_header_field_is_checked() -> None:
    wrong = posted(
        amount=D("1000.01"), currency="EUR", value_date=date(2026, 3, 3), payment_id="P2",
        customer_id="C00002", on_account=D("49.99"),
        applications=(ErpApplication("INV-2", D("400.01")), ErpApplication("CM-1", D("-150.00"))),
        adjustments=(ErpAdjustment("deduction", "INV-2", D("20.00"), "PRICING"),),
    )
    found = differences(REQUEST, wrong)
    for expected in ("memo", "customer", "amount", "on account", "currency", "date",
                     "application INV-1", "application INV-2", "('deduction', 'INV-2', 'DAMAGED')",
                     "('deduction', 'INV-2', 'PRICING')", "('discount', 'INV-1', None)"):
        assert any(expected in line for line in found), (expected, found)
    assert len(found) == 11


def test_split_lines_for_the_entry_screen() -> None:
    rows, credits, lines = split_request(REQUEST)
    assert [(r.doc_no, r.amount, r.discount) for r in rows] == [
        ("INV-1", D("700.00"), D("14.00")), ("INV-2", D("400.00"), None)]
    assert [(c.doc_no, c.amount) for c in credits] == [("CM-1", D("-150.00"))]
    assert [(x.doc_no, x.type, x.reason_code) for x in lines] == [("INV-2", "deduction", "DAMAGED")]


def test_a_discount_on_a_document_not_paid_here_stays_an_adjustment_line() -> None:
    request = PostingRequest(
        payment_id="P1", customer_id="C1", amount=D("10.00"), currency=None, value_date=None,
        applications=(ErpApplication("INV-1", D("10.00")),),
        adjustments=(ErpAdjustment("discount", "INV-9", D("1.00")),
                     ErpAdjustment("bank_fee", "INV-1", D("2.00"))),
    )
    rows, _, lines = split_request(request)
    assert rows[0].discount is None
    assert [(x.type, x.doc_no) for x in lines] == [("discount", "INV-9"), ("bank_fee", "INV-1")]
