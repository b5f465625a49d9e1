"""The store: SQLite (embedded, WAL) or PostgreSQL (team), through SQLAlchemy 2 + Alembic.

Create the schema with :func:`shared.store.migrate.upgrade` (``o2c db upgrade``), make an
engine with :func:`make_engine`, and call the repository functions inside
:func:`write_transaction` / :func:`read_transaction`.  Repository functions take the
session first and keyword-only arguments after it, never commit, and return domain
models or frozen records.  Modules, one concept each:

========================  ===========================================================
``engine``                engines, transactions, dialect helpers
``types``, ``tables``     column types and the ORM tables
``ledger``                customers and open items (ERP snapshot)
``payments``              payments, idempotent by payment_id
``remittances``           remittance advices and their lines
``mail``                  mail seen (exactly-once reading)
``decisions``             decision history per payment
``outbox``                ERP postings: enqueue, claim, posted/failed
``review``                the review queue with optimistic locking
``migrate``               Alembic, run from code
========================  ===========================================================
"""

from shared.store.decisions import (
    DecisionRecord,
    auto_decisions_since,
    decision_history,
    latest_decision,
    record_decision,
)
from shared.store.engine import (
    backend_name,
    engine_from_settings,
    make_engine,
    read_transaction,
    write_transaction,
)
from shared.store.ledger import (
    get_customers,
    get_open_items,
    ledger_loaded_at,
    upsert_customers,
    upsert_open_items,
)
from shared.store.mail import (
    MailMessage,
    MessageStatus,
    find_by_message_id,
    list_messages,
    record_message,
    set_message_status,
)
from shared.store.outbox import (
    Posting,
    PostingState,
    claim_next_posting,
    count_postings,
    enqueue_posting,
    get_posting,
    mark_posted,
    mark_posting_failed,
    requeue_posting,
)
from shared.store.payments import (
    get_payment,
    list_payments,
    list_undecided_payments,
    upsert_payment,
)
from shared.store.remittances import (
    get_remittance,
    link_remittance,
    list_remittances,
    save_remittance,
)
from shared.store.review import (
    claim_review_item,
    get_review_item,
    list_review_items,
    open_review_item,
    release_review_item,
    resolve_review_item,
    update_review_item,
)

__all__ = [
    "DecisionRecord",
    "MailMessage",
    "MessageStatus",
    "Posting",
    "PostingState",
    "auto_decisions_since",
    "backend_name",
    "claim_next_posting",
    "claim_review_item",
    "count_postings",
    "decision_history",
    "engine_from_settings",
    "enqueue_posting",
    "find_by_message_id",
    "get_customers",
    "get_open_items",
    "get_payment",
    "get_posting",
    "get_remittance",
    "get_review_item",
    "latest_decision",
    "ledger_loaded_at",
    "link_remittance",
    "list_messages",
    "list_payments",
    "list_remittances",
    "list_review_items",
    "list_undecided_payments",
    "make_engine",
    "mark_posted",
    "mark_posting_failed",
    "open_review_item",
    "read_transaction",
    "record_decision",
    "record_message",
    "release_review_item",
    "requeue_posting",
    "resolve_review_item",
    "save_remittance",
    "set_message_status",
    "update_review_item",
    "upsert_customers",
    "upsert_open_items",
    "upsert_payment",
    "write_transaction",
]
