"""A decisions file into the outbox: once, with clear reports for lines it cannot use."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bots.erp_poster import enqueue_decisions
from shared.domain import Decision, Payment
from shared.store import (
    PostingState,
    claim_next_posting,
    count_postings,
    decision_history,
    get_posting,
    mark_posting_failed,
    read_transaction,
    upsert_payment,
    write_transaction,
)
from tests.unit.erp_poster.factories import (
    decision_line,
    generated_batch,
    make_store,
)


@pytest.fixture(scope="module")
def lines() -> list[tuple[Payment, str, bool]]:
    batch = generated_batch(40, seed=3)
    by_id = {p.payment_id: p for p in batch.payments}
    return [(by_id[pid], decision_line(by_id[pid], t), t.determinable)
            for pid, t in batch.truth.items()]


@pytest.fixture
def engine(tmp_path: Path, lines: list[tuple[Payment, str, bool]]) -> Engine:
    _, engine = make_store(tmp_path / "o2c.sqlite3")
    with write_transaction(engine) as session:
        for payment, _, _ in lines:
            upsert_payment(session, payment=payment)
    return engine


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def test_auto_lines_are_queued_once_and_review_lines_are_left(
    engine: Engine, tmp_path: Path, lines: list[tuple[Payment, str, bool]]
) -> None:
    path = write(tmp_path / "d.jsonl", [line for _, line, _ in lines])
    auto = sum(1 for *_, ok in lines if ok)
    first = enqueue_decisions(engine, path, decided_by="file")
    assert (first.lines, first.auto, first.queued, first.review) == (
        len(lines), auto, auto, len(lines) - auto)
    assert first.problems == []
    second = enqueue_decisions(engine, path, decided_by="file")
    assert (second.queued, second.unchanged, second.problems) == (0, auto, [])
    with read_transaction(engine) as session:
        assert count_postings(session)[PostingState.PENDING] == auto
        payment = next(p for p, _, ok in lines if ok)
        assert len(decision_history(session, payment_id=payment.payment_id)) == 1


def test_unusable_lines_are_reported_by_number_and_the_rest_is_taken(
    engine: Engine, tmp_path: Path, lines: list[tuple[Payment, str, bool]]
) -> None:
    good = [line for _, line, ok in lines if ok][:2]
    wrong_amount = json.loads(good[1])
    wrong_amount["on_account"] = "999.00"  # the decision no longer adds up to the payment
    unknown = json.loads(good[0]) | {"payment_id": "NOT-IN-STORE"}
    path = write(tmp_path / "d.jsonl", [
        good[0], "{not json", json.dumps({"payment_id": "X", "decision": "auto",
                                          "applications": [{"doc_no": "A", "amount": 1.5}]}),
        json.dumps(unknown), json.dumps(wrong_amount), "",
    ])
    report = enqueue_decisions(engine, path, decided_by="file")
    assert report.queued == 1
    assert [p.split(":")[0] for p in report.problems] == [
        "line 2", "line 3", "line 4 (NOT-IN-STORE)", f"line 5 ({wrong_amount['payment_id']})"]
    assert "two decimals" in report.problems[1]
    assert "not in the store" in report.problems[2]
    assert "999.00" in report.problems[3] or "amount" in report.problems[3]


def test_a_new_decision_requeues_a_failed_posting_but_never_changes_a_posted_one(
    engine: Engine, tmp_path: Path, lines: list[tuple[Payment, str, bool]]
) -> None:
    (p1, line1, _), (p2, line2, _) = [x for x in lines if x[2]][:2]
    enqueue_decisions(engine, write(tmp_path / "a.jsonl", [line1, line2]), decided_by="file")
    with write_transaction(engine) as session:  # p1 failed and went to a person
        claim_next_posting(session, worker="w")
        mark_posting_failed(session, payment_id=p1.payment_id, worker="w", error="closed")
        session.execute(text("update postings set state = 'posted' where payment_id = :p"),
                        {"p": p2.payment_id})

    def changed(line: str) -> str:
        obj = json.loads(line)
        first = obj["applications"][0]
        first["amount"] = f"{Decimal(first['amount']) - Decimal('1.00'):.2f}"
        obj["on_account"] = f"{Decimal(obj['on_account']) + Decimal('1.00'):.2f}"
        return json.dumps(obj)

    second = write(tmp_path / "b.jsonl", [changed(line1), changed(line2)])
    report = enqueue_decisions(engine, second, decided_by="handler")
    assert report.queued == 1
    assert len(report.problems) == 1 and "already posted" in report.problems[0]
    with read_transaction(engine) as session:
        requeued = get_posting(session, payment_id=p1.payment_id)
        assert requeued is not None and requeued.state is PostingState.PENDING
        history = decision_history(session, payment_id=p1.payment_id)
    assert requeued.decision_id == history[-1].decision_id != history[0].decision_id
    assert isinstance(history[-1].decision, Decision)
