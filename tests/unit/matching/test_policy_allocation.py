"""Policy rules 3 to 8 (FORMAT.md section 2): how much goes on each document.

Credit memo netting, valid and unearned early-payment discounts, stated deductions,
bank fees and partial payments, each stated on a remittance and in the bank text alone.
Factories and expectations come from ``test_policy_rules``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shared.domain import OpenItem, ReasonCode
from shared.matching import decide_batch
from shared.matching.engine import MatchingPolicy
from shared.settings import MatchingSettings
from tests.unit.matching.test_policy_rules import (
    CM_1,
    DISCOUNT_DATE,
    INV_A,
    INV_B,
    assert_review,
    auto,
    customer,
    decide,
    item,
    line,
    payment,
    posted,
    remittance,
)

IN_TIME = date(2026, 3, 5)
LATE = date(2026, 3, 11)

# -- rule 3: credit memos netted in full -------------------------------------------------------


def test_rule3_remittance_nets_an_invoice_with_a_credit_memo() -> None:
    items = [item(INV_A, "1000.00"), item(CM_1, "-250.00")]
    advice = remittance("R1", line(INV_A, "1000.00"), line(CM_1, "-250.00"))
    got = decide([payment("P1", "750.00", "PAYMENT")], items=items, remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "1000.00", CM_1: "-250.00"})


def test_rule3_bank_text_names_the_invoice_and_the_credit_memo() -> None:
    items = [item(INV_A, "1000.00"), item(CM_1, "-250.00")]
    got = decide([payment("P1", "750.00", f"{INV_A} LESS {CM_1}")], items=items)
    assert posted(got["P1"]) == auto({INV_A: "1000.00", CM_1: "-250.00"})


def test_rule3_a_part_used_credit_memo_is_taken_at_its_open_amount() -> None:
    items = [item(INV_A, "1000.00"), item(CM_1, "-250.00", open_amount="-100.00")]
    advice = remittance("R1", line(INV_A, "1000.00"), line(CM_1, "-100.00"))
    got = decide([payment("P1", "900.00", "PAYMENT")], items=items, remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "1000.00", CM_1: "-100.00"})


def test_rule3_netting_with_a_bank_fee_books_the_fee_on_the_invoice() -> None:
    items = [item(INV_A, "1000.00"), item(CM_1, "-250.00")]
    got = decide([payment("P1", "732.00", f"{INV_A} {CM_1}")], items=items)
    assert posted(got["P1"]) == auto({INV_A: "982.00", CM_1: "-250.00"},
                                     {("bank_fee", INV_A): ("18.00", None)})


# -- rule 4: valid early-payment discount -----------------------------------------------------


@pytest.mark.parametrize("value_date", [IN_TIME, DISCOUNT_DATE])
def test_rule4_remittance_takes_the_discount_in_time(value_date: date) -> None:
    advice = remittance("R1", line(INV_A, "4900.00", discount="100.00"))
    got = decide([payment("P1", "4900.00", "PAYMENT", value_date=value_date)],
                 items=[item(INV_A, "5000.00", discount="100.00")], remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "4900.00"}, {("discount", INV_A): ("100.00", None)})


@pytest.mark.parametrize("value_date", [IN_TIME, DISCOUNT_DATE])
def test_rule4_bank_text_only_payment_is_open_less_the_discount_in_time(value_date: date) -> None:
    got = decide([payment("P1", "4900.00", f"{INV_A}", value_date=value_date)],
                 items=[item(INV_A, "5000.00", discount="100.00")])
    assert posted(got["P1"]) == auto({INV_A: "4900.00"}, {("discount", INV_A): ("100.00", None)})


def test_rule4_bank_text_two_invoices_both_discounted_in_time() -> None:
    items = [item(INV_A, "5000.00", discount="100.00"), item(INV_B, "1000.00", discount="20.00")]
    got = decide([payment("P1", "5880.00", f"{INV_A} {INV_B} LESS 2% DISC",
                          value_date=IN_TIME)], items=items)
    assert posted(got["P1"]) == auto({INV_A: "4900.00", INV_B: "980.00"},
                                     {("discount", INV_A): ("100.00", None),
                                      ("discount", INV_B): ("20.00", None)})


def test_rule4_full_payment_in_time_takes_no_discount() -> None:
    got = decide([payment("P1", "5000.00", f"{INV_A}", value_date=IN_TIME)],
                 items=[item(INV_A, "5000.00", discount="100.00")])
    assert posted(got["P1"]) == auto({INV_A: "5000.00"})


def test_rule4_remittance_discount_of_another_amount_is_not_the_discount() -> None:
    # 150.00 taken where the terms give 100.00: only what was paid is applied.
    advice = remittance("R1", line(INV_A, "4850.00", discount="150.00"))
    got = decide([payment("P1", "4850.00", "PAYMENT", value_date=IN_TIME)],
                 items=[item(INV_A, "5000.00", discount="100.00")], remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "4850.00"})


# -- rule 5: unearned discount --------------------------------------------------------------


def test_rule5_remittance_discount_taken_late_applies_what_was_paid() -> None:
    advice = remittance("R1", line(INV_A, "4900.00", discount="100.00"))
    got = decide([payment("P1", "4900.00", "PAYMENT", value_date=LATE)],
                 items=[item(INV_A, "5000.00", discount="100.00")], remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "4900.00"})


def test_rule5_bank_text_says_disc_taken_late_applies_what_was_paid() -> None:
    got = decide([payment("P1", "4900.00", f"{INV_A} LESS 2% DISC", value_date=LATE)],
                 items=[item(INV_A, "5000.00", discount="100.00")])
    assert posted(got["P1"]) == auto({INV_A: "4900.00"})


def test_rule5_bank_text_late_payment_short_by_exactly_the_discount() -> None:
    got = decide([payment("P1", "4900.00", f"{INV_A}", value_date=LATE)],
                 items=[item(INV_A, "5000.00", discount="100.00")])
    assert posted(got["P1"]) == auto({INV_A: "4900.00"})


def test_rule5_late_small_discount_without_disc_word_is_not_a_bank_fee() -> None:
    got = decide([payment("P1", "980.00", f"{INV_A}", value_date=LATE)],
                 items=[item(INV_A, "1000.00", discount="20.00")])
    assert posted(got["P1"]) == auto({INV_A: "980.00"})


def test_rule5_bank_text_small_discount_taken_late_is_not_a_bank_fee() -> None:
    # 2 % of 1000.00 is within the bank-fee range; the text says it is a discount.
    got = decide([payment("P1", "980.00", f"{INV_A} LESS 2% DISC", value_date=LATE)],
                 items=[item(INV_A, "1000.00", discount="20.00")])
    assert posted(got["P1"]) == auto({INV_A: "980.00"})


def test_rule5_an_unearned_discount_leaves_the_rest_open() -> None:
    late = payment("P1", "4900.00", f"{INV_A} 2% DISCOUNT", value_date=LATE)
    rest = payment("P2", "100.00", f"{INV_A} DISCOUNT NOT EARNED", value_date=date(2026, 3, 12))
    got = decide([late, rest], items=[item(INV_A, "5000.00", discount="100.00")])
    assert posted(got["P1"]) == auto({INV_A: "4900.00"})
    assert posted(got["P2"]) == auto({INV_A: "100.00"})


# -- rule 6: stated deductions ---------------------------------------------------------------


@pytest.mark.parametrize("reason", [ReasonCode.PRICING, ReasonCode.DAMAGED, ReasonCode.SHORTAGE,
                                    ReasonCode.PROMOTION, ReasonCode.FREIGHT, ReasonCode.RETURN,
                                    ReasonCode.OTHER])
def test_rule6_remittance_deduction_with_its_reason_code(reason: ReasonCode) -> None:
    items = [item(INV_A, "1000.00"), item(INV_B, "300.00")]
    advice = remittance("R1", line(INV_A, "955.00", deduction="45.00", reason=reason),
                        line(INV_B, "300.00"))
    got = decide([payment("P1", "1255.00", "PAYMENT")], items=items, remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "955.00", INV_B: "300.00"},
                                     {("deduction", INV_A): ("45.00", reason.value)})


def test_rule6_remittance_deduction_without_a_reason_is_other() -> None:
    advice = remittance("R1", line(INV_A, "955.00", deduction="45.00"))
    got = decide([payment("P1", "955.00", "PAYMENT")], items=[item(INV_A, "1000.00")],
                 remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "955.00"},
                                     {("deduction", INV_A): ("45.00", "OTHER")})


def test_rule6_small_remittance_deduction_is_not_a_bank_fee() -> None:
    advice = remittance("R1", line(INV_A, "988.00", deduction="12.00",
                                   reason=ReasonCode.FREIGHT))
    got = decide([payment("P1", "988.00", "PAYMENT")], items=[item(INV_A, "1000.00")],
                 remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "988.00"},
                                     {("deduction", INV_A): ("12.00", "FREIGHT")})


@pytest.mark.parametrize(("text", "reason"), [
    ("INV-2026-000123 LESS 150.41 RETURN CREDIT", "RETURN"),
    ("INV-2026-000123 LESS 150.41 DAMAGED GOODS", "DAMAGED"),
    ("INV-2026-000123 DEDUCTION 150.41 PRICING ERROR", "PRICING"),
    ("INV-2026-000123 SHORT PAID 150.41 SHORTAGE", "SHORTAGE"),
])
def test_rule6_bank_text_deduction_with_its_reason(text: str, reason: str) -> None:
    doc = "INV-2026-000123"
    got = decide([payment("P1", "406.66", text)], items=[item(doc, "557.07")])
    assert posted(got["P1"]) == auto({doc: "406.66"}, {("deduction", doc): ("150.41", reason)})


def test_rule6_bank_text_small_deduction_is_not_a_bank_fee() -> None:
    got = decide([payment("P1", "988.00", f"{INV_A} LESS 12.00 FREIGHT")],
                 items=[item(INV_A, "1000.00")])
    assert posted(got["P1"]) == auto({INV_A: "988.00"},
                                     {("deduction", INV_A): ("12.00", "FREIGHT")})


def test_rule6_bank_text_deduction_over_two_invoices_is_not_a_bank_fee() -> None:
    got = decide([payment("P1", "1238.00", f"{INV_A} {INV_B} LESS 12.00 FREIGHT")],
                 items=[item(INV_A, "1000.00"), item(INV_B, "250.00")])
    adjustments = posted(got["P1"])["adjustments"]
    assert not any(kind == "bank_fee" for kind, _ in adjustments)
    if got["P1"].kind.value == "auto":
        assert list(adjustments.values()) == [("12.00", "FREIGHT")]


# -- rule 7: bank fee ---------------------------------------------------------------------------


def test_rule7_the_bank_fee_limit_comes_from_the_settings() -> None:
    items = [item(INV_A, "1000.00")]
    payments = [payment("P1", "980.00", f"{INV_A}")]
    default = decide_batch(payments, customers=[customer()], open_items=items)
    strict = decide_batch(payments, customers=[customer()], open_items=items,
                          policy=MatchingPolicy.from_settings(
                              MatchingSettings(bank_fee_max=Decimal("15.00"))))
    assert posted(default[0]) == auto({INV_A: "980.00"}, {("bank_fee", INV_A): ("20.00", None)})
    assert_review(strict[0])
    assert "20.00" in (strict[0].reason or "")

FEE_DOCS = ["INV-2025-009999", "INV-2026-000001", "DM-2026-00009", CM_1]


def _fee_items() -> list[OpenItem]:
    return [item("INV-2025-009999", "400.00"), item("INV-2026-000001", "500.00"),
            item("DM-2026-00009", "100.00"), item(CM_1, "-50.00")]  # together 950.00


@pytest.mark.parametrize("fee", ["0.01", "7.50", "25.00"])
def test_rule7_bank_text_shortfall_is_a_bank_fee_on_the_greatest_doc_no(fee: str) -> None:
    paid = str(Decimal("950.00") - Decimal(fee))
    got = decide([payment("P1", paid, " ".join(FEE_DOCS))], items=_fee_items())
    # "INV-2026-000001" > "INV-2025-009999" > "DM-..." in plain string order.
    applied = str(Decimal("500.00") - Decimal(fee))
    assert posted(got["P1"]) == auto(
        {"INV-2025-009999": "400.00", "INV-2026-000001": applied, "DM-2026-00009": "100.00",
         CM_1: "-50.00"},
        {("bank_fee", "INV-2026-000001"): (fee, None)})


@pytest.mark.parametrize("fee", ["0.01", "25.00"])
def test_rule7_remittance_total_short_by_a_bank_fee(fee: str) -> None:
    advice = remittance("R1", *(line(d, a) for d, a in [
        ("INV-2025-009999", "400.00"), ("INV-2026-000001", "500.00"),
        ("DM-2026-00009", "100.00"), (CM_1, "-50.00")]))
    paid = str(Decimal("950.00") - Decimal(fee))
    got = decide([payment("P1", paid, "PAYMENT")], items=_fee_items(), remittances=[advice])
    applied = str(Decimal("500.00") - Decimal(fee))
    assert posted(got["P1"]) == auto(
        {"INV-2025-009999": "400.00", "INV-2026-000001": applied, "DM-2026-00009": "100.00",
         CM_1: "-50.00"},
        {("bank_fee", "INV-2026-000001"): (fee, None)})


def test_rule7_bank_fee_on_a_debit_memo_when_it_is_the_greatest() -> None:
    items = [item("DM-2026-00009", "100.00"), item("DM-2026-00010", "60.00"), item(CM_1, "-50.00")]
    got = decide([payment("P1", "100.00", f"DM-2026-00009 DM-2026-00010 {CM_1}")], items=items)
    assert posted(got["P1"]) == auto(
        {"DM-2026-00009": "100.00", "DM-2026-00010": "50.00", CM_1: "-50.00"},
        {("bank_fee", "DM-2026-00010"): ("10.00", None)})


def test_rule7_shortfall_of_25_01_is_not_a_bank_fee_bank_text() -> None:
    got = decide([payment("P1", "924.99", " ".join(FEE_DOCS))], items=_fee_items())
    assert_review(got["P1"])


def test_rule7_shortfall_of_25_01_is_not_a_bank_fee_remittance() -> None:
    advice = remittance("R1", line(INV_A, "1000.00"), payment_ref="62144")
    got = decide([payment("P1", "974.99", "PAYMENT 62144")], items=[item(INV_A, "1000.00")],
                 remittances=[advice])
    assert_review(got["P1"])


# -- rule 8: partial payment ----------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    f"PARTIAL PAYMENT {INV_A}", f"{INV_A} PART PAYMENT", f"INSTALMENT 1 {INV_A}",
    f"{INV_A} BALANCE TO FOLLOW",
])
def test_rule8_bank_text_states_a_partial_payment(text: str) -> None:
    got = decide([payment("P1", "400.00", text)], items=[item(INV_A, "1000.00")])
    assert posted(got["P1"]) == auto({INV_A: "400.00"})


def test_rule8_partial_payment_short_by_little_is_not_a_bank_fee() -> None:
    got = decide([payment("P1", "990.00", f"PARTIAL PAYMENT {INV_A}")],
                 items=[item(INV_A, "1000.00")])
    assert posted(got["P1"]) == auto({INV_A: "990.00"})


def test_rule8_remittance_line_pays_part_of_an_invoice() -> None:
    advice = remittance("R1", line(INV_A, "400.00"))
    got = decide([payment("P1", "400.00", "PARTIAL PAYMENT")], items=[item(INV_A, "1000.00")],
                 remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "400.00"})


def test_rule8_without_a_statement_a_large_shortfall_is_reviewed() -> None:
    got = decide([payment("P1", "400.00", f"{INV_A}")], items=[item(INV_A, "1000.00")])
    assert_review(got["P1"])
