"""Policy rule 12 (FORMAT.md section 2): exceptions go to review, named, with nothing posted.

``unidentified``, ``currency_mismatch``, ``wrong_pocket`` and ``duplicate`` here;
``ambiguous`` is with amount-only matching in ``test_amount_only``.  Factories and
expectations come from ``test_policy_rules``.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.matching.test_policy_rules import (
    CID,
    INV_A,
    INV_B,
    assert_exception,
    auto,
    customer,
    decide,
    item,
    line,
    payment,
    posted,
    remittance,
)

# -- unidentified -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "PAYMENT", "INVOICES MARCH", "REF 2026/03"])
def test_unidentified_unknown_payer_and_no_reference(text: str | None) -> None:
    # The amount equals an open item exactly, but amount-only needs a known payer.
    got = decide([payment("P1", "1000.00", text, account="555444333",
                          name="ZEPHYR TRADING PTE")], items=[item(INV_A, "1000.00")])
    assert_exception(got["P1"], "unidentified")
    assert got["P1"].customer_id is None


def test_unknown_payer_naming_our_invoice_is_not_unidentified() -> None:
    got = decide([payment("P1", "1000.00", f"PMT {INV_A}", account="555444333",
                          name="ZEPHYR TRADING PTE")], items=[item(INV_A, "1000.00")])
    assert posted(got["P1"]) == auto({INV_A: "1000.00"})
    assert got["P1"].customer_id == CID


# -- currency mismatch ---------------------------------------------------------------------


def test_currency_mismatch_eur_payment_naming_a_usd_invoice() -> None:
    got = decide([payment("P1", "1000.00", f"RECHNUNG {INV_A}", currency="EUR")],
                 items=[item(INV_A, "1000.00")])
    assert_exception(got["P1"], "currency_mismatch")


def test_currency_mismatch_eur_payment_with_a_remittance_of_usd_invoices() -> None:
    advice = remittance("R1", line(INV_A, "1000.00"), line(INV_B, "250.00"), payment_ref="88123")
    got = decide([payment("P1", "1250.00", "ZAHLUNG 88123", currency="EUR")],
                 items=[item(INV_A, "1000.00"), item(INV_B, "250.00")], remittances=[advice])
    assert_exception(got["P1"], "currency_mismatch")


def test_currency_mismatch_is_not_applied_to_a_same_amount_item_in_the_other_currency() -> None:
    got = decide([payment("P1", "1000.00", "PAYMENT", currency="EUR")],
                 items=[item(INV_A, "1000.00")])
    assert posted(got["P1"])["decision"] == "review"
    assert "currency_mismatch" in (got["P1"].reason or "")


# -- wrong pocket ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "name"), [
    ("RECHNUNG NL-2026-02477 NW LOGISTICS GMBH", "ACME CORP"),
    ("INV NL-2026-02477 NORTHWIND LOGISTICS", "ACME CORP"),
    ("PAYMENT N.W. LOGISTICS 2026-02477", "ACME CORP"),
    ("NL-2026-02477", "NORTHWIND LOGISTICS GMBH"),
])
def test_wrong_pocket_sister_company_named(text: str, name: str) -> None:
    got = decide([payment("P1", "1000.00", text, name=name)], items=[item(INV_A, "1000.00")])
    assert_exception(got["P1"], "wrong_pocket")


def test_wrong_pocket_even_when_our_invoice_is_named_too() -> None:
    got = decide([payment("P1", "1000.00", f"{INV_A} NW LOGISTICS GMBH")],
                 items=[item(INV_A, "1000.00")])
    assert_exception(got["P1"], "wrong_pocket")


def test_northwind_components_itself_is_not_the_sister_company() -> None:
    got = decide([payment("P1", "1000.00", f"NORTHWIND COMPONENTS {INV_A}")],
                 items=[item(INV_A, "1000.00")])
    assert posted(got["P1"]) == auto({INV_A: "1000.00"})


def test_a_customer_with_a_look_alike_name_is_not_the_sister_company() -> None:
    nb = customer("C00005", "NB Logistics LLC", account="246813579")
    got = decide([payment("P1", "1000.00", f"{INV_A}", account="246813579",
                          name="NB LOGISTICS LLC")],
                 customers=[nb], items=[item(INV_A, "1000.00", cid="C00005")])
    assert posted(got["P1"]) == auto({INV_A: "1000.00"})


# -- duplicate -----------------------------------------------------------------------------


def test_duplicate_two_payments_naming_the_same_invoice() -> None:
    first = payment("P1", "1000.00", f"{INV_A}", value_date=date(2026, 3, 2))
    second = payment("P2", "1000.00", f"PMT {INV_A}", value_date=date(2026, 3, 3))
    got = decide([second, first], items=[item(INV_A, "1000.00")])
    assert posted(got["P1"]) == auto({INV_A: "1000.00"})
    assert_exception(got["P2"], "duplicate")


def test_duplicate_remittance_repeats_documents_already_paid_in_the_batch() -> None:
    items = [item(INV_A, "1000.00"), item(INV_B, "250.00")]
    first = payment("P1", "1250.00", f"{INV_A} {INV_B}", value_date=date(2026, 3, 2))
    again = payment("P2", "1250.00", "PAYMENT 77001", value_date=date(2026, 3, 4))
    advice = remittance("R1", line(INV_A, "1000.00"), line(INV_B, "250.00"),
                        payment_ref="77001")
    got = decide([first, again], items=items, remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "1000.00", INV_B: "250.00"})
    assert_exception(got["P2"], "duplicate")


def test_duplicate_decided_on_the_ledger_of_the_batch_not_before_it() -> None:
    # Two payments for two different invoices are not duplicates of each other.
    items = [item(INV_A, "1000.00"), item(INV_B, "1000.00")]
    got = decide([payment("P1", "1000.00", INV_A), payment("P2", "1000.00", INV_B)],
                 items=items)
    assert posted(got["P1"]) == auto({INV_A: "1000.00"})
    assert posted(got["P2"]) == auto({INV_B: "1000.00"})
