"""Customers and open items as loaded from the ERP's export: load, then read by customer.

The ERP is the system of record for the ledger; the store keeps the latest snapshot so
the matcher can work offline and in one transaction with its decisions.  Loading is an
upsert by natural key: loading the same export twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.domain import Customer, CustomerId, OpenItem
from shared.store.engine import backend_name
from shared.store.tables import CustomerRow, OpenItemRow
from shared.store.types import utcnow

__all__ = [
    "get_customers",
    "get_open_items",
    "ledger_loaded_at",
    "upsert_customers",
    "upsert_open_items",
]


def _upsert(
    session: Session, model: type[CustomerRow | OpenItemRow], rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    key = "customer_id" if model is CustomerRow else "doc_no"
    insert = postgresql.insert if backend_name(session) == "postgresql" else sqlite.insert
    statement = insert(model)
    statement = statement.on_conflict_do_update(
        index_elements=[key],
        set_={name: statement.excluded[name] for name in rows[0] if name != key},
    )
    session.execute(statement, rows)


def upsert_customers(
    session: Session, *, customers: Iterable[Customer], now: datetime | None = None
) -> int:
    """Insert or replace customers by ``customer_id``; returns how many were given."""
    stamp = now or utcnow()
    rows = [
        {
            **c.model_dump(mode="python"),
            "aliases": list(c.aliases),
            "remit_emails": list(c.remit_emails),
            "bank_accounts": list(c.bank_accounts),
            "updated_at": stamp,
        }
        for c in customers
    ]
    _upsert(session, CustomerRow, rows)
    return len(rows)


def upsert_open_items(
    session: Session, *, items: Iterable[OpenItem], now: datetime | None = None
) -> int:
    """Insert or replace open items by ``doc_no``; their customers must be loaded first."""
    stamp = now or utcnow()
    rows = [
        {**item.model_dump(mode="python"), "doc_type": item.doc_type.value, "updated_at": stamp}
        for item in items
    ]
    _upsert(session, OpenItemRow, rows)
    return len(rows)


def get_customers(
    session: Session, *, customer_ids: Iterable[CustomerId] | None = None
) -> list[Customer]:
    """Customers by id (all when ``customer_ids`` is None), ordered by id."""
    query = select(CustomerRow).order_by(CustomerRow.customer_id)
    if customer_ids is not None:
        query = query.where(CustomerRow.customer_id.in_(list(customer_ids)))
    return [
        Customer(
            customer_id=row.customer_id,
            name=row.name,
            aliases=tuple(row.aliases),
            parent_id=row.parent_id,
            currency=row.currency,
            terms=row.terms,
            country=row.country,
            remit_emails=tuple(row.remit_emails),
            bank_accounts=tuple(row.bank_accounts),
        )
        for row in session.scalars(query)
    ]


def ledger_loaded_at(session: Session) -> datetime | None:
    """When the open items were last loaded (None for an empty ledger)."""
    return session.scalar(select(func.max(OpenItemRow.updated_at)))


def get_open_items(
    session: Session,
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    include_closed: bool = False,
) -> list[OpenItem]:
    """Open items of the given customers (all when None), by customer then ``doc_no``.

    Items whose ``open_amount`` is zero are left out unless ``include_closed``.
    """
    query = select(OpenItemRow).order_by(OpenItemRow.customer_id, OpenItemRow.doc_no)
    if customer_ids is not None:
        query = query.where(OpenItemRow.customer_id.in_(list(customer_ids)))
    if not include_closed:
        query = query.where(OpenItemRow.open_amount != 0)
    return [
        OpenItem(
            doc_no=row.doc_no,
            doc_type=row.doc_type,
            customer_id=row.customer_id,
            po_number=row.po_number,
            doc_date=row.doc_date,
            due_date=row.due_date,
            currency=row.currency,
            amount=row.amount,
            open_amount=row.open_amount,
            discount_date=row.discount_date,
            discount_amount=row.discount_amount,
        )
        for row in session.scalars(query)
    ]
