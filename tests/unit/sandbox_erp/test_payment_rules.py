"""The rules a customer payment must pass before the sandbox ERP posts it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fixtures.sandbox_erp.payment_rules import (
    AdjustmentLine,
    ApplicationLine,
    DocumentState,
    PaymentHeader,
    compute_totals,
    validate_payment,
)

D = Decimal
SCOPE = {"C1", "C1-SUB"}
DOCS = {
    "INV-1": DocumentState("INV-1", "INV", "C1", "USD", D("1000.00")),
    "INV-2": DocumentState(
        "INV-2", "INV", "C1-SUB", "USD", D("500.00"), date(2026, 3, 5), D("10.00")
    ),
    "DM-1": DocumentState("DM-1", "DM", "C1", "USD", D("50.00")),
    "CM-1": DocumentState("CM-1", "CM", "C1", "USD", D("-250.00")),
    "INV-EUR": DocumentState("INV-EUR", "INV", "C1", "EUR", D("100.00")),
    "INV-PAID": DocumentState("INV-PAID", "INV", "C1", "USD", D("0.00")),
    "INV-OTHER": DocumentState("INV-OTHER", "INV", "C9", "USD", D("100.00")),
}


def header(amount: str | None = "1000.00", on: date = date(2026, 3, 2)) -> PaymentHeader:
    return PaymentHeader("C1", D(amount) if amount else None, "USD", on, "USD")


def messages(
    *apps: ApplicationLine, adjs: tuple[AdjustmentLine, ...] = (), **kw: object
) -> list[str]:
    head = kw.get("head", header())
    assert isinstance(head, PaymentHeader)
    return [p.message for p in validate_payment(head, apps, adjs, DOCS, SCOPE)]


def test_a_balanced_payment_with_credit_discount_deduction_and_on_account_passes() -> None:
    apps = [
        ApplicationLine("INV-1", D("900.00")),
        ApplicationLine("INV-2", D("480.00"), discount=D("10.00")),
        ApplicationLine("CM-1", D("-250.00")),
    ]
    adjs = [AdjustmentLine(1, "INV-1", "deduction", "DAMAGED", D("100.00"))]
    head = header("1200.00")
    assert validate_payment(head, apps, adjs, DOCS, SCOPE) == []
    totals = compute_totals(head, apps, adjs)
    assert (totals.applied, totals.adjustments, totals.on_account) == (
        D("1130.00"),
        D("110.00"),
        D("70.00"),
    )


def test_an_application_above_the_amount_due_is_refused_once() -> None:
    assert messages(ApplicationLine("INV-1", D("1000.01"))) == [
        "Payment 1,000.01 on INV-1 exceeds the amount due 1,000.00.",
        "The amount applied (1,000.01) exceeds the payment amount (1,000.00) by 0.01.",
    ]


def test_application_plus_adjustments_may_not_exceed_the_open_amount() -> None:
    adjs = (AdjustmentLine(1, "INV-1", "deduction", "PRICING", D("60.00")),)
    assert messages(ApplicationLine("INV-1", D("950.00")), adjs=adjs) == [
        "Payment plus discount and adjustments on INV-1 (1,010.00) exceed its open amount 1,000.00."
    ]


def test_on_account_may_not_be_negative() -> None:
    got = messages(ApplicationLine("INV-1", D("1000.00")), head=header("999.99"))
    assert got == ["The amount applied (1,000.00) exceeds the payment amount (999.99) by 0.01."]


def test_a_credit_memo_nets_the_applied_amount() -> None:
    apps = (ApplicationLine("INV-1", D("1000.00")), ApplicationLine("CM-1", D("-250.00")))
    assert messages(*apps, head=header("750.00")) == []
    assert messages(ApplicationLine("CM-1", D("-250.01")), head=header("1.00")) == [
        "Credit 250.01 on CM-1 exceeds the credit available 250.00."
    ]


def test_documents_must_be_open_in_scope_and_in_the_payment_currency() -> None:
    assert messages(ApplicationLine("INV-PAID", D("1.00"))) == ["INV-PAID is already closed."]
    assert messages(ApplicationLine("INV-EUR", D("1.00"))) == [
        "INV-EUR is in EUR; the payment is in USD."
    ]
    assert messages(ApplicationLine("INV-OTHER", D("1.00"))) == [
        "INV-OTHER is not an open item of customer C1."
    ]
    assert messages(ApplicationLine("INV-404", D("1.00"))) == [
        "INV-404 is not an open item of customer C1."
    ]


def test_a_discount_is_limited_to_what_is_available_on_the_payment_date() -> None:
    early = ApplicationLine("INV-2", D("490.00"), discount=D("10.00"))
    assert messages(early, head=header("490.00", on=date(2026, 3, 5))) == []
    late = header("490.00", on=date(2026, 3, 6))
    assert messages(early, head=late) == [
        "Discount 10.00 on INV-2 exceeds the discount available on 2026-03-06 (0.00)."
    ]


def test_adjustment_lines_are_checked() -> None:
    adjs = (
        AdjustmentLine(1, "", "deduction", "OTHER", D("1.00")),
        AdjustmentLine(2, "INV-1", "deduction", None, D("1.00")),
        AdjustmentLine(3, "CM-1", "bank_fee", None, D("1.00")),
        AdjustmentLine(4, "DM-1", "bank_fee", None, D("-1.00")),
    )
    assert messages(adjs=adjs) == [
        "Adjustment line 1: enter a document.",
        "Adjustment line 2: a deduction needs a reason code.",
        "Adjustment line 3: adjustments are booked on invoices and debit memos only.",
        "Adjustment line 4: the amount must be greater than zero.",
    ]


def test_the_header_needs_an_amount_and_a_deposit_account_in_its_currency() -> None:
    assert messages(head=header(None)) == ["Enter the payment amount."]
    eur_account = PaymentHeader("C1", D("1.00"), "USD", date(2026, 3, 2), "EUR")
    assert messages(head=eur_account) == [
        "The deposit account is a EUR account; the payment is in USD."
    ]
