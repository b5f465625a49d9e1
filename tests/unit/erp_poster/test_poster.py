"""The poster's rules on the outbox, with the offline (JSONL file) ERP adapter.

The file adapter is a real ErpGateway that never fails; subclasses below make it fail
the ways a web ERP does, at the moment that matters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bots.erp_poster import PostingReport, post_outbox
from bots.erp_poster.file_gateway import FileErpGateway
from bots.erp_poster.run import GatewayFactory
from shared.erp import ErpGateway, ErpPayment, PostingRequest, SaveOutcomeUnknown
from shared.errors import BusinessError, ExternalServiceError
from shared.settings import ErpSettings
from shared.store import (
    PostingState,
    claim_next_posting,
    count_postings,
    get_posting,
    list_review_items,
    read_transaction,
    write_transaction,
)
from tests.unit.erp_poster.factories import (
    auto_decision,
    generated_batch,
    make_store,
    queue_decisions,
)

SETTINGS = ErpSettings(adapter="file", backoff_seconds=0.0, requeue_seconds=0.0,
                       claim_attempts=3, step_attempts=3)


@pytest.fixture(scope="module")
def decisions() -> list:  # type: ignore[type-arg]
    batch = generated_batch(40, seed=3)
    by_id = {p.payment_id: p for p in batch.payments}
    return [(by_id[t.payment_id], auto_decision(by_id[t.payment_id], t))
            for t in batch.truth.values() if t.determinable][:6]


@pytest.fixture
def engine(tmp_path: Path, decisions: list) -> Engine:  # type: ignore[type-arg]
    _, engine = make_store(tmp_path / "o2c.sqlite3")
    queue_decisions(engine, decisions)
    return engine


def factory(gateway: ErpGateway) -> GatewayFactory:
    @contextmanager
    def open_gateway() -> Iterator[ErpGateway]:
        yield gateway

    return open_gateway


def memos(path: Path) -> list[str]:
    return [json.loads(line)["payment_id"] for line in path.read_text().splitlines()]


def run(engine: Engine, gateway: ErpGateway, tmp_path: Path, seats: int = 1,
        wait: bool = True) -> PostingReport:
    return post_outbox(engine, SETTINGS, evidence=tmp_path / "ev", gateways=factory(gateway),
                       seats=seats, wait=wait)


def test_posts_every_entry_once_and_a_second_run_posts_nothing(
    engine: Engine, tmp_path: Path, decisions: list  # type: ignore[type-arg]
) -> None:
    erp = FileErpGateway(tmp_path / "erp.jsonl")
    report = run(engine, erp, tmp_path, seats=3)
    assert (report.posted, report.to_review) == (len(decisions), 0)
    assert sorted(memos(erp.path)) == sorted(p.payment_id for p, _ in decisions)
    again = run(engine, erp, tmp_path)
    assert (again.posted, again.recovered) == (0, 0)
    assert len(memos(erp.path)) == len(decisions)


def test_a_claim_whose_worker_died_after_save_is_found_in_the_erp_not_posted_again(
    engine: Engine, tmp_path: Path, decisions: list  # type: ignore[type-arg]
) -> None:
    erp = FileErpGateway(tmp_path / "erp.jsonl")
    payment, decision = decisions[0]
    with write_transaction(engine) as session:
        dead = claim_next_posting(session, worker="dead", lease=timedelta(microseconds=1))
    assert dead is not None and dead.payment_id == payment.payment_id
    erp.post_payment(PostingRequest.of(payment, decision), before_save=lambda: None)

    report = run(engine, erp, tmp_path)

    assert (report.recovered, report.posted) == (1, len(decisions) - 1)
    assert sorted(memos(erp.path)) == sorted(p.payment_id for p, _ in decisions)
    with read_transaction(engine) as session:
        posting = get_posting(session, payment_id=payment.payment_id)
    assert posting is not None and posting.erp_document_no == "DRY-000001"


class LostAnswer(FileErpGateway):
    """Saves, then loses the answer (a 500 page or timeout after the commit)."""

    def post_payment(self, request: PostingRequest, *,
                     before_save: Callable[[], None]) -> ErpPayment:
        super().post_payment(request, before_save=before_save)
        raise SaveOutcomeUnknown("no answer to Save")


def test_a_save_whose_answer_was_lost_is_found_by_the_next_search(
    engine: Engine, tmp_path: Path, decisions: list  # type: ignore[type-arg]
) -> None:
    erp = LostAnswer(tmp_path / "erp.jsonl")
    report = run(engine, erp, tmp_path)
    assert (report.recovered, report.posted) == (len(decisions), 0)
    assert len(memos(erp.path)) == len(decisions)


class Refusing(FileErpGateway):
    """Refuses one payment the way the ERP refuses a closed invoice; another differs."""

    def __init__(self, path: Path, refuse: str, alter: str) -> None:
        super().__init__(path)
        self.refuse, self.alter = refuse, alter

    def post_payment(self, request: PostingRequest, *,
                     before_save: Callable[[], None]) -> ErpPayment:
        if request.payment_id == self.refuse:
            raise BusinessError("erp_rejected", "INV-X is already closed.",
                                errors=["INV-X is already closed."])
        if request.payment_id == self.alter:
            request = PostingRequest(**{**{f: getattr(request, f) for f in
                                           request.__dataclass_fields__},
                                        "on_account": request.on_account + 1})
        return super().post_payment(request, before_save=before_save)


def test_refusals_and_wrong_documents_go_to_review_and_the_batch_goes_on(
    engine: Engine, tmp_path: Path, decisions: list  # type: ignore[type-arg]
) -> None:
    refuse, alter = decisions[1][0].payment_id, decisions[2][0].payment_id
    erp = Refusing(tmp_path / "erp.jsonl", refuse, alter)
    report = run(engine, erp, tmp_path)
    assert (report.posted, report.to_review) == (len(decisions) - 2, 2)
    with read_transaction(engine) as session:
        items = {i.payment_id: i for i in list_review_items(session)}
        states = {pid: get_posting(session, payment_id=pid) for pid in (refuse, alter)}
    assert items[refuse].payload["erp_messages"] == ["INV-X is already closed."]
    assert items[alter].payload["error_code"] == "posted_differs"
    assert "on account" in str(items[alter].payload["erp_message"])
    assert all(s is not None and s.state is PostingState.FAILED for s in states.values())
    # Running again does not post them (a person decides) nor open second items.
    again = run(engine, erp, tmp_path)
    assert (again.posted, again.to_review) == (0, 0)


class Flaky(FileErpGateway):
    """The ERP is down for the first ``down`` searches."""

    def __init__(self, path: Path, down: int) -> None:
        super().__init__(path)
        self.down = down

    def find_payments(self, payment_id: str) -> list[ErpPayment]:
        if self.down > 0:
            self.down -= 1
            raise ExternalServiceError("erp", "Server error")
        return super().find_payments(payment_id)


def test_an_erp_that_keeps_failing_requeues_then_sends_to_review_with_the_reason(
    engine: Engine, tmp_path: Path, decisions: list  # type: ignore[type-arg]
) -> None:
    erp = Flaky(tmp_path / "erp.jsonl", down=2)
    report = run(engine, erp, tmp_path)
    assert (report.requeued, report.posted) == (2, len(decisions))

    erp = Flaky(tmp_path / "erp2.jsonl", down=10**6)
    _, other = make_store(tmp_path / "other.sqlite3")
    queue_decisions(other, decisions[:1])
    report = run(other, erp, tmp_path)
    assert (report.requeued, report.to_review) == (SETTINGS.claim_attempts - 1, 1)
    with read_transaction(other) as session:
        (item,) = list_review_items(session)
        assert count_postings(session)[PostingState.FAILED] == 1
    assert item.payload["error_code"] == "erp_unavailable"
    assert "Server error" in str(item.payload["erp_message"])


class SlowWorker(FileErpGateway):
    """Another worker takes the entry over while this one is still busy with it."""

    def __init__(self, path: Path, engine: Engine) -> None:
        super().__init__(path)
        self.engine = engine

    def post_payment(self, request: PostingRequest, *,
                     before_save: Callable[[], None]) -> ErpPayment:
        with write_transaction(self.engine) as session:
            session.execute(text("update postings set claimed_by = 'other' "
                                 "where payment_id = :p"), {"p": request.payment_id})
        return super().post_payment(request, before_save=before_save)


def test_a_worker_that_lost_its_claim_does_not_save(
    engine: Engine, tmp_path: Path, decisions: list  # type: ignore[type-arg]
) -> None:
    erp = SlowWorker(tmp_path / "erp.jsonl", engine)
    # wait=False: the other worker still holds every claim; do not wait for its leases.
    report = run(engine, erp, tmp_path, wait=False)
    assert report.posted == 0
    assert memos(erp.path) == []
    with read_transaction(engine) as session:
        assert count_postings(session)[PostingState.POSTING] == len(decisions)
