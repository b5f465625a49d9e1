"""200 postings through the sandbox ERP while it fails: 20% HTTP 500s and sessions that
expire every few seconds (every few minutes in real life, compressed to fit a test).

Every payment must end posted exactly once, equal to its decision, or in the review
queue with the reason; none may be posted twice, none may be left behind.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from pathlib import Path

import pytest

from bots.erp_poster import post_outbox
from fixtures.scale_data import ScaleData
from shared.domain import Decision, Payment
from shared.store import (
    PostingState,
    count_postings,
    get_posting,
    list_review_items,
    read_transaction,
)
from tests.integration.test_erp_poster import erp_settings, exported, same_posting
from tests.plugins.sandbox_erp import SandboxErp
from tests.unit.erp_poster.factories import (
    auto_decision,
    generated_batch,
    make_store,
    queue_decisions,
    write_ledger,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

POSTINGS = 200
EXPIRE_EVERY_S = 6.0


def test_200_postings_under_500s_and_session_expiry_post_exactly_once_or_go_to_review(
    sandbox_erp: SandboxErp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    batch: ScaleData = generated_batch(230, seed=11)
    sandbox_erp.reset(write_ledger(batch, tmp_path / "scenario"))
    by_id = {p.payment_id: p for p in batch.payments}
    chosen: list[tuple[Payment, Decision]] = [
        (by_id[t.payment_id], auto_decision(by_id[t.payment_id], t))
        for t in batch.truth.values()
        if t.determinable
    ][:POSTINGS]
    assert len(chosen) == POSTINGS
    _, engine = make_store(tmp_path / "o2c.sqlite3")
    queue_decisions(engine, chosen)
    settings = erp_settings(
        sandbox_erp, seats=2, keep_traces=False, step_attempts=8, backoff_seconds=0.05,
        backoff_max_seconds=0.5, requeue_seconds=0.5, claim_attempts=6,
    )

    sandbox_erp.set_faults(error_rate=0.2)
    caplog.set_level(logging.INFO, logger="bots.erp_poster")
    stop = threading.Event()
    expiring = threading.Event()

    def expire() -> None:
        while not stop.wait(EXPIRE_EVERY_S):
            if sandbox_erp.expire_sessions():
                expiring.set()

    expirer = threading.Thread(target=expire, daemon=True)
    expirer.start()
    try:
        report = post_outbox(engine, settings, evidence=tmp_path / "evidence")
    finally:
        stop.set()
        expirer.join(timeout=10)
        sandbox_erp.set_faults(reset=True)

    # The faults did happen, and the poster went through them.
    retried = [r.getMessage() for r in caplog.records if "again in" in r.getMessage()]
    assert sum("Server error" in m for m in retried) >= 50, len(retried)
    assert expiring.is_set()

    lines = exported(sandbox_erp)
    memos = Counter(line["payment_id"] for line in lines)
    assert not [memo for memo, n in memos.items() if n > 1], "posted twice"
    decisions = dict((p.payment_id, d) for p, d in chosen)
    with read_transaction(engine) as session:
        states = count_postings(session)
        review = {i.payment_id: i for i in list_review_items(session)}
        for pid in decisions:
            posting = get_posting(session, payment_id=pid)
            assert posting is not None
            if posting.state is PostingState.POSTED:
                assert memos[pid] == 1
            else:
                assert posting.state is PostingState.FAILED, (pid, posting.state)
                assert review[pid].payload["erp_message"], pid  # the reason is recorded
    for line in lines:
        assert same_posting(line, decisions[line["payment_id"]]), line["payment_id"]
    assert states[PostingState.PENDING] == states[PostingState.POSTING] == 0
    assert states[PostingState.POSTED] + states[PostingState.FAILED] == POSTINGS
    assert states[PostingState.POSTED] == report.posted + report.recovered
    # Transient faults are retried, not sent to people: nearly everything gets through.
    assert states[PostingState.POSTED] >= POSTINGS - 2, states
