"""What the reviewer is offered first when a payment cannot be posted automatically.

The first suggestion should be the right answer: an untrusted (OCR) advice read again
with its likely slip put right, or the customer's advice that no payment claimed.
"""

from __future__ import annotations

from datetime import date

from shared.domain import RemittanceLine
from tests.unit.matching.test_policy_rules import (
    INV_A,
    INV_B,
    INV_C,
    assert_review,
    customer,
    decide,
    first_suggestion,
    item,
    line,
    payment,
    remittance,
)

GROSS_PROBLEM = ("OCR read a gross amount that paid, deduction and discount do not add up to "
                 f"on {INV_B}")


def _unexplained(doc_no: str, paid: str) -> RemittanceLine:
    return line(doc_no, paid).model_copy(update={"gross_unexplained": True})


def test_a_missed_deduction_column_is_proposed_first() -> None:
    items = [item(INV_A, "1000.00"), item(INV_B, "500.00")]
    advice = remittance("R1", line(INV_A, "1000.00"), _unexplained(INV_B, "460.00"),
                        problem=GROSS_PROBLEM)
    got = decide([payment("P1", "1460.00", "PMT 5531")], items=items, remittances=[advice])
    assert_review(got["P1"])
    assert first_suggestion(got["P1"]) == {
        "applications": {INV_A: "1000.00", INV_B: "460.00"},
        "adjustments": {("deduction", INV_B): ("40.00", "OTHER")}, "on_account": "0.00"}
    # The reading as printed (a partial payment) is still offered.
    assert any(not s.adjustments and s.on_account == 0 for s in got["P1"].suggestions[1:])


def test_a_missed_discount_column_is_proposed_as_the_invoices_discount() -> None:
    items = [item(INV_A, "1000.00", discount="20.00")]
    advice = remittance("R1", _unexplained(INV_A, "980.00"), problem=GROSS_PROBLEM)
    got = decide([payment("P1", "980.00", "PMT 5531")], items=items, remittances=[advice])
    assert first_suggestion(got["P1"]) == {
        "applications": {INV_A: "980.00"},
        "adjustments": {("discount", INV_A): ("20.00", None)}, "on_account": "0.00"}


def test_a_line_without_an_unexplained_gross_stays_a_partial_payment() -> None:
    # Same amounts, but nothing says a column was missed: what was read comes first.
    items = [item(INV_A, "1000.00"), item(INV_B, "500.00")]
    advice = remittance("R1", line(INV_A, "1000.00"), line(INV_B, "460.00"),
                        problem="OCR: reference column unreadable, refs matched by near digits")
    got = decide([payment("P1", "1460.00", "PMT 5531")], items=items, remittances=[advice])
    assert first_suggestion(got["P1"]) == {
        "applications": {INV_A: "1000.00", INV_B: "460.00"}, "adjustments": {},
        "on_account": "0.00"}


def test_a_misread_amount_is_proposed_at_the_documents_open_amounts() -> None:
    # OCR dropped a digit: 41.15 for 541.15; the open amounts make up the payment exactly.
    items = [item(INV_A, "1288.23"), item(INV_B, "541.15"), item(INV_C, "500.00")]
    advice = remittance("R1", line(INV_A, "1288.23"), line(INV_B, "41.15"), total="1829.38",
                        problem="lines add up to 1329.38, the advice says 1829.38")
    got = decide([payment("P1", "1829.38", "PMT 5531")], items=items, remittances=[advice])
    assert_review(got["P1"])
    assert first_suggestion(got["P1"]) == {
        "applications": {INV_A: "1288.23", INV_B: "541.15"}, "adjustments": {},
        "on_account": "0.00"}


def test_open_amounts_that_do_not_make_up_the_payment_are_not_proposed() -> None:
    items = [item(INV_A, "1288.23"), item(INV_B, "600.00")]
    advice = remittance("R1", line(INV_A, "1288.23"), line(INV_B, "41.15"), total="1829.38",
                        problem="lines add up to 1329.38, the advice says 1829.38")
    got = decide([payment("P1", "1829.38", "PMT 5531")], items=items, remittances=[advice])
    for s in got["P1"].suggestions:
        assert {a.doc_no: str(a.amount) for a in s.applications} != {
            INV_A: "1288.23", INV_B: "600.00"}


def test_the_customers_unclaimed_advice_is_proposed_with_the_rest_on_account() -> None:
    items = [item(INV_A, "1919.22"), item(INV_B, "1444.66"), item(INV_C, "9000.00")]
    advice = remittance("R1", line(INV_A, "1919.22"), line(INV_B, "1444.66"),
                        payment_ref="ZP083145")
    got = decide([payment("P1", "3436.17", "PYMT 030326")], items=items, remittances=[advice])
    assert_review(got["P1"])
    assert first_suggestion(got["P1"]) == {
        "applications": {INV_A: "1919.22", INV_B: "1444.66"}, "adjustments": {},
        "on_account": "72.29"}


def test_another_customers_advice_or_a_distant_one_is_not_proposed() -> None:
    items = [item(INV_A, "1919.22"), item(INV_B, "1444.66", cid="C00009")]
    theirs = remittance("R1", line(INV_B, "1444.66"), cid="C00009")
    late = remittance("R2", line(INV_A, "1919.22")).model_copy(
        update={"payment_date": date(2026, 5, 1)})
    got = decide([payment("P1", "3436.17", "PYMT 030326")],
                 customers=[customer(), customer("C00009", "Other Ltd", account="999")],
                 items=items, remittances=[theirs, late])
    assert_review(got["P1"])
    assert not got["P1"].suggestions


def test_an_unidentified_payer_is_offered_the_look_alikes_unclaimed_advice() -> None:
    # "SOUTHERN CROS" may be either Southern Cross company; only one sent an advice.
    customers = [customer("C00058", "Southern Cross Controls Pty Ltd", account=None),
                 customer("C00127", "Southern Cross Controls Pty Ltd No. 2", account=None),
                 customer("C00900", "Unrelated Trading Ltd", account=None)]
    items = [item(INV_A, "3700.00", cid="C00058"), item(INV_B, "2069.46", cid="C00058"),
             item(INV_C, "500.00", cid="C00900")]
    advice = remittance("R1", line(INV_A, "3700.00"), line(INV_B, "2069.46"), cid="C00058",
                        payment_ref="ZP723429")
    other = remittance("R2", line(INV_C, "500.00"), cid="C00900")
    got = decide([payment("P1", "6000.00", "ROC490062 PYMT 030626", account=None,
                          name="BILL.COM PAYABLES OBO SOUTHERN CROS")],
                 customers=customers, items=items, remittances=[advice, other])
    assert got["P1"].exception is not None and got["P1"].exception.value == "unidentified"
    assert first_suggestion(got["P1"]) == {
        "applications": {INV_A: "3700.00", INV_B: "2069.46"}, "adjustments": {},
        "on_account": "230.54"}
    assert len(got["P1"].suggestions) == 1
