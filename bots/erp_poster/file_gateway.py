"""The ErpGateway adapter for dry runs: postings appended to a JSONL file.

Each line is one "posted" payment in the export shape of the sandbox ERP (FORMAT.md 3.1
plus ``document_no``, ``amount``, ``currency``, ``value_date``), numbered ``DRY-000001``
on.  It behaves like an ERP that never fails, so the poster's logic (search first,
verify, outbox) runs unchanged without a browser: in a dry run, and in unit tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.erp import ErpAdjustment, ErpApplication, ErpPayment, PostingRequest
from shared.money import format_amount

__all__ = ["FileErpGateway"]

# Several workers of one process may share the file.
_LOCK = threading.Lock()


def _record(payment: ErpPayment) -> dict[str, Any]:
    return {
        "payment_id": payment.payment_id,
        "document_no": payment.document_no,
        "customer_id": payment.customer_id,
        "amount": format_amount(payment.amount),
        "currency": payment.currency,
        "value_date": payment.value_date.isoformat(),
        "applications": [
            {"doc_no": a.doc_no, "amount": format_amount(a.amount)} for a in payment.applications
        ],
        "adjustments": [
            {
                "type": a.type,
                "doc_no": a.doc_no,
                "amount": format_amount(a.amount),
                "reason_code": a.reason_code,
            }
            for a in payment.adjustments
        ],
        "on_account": format_amount(payment.on_account),
    }


def _payment(obj: dict[str, Any]) -> ErpPayment:
    return ErpPayment(
        document_no=obj["document_no"],
        payment_id=obj["payment_id"],
        customer_id=obj["customer_id"],
        amount=Decimal(obj["amount"]),
        currency=obj["currency"],
        value_date=date.fromisoformat(obj["value_date"]),
        applications=tuple(
            ErpApplication(a["doc_no"], Decimal(a["amount"])) for a in obj["applications"]
        ),
        adjustments=tuple(
            ErpAdjustment(a["type"], a["doc_no"], Decimal(a["amount"]), a["reason_code"])
            for a in obj["adjustments"]
        ),
        on_account=Decimal(obj["on_account"]),
    )


class FileErpGateway:
    """Appends postings to ``path`` (created with its folder when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)

    def _read(self) -> list[ErpPayment]:
        text = self.path.read_text(encoding="utf-8")
        return [_payment(json.loads(line)) for line in text.splitlines() if line.strip()]

    def begin(self, payment_id: str) -> None:
        return None

    def find_payments(self, payment_id: str) -> list[ErpPayment]:
        with _LOCK:
            return [p for p in self._read() if p.payment_id == payment_id]

    def post_payment(
        self, request: PostingRequest, *, before_save: Callable[[], None]
    ) -> ErpPayment:
        with _LOCK:
            number = len(self._read()) + 1
            before_save()
            payment = ErpPayment(
                document_no=f"DRY-{number:06d}",
                payment_id=request.payment_id,
                customer_id=request.customer_id,
                amount=request.amount,
                currency=request.currency or "",
                value_date=request.value_date or date.today(),
                applications=request.applications,
                adjustments=request.adjustments,
                on_account=request.on_account,
            )
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(_record(payment), ensure_ascii=False) + "\n")
            return payment

    def keep_evidence(self, directory: Path, stem: str) -> dict[str, str]:
        return {}

    def close(self) -> None:
        return None
