"""Header blocks of remittance advices: payer, payment number, date and totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bots.remittance_reader.extract.advice_fields import advice_fields, parse_printed_date


def test_english_header_block() -> None:
    fields = advice_fields(
        "This is to advise that payment 62144 in the amount of $20,944.22 has been issued.\n"
        "Payer: Highland Manufacturing Inc\nPayment No.: 62144\nPayment Date: 02/27/2026\n"
        "Payment Amount: $20,944.22\n...\nTOTAL PAYMENT: $20,944.22\n")
    assert fields.payer == "Highland Manufacturing Inc"
    assert fields.payment_ref == "62144"
    assert fields.payment_date == date(2026, 2, 27)
    assert fields.currency == "USD"
    assert fields.totals == [Decimal("20944.22")]


def test_french_header_block_with_spaced_thousands() -> None:
    fields = advice_fields("Payeur: Shoreline Engineering Inc\nN° de paiement: PY7629436\n"
                           "Date de paiement: 01/03/2026\nMontant: 3 264,30 EUR\n")
    assert (fields.payer, fields.payment_ref) == ("Shoreline Engineering Inc", "PY7629436")
    assert fields.payment_date == date(2026, 3, 1)  # EUR: day first
    assert fields.totals == [Decimal("3264.30")]


def test_sentence_amounts_count_as_totals() -> None:
    fields = advice_fields("A payment of 11,198.34 USD has been released to Northwind.")
    assert fields.totals == [Decimal("11198.34")]


@pytest.mark.parametrize(("printed", "day_first", "expected"), [
    ("2026-03-04", False, date(2026, 3, 4)),
    ("03/04/2026", False, date(2026, 3, 4)),
    ("03/04/2026", True, date(2026, 4, 3)),
    ("28/02/2026", False, date(2026, 2, 28)),
    ("14.03.2026", False, date(2026, 3, 14)),
    ("March 28, 2026", False, date(2026, 3, 28)),
    ("4 März 2026", True, date(2026, 3, 4)),
    ("31/02/2026", True, None),
    ("soon", False, None),
])
def test_printed_dates(printed: str, day_first: bool, expected: date | None) -> None:
    assert parse_printed_date(printed, day_first=day_first) == expected


def test_nothing_found_is_empty_not_an_error() -> None:
    fields = advice_fields("Hello, please see attached.")
    assert (fields.payer, fields.payment_ref, fields.payment_date, fields.totals) == (
        None, None, None, [])


@pytest.mark.parametrize(("text", "partial"), [
    ("Teilzahlung\nDocument Your Ref Gross Net Paid", True),
    ("Teilzahiung\nDocument Your Ref Gross Net Paid", True),  # OCR: l read as i
    ("PARTIAL PAYMENT - balance to follow", True),
    ("Paiement partiel de la facture", True),
    ("lnstalment 2 of 3", True),
    ("Payment Advice\nDocument Your Ref Gross Deduction Net Paid", False),
    ("Partition 4, Partner No. 77", False),
])
def test_an_advice_that_says_the_payment_is_partial(text: str, partial: bool) -> None:
    assert advice_fields(text).partial is partial


def test_the_advices_other_dates_tell_the_day_from_the_month() -> None:
    # A US-dollar advice from Australia: 20/02/2026 shows the dates are day first.
    fields = advice_fields("Payment Date,04/03/2026\nPayment Amount,\"$11,568.18\"\n"
                           "Our Ref,Your Ref,Date,Amount\n"
                           "1947230125,INV2026001163,20/02/2026,3700.00\n")
    assert fields.payment_date == date(2026, 3, 4)
    us = advice_fields("Payment Date: 04/03/2026\nINV-2026-000101 02/27/2026 USD 100.00\n")
    assert us.payment_date == date(2026, 4, 3)
