"""Reader and matcher together on the suite's own demo scenario, with no servers.

The bar is the product's promise: no wrong automatic posting, every exception in
review, and the plain cases straight through.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bots.remittance_reader.bank.csv_export import read_csv_export
from bots.remittance_reader.context import ReadingContext
from bots.remittance_reader.mail.remittance import read_mail
from fixtures.demo_data import generate_scenario
from shared.domain import Decision, DecisionKind, Payment
from shared.ledger_files import read_customers, read_open_items
from shared.matching import decide_batch


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Decision], dict[str, dict]]:
    d = generate_scenario(tmp_path_factory.mktemp("demo"))
    customers = read_customers(d / "ledger" / "customers.csv")
    items = read_open_items(d / "ledger" / "open_items.csv")
    payments = [
        Payment(payment_id=e.payment_id, amount=e.amount, currency=e.currency,
                value_date=e.value_date, payer_name=e.payer_name, payer_account=e.payer_account,
                text=e.free_text)
        for f in (d / "bank").glob("*.csv") for e in read_csv_export(f) if e.credit
    ]
    context = ReadingContext.build(customers, items)
    readings = [read_mail(f.read_bytes(), context, source=f.name)
                for f in sorted((d / "mail").glob("*.eml"))]
    decisions = decide_batch(payments, customers=customers, open_items=items,
                             remittances=[r.remittance for r in readings if r.remittance])
    truth = {t["payment_id"]: t for t in map(json.loads, (d / "truth" / "payments.jsonl")
                                             .read_text().splitlines())}
    return decisions, truth


def _correct(decision: Decision, truth: dict) -> bool:
    want_apps = {a["doc_no"]: Decimal(a["amount"]) for a in truth["applications"]}
    want_adj = {(a["type"], a["doc_no"]): Decimal(a["amount"]) for a in truth["adjustments"]}
    return (
        {a.doc_no: a.amount for a in decision.applications} == want_apps
        and {(a.type.value, a.doc_no): a.amount for a in decision.adjustments} == want_adj
        and decision.on_account == Decimal(truth["on_account"])
    )


def test_no_wrong_auto_posting(outcome: tuple[list[Decision], dict[str, dict]]) -> None:
    decisions, truth = outcome
    wrong = [d.payment_id for d in decisions
             if d.kind is DecisionKind.AUTO and not _correct(d, truth[d.payment_id])]
    assert wrong == []


def test_exceptions_go_to_review_naming_the_exception(
    outcome: tuple[list[Decision], dict[str, dict]],
) -> None:
    decisions, truth = outcome
    for d in decisions:
        if exception := truth[d.payment_id]["exception"]:
            assert d.kind is DecisionKind.REVIEW
            assert exception in (d.reason or "")


def test_plain_cases_go_straight_through(outcome: tuple[list[Decision], dict[str, dict]]) -> None:
    decisions, truth = outcome
    auto = {d.payment_id for d in decisions if d.kind is DecisionKind.AUTO}
    plain = {pid for pid, t in truth.items()
             if t["tag"] in ("single_ref", "multi_remit", "credit_netting", "parent_pays")}
    assert plain <= auto
    assert len(auto) == sum(1 for t in truth.values() if t["determinable"])


def test_every_decision_line_has_the_output_contract_shape(
    outcome: tuple[list[Decision], dict[str, dict]],
) -> None:
    decisions, _ = outcome
    for d in decisions:
        line = json.loads(d.to_json_line())
        assert isinstance(line["on_account"], str) and line["on_account"].count(".") == 1
        assert Decision.from_json(line).payment_id == d.payment_id
