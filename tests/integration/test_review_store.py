"""The review queue's store and actions on both backends (SQLite file, real PostgreSQL).

Handlers resolve items through ``shared.review.actions`` exactly as the web page and the
CLI do; the tests check what lands in the store: decisions, outbox entries, approvals,
the audit trail, and the queue's filters and metrics.  Every test gets a fresh migrated
database (``store_engine``, parametrized ``[sqlite]`` / ``[postgresql]``).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fixtures.review_sample import SampleQueue, seed_sample_queue, seed_users
from shared import audit
from shared.domain import Application, ReasonCode, ReviewKind, ReviewStatus
from shared.errors import (
    ConflictingDataError,
    InvalidTransitionError,
    RecordNotFoundError,
    StaleVersionError,
)
from shared.ledger_files import read_customers, read_open_items
from shared.review import actions
from shared.review.actions import ActionRefused, Allocation
from shared.review.passwords import hash_password
from shared.store import (
    decision_history,
    get_posting,
    get_review_item,
    latest_decision,
    read_transaction,
    upsert_customers,
    upsert_open_items,
    write_transaction,
)
from shared.store.outbox import PostingState
from shared.store.review_approvals import get_pending_approval
from shared.store.review_queue import (
    QueueFilter,
    attach_review_document,
    get_review_document,
    list_review_documents,
    queue_metrics,
    search_queue,
)
from shared.store.review_users import (
    ReviewUser,
    add_user,
    get_user,
    session_user,
    start_session,
    update_user,
)
from shared.store.types import utcnow

LEDGER = Path(__file__).resolve().parents[2] / "fixtures/sandbox_erp/default_data/ledger"
LIMIT = Decimal("250.00")
SLA = timedelta(hours=24)


@pytest.fixture
def queue(store_engine: Engine) -> SampleQueue:
    with write_transaction(store_engine) as session:
        upsert_customers(session, customers=read_customers(LEDGER / "customers.csv"))
        upsert_open_items(session, items=read_open_items(LEDGER / "open_items.csv"))
    seed_users(store_engine)
    return seed_sample_queue(store_engine, with_documents=False)


def _user(engine: Engine, name: str) -> ReviewUser:
    with read_transaction(engine) as session:
        return get_user(session, username=name)


def _version(engine: Engine, item_id: int) -> int:
    with read_transaction(engine) as session:
        return get_review_item(session, item_id=item_id).version


def _history(engine: Engine, item_id: int) -> list[audit.AuditEntry]:
    with read_transaction(engine) as session:
        return audit.history(session, entity_type="review_item", entity_id=item_id)


def test_accepting_a_suggestion_records_the_decision_and_queues_the_posting(
    store_engine: Engine, queue: SampleQueue
) -> None:
    alice = _user(store_engine, "alice")
    with write_transaction(store_engine) as session:
        outcome = actions.accept_suggestion(session, alice, item_id=queue.matched, version=1,
                                            rank=1, threshold=LIMIT, note="advice attached")
    assert outcome.status == "resolved"
    with read_transaction(store_engine) as session:
        item = get_review_item(session, item_id=queue.matched)
        record = latest_decision(session, payment_id="FT2603020001")
        posting = get_posting(session, payment_id="FT2603020001")
    assert item.status is ReviewStatus.RESOLVED and item.version == 2
    assert record is not None and record.decided_by == "alice"
    assert record.decision.customer_id == "C00002"
    assert {(a.doc_no, a.amount) for a in record.decision.applications} == {
        ("INV-2026-000407", Decimal("13368.45")), ("INV-2026-000424", Decimal("1489.77"))}
    assert record.decision.on_account == Decimal("0.00")
    assert posting is not None and posting.state is PostingState.PENDING
    assert posting.decision_id == record.decision_id == item.resolution["decision_id"]
    last = _history(store_engine, queue.matched)[-1]
    assert (last.actor, last.action, last.reason) == ("alice", "review.resolve", "advice attached")
    assert last.before["status"] == "open" and last.after["status"] == "resolved"
    assert last.after["resolution"]["decision"]["applications"][0]["doc_no"] == "INV-2026-000407"


def test_posting_failure_is_requeued_with_the_handlers_decision(
    store_engine: Engine, queue: SampleQueue
) -> None:
    bob = _user(store_engine, "bob")
    allocation = Allocation(customer_id="C00002", applications=(
        Application(doc_no="INV-2026-000427", amount=Decimal("6000.00")),), note="hold lifted")
    with write_transaction(store_engine) as session:
        outcome = actions.apply_allocation(session, bob, item_id=queue.posting_failure,
                                           version=1, allocation=allocation, threshold=LIMIT)
    assert "285.67 on account" in outcome.message
    with read_transaction(store_engine) as session:
        posting = get_posting(session, payment_id="FT2603020003")
        history = decision_history(session, payment_id="FT2603020003")
    assert [r.decided_by for r in history] == ["matcher", "bob"]
    assert posting is not None and posting.state is PostingState.PENDING
    assert posting.decision_id == history[-1].decision_id
    assert history[-1].decision.on_account == Decimal("285.67")


def test_a_write_off_above_the_threshold_waits_for_an_approver_who_is_not_the_maker(
    store_engine: Engine, queue: SampleQueue
) -> None:
    alice, bob, carol = (_user(store_engine, n) for n in ("alice", "bob", "carol"))
    with write_transaction(store_engine) as session:
        outcome = actions.accept_suggestion(session, alice, item_id=queue.deduction, version=1,
                                            rank=1, threshold=LIMIT)
    assert outcome.status == "awaiting_approval"
    with read_transaction(store_engine) as session:
        item = get_review_item(session, item_id=queue.deduction)
        pending = get_pending_approval(session, item_id=queue.deduction)
        assert latest_decision(session, payment_id="FT2603020002") is None
        assert get_posting(session, payment_id="FT2603020002") is None
    assert item.status is ReviewStatus.CLAIMED and item.assignee == "alice"
    assert pending is not None and pending.amount == Decimal("300.00")
    page = _search(store_engine, QueueFilter(status="approval"))
    assert [r.item.item_id for r in page] == [queue.deduction]

    with pytest.raises(ActionRefused, match="approver"), write_transaction(store_engine) as s:
        actions.approve_proposal(s, bob, item_id=queue.deduction, version=item.version)
    with write_transaction(store_engine) as session:
        done = actions.approve_proposal(session, carol, item_id=queue.deduction,
                                        version=item.version)
    assert done.status == "resolved"
    with read_transaction(store_engine) as session:
        record = latest_decision(session, payment_id="FT2603020002")
        posting = get_posting(session, payment_id="FT2603020002")
        resolved = get_review_item(session, item_id=queue.deduction)
    assert record is not None and record.decided_by == "alice"
    assert record.decision.adjustments[0].reason_code is ReasonCode.DAMAGED
    assert posting is not None and posting.state is PostingState.PENDING
    assert resolved.resolution is not None
    assert (resolved.resolution["proposed_by"], resolved.resolution["approved_by"]) == (
        "alice", "carol")
    actions_seen = [(e.actor, e.action) for e in _history(store_engine, queue.deduction)]
    assert ("alice", "review.request_approval") in actions_seen
    assert ("carol", "approval.approved") in actions_seen
    assert actions_seen[-1] == ("carol", "review.resolve")


def test_an_approver_cannot_approve_their_own_write_off(
    store_engine: Engine, queue: SampleQueue
) -> None:
    carol = _user(store_engine, "carol")
    with write_transaction(store_engine) as session:
        actions.accept_suggestion(session, carol, item_id=queue.deduction, version=1, rank=1,
                                  threshold=LIMIT)
    with pytest.raises(ActionRefused, match="another approver"), \
            write_transaction(store_engine) as session:
        actions.approve_proposal(session, carol, item_id=queue.deduction, version=2)


def test_a_returned_proposal_goes_back_to_its_maker(
    store_engine: Engine, queue: SampleQueue
) -> None:
    alice, carol = _user(store_engine, "alice"), _user(store_engine, "carol")
    with write_transaction(store_engine) as session:
        actions.accept_suggestion(session, alice, item_id=queue.deduction, version=1, rank=1,
                                  threshold=LIMIT)
    with write_transaction(store_engine) as session:
        actions.return_proposal(session, carol, item_id=queue.deduction, version=2,
                                note="ask for the damage report first")
    with read_transaction(store_engine) as session:
        item = get_review_item(session, item_id=queue.deduction)
        assert get_pending_approval(session, item_id=queue.deduction) is None
    assert item.status is ReviewStatus.CLAIMED and item.assignee == "alice"
    assert _history(store_engine, queue.deduction)[-1].reason == "ask for the damage report first"
    # Within authority now: alice applies without the deduction, rest on account.
    allocation = Allocation(customer_id="C00002", applications=(
        Application(doc_no="INV-2026-000420", amount=Decimal("11241.60")),))
    with write_transaction(store_engine) as session:
        done = actions.apply_allocation(session, alice, item_id=queue.deduction,
                                        version=item.version, allocation=allocation,
                                        threshold=LIMIT)
    assert done.status == "resolved"


def test_two_handlers_racing_on_one_item_one_wins_the_other_is_told(
    store_engine: Engine, queue: SampleQueue
) -> None:
    users = [_user(store_engine, "alice"), _user(store_engine, "bob")]
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def handle(user: ReviewUser) -> None:
        barrier.wait()
        try:
            with write_transaction(store_engine) as session:
                results[user.username] = actions.accept_suggestion(
                    session, user, item_id=queue.matched, version=1, rank=1, threshold=LIMIT)
        except (StaleVersionError, InvalidTransitionError) as exc:
            results[user.username] = exc

    threads = [threading.Thread(target=handle, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    winners = [n for n, r in results.items() if isinstance(r, actions.Outcome)]
    losers = [r for r in results.values() if isinstance(r, StaleVersionError)]
    assert len(winners) == 1 and len(losers) == 1, results
    with read_transaction(store_engine) as session:
        assert len(decision_history(session, payment_id="FT2603020001")) == 1
        item = get_review_item(session, item_id=queue.matched)
    assert item.resolution is not None and item.version == 2
    assert [e.actor for e in _history(store_engine, queue.matched)
            if e.action == "review.resolve"] == winners


def test_a_stale_page_cannot_overwrite_a_newer_change(
    store_engine: Engine, queue: SampleQueue
) -> None:
    alice, bob = _user(store_engine, "alice"), _user(store_engine, "bob")
    with write_transaction(store_engine) as session:
        actions.claim(session, bob, item_id=queue.unidentified, version=1)
    with pytest.raises(StaleVersionError), write_transaction(store_engine) as session:
        actions.put_on_account(session, alice, item_id=queue.unidentified, version=1,
                               customer_id="C00003")
    with pytest.raises(InvalidTransitionError, match="claimed by bob"), \
            write_transaction(store_engine) as session:
        actions.put_on_account(session, alice, item_id=queue.unidentified, version=2,
                               customer_id="C00003")
    assert _version(store_engine, queue.unidentified) == 2


def test_a_viewer_cannot_act(store_engine: Engine, queue: SampleQueue) -> None:
    victor = _user(store_engine, "victor")
    attempts = [
        lambda s: actions.claim(s, victor, item_id=queue.matched, version=1),
        lambda s: actions.accept_suggestion(s, victor, item_id=queue.matched, version=1,
                                            rank=1, threshold=LIMIT),
        lambda s: actions.comment(s, victor, item_id=queue.matched, text="hi"),
        lambda s: actions.assign(s, victor, item_id=queue.matched, version=1,
                                 assignee="alice"),
        lambda s: actions.close_item(s, victor, item_id=queue.promise, version=1, note="x"),
    ]
    for attempt in attempts:
        with pytest.raises(ActionRefused, match="viewer"), write_transaction(store_engine) as s:
            attempt(s)
    assert _version(store_engine, queue.matched) == 1
    assert [e.action for e in _history(store_engine, queue.matched)] == ["review.open"]


@pytest.mark.parametrize(("lines", "message"), [
    ((("INV-2026-000407", "14858.23"),), "does not fit"),
    ((("INV-2026-000407", "13368.45"), ("INV-2026-000466", "14191.70")), "more than the payment"),
    ((("INV-2099-999999", "10.00"),), "not an open item"),
    ((("INV-2026-000455", "10.00"),), "belongs to C00003"),
    ((("CM-2026-00020", "191.56"),), "negative amount"),
])
def test_allocations_that_cannot_be_posted_are_refused(
    store_engine: Engine, queue: SampleQueue, lines: tuple[tuple[str, str], ...], message: str
) -> None:
    alice = _user(store_engine, "alice")
    allocation = Allocation(customer_id="C00002", applications=tuple(
        Application(doc_no=d, amount=Decimal(a)) for d, a in lines))
    with pytest.raises(ActionRefused, match=message), write_transaction(store_engine) as s:
        actions.apply_allocation(s, alice, item_id=queue.matched, version=1,
                                 allocation=allocation, threshold=LIMIT)
    with read_transaction(store_engine) as session:
        assert get_posting(session, payment_id="FT2603020001") is None


def test_payments_not_ours_and_items_without_payment_close_with_a_note(
    store_engine: Engine, queue: SampleQueue
) -> None:
    alice = _user(store_engine, "alice")
    with write_transaction(store_engine) as session:
        actions.send_back_payment(session, alice, item_id=queue.wrong_pocket, version=1,
                                  outcome="wrong_pocket", note="forwarded to Northwind Logistics")
        actions.put_on_account(session, alice, item_id=queue.unidentified, version=1,
                               customer_id="C00003")
        actions.close_item(session, alice, item_id=queue.promise, version=1,
                           note="promise noted for 16 March")
        actions.close_item(session, alice, item_id=queue.bad_document, version=1,
                           note="duplicate statement", reject=True)
        with pytest.raises(ActionRefused, match="allocating"):
            actions.close_item(session, alice, item_id=queue.matched, version=1, note="x")
    with read_transaction(store_engine) as session:
        states = {i: get_review_item(session, item_id=i) for i in (
            queue.wrong_pocket, queue.unidentified, queue.promise, queue.bad_document)}
        assert get_posting(session, payment_id="FT2603020005") is None
    assert states[queue.wrong_pocket].resolution == {
        "action": "wrong_pocket", "amount": "2450.00", "currency": "USD"}
    assert states[queue.unidentified].resolution["posting"] == "manual"
    assert states[queue.promise].status is ReviewStatus.RESOLVED
    assert states[queue.bad_document].status is ReviewStatus.REJECTED


def test_a_dispute_opens_its_own_item_and_is_noted_on_the_source(
    store_engine: Engine, queue: SampleQueue
) -> None:
    alice = _user(store_engine, "alice")
    with write_transaction(store_engine) as session:
        outcome = actions.open_dispute(session, alice, item_id=queue.deduction,
                                       doc_nos=["INV-2026-000420"], amount=Decimal("300.00"),
                                       reason_code=ReasonCode.DAMAGED, note="damage claim")
    assert outcome.new_item_id is not None
    with read_transaction(store_engine) as session:
        dispute = get_review_item(session, item_id=outcome.new_item_id)
    assert dispute.kind is ReviewKind.DISPUTE and dispute.payload["from_item"] == queue.deduction
    last = _history(store_engine, queue.deduction)[-1]
    assert (last.actor, last.action) == ("alice", "review.comment")
    assert f"#{dispute.item_id}" in (last.reason or "")


def test_reassign_bulk_style_and_comments_are_audited(
    store_engine: Engine, queue: SampleQueue
) -> None:
    carol = _user(store_engine, "carol")
    with write_transaction(store_engine) as session:
        actions.assign(session, carol, item_id=queue.matched, version=1, assignee="bob",
                       note="bob knows Acme")
        actions.assign(session, carol, item_id=queue.matched, version=2, assignee="alice")
        actions.comment(session, carol, item_id=queue.matched, text="called Acme AP")
        with pytest.raises(ActionRefused, match="victor is a viewer"):
            actions.assign(session, carol, item_id=queue.promise, version=1, assignee="victor")
    entries = _history(store_engine, queue.matched)
    assert [(e.actor, e.action) for e in entries] == [
        ("bot:matcher", "review.open"), ("carol", "review.assign"),
        ("carol", "review.assign"), ("carol", "review.comment")]
    first, second = entries[1], entries[2]
    assert (first.before["assignee"], first.after["assignee"]) == (None, "bob")
    assert (second.before["assignee"], second.after["assignee"]) == ("bob", "alice")
    assert first.reason == "bob knows Acme" and entries[3].reason == "called Acme AP"
    assert all(e.at is not None for e in entries)


def _search(engine: Engine, filters: QueueFilter) -> list:  # type: ignore[type-arg]
    with read_transaction(engine) as session:
        return search_queue(session, filters=filters, sla=SLA, limit=100).rows


def test_queue_filters_sort_and_search(store_engine: Engine, queue: SampleQueue) -> None:
    def ids(**kw: object) -> list[int]:
        return [r.item.item_id for r in _search(store_engine, QueueFilter(**kw))]  # type: ignore[arg-type]

    assert len(ids()) == 9
    assert sorted(ids(kind=ReviewKind.UNMATCHED_PAYMENT)) == sorted(
        [queue.matched, queue.unidentified, queue.wrong_pocket])
    assert set(ids(customer="Acme Retail")) == {queue.dispute}
    assert set(ids(customer="c00002")) == {queue.matched, queue.deduction,
                                           queue.posting_failure, queue.promise}
    assert set(ids(customer="paypro")) == {queue.unidentified}
    assert set(ids(amount_min=Decimal("8000"), amount_max=Decimal("12000"))) == {
        queue.deduction, queue.unidentified}
    # Opened 30, 50, 80 and 100 hours ago: past the 24 h SLA; 2 days: 50, 80, 100.
    assert set(ids(sla_breached=True)) == {queue.matched, queue.posting_failure,
                                           queue.unidentified, queue.bad_document}
    assert set(ids(older_than_days=2)) == {queue.posting_failure, queue.unidentified,
                                           queue.bad_document}
    assert set(ids(text="FT2603020004")) == {queue.unidentified}
    assert set(ids(text="100%_")) == set()  # LIKE wildcards are searched literally
    amounts = [r.amount for r in _search(store_engine, QueueFilter(sort="amount",
                                                                   descending=True))]
    present = [a for a in amounts if a is not None]
    assert present == sorted(present, reverse=True) and present[0] == Decimal("14858.22")
    due = [r.due for r in _search(store_engine, QueueFilter())]
    assert due == sorted(due) and ids()[0] == queue.bad_document

    alice = _user(store_engine, "alice")
    with write_transaction(store_engine) as session:
        actions.claim(session, alice, item_id=queue.promise, version=1)
        actions.close_item(session, alice, item_id=queue.bad_document, version=1, note="done")
    assert ids(assignee="alice") == [queue.promise]
    assert queue.promise not in ids(assignee="-")
    assert ids(status="closed") == [queue.bad_document]
    assert queue.bad_document not in ids()


def test_metrics_count_open_items_breaches_and_throughput(
    store_engine: Engine, queue: SampleQueue
) -> None:
    alice, bob = _user(store_engine, "alice"), _user(store_engine, "bob")
    with write_transaction(store_engine) as session:
        actions.close_item(session, alice, item_id=queue.promise, version=1, note="noted")
        actions.close_item(session, alice, item_id=queue.dispute, version=1, note="credit sent")
        actions.accept_suggestion(session, bob, item_id=queue.matched, version=1, rank=1,
                                  threshold=LIMIT)
        actions.accept_suggestion(session, bob, item_id=queue.deduction, version=1, rank=1,
                                  threshold=LIMIT)
    with read_transaction(store_engine) as session:
        m = queue_metrics(session, sla=SLA)
    assert m.open_total == 6
    assert m.open_by_kind_age["unmatched_payment"] == {
        "< 1 day": 1, "1-3 days": 0, "3-7 days": 1, "> 7 days": 0}
    assert m.open_by_kind_age["posting_failure"]["1-3 days"] == 1
    assert m.breached_total == 3 and m.breached_by_kind == {
        "unmatched_payment": 1, "posting_failure": 1, "bad_document": 1}
    assert m.awaiting_approval == 1
    assert m.throughput == {"alice": (2, 2), "bob": (1, 1)}
    assert m.median_hours_to_close is not None and 2 <= m.median_hours_to_close <= 30


def test_users_sessions_and_passwords(store_engine: Engine) -> None:
    with write_transaction(store_engine) as session:
        add_user(session, username="dana", display_name="Dana", role="handler",
                 password_hash=hash_password("dana-secret-1"), actor="admin")
        with pytest.raises(ConflictingDataError):
            add_user(session, username="dana", display_name="Dana", role="viewer",
                     password_hash="x", actor="admin")
        with pytest.raises(ValueError, match="unknown role"):
            add_user(session, username="eve", display_name="", role="boss",
                     password_hash="x", actor="admin")
    with write_transaction(store_engine) as session:
        start_session(session, username="dana", token="tok-1", csrf_token="c1",
                      lifetime=timedelta(hours=1))
        start_session(session, username="dana", token="tok-old", csrf_token="c0",
                      lifetime=timedelta(hours=1), now=utcnow() - timedelta(hours=2))
    with read_transaction(store_engine) as session:
        found = session_user(session, token="tok-1")
        assert found is not None and found.user.role == "handler" and found.csrf_token == "c1"
        assert session_user(session, token="tok-old") is None
        assert session_user(session, token="nope") is None
    with write_transaction(store_engine) as session:
        update_user(session, username="dana", actor="admin",
                    password_hash=hash_password("dana-secret-2"))
    with read_transaction(store_engine) as session:
        assert session_user(session, token="tok-1") is None  # a new password ends sessions
        entries = audit.history(session, entity_type="review_user", entity_id="dana")
    assert [e.action for e in entries] == ["user.add", "user.sign_in", "user.sign_in",
                                           "user.update"]
    assert all("hash" not in str(e.after) or "password_hash" not in e.after for e in entries)
    assert entries[-1].after is not None and entries[-1].after["password_changed"] is True


def test_documents_belong_to_their_item(store_engine: Engine, queue: SampleQueue) -> None:
    with write_transaction(store_engine) as session:
        doc = attach_review_document(session, item_id=queue.dispute, name="mail.eml",
                                     content_type="message/rfc822", content=b"Subject: x\r\n\r\nhi")
    with read_transaction(store_engine) as session:
        [info] = list_review_documents(session, item_id=queue.dispute)
        _, content = get_review_document(session, item_id=queue.dispute, document_id=doc)
        assert (info.name, info.size, content) == ("mail.eml", len(content),
                                                    b"Subject: x\r\n\r\nhi")
        with pytest.raises(RecordNotFoundError):
            get_review_document(session, item_id=queue.matched, document_id=doc)


def test_every_action_leaves_who_when_before_and_after_in_the_audit_log(
    store_engine: Engine, queue: SampleQueue
) -> None:
    alice, bob, carol = (_user(store_engine, n) for n in ("alice", "bob", "carol"))
    steps = [
        lambda s: actions.claim(s, alice, item_id=queue.matched, version=1),
        lambda s: actions.release(s, alice, item_id=queue.matched, version=2),
        lambda s: actions.assign(s, carol, item_id=queue.matched, version=3, assignee="bob"),
        lambda s: actions.comment(s, bob, item_id=queue.matched, text="checking"),
        lambda s: actions.accept_suggestion(s, bob, item_id=queue.matched, version=4, rank=1,
                                            threshold=LIMIT),
        lambda s: actions.accept_suggestion(s, alice, item_id=queue.deduction, version=1,
                                            rank=1, threshold=LIMIT),
        lambda s: actions.return_proposal(s, carol, item_id=queue.deduction, version=2,
                                          note="need the damage report"),
        lambda s: actions.accept_suggestion(s, alice, item_id=queue.deduction, version=3,
                                            rank=1, threshold=LIMIT),
        lambda s: actions.approve_proposal(s, carol, item_id=queue.deduction, version=4),
        lambda s: actions.put_on_account(s, bob, item_id=queue.unidentified, version=1,
                                         customer_id="C00003"),
        lambda s: actions.send_back_payment(s, bob, item_id=queue.wrong_pocket, version=1,
                                            outcome="refund", note="back to Globex"),
        lambda s: actions.close_item(s, bob, item_id=queue.promise, version=1, note="noted"),
        lambda s: actions.close_item(s, bob, item_id=queue.bad_document, version=1,
                                     note="duplicate", reject=True),
        lambda s: actions.open_dispute(s, bob, item_id=queue.dispute, doc_nos=["INV-2026-000478"],
                                       amount=Decimal("95.75"), reason_code=ReasonCode.PRICING,
                                       note="contract price"),
    ]
    for step in steps:
        with write_transaction(store_engine) as session:
            step(session)
    with read_transaction(store_engine) as session:
        entries = [e for i in range(1, 11)
                   for e in audit.history(session, entity_type="review_item", entity_id=i)]
    done = {e.action for e in entries}
    assert {"review.claim", "review.release", "review.assign", "review.comment",
            "review.resolve", "review.reject", "review.request_approval",
            "review.approval_returned", "approval.approved", "approval.returned",
            "review.open"} <= done
    for entry in entries:
        assert entry.actor and entry.at is not None, entry
        if entry.action == "review.open":
            assert entry.after is not None
        elif entry.action == "review.comment":
            assert entry.reason
        else:
            assert entry.before is not None and entry.after is not None, entry
    by_human = [e for e in entries if not e.actor.startswith("bot:")]
    assert {e.actor for e in by_human} == {"alice", "bob", "carol"}
