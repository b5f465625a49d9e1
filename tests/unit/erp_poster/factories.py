"""Plain factory functions for the erp_poster tests (unit and integration).

Data comes from the project's own generator (``fixtures.scale_data``), so these tests
run on a fresh clone without ../shared: a ledger written as a scenario folder for the
sandbox ERP, payments and the correct decisions (its truth) in a store.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine

from fixtures.scale_data import ScaleData, Truth, generate
from shared.domain import Adjustment, Application, Decision, Payment
from shared.money import format_amount
from shared.store import (
    enqueue_posting,
    make_engine,
    record_decision,
    upsert_payment,
    write_transaction,
)
from shared.store.migrate import upgrade

__all__ = [
    "auto_decision",
    "decision_line",
    "generated_batch",
    "make_store",
    "queue_decisions",
    "write_ledger",
]

_CUSTOMER_COLUMNS = ("customer_id", "name", "aliases", "parent_id", "currency", "terms",
                     "country", "remit_emails", "bank_accounts")
_ITEM_COLUMNS = ("doc_no", "doc_type", "customer_id", "po_number", "doc_date", "due_date",
                 "currency", "amount", "open_amount", "discount_date", "discount_amount")


def generated_batch(payments: int = 230, *, seed: int = 7) -> ScaleData:
    """A seeded batch: ~95% of the payments have a correct automatic decision."""
    return generate(payments=payments, items=max(1200, 5 * payments),
                    customers=max(60, payments // 4), seed=seed)


def write_ledger(data: ScaleData, folder: Path) -> Path:
    """``folder/ledger/customers.csv`` and ``open_items.csv`` (FORMAT.md 1.2, 1.3)."""
    ledger = folder / "ledger"
    ledger.mkdir(parents=True, exist_ok=True)
    with (ledger / "customers.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(_CUSTOMER_COLUMNS)
        for c in data.customers:
            writer.writerow([c.customer_id, c.name, "|".join(c.aliases), c.parent_id or "",
                             c.currency, c.terms, c.country or "", ";".join(c.remit_emails),
                             ";".join(c.bank_accounts)])
    with (ledger / "open_items.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(_ITEM_COLUMNS)
        for i in data.open_items:
            writer.writerow([
                i.doc_no, i.doc_type.value, i.customer_id, i.po_number or "",
                i.doc_date.isoformat(), i.due_date.isoformat(), i.currency,
                format_amount(i.amount), format_amount(i.open_amount),
                i.discount_date.isoformat() if i.discount_date else "",
                format_amount(i.discount_amount) if i.discount_amount is not None else "",
            ])
    return folder


def auto_decision(payment: Payment, truth: Truth) -> Decision:
    """The correct ``auto`` decision for a determinable payment."""
    return Decision.auto(
        payment,
        applications=[Application(doc_no=d, amount=a) for d, a in truth.applications],
        adjustments=[Adjustment(type=t, doc_no=d, amount=a, reason_code=r)
                     for t, d, a, r in truth.adjustments],
        customer_id=truth.customer_id,
        confidence=1.0,
    )


def decision_line(payment: Payment, truth: Truth) -> str:
    """The FORMAT.md 3.1 line of the correct decision (``review`` for exceptions)."""
    if truth.determinable:
        return auto_decision(payment, truth).to_json_line()
    return Decision.review(payment, reason=truth.exception or "review").to_json_line()


def make_store(path: Path) -> tuple[str, Engine]:
    """A migrated SQLite store at ``path``; returns its URL and an engine."""
    url = f"sqlite:///{path}"
    upgrade(url)
    return url, make_engine(url)


def queue_decisions(engine: Engine, decisions: Iterable[tuple[Payment, Decision]]) -> int:
    """Store payments and decisions and queue each decision for posting."""
    count = 0
    with write_transaction(engine) as session:
        for payment, decision in decisions:
            upsert_payment(session, payment=payment)
            decision_id = record_decision(session, decision=decision, decided_by="test")
            count += enqueue_posting(session, payment_id=payment.payment_id,
                                     decision_id=decision_id)
    return count


def export_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
