"""The outbox additions the poster relies on: renewing a lease, and when work comes due."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shared.errors import InvalidTransitionError
from shared.store import claim_next_posting, mark_posted, read_transaction, write_transaction
from shared.store.outbox import next_due, renew_lease
from shared.store.types import utcnow
from tests.unit.erp_poster.factories import (
    auto_decision,
    generated_batch,
    make_store,
    queue_decisions,
)


def test_renew_lease_keeps_a_claim_and_refuses_a_worker_that_lost_it(tmp_path: Path) -> None:
    batch = generated_batch(40, seed=3)
    by_id = {p.payment_id: p for p in batch.payments}
    chosen = [(by_id[t.payment_id], auto_decision(by_id[t.payment_id], t))
              for t in batch.truth.values() if t.determinable][:2]
    _, engine = make_store(tmp_path / "o2c.sqlite3")
    queue_decisions(engine, chosen)
    start = utcnow()
    with read_transaction(engine) as session:
        assert next_due(session) is not None and next_due(session) <= start  # type: ignore[operator]

    with write_transaction(engine) as session:
        first = claim_next_posting(session, worker="a", lease=timedelta(seconds=1), now=start)
        second = claim_next_posting(session, worker="a", lease=timedelta(seconds=1), now=start)
    assert first is not None and second is not None
    with write_transaction(engine) as session:
        renewed = renew_lease(session, payment_id=first.payment_id, worker="a",
                              lease=timedelta(minutes=5), now=start)
    assert renewed.lease_until == start + timedelta(minutes=5)
    with read_transaction(engine) as session:
        assert next_due(session) == start + timedelta(seconds=1)  # the other claim's lease

    later = start + timedelta(seconds=2)
    with write_transaction(engine) as session:  # b takes over the claim whose lease ran out
        taken = claim_next_posting(session, worker="b", now=later)
    assert taken is not None and taken.payment_id == second.payment_id
    with pytest.raises(InvalidTransitionError), write_transaction(engine) as session:
        renew_lease(session, payment_id=second.payment_id, worker="a", now=later)

    with write_transaction(engine) as session:
        mark_posted(session, payment_id=first.payment_id, worker="a", erp_document_no="PMT-1")
        mark_posted(session, payment_id=second.payment_id, worker="b", erp_document_no="PMT-2")
    with read_transaction(engine) as session:
        assert next_due(session) is None  # nothing left to wait for
