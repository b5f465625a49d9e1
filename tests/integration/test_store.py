"""The store on both backends (SQLite file, throwaway PostgreSQL): schema, money, idempotency,
transactions, decisions, optimistic locking of review items, the append-only audit log,
mail seen and remittances.  The outbox has its own file (test_store_outbox.py).

Every test gets a fresh migrated database from the ``store_url`` fixture
(tests/plugins/postgres.py), parametrized ``[sqlite]`` and ``[postgresql]``.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared import audit
from shared.domain import (
    Application,
    Customer,
    Decision,
    ExceptionKind,
    OpenItem,
    Payment,
    Remittance,
    RemittanceLine,
    ReviewKind,
    ReviewStatus,
    Suggestion,
)
from shared.errors import (
    ConflictingDataError,
    InvalidTransitionError,
    RecordNotFoundError,
    StaleVersionError,
)
from shared.settings import load_settings
from shared.store import (
    MessageStatus,
    claim_review_item,
    decision_history,
    engine_from_settings,
    find_by_message_id,
    get_customers,
    get_open_items,
    get_payment,
    get_remittance,
    get_review_item,
    latest_decision,
    list_remittances,
    list_review_items,
    list_undecided_payments,
    make_engine,
    open_review_item,
    read_transaction,
    record_decision,
    record_message,
    release_review_item,
    resolve_review_item,
    save_remittance,
    set_message_status,
    update_review_item,
    upsert_customers,
    upsert_open_items,
    upsert_payment,
    write_transaction,
)
from shared.store.migrate import current, downgrade, head, upgrade
from shared.store.tables import AuditRow, Base, OpenItemRow, PaymentRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_payment(payment_id: str = "P-1", amount: str = "100.00", **extra: Any) -> Payment:
    return Payment(
        payment_id=payment_id,
        amount=amount,
        currency="EUR",
        value_date=extra.pop("value_date", date(2026, 3, 2)),
        **extra,
    )


# --- schema -------------------------------------------------------------------------


def test_migrations_upgrade_an_empty_database(empty_store_url: str) -> None:
    assert current(empty_store_url) is None

    upgrade(empty_store_url)

    assert current(empty_store_url) == head()
    engine = make_engine(empty_store_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        # The ORM classes describe exactly what the migration built.
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()

    downgrade(empty_store_url, "base")
    assert current(empty_store_url) is None
    upgrade(empty_store_url)
    assert current(empty_store_url) == head()


# --- money --------------------------------------------------------------------------

AMOUNTS = [
    "0.01",
    "0.10",
    "-0.01",
    "-1224.03",
    "1234567.89",
    "9999999999999.99",
    "-9999999999999.99",
]


@pytest.mark.parametrize("amount", AMOUNTS)
def test_amounts_round_trip_exactly(store_engine: Engine, amount: str) -> None:
    with write_transaction(store_engine) as session:
        session.execute(
            insert(PaymentRow).values(
                payment_id="P-raw",
                amount=Decimal(amount),
                currency="EUR",
                value_date=date(2026, 3, 2),
                received_at=T0,
            )
        )

    with read_transaction(store_engine) as session:
        stored = session.scalars(select(PaymentRow.amount)).one()

    assert isinstance(stored, Decimal)
    assert stored == Decimal(amount)
    assert str(stored) == amount


def test_ledger_amounts_and_sums_stay_exact(store_engine: Engine) -> None:
    customer = Customer(customer_id="C00004", name="Baxter & Petersen", currency="USD")
    items = [
        OpenItem(
            doc_no=f"INV-{n}",
            doc_type="INV",
            customer_id="C00004",
            doc_date=date(2026, 1, 14),
            due_date=date(2026, 2, 13),
            currency="USD",
            amount="0.10",
            open_amount="0.10",
        )
        for n in range(3)
    ] + [
        OpenItem(
            doc_no="CM-2025-00604",
            doc_type="CM",
            customer_id="C00004",
            doc_date=date(2025, 10, 4),
            due_date=date(2025, 11, 3),
            currency="USD",
            amount="-1224.03",
            open_amount="-1224.03",
        )
    ]
    with write_transaction(store_engine) as session:
        upsert_customers(session, customers=[customer])
        upsert_open_items(session, items=items)

    paid = items[0].model_copy(update={"open_amount": Decimal("0.00")})
    with write_transaction(store_engine) as session:
        upsert_open_items(session, items=[paid])  # a newer export replaces the row

    with read_transaction(store_engine) as session:
        total = session.scalar(select(func.sum(OpenItemRow.open_amount)))
        loaded = get_open_items(session, customer_ids=["C00004"])
        everything = get_open_items(session, include_closed=True)
        customers = get_customers(session)

    # 0.10 + 0.10 is exact here; as binary floats sums like these drift.
    assert total == Decimal("-1223.83")
    assert loaded == sorted(items[1:], key=lambda i: i.doc_no)
    assert len(everything) == 4
    assert customers == [customer]


@pytest.mark.parametrize("bad", [1.5, Decimal("1.005"), Decimal("10000000000000.00")])
def test_money_column_refuses_floats_and_lossy_amounts(store_engine: Engine, bad: Any) -> None:
    with (
        pytest.raises(Exception, match=r"float|decimal places|limit"),
        write_transaction(store_engine) as session,
    ):
        session.execute(
            insert(PaymentRow).values(
                payment_id="P-bad",
                amount=bad,
                currency="EUR",
                value_date=date(2026, 3, 2),
                received_at=T0,
            )
        )


def test_timestamps_come_back_aware_utc(store_engine: Engine) -> None:
    berlin = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).astimezone()
    with write_transaction(store_engine) as session:
        upsert_payment(session, payment=make_payment(), now=berlin)

    with read_transaction(store_engine) as session:
        received = session.scalars(select(PaymentRow.received_at)).one()

    assert received == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert received.tzinfo is UTC


# --- payments: idempotency ----------------------------------------------------------


def test_payment_upsert_is_idempotent(store_engine: Engine) -> None:
    payment = make_payment(payer_name="ACME CORP", text="INV-2026-000451")

    with write_transaction(store_engine) as session:
        assert upsert_payment(session, payment=payment) is True
    with write_transaction(store_engine) as session:
        assert upsert_payment(session, payment=payment) is False

    with read_transaction(store_engine) as session:
        assert session.scalar(select(func.count()).select_from(PaymentRow)) == 1
        assert get_payment(session, payment_id="P-1") == payment
        assert list_undecided_payments(session) == [payment]


def test_payment_id_with_other_content_is_refused(store_engine: Engine) -> None:
    with write_transaction(store_engine) as session:
        upsert_payment(session, payment=make_payment(amount="100.00"))

    with pytest.raises(ConflictingDataError) as error, write_transaction(store_engine) as session:
        upsert_payment(session, payment=make_payment(amount="100.01"))

    assert error.value.code == "payment_id_conflict"
    assert error.value.context["payment_id"] == "P-1"


def test_payment_id_is_unique_in_the_database(store_engine: Engine) -> None:
    with write_transaction(store_engine) as session:
        upsert_payment(session, payment=make_payment())

    row = {"payment_id": "P-1", "amount": Decimal("1.00"), "currency": "EUR",
           "value_date": date(2026, 3, 2), "received_at": T0}  # fmt: skip
    with pytest.raises(IntegrityError), write_transaction(store_engine) as session:
        session.execute(insert(PaymentRow).values(**row))


# --- transactions -------------------------------------------------------------------


def test_read_transaction_refuses_writes(store_engine: Engine) -> None:
    with (
        pytest.raises(DBAPIError, match=r"readonly|read-only|read only"),
        read_transaction(store_engine) as session,
    ):
        upsert_payment(session, payment=make_payment())

    # The pooled connection is writable again for the next writer.
    with write_transaction(store_engine) as session:
        assert upsert_payment(session, payment=make_payment()) is True


def test_engine_from_settings(store_url: str) -> None:
    engine = engine_from_settings(load_settings(env_file=None, store={"url": store_url}).store)
    try:
        with read_transaction(engine) as session:
            assert list_undecided_payments(session) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_sqlite_write_transaction_takes_the_write_lock_at_begin(
    store_url: str, store_engine: Engine
) -> None:
    path = store_url.removeprefix("sqlite:///")
    with write_transaction(store_engine) as session:
        session.execute(select(1))  # nothing written yet, but BEGIN IMMEDIATE already ran
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
        journal = session.execute(text("PRAGMA journal_mode")).scalar()
    assert journal == "wal"


# --- decisions ----------------------------------------------------------------------


def test_decisions_keep_history_and_round_trip(store_engine: Engine) -> None:
    payment = make_payment(amount="250.00")
    review = Decision.review(
        payment,
        exception=ExceptionKind.AMBIGUOUS,
        suggestions=[Suggestion(applications=(Application(doc_no="INV-9", amount="250.00"),))],
    )
    auto = Decision.auto(payment, applications=[Application(doc_no="INV-9", amount="200.00")])
    with write_transaction(store_engine) as session:
        upsert_payment(session, payment=payment)
        record_decision(session, decision=review, decided_by="matcher", now=T0)
        record_decision(session, decision=auto, decided_by="jane", now=T0 + timedelta(hours=1))

    with read_transaction(store_engine) as session:
        latest = latest_decision(session, payment_id="P-1")
        history = decision_history(session, payment_id="P-1")
        assert list_undecided_payments(session) == []

    assert latest is not None
    assert latest.decision == auto
    assert latest.decision.on_account == Decimal("50.00")
    assert latest.decided_by == "jane"
    assert [r.decision for r in history] == [review, auto]


def test_decision_needs_a_stored_payment_with_the_same_amount(store_engine: Engine) -> None:
    payment = make_payment(amount="10.00")
    auto = Decision.auto(payment, applications=[Application(doc_no="INV-1", amount="10.00")])
    with pytest.raises(RecordNotFoundError), write_transaction(store_engine) as session:
        record_decision(session, decision=auto, decided_by="matcher")

    with write_transaction(store_engine) as session:
        upsert_payment(session, payment=make_payment(amount="11.00"))
    with (
        pytest.raises(ConflictingDataError, match="assumes amount"),
        write_transaction(store_engine) as session,
    ):
        record_decision(session, decision=auto, decided_by="matcher")


# --- review queue -------------------------------------------------------------------


def open_item(engine: Engine, **extra: Any) -> int:
    with write_transaction(engine) as session:
        upsert_payment(session, payment=make_payment())
        item = open_review_item(
            session,
            kind=ReviewKind.UNMATCHED_PAYMENT,
            title="Unmatched payment P-1",
            actor="matcher",
            payment_id="P-1",
            payload={"amount": Decimal("100.00"), "payer": "ACME"},
            suggestions=[Suggestion(applications=(Application(doc_no="INV-1", amount="100"),))],
            sla_due=T0 + timedelta(hours=24),
            now=T0,
            **extra,
        )
    return item.item_id


def test_review_item_life_and_audit_trail(store_engine: Engine) -> None:
    item_id = open_item(store_engine)

    with write_transaction(store_engine) as session:
        item = get_review_item(session, item_id=item_id)
        assert item.status is ReviewStatus.OPEN and item.version == 1
        assert item.payload == {"amount": "100.00", "payer": "ACME"}
        assert item.suggestions == (
            {
                "applications": [{"doc_no": "INV-1", "amount": "100.00"}],
                "adjustments": [],
                "on_account": "0.00",
                "confidence": None,
                "evidence": [],
            },
        )
        claimed = claim_review_item(session, item_id=item_id, expected_version=1, assignee="jane")
        assert claimed.status is ReviewStatus.CLAIMED and claimed.version == 2
        released = release_review_item(session, item_id=item_id, expected_version=2, actor="jane")
        assert released.assignee is None
        updated = update_review_item(
            session, item_id=item_id, expected_version=3, actor="matcher", payload={"x": 1}
        )
        claim_review_item(session, item_id=item_id, expected_version=4, assignee="joe")
        with pytest.raises(InvalidTransitionError, match="claimed by joe"):
            resolve_review_item(
                session, item_id=item_id, expected_version=5, actor="jane", resolution={}
            )
        done = resolve_review_item(
            session,
            item_id=item_id,
            expected_version=5,
            actor="joe",
            resolution={"decision": "auto"},
            reason="customer confirmed by phone",
        )
        trail = audit.history(session, entity_type="review_item", entity_id=item_id)

    assert updated.payload == {"x": 1}
    assert done.status is ReviewStatus.RESOLVED and done.version == 6
    assert [e.action for e in trail] == [
        "review.open",
        "review.claim",
        "review.release",
        "review.update",
        "review.claim",
        "review.resolve",
    ]
    assert trail[1].before is not None and trail[1].before["status"] == "open"
    assert trail[1].after is not None and trail[1].after["assignee"] == "jane"
    assert trail[-1].reason == "customer confirmed by phone"
    assert all(entry.at.tzinfo is UTC for entry in trail)


def test_stale_version_update_is_refused(store_engine: Engine) -> None:
    item_id = open_item(store_engine)
    with write_transaction(store_engine) as session:
        claim_review_item(session, item_id=item_id, expected_version=1, assignee="jane")

    # Joe's page still shows version 1.
    with pytest.raises(StaleVersionError) as error, write_transaction(store_engine) as session:
        update_review_item(session, item_id=item_id, expected_version=1, actor="joe", payload={})

    assert (error.value.expected, error.value.actual) == (1, 2)
    with read_transaction(store_engine) as session:
        assert get_review_item(session, item_id=item_id).assignee == "jane"


def test_concurrent_claims_of_one_item_have_one_winner(store_engine: Engine) -> None:
    item_id = open_item(store_engine)
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def claim(person: str) -> None:
        barrier.wait()
        try:
            with write_transaction(store_engine) as session:
                claim_review_item(session, item_id=item_id, expected_version=1, assignee=person)
            result = "won"
        except (StaleVersionError, InvalidTransitionError):
            result = "lost"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=claim, args=(f"h{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["lost", "lost", "lost", "won"]
    with read_transaction(store_engine) as session:
        assert get_review_item(session, item_id=item_id).version == 2


def test_review_item_key_makes_opening_idempotent(store_engine: Engine) -> None:
    first = open_item(store_engine, key="payment:P-1")
    second = open_item(store_engine, key="payment:P-1")

    assert first == second
    with read_transaction(store_engine) as session:
        assert len(list_review_items(session)) == 1
        assert list_review_items(session, status=ReviewStatus.RESOLVED) == []
        assert len(list_review_items(session, due_before=T0 + timedelta(days=2))) == 1
        opened = audit.history(session, entity_type="review_item", entity_id=first)
        assert [e.action for e in opened] == ["review.open"]


def test_unknown_review_item(store_engine: Engine) -> None:
    with pytest.raises(RecordNotFoundError), read_transaction(store_engine) as session:
        get_review_item(session, item_id=999)


# --- audit log ----------------------------------------------------------------------


def test_audit_log_is_append_only_in_the_database(store_url: str, store_engine: Engine) -> None:
    with write_transaction(store_engine) as session:
        entry_id = audit.append(
            session,
            actor="jane",
            action="review.resolve",
            entity_type="review_item",
            entity_id=1,
            before={"status": "open"},
            after={"status": "resolved"},
        )

    for statement in (
        "UPDATE audit_log SET actor = 'mallory'",
        "DELETE FROM audit_log",
        f"UPDATE audit_log SET reason = 'edited' WHERE id = {entry_id}",
    ):
        with pytest.raises(DBAPIError, match="append-only"), store_engine.begin() as connection:
            connection.execute(text(statement))
    if store_url.startswith("postgresql"):
        with pytest.raises(DBAPIError, match="append-only"), store_engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_log"))

    with write_transaction(store_engine) as session:
        audit.append(session, actor="joe", action="x", entity_type="t", entity_id="2")
    with read_transaction(store_engine) as session:
        rows = session.scalars(select(AuditRow).order_by(AuditRow.id)).all()
        assert [(r.actor, r.reason) for r in rows] == [("jane", None), ("joe", None)]
        assert [e.actor for e in audit.recent(session, limit=1)] == ["joe"]


# --- mail seen and remittances ------------------------------------------------------


def test_mail_is_recorded_once(store_engine: Engine) -> None:
    inbox = "imap://ar@mail/INBOX"
    with write_transaction(store_engine) as session:
        first = record_message(
            session, source=inbox, uidvalidity=7, uid=42, message_id="<a@x>", now=T0
        )
        assert first.status is MessageStatus.RECEIVED and not first.status.final
        set_message_status(
            session, source=inbox, uidvalidity=7, uid=42, status=MessageStatus.PROCESSED
        )
    with write_transaction(store_engine) as session:
        again = record_message(
            session, source=inbox, uidvalidity=7, uid=42, message_id="<a@x>", now=T0
        )
        # UIDVALIDITY changed on the server: same mail, new UID.
        record_message(session, source=inbox, uidvalidity=8, uid=1, message_id="<a@x>")
        copies = find_by_message_id(session, message_id="<a@x>")

    assert again.status is MessageStatus.PROCESSED and again.status.final
    assert again.first_seen_at == T0
    assert [(c.uidvalidity, c.status) for c in copies] == [
        (7, MessageStatus.PROCESSED),
        (8, MessageStatus.RECEIVED),
    ]
    with pytest.raises(RecordNotFoundError), write_transaction(store_engine) as session:
        set_message_status(session, source="x", uidvalidity=1, uid=1, status=MessageStatus.FAILED)


def test_remittances_round_trip_and_are_idempotent(store_engine: Engine) -> None:
    remittance = Remittance(
        remittance_id="<m1@customer>#1",
        source="mail/0009.eml",
        channel="pdf",
        customer_id="C00042",
        payer_name="Fyn Elektronik",
        currency="EUR",
        total_paid="1226.33",
        lines=(
            RemittanceLine(
                ref_as_printed="INV2026000406",
                doc_no="INV-2026-000406",
                gross="1521.33",
                deduction="45.00",
                paid="1476.33",
                reason_code="DAMAGED",
            ),
            RemittanceLine(ref_as_printed="CM-2026-00012", paid="-250.00"),
        ),
    )
    with write_transaction(store_engine) as session:
        assert save_remittance(session, remittance=remittance) is True
        assert save_remittance(session, remittance=remittance) is False
    with read_transaction(store_engine) as session:
        assert get_remittance(session, remittance_id=remittance.remittance_id) == remittance
        assert list_remittances(session, customer_id="C00042", unlinked=True) == [remittance]
        assert list_remittances(session, payment_id="P-1") == []

    changed = remittance.model_copy(update={"total_paid": Decimal("1.00")})
    with pytest.raises(ConflictingDataError), write_transaction(store_engine) as session:
        save_remittance(session, remittance=changed)
