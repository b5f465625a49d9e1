from decimal import Decimal

import pytest

from shared.money import MoneyParseError, format_amount, parse_amount, to_money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234.56", "1234.56"),
        ("1'234.56", "1234.56"),
        ("1234.5", "1234.50"),
        ("1234,5", "1234.50"),
        ("100", "100.00"),
        ("0.10", "0.10"),
        ("-1.00", "-1.00"),
        ("(1.00)", "-1.00"),
        ("1.00-", "-1.00"),
        ("1.00 CR", "-1.00"),
        ("1.00CR", "-1.00"),
        ("1.00 DR", "1.00"),
        ("$1,000.00", "1000.00"),
        ("-$12.00", "-12.00"),
        ("$-12.00", "-12.00"),
        ("(€ 1.234,56)", "-1234.56"),
        ("EUR 3.880,43", "3880.43"),
        ("£12", "12.00"),
        ("1,234,567.89", "1234567.89"),
        ("1.234.567,89", "1234567.89"),
        ("1.234.567", "1234567.00"),
        ("+5.00", "5.00"),
        ("\u22125.00", "-5.00"),
        ("0,5", "0.50"),
        ("12.500", "12500.00"),
        ("0.000", "0.00"),
    ],
)
def test_parse_amount_reads_printed_forms(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


def test_decimal_hint_decides_a_lone_three_digit_group() -> None:
    assert parse_amount("1,234") == Decimal("1234.00")
    assert parse_amount("1,23", decimal_hint=",") == Decimal("1.23")
    with pytest.raises(MoneyParseError):
        parse_amount("1,234", decimal_hint=",")  # three places of cents is not money
    assert parse_amount("12.500", decimal_hint=".") == Decimal("12.50")


@pytest.mark.parametrize(
    "text", ["", "  ", "abc", "1.2.3,4,5", "12,34,56.00", "1.234.56", "0.125", "--", "$"]
)
def test_parse_amount_refuses_non_amounts(text: str) -> None:
    with pytest.raises(MoneyParseError) as err:
        parse_amount(text)
    assert err.value.text == text


def test_zero_is_never_negative() -> None:
    assert str(parse_amount("(0.00)")) == "0.00"


def test_to_money_refuses_float_and_rounds_half_up() -> None:
    with pytest.raises(TypeError):
        to_money(0.1)  # type: ignore[arg-type]
    assert to_money(Decimal("2.675")) == Decimal("2.68")
    assert to_money(Decimal("-2.675")) == Decimal("-2.68")
    assert to_money(7) == Decimal("7.00")


def test_format_amount_has_two_places() -> None:
    assert format_amount(Decimal("1031.3")) == "1031.30"
    assert format_amount(Decimal("-250")) == "-250.00"
