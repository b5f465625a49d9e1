"""The outbox on both backends: claims are exclusive across 4 processes and 4 threads, leases
expire, failures retry or stop, and only the claiming worker may mark a posting done.

Fresh migrated databases come from the ``store_url`` fixture (tests/plugins/postgres.py).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from shared import audit
from shared.domain import Application, Decision, Payment
from shared.errors import InvalidTransitionError
from shared.store import (
    PostingState,
    claim_next_posting,
    count_postings,
    enqueue_posting,
    get_posting,
    make_engine,
    mark_posted,
    mark_posting_failed,
    read_transaction,
    record_decision,
    requeue_posting,
    upsert_payment,
    write_transaction,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_payment(payment_id: str = "P-1", amount: str = "100.00") -> Payment:
    return Payment(
        payment_id=payment_id, amount=amount, currency="EUR", value_date=date(2026, 3, 2)
    )


def decide_auto(engine: Engine, payment: Payment) -> int:
    """Store the payment and an auto decision applying it whole; return the decision id."""
    with write_transaction(engine) as session:
        upsert_payment(session, payment=payment)
        decision = Decision.auto(
            payment,
            applications=[Application(doc_no=f"INV-{payment.payment_id}", amount=payment.amount)],
        )
        return record_decision(session, decision=decision, decided_by="matcher")


def queue_postings(engine: Engine, count: int) -> list[str]:
    ids = [f"P-{n:04d}" for n in range(count)]
    with write_transaction(engine) as session:
        for n, payment_id in enumerate(ids):
            payment = make_payment(payment_id, f"{n + 1}.00")
            upsert_payment(session, payment=payment)
            decision = Decision.auto(
                payment, applications=[Application(doc_no=f"INV-{n}", amount=payment.amount)]
            )
            decision_id = record_decision(session, decision=decision, decided_by="matcher")
            enqueue_posting(session, payment_id=payment_id, decision_id=decision_id, now=T0)
    return ids


def _claim_worker(url: str, worker: str, start: Any, results: Any) -> None:
    """Runs in a separate process: claim and post until the outbox is empty."""
    engine = make_engine(url)
    claimed: list[str] = []
    start.wait()
    try:
        while True:
            with write_transaction(engine) as session:
                posting = claim_next_posting(session, worker=worker, now=T0)
            if posting is None:
                break
            claimed.append(posting.payment_id)
            with write_transaction(engine) as session:
                mark_posted(
                    session,
                    payment_id=posting.payment_id,
                    worker=worker,
                    erp_document_no=f"PMT-{posting.payment_id}",
                    now=T0,
                )
    finally:
        engine.dispose()
        results.put((worker, claimed))


def test_outbox_claims_are_exclusive_across_processes(store_url: str, store_engine: Engine) -> None:
    ids = queue_postings(store_engine, 80)
    # forkserver: children start clean (no inherited database connections, unlike fork)
    # and fork from a server that imported this module once (spawn re-imports it in
    # every child: ~10 s instead of ~2 s on two cores).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    start = context.Event()
    results = context.Queue()
    workers = [
        context.Process(target=_claim_worker, args=(store_url, f"w{n}", start, results))
        for n in range(4)
    ]
    for process in workers:
        process.start()
    start.set()
    outcome = dict(results.get(timeout=120) for _ in workers)
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0

    claims = [payment_id for claimed in outcome.values() for payment_id in claimed]
    duplicates = [pid for pid, n in Counter(claims).items() if n > 1]
    assert duplicates == []
    assert sorted(claims) == ids
    with read_transaction(store_engine) as session:
        assert count_postings(session)[PostingState.POSTED] == len(ids)
        posting = get_posting(session, payment_id=ids[0])
        assert posting is not None
        assert posting.attempts == 1
        assert posting.erp_document_no == f"PMT-{ids[0]}"
        assert outcome[posting.claimed_by or ""].count(ids[0]) == 1


def test_outbox_claims_are_exclusive_across_threads(store_engine: Engine) -> None:
    ids = queue_postings(store_engine, 40)
    claimed: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(worker: str) -> None:
        try:
            while True:
                with write_transaction(store_engine) as session:
                    posting = claim_next_posting(session, worker=worker, now=T0)
                if posting is None:
                    return
                with lock:
                    claimed.append(posting.payment_id)
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(claimed) == ids


def test_outbox_moves(store_engine: Engine) -> None:
    payment = make_payment()
    decision_id = decide_auto(store_engine, payment)
    with write_transaction(store_engine) as session:
        assert enqueue_posting(session, payment_id="P-1", decision_id=decision_id, now=T0)
        assert not enqueue_posting(session, payment_id="P-1", decision_id=decision_id, now=T0)

    with write_transaction(store_engine) as session:
        first = claim_next_posting(session, worker="a", lease=timedelta(minutes=5), now=T0)
        assert first is not None and first.state is PostingState.POSTING
        # Nothing else to claim while the lease runs.
        assert claim_next_posting(session, worker="b", now=T0 + timedelta(minutes=1)) is None
    with pytest.raises(InvalidTransitionError), write_transaction(store_engine) as session:
        mark_posted(session, payment_id="P-1", worker="b", erp_document_no="X")

    # Worker a died: after the lease, b takes over and a may no longer finish.
    with write_transaction(store_engine) as session:
        second = claim_next_posting(session, worker="b", now=T0 + timedelta(minutes=6))
        assert second is not None and second.attempts == 2 and second.claimed_by == "b"
        failed = mark_posting_failed(
            session,
            payment_id="P-1",
            worker="b",
            error="ERP answered 503",
            retry_at=T0 + timedelta(minutes=30),
        )
        assert failed.state is PostingState.PENDING
        assert claim_next_posting(session, worker="b", now=T0 + timedelta(minutes=10)) is None
    with write_transaction(store_engine) as session:
        third = claim_next_posting(session, worker="c", now=T0 + timedelta(minutes=31))
        assert third is not None
        final = mark_posting_failed(session, payment_id="P-1", worker="c", error="customer blocked")
        assert final.state is PostingState.FAILED
        assert claim_next_posting(session, worker="c", now=T0 + timedelta(days=1)) is None
        again = requeue_posting(session, payment_id="P-1", decision_id=decision_id, actor="jane")
        assert again.state is PostingState.PENDING
    with write_transaction(store_engine) as session:
        fourth = claim_next_posting(session, worker="d")
        assert fourth is not None
        done = mark_posted(session, payment_id="P-1", worker="d", erp_document_no="PMT-000123")
        assert done.state is PostingState.POSTED and done.erp_document_no == "PMT-000123"
        trail = [e.action for e in audit.history(session, entity_type="posting", entity_id="P-1")]
    assert trail == ["posting.retry", "posting.failed", "posting.requeue", "posting.posted"]


def test_review_decisions_cannot_be_posted(store_engine: Engine) -> None:
    payment = make_payment()
    with write_transaction(store_engine) as session:
        upsert_payment(session, payment=payment)
        decision_id = record_decision(
            session, decision=Decision.review(payment, reason="unclear"), decided_by="matcher"
        )
    with pytest.raises(InvalidTransitionError), write_transaction(store_engine) as session:
        enqueue_posting(session, payment_id="P-1", decision_id=decision_id)
