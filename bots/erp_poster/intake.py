"""A decisions file (FORMAT.md 3.1) into the store's outbox, once.

Every ``auto`` line is recorded as a decision on its stored payment and queued for
posting; ``review`` lines are counted and left alone.  Reading the same file again
queues nothing new: a decision equal to the payment's current one is not recorded
twice, and a payment already in the outbox with that decision stays as it is (posted,
queued or sent to review).  A different decision for a payment whose posting failed
(after a person looked) puts it back in the queue; for a payment already posted or
being posted it is refused, because the ERP already holds the first one.

A line that cannot be used (not JSON, not FORMAT.md 3.1, a payment the store does not
know, an amount that is not the payment's) is reported with its line number and
skipped; the other lines are still taken.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shared.domain import Decision, DecisionKind
from shared.errors import BotError
from shared.store import (
    PostingState,
    enqueue_posting,
    get_payment,
    get_posting,
    latest_decision,
    record_decision,
    requeue_posting,
    write_transaction,
)

__all__ = ["IntakeReport", "enqueue_decisions"]


@dataclass
class IntakeReport:
    """What reading one decisions file did."""

    lines: int = 0
    auto: int = 0
    review: int = 0
    queued: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def _posting_key(decision: Decision) -> Any:
    # What the ERP document will hold; confidence and evidence do not change a posting.
    return (
        decision.customer_id,
        sorted((a.doc_no, a.amount) for a in decision.applications),
        sorted(
            (j.type.value, j.doc_no, j.amount, str(j.reason_code)) for j in decision.adjustments
        ),
        decision.on_account,
    )


def enqueue_decisions(engine: Engine, path: Path, *, decided_by: str) -> IntakeReport:
    """Queue every ``auto`` decision of the file at ``path``; see the module docstring.

    Raises ``OSError`` when the file cannot be read; everything wrong inside it is in
    the report's ``problems``.
    """
    report = IntakeReport()
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            report.lines += 1
            try:
                obj = json.loads(text)
                decision = Decision.from_json(obj)
            except (ValueError, ValidationError) as exc:
                report.problems.append(f"line {number}: not a decision line: {_short(exc)}")
                continue
            if decision.kind is not DecisionKind.AUTO:
                report.review += 1
                continue
            report.auto += 1
            try:
                with write_transaction(engine) as session:
                    outcome = _enqueue(session, obj, decision, decided_by)
            except (BotError, ValueError, ValidationError) as exc:
                report.problems.append(f"line {number} ({decision.payment_id}): {_short(exc)}")
                continue
            if outcome is None:
                report.unchanged += 1
            elif outcome:
                report.queued += 1
            else:
                report.problems.append(
                    f"line {number} ({decision.payment_id}): already posted or being posted "
                    "with another decision; not changed (reverse it in the ERP first)"
                )
    return report


def _enqueue(
    session: Session, obj: dict[str, Any], decision: Decision, decided_by: str
) -> bool | None:
    """True: queued; None: nothing to do; False: refused (posted with another decision)."""
    pid = decision.payment_id
    payment = get_payment(session, payment_id=pid)
    if payment is None:
        raise ValueError(
            f"payment {pid} is not in the store: read its bank statement first "
            "(o2c erp post --statements DIR)"
        )
    # Checks the line against the payment's real amount (raises when they differ).
    decision = Decision.from_json(obj, payment_amount=payment.amount)
    current = latest_decision(session, payment_id=pid)
    same = current is not None and _posting_key(current.decision) == _posting_key(decision)
    posting = get_posting(session, payment_id=pid)
    if posting is not None and posting.state is not PostingState.FAILED:
        if same:
            return None
        return False
    decision_id = (
        current.decision_id
        if same and current is not None
        else record_decision(session, decision=decision, decided_by=decided_by)
    )
    if posting is None:
        enqueue_posting(session, payment_id=pid, decision_id=decision_id)
        return True
    if posting.decision_id == decision_id:
        return None  # failed with this very decision: a person must act, not a re-run
    requeue_posting(
        session, payment_id=pid, decision_id=decision_id, actor=decided_by,
        reason="a new decision from a decisions file",
    )
    return True


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(text[:3])[:300]
