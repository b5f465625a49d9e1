"""Domain models: money fields, ledger rules, decision invariants and the JSON line."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared.domain import (
    Adjustment,
    Application,
    Customer,
    Decision,
    DecisionKind,
    DocType,
    ExceptionKind,
    OpenItem,
    Payment,
    Remittance,
    RemittanceLine,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    Suggestion,
    can_move,
)

# The example line of FORMAT.md 3.1.
FORMAT_EXAMPLE = (
    '{"payment_id": "FC260302284138", "decision": "auto", "customer_id": "C00017", '
    '"applications": [{"doc_no": "INV-2026-000839", "amount": "854.11"}, '
    '{"doc_no": "INV-2025-006236", "amount": "1031.03"}], '
    '"adjustments": [{"type": "deduction", "doc_no": "INV-2025-006236", "amount": "12.00", '
    '"reason_code": "FREIGHT"}], '
    '"on_account": "0.00", "reason": null, "confidence": 0.97, "suggestions": []}'
)


def payment(amount: str = "100.00", **overrides: Any) -> Payment:
    values: dict[str, Any] = {
        "payment_id": "P-1",
        "amount": amount,
        "currency": "EUR",
        "value_date": date(2026, 3, 2),
    }
    return Payment(**(values | overrides))


def invoice(**overrides: Any) -> OpenItem:
    values: dict[str, Any] = {
        "doc_no": "INV-2026-000451",
        "doc_type": "INV",
        "customer_id": "C00042",
        "doc_date": date(2026, 2, 1),
        "due_date": date(2026, 3, 3),
        "currency": "EUR",
        "amount": "1000.00",
        "open_amount": "1000.00",
    }
    return OpenItem(**(values | overrides))


def app(doc_no: str, amount: str) -> Application:
    return Application(doc_no=doc_no, amount=amount)


# --- money fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [("12.5", "12.50"), (12, "12.00"), (Decimal("0.1"), "0.10"), ("1.000", "1.00")],
)
def test_money_fields_hold_two_places(given: object, expected: str) -> None:
    amount = payment(amount=given).amount  # type: ignore[arg-type]

    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize("bad", [1.5, True, "1.005", "abc", "NaN", "Infinity"])
def test_money_fields_refuse_floats_extra_places_and_non_numbers(bad: object) -> None:
    with pytest.raises(ValidationError):
        payment(amount=bad)  # type: ignore[arg-type]


def test_money_serialises_to_json_as_a_string() -> None:
    dumped = payment(amount="7").model_dump(mode="json")

    assert dumped["amount"] == "7.00"


def test_payment_amount_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        payment(amount="0.00")


def test_identifiers_are_trimmed_and_must_not_be_empty() -> None:
    assert payment(payment_id="  P-9 ").payment_id == "P-9"
    with pytest.raises(ValidationError):
        payment(payment_id="   ")


def test_models_are_immutable() -> None:
    p = payment()

    with pytest.raises(ValidationError):
        p.amount = Decimal("1.00")  # type: ignore[misc]
    assert hash(p) == hash(payment())


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        payment(amout="1.00")


# --- ledger -------------------------------------------------------------------------


def test_open_item_reads_ledger_strings() -> None:
    item = invoice(discount_date="2026-02-11", discount_amount="20.00")

    assert item.doc_type is DocType.INVOICE
    assert item.discount_on(date(2026, 2, 11)) == Decimal("20.00")
    assert item.discount_on(date(2026, 2, 12)) is None


def test_credit_memo_is_negative() -> None:
    memo = invoice(doc_no="CM-2025-00604", doc_type="CM", amount="-1224.03", open_amount="-1224.03")

    assert memo.is_credit
    with pytest.raises(ValidationError, match="negative"):
        invoice(doc_type="CM")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"open_amount": "1000.01"}, "exceeds"),
        ({"open_amount": "-5.00"}, "wrong sign"),
        ({"amount": "-5.00", "open_amount": "-5.00"}, "positive"),
        ({"discount_date": "2026-02-11"}, "together"),
    ],
)
def test_open_item_rules(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        invoice(**overrides)


def test_customer_cannot_be_its_own_parent() -> None:
    with pytest.raises(ValidationError, match="own parent"):
        Customer(customer_id="C1", name="Acme", currency="USD", parent_id="C1")


def test_customer_names_include_aliases() -> None:
    customer = Customer(customer_id="C1", name="Acme Corp", aliases=("ACME",), currency="USD")

    assert customer.names == ("Acme Corp", "ACME")


def test_remittance_line_gross_must_add_up() -> None:
    line = RemittanceLine(
        ref_as_printed="INV2026000406",
        gross="1521.33",
        deduction="45.00",
        paid="1476.33",
        reason_code="DAMAGED",
    )
    remittance = Remittance(remittance_id="R1", source="mail/0009.eml", lines=(line,))

    assert remittance.lines_paid == Decimal("1476.33")
    with pytest.raises(ValidationError, match="gross"):
        RemittanceLine(ref_as_printed="x", gross="100.00", paid="90.00")


# --- decisions ----------------------------------------------------------------------


def test_auto_decision_puts_the_rest_on_account() -> None:
    decision = Decision.auto(
        payment("1000.00"),
        applications=[app("INV-1", "700.00"), app("CM-1", "-50.00")],
        customer_id="C00042",
    )

    assert decision.kind is DecisionKind.AUTO
    assert decision.applied == Decimal("650.00")
    assert decision.on_account == Decimal("350.00")


def test_auto_decision_must_balance() -> None:
    with pytest.raises(ValidationError, match="does not balance"):
        Decision(
            payment_id="P-1",
            kind="auto",
            payment_amount="100.00",
            applications=(app("INV-1", "90.00"),),
            on_account="5.00",
        )


def test_auto_decision_cannot_apply_more_than_paid() -> None:
    with pytest.raises(ValidationError, match=r"on_account -10\.00 is negative"):
        Decision.auto(payment("100.00"), applications=[app("INV-1", "110.00")])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"applications": ()}, "at least one document"),
        ({"payment_amount": None}, "needs payment_amount"),
        ({"exception": "duplicate"}, "cannot be posted"),
    ],
)
def test_auto_decision_rules(values: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {
        "payment_id": "P-1",
        "kind": "auto",
        "payment_amount": "100.00",
        "applications": (app("INV-1", "100.00"),),
    }
    with pytest.raises(ValidationError, match=message):
        Decision(**(base | values))


def test_review_decision_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="needs a reason"):
        Decision.review(payment())


def test_review_decision_posts_nothing() -> None:
    with pytest.raises(ValidationError, match="posts nothing"):
        Decision(
            payment_id="P-1",
            kind="review",
            reason="unclear",
            applications=(app("INV-1", "100.00"),),
        )


def test_exception_review_names_the_exception() -> None:
    decision = Decision.review(payment(), exception=ExceptionKind.WRONG_POCKET)

    assert decision.reason == "wrong_pocket"
    with pytest.raises(ValidationError, match="must name the exception"):
        Decision.review(payment(), exception=ExceptionKind.DUPLICATE, reason="paid twice")


def test_suggestions_must_account_for_the_payment() -> None:
    good = Suggestion(applications=(app("INV-1", "60.00"),), on_account="40.00")
    Decision.review(payment("100.00"), reason="ambiguous", suggestions=[good])

    short = Suggestion(applications=(app("INV-1", "60.00"),))
    with pytest.raises(ValidationError, match=r"suggestion 1 accounts for 60\.00"):
        Decision.review(payment("100.00"), reason="ambiguous", suggestions=[short])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"type": "deduction"}, "needs a reason code"),
        ({"type": "bank_fee", "reason_code": "OTHER"}, "takes no reason code"),
        ({"type": "discount", "amount": "-1.00"}, "greater than 0"),
    ],
)
def test_adjustment_rules(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Adjustment(**({"doc_no": "INV-1", "amount": "5.00"} | values))


def test_application_of_zero_is_refused() -> None:
    with pytest.raises(ValidationError, match="zero"):
        app("INV-1", "0.00")


def test_confidence_is_a_share() -> None:
    with pytest.raises(ValidationError):
        Decision.auto(payment(), applications=[app("INV-1", "100.00")], confidence=1.5)


# --- the JSON line (FORMAT.md 3.1) --------------------------------------------------


def test_format_example_round_trips_byte_for_byte() -> None:
    decision = Decision.from_json(FORMAT_EXAMPLE)

    assert decision.payment_amount == Decimal("1885.14")
    assert decision.to_json_line() == FORMAT_EXAMPLE


def test_json_line_of_a_review_decision() -> None:
    decision = Decision.review(
        payment("250.00"),
        exception=ExceptionKind.AMBIGUOUS,
        customer_id="C00001",
        suggestions=[Suggestion(applications=(app("INV-9", "250.00"),))],
    )

    line = json.loads(decision.to_json_line())

    assert line == {
        "payment_id": "P-1",
        "decision": "review",
        "customer_id": "C00001",
        "applications": [],
        "adjustments": [],
        "on_account": "0.00",
        "reason": "ambiguous",
        "confidence": None,
        "suggestions": [
            {
                "applications": [{"doc_no": "INV-9", "amount": "250.00"}],
                "adjustments": [],
                "on_account": "0.00",
            }
        ],
    }
    back = Decision.from_json(line, payment_amount=Decimal("250.00"))
    assert back.exception is ExceptionKind.AMBIGUOUS
    assert back == decision


def test_from_json_checks_the_given_payment_amount() -> None:
    with pytest.raises(ValidationError, match="does not balance"):
        Decision.from_json(FORMAT_EXAMPLE, payment_amount=Decimal("2000.00"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(on_account=0), "on_account: amount must be a string"),
        (lambda d: d["applications"][0].update(amount="854.1"), r"applications\[0\]\.amount"),
        (lambda d: d.update(on_acount="0.00"), "unknown keys"),
        (lambda d: d.update(decision="maybe"), "maybe"),
        (
            lambda d: d.update(suggestions=[{"applications": [{"doc_no": "X", "amount": 1}]}]),
            r"suggestions\[0\]\.applications\[0\]\.amount",
        ),
    ],
)
def test_from_json_refuses_malformed_lines(mutate: Any, message: str) -> None:
    obj = json.loads(FORMAT_EXAMPLE)
    mutate(obj)

    with pytest.raises(ValueError, match=message):
        Decision.from_json(json.dumps(obj))


def test_model_dump_round_trips_every_field() -> None:
    decision = Decision.review(
        payment(),
        reason="unidentified payer",
        exception=ExceptionKind.UNIDENTIFIED,
        evidence=("no customer named X",),
    )

    assert Decision.model_validate(decision.model_dump(mode="json")) == decision


def _load_scorer(materials_dir: Path) -> Any:
    spec = importlib.util.spec_from_file_location("bench_score", materials_dir / "bench/score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.materials
def test_scorer_accepts_our_lines(materials_dir: Path) -> None:
    scorer = _load_scorer(materials_dir)
    auto = Decision.from_json(FORMAT_EXAMPLE)
    review = Decision.review(
        payment("1.00"),
        exception=ExceptionKind.DUPLICATE,
        suggestions=[Suggestion(applications=(app("INV-1", "1.00"),))],
    )

    for decision in (auto, review):
        checked = scorer.validate(json.loads(decision.to_json_line()))
        assert checked["decision"] == decision.kind.value


# --- review items -------------------------------------------------------------------


def test_review_status_moves() -> None:
    assert can_move(ReviewStatus.OPEN, ReviewStatus.CLAIMED)
    assert can_move(ReviewStatus.CLAIMED, ReviewStatus.OPEN)
    assert not can_move(ReviewStatus.RESOLVED, ReviewStatus.OPEN)
    assert not can_move(ReviewStatus.CLAIMED, ReviewStatus.CLAIMED)


def test_claimed_review_item_has_an_assignee() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    values: dict[str, Any] = {
        "item_id": 1,
        "kind": ReviewKind.UNMATCHED_PAYMENT,
        "status": ReviewStatus.OPEN,
        "title": "Unmatched payment P-1",
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "sla_due": now + timedelta(hours=24),
    }
    item = ReviewItem(**values)

    assert item.is_open
    assert item.overdue(now + timedelta(hours=25))
    with pytest.raises(ValidationError, match="claimed by nobody"):
        ReviewItem(**(values | {"status": "claimed"}))
    with pytest.raises(ValidationError, match="timezone"):
        ReviewItem(**(values | {"created_at": datetime(2026, 3, 2)}))
