"""The figures an AR lead reads each day, from the store (read-only).

* **auto-match rate**: of the payments decided so far, the share whose current decision
  was made by the matcher and is ``auto``;
* **applied**: what the ERP confirmed (postings ``posted``): applications, by currency;
* **unapplied cash**: money received but not applied to a document: payments not yet
  decided or waiting in review, plus amounts put on account, by currency;
* **review backlog**: open items by kind and by age, and how many are past their SLA.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.money import ZERO
from shared.store.tables import DecisionRow, PaymentRow, PostingRow, ReviewItemRow
from shared.store.types import utcnow

__all__ = ["AGE_BUCKETS", "CashReport", "PaymentOutcome", "cash_report", "run_outcomes"]

# Review backlog age buckets: (label, upper bound).
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under 1 day", timedelta(days=1)),
    ("1-3 days", timedelta(days=3)),
    ("3-7 days", timedelta(days=7)),
    ("over 7 days", None),
)
_BOT_PREFIX = "bot:"
_OPEN = ("open", "claimed")


@dataclass
class CashReport:
    at: datetime
    payments: int = 0
    received: dict[str, Decimal] = field(default_factory=dict)
    decided: int = 0
    auto_by_bot: int = 0
    in_review: int = 0
    undecided: int = 0
    posted: int = 0
    applied: dict[str, Decimal] = field(default_factory=dict)
    unapplied: dict[str, Decimal] = field(default_factory=dict)
    backlog_by_kind: dict[str, int] = field(default_factory=dict)
    backlog_by_age: dict[str, int] = field(default_factory=dict)
    sla_breaches: int = 0
    oldest_open: timedelta | None = None

    @property
    def auto_match_rate(self) -> float | None:
        return self.auto_by_bot / self.decided if self.decided else None

    @property
    def backlog(self) -> int:
        return sum(self.backlog_by_kind.values())


def cash_report(session: Session, *, now: datetime | None = None) -> CashReport:
    """The report as of ``now`` (see the module docstring)."""
    now = now or utcnow()
    report = CashReport(at=now)
    received: dict[str, Decimal] = defaultdict(lambda: ZERO)
    unapplied: dict[str, Decimal] = defaultdict(lambda: ZERO)
    applied: dict[str, Decimal] = defaultdict(lambda: ZERO)
    current = _current_decisions(session)
    posted = {row.payment_id for row in session.scalars(
        select(PostingRow).where(PostingRow.state == "posted"))}
    for payment in session.scalars(select(PaymentRow)):
        report.payments += 1
        received[payment.currency] += payment.amount
        decision = current.get(payment.payment_id)
        if decision is None:
            report.undecided += 1
            unapplied[payment.currency] += payment.amount
            continue
        report.decided += 1
        if decision.kind == "auto" and decision.decided_by.startswith(_BOT_PREFIX):
            report.auto_by_bot += 1
        if decision.kind == "review":
            report.in_review += 1
            unapplied[payment.currency] += payment.amount
            continue
        unapplied[payment.currency] += decision.on_account
        if payment.payment_id in posted:
            report.posted += 1
            applied[payment.currency] += payment.amount - decision.on_account
    report.received, report.applied = dict(received), dict(applied)
    report.unapplied = {c: a for c, a in unapplied.items() if a}
    _backlog(session, report, now)
    return report


def _current_decisions(session: Session) -> dict[str, DecisionRow]:
    """The newest decision of every decided payment, by payment id."""
    newest = (select(DecisionRow.payment_id, func.max(DecisionRow.id).label("id"))
              .group_by(DecisionRow.payment_id).subquery())
    return {row.payment_id: row for row in session.scalars(
        select(DecisionRow).join(newest, DecisionRow.id == newest.c.id))}


def _backlog(session: Session, report: CashReport, now: datetime) -> None:
    by_kind: Counter[str] = Counter()
    by_age: Counter[str] = Counter({label: 0 for label, _ in AGE_BUCKETS})
    for item in session.scalars(select(ReviewItemRow).where(ReviewItemRow.status.in_(_OPEN))):
        by_kind[item.kind] += 1
        age = now - item.created_at
        by_age[next(label for label, bound in AGE_BUCKETS if bound is None or age < bound)] += 1
        if item.sla_due is not None and item.sla_due < now:
            report.sla_breaches += 1
        if report.oldest_open is None or age > report.oldest_open:
            report.oldest_open = age
    report.backlog_by_kind = dict(sorted(by_kind.items()))
    report.backlog_by_age = dict(by_age)


@dataclass(frozen=True)
class PaymentOutcome:
    """What became of one payment touched by a run, in words an AR lead reads."""

    payment_id: str
    currency: str
    amount: Decimal
    customer_id: str | None
    outcome: str  # posted | queued for the ERP | in review | posting failed
    detail: str  # the ERP document, the review reason, the error


def run_outcomes(session: Session, *, since: datetime) -> list[PaymentOutcome]:
    """The payments decided or posted since ``since`` (one run), by value date."""
    decisions = _current_decisions(session)
    postings = {row.payment_id: row for row in session.scalars(select(PostingRow))}
    touched = {pid for pid, d in decisions.items() if d.decided_at >= since} | {
        pid for pid, p in postings.items() if p.updated_at >= since}
    if not touched:
        return []
    out = []
    for payment in session.scalars(select(PaymentRow).where(PaymentRow.payment_id.in_(touched))
                                   .order_by(PaymentRow.value_date, PaymentRow.payment_id)):
        decision = decisions.get(payment.payment_id)
        posting = postings.get(payment.payment_id)
        if decision is not None and decision.kind == "review":
            outcome, detail = "in review", decision.reason or ""
        elif posting is not None and posting.state == "posted":
            outcome, detail = "posted", f"ERP document {posting.erp_document_no}"
        elif posting is not None and posting.state == "failed":
            outcome, detail = "posting failed", posting.last_error or ""
        else:
            outcome, detail = "queued for the ERP", (
                f"attempt {posting.attempts}: {posting.last_error}"
                if posting is not None and posting.last_error else "")
        out.append(PaymentOutcome(payment.payment_id, payment.currency, payment.amount,
                                  decision.customer_id if decision else None, outcome,
                                  detail[:300]))
    return out
