"""Compare what the ERP shows as posted with what was asked to be posted.

Amounts are compared exactly, as ``Decimal``.  Lines are compared the way the scorer of
FORMAT.md section 4 compares decisions: several entries for one key are summed first
(the ERP may book a discount typed in the grid as its own adjustment line, and lists
invoices before credit memos), so the order of lines does not matter, their amounts do.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from decimal import Decimal
from typing import TypeVar

from shared.erp import ErpPayment, PostingRequest

__all__ = ["differences"]

K = TypeVar("K", bound=Hashable)


def _summed(pairs: Iterable[tuple[K, Decimal]]) -> dict[K, Decimal]:
    out: dict[K, Decimal] = {}
    for key, amount in pairs:
        out[key] = out.get(key, Decimal(0)) + amount
    return out


def _compare(what: str, wanted: dict[K, Decimal], posted: dict[K, Decimal]) -> list[str]:
    problems = []
    for key in sorted(set(wanted) | set(posted), key=str):
        want, got = wanted.get(key), posted.get(key)
        if want != got:
            problems.append(f"{what} {key}: asked {want}, posted {got}")
    return problems


def differences(request: PostingRequest, posted: ErpPayment) -> list[str]:
    """Every way ``posted`` differs from ``request`` (empty: the ERP posted exactly it)."""
    problems: list[str] = []
    header = [
        ("memo", request.payment_id, posted.payment_id),
        ("customer", request.customer_id, posted.customer_id),
        ("amount", request.amount, posted.amount),
        ("on account", request.on_account, posted.on_account),
    ]
    if request.currency is not None:
        header.append(("currency", request.currency, posted.currency))
    if request.value_date is not None:
        header.append(("date", request.value_date, posted.value_date))
    problems += [
        f"{name}: asked {want}, posted {got}" for name, want, got in header if want != got
    ]
    problems += _compare(
        "application",
        _summed((a.doc_no, a.amount) for a in request.applications),
        _summed((a.doc_no, a.amount) for a in posted.applications),
    )
    problems += _compare(
        "adjustment",
        _summed(((a.type, a.doc_no, a.reason_code), a.amount) for a in request.adjustments),
        _summed(((a.type, a.doc_no, a.reason_code), a.amount) for a in posted.adjustments),
    )
    return problems
