"""Customers and open items from the ledger CSV files (customers.csv, open_items.csv).

The same column layout is what the ERP's open-items export gives, what a scenario
folder holds and what the demo generator writes, so one reader serves all three.
A bad row raises :class:`~shared.errors.BusinessError` naming the file and line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.domain import Customer, OpenItem
from shared.errors import BusinessError

__all__ = ["read_customers", "read_open_items"]


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            yield n, {k: (v or "").strip() for k, v in row.items() if k is not None}


def _split(text: str, sep: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(sep) if part.strip())


def _build(model: type[Any], path: Path, n: int, fields: dict[str, Any]) -> Any:
    try:
        return model(**fields)
    except ValidationError as exc:
        raise BusinessError("ledger_row", f"{path.name} line {n}: {exc.errors()[0]['msg']}",
                            file=str(path), line=n) from exc


def read_customers(path: Path) -> list[Customer]:
    """Every customer of a ``customers.csv``."""
    return [
        _build(Customer, path, n, {
            "customer_id": r["customer_id"], "name": r["name"],
            "aliases": _split(r.get("aliases", ""), "|"), "parent_id": r.get("parent_id") or None,
            "currency": r["currency"], "terms": r.get("terms") or "NET30",
            "country": r.get("country") or None,
            "remit_emails": tuple(e.lower() for e in _split(r.get("remit_emails", ""), ";")),
            "bank_accounts": _split(r.get("bank_accounts", ""), ";"),
        })
        for n, r in _rows(path)
    ]


def read_open_items(path: Path) -> list[OpenItem]:
    """Every open item of an ``open_items.csv``."""
    return [
        _build(OpenItem, path, n, {
            **{k: r[k] for k in ("doc_no", "doc_type", "customer_id", "doc_date", "due_date",
                                 "currency", "amount", "open_amount")},
            "po_number": r.get("po_number") or None,
            "discount_date": r.get("discount_date") or None,
            "discount_amount": r.get("discount_amount") or None,
        })
        for n, r in _rows(path)
    ]
