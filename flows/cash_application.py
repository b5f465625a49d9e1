"""Cash application, end to end: statements and mail in, decisions, ERP postings, review.

The flow is wiring only: each step is a bot entry or a shared service, each writes to
the store before the next step reads, so a re-run after a crash picks up where the
last one stopped and repeats nothing.  (Prefect task/flow wrappers with retries and
artifacts wrap these same calls.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from bots.remittance_reader import ReadSummary, read_mailbox, read_statements
from bots.remittance_reader.remittance_request import RequestSummary, request_missing_remittances
from shared.ledger_files import read_customers, read_open_items
from shared.mail.outgoing import MailSender
from shared.mail.sources import MailSource
from shared.matching.engine import MatchingPolicy
from shared.matching.run import DecideSummary, decide_pending
from shared.settings import SmtpSettings
from shared.store import (
    count_postings,
    read_transaction,
    upsert_customers,
    upsert_open_items,
    write_transaction,
)

__all__ = ["CashApplicationSummary", "Poster", "run_cash_application"]


class Poster(Protocol):
    """Posts what the outbox holds; returns (posted, failed)."""

    def __call__(self, engine: Engine) -> tuple[int, int]: ...


@dataclass
class CashApplicationSummary:
    read: ReadSummary = field(default_factory=ReadSummary)
    decided: DecideSummary = field(default_factory=DecideSummary)
    remittance_requests: RequestSummary = field(default_factory=RequestSummary)
    posted: int = 0
    posting_failed: int = 0
    outbox: dict[str, int] = field(default_factory=dict)


def load_ledger(engine: Engine, ledger_dir: Path) -> None:
    """Refresh customers and open items from the ledger export files."""
    with write_transaction(engine) as session:
        upsert_customers(session, customers=read_customers(ledger_dir / "customers.csv"))
        upsert_open_items(session, items=read_open_items(ledger_dir / "open_items.csv"))


def run_cash_application(
    engine: Engine,
    *,
    ledger_dir: Path,
    statements_dir: Path,
    mail_source: MailSource,
    post: Poster | None = None,
    remittance_wait_days: int = 0,
    policy: MatchingPolicy | None = None,
    mail_sender: MailSender | None = None,
    from_address: str = SmtpSettings().from_address,
) -> CashApplicationSummary:
    """One cash-application run; ``post=None`` decides but leaves postings queued.

    With a ``mail_sender``, customers are asked for the advice of payments that went to
    review for want of it (once per payment).

    ``remittance_wait_days`` (settings: ``matching.remittance_wait_days``) keeps payments
    whose advice is announced but not yet read undecided for that long; ``policy``
    (``MatchingPolicy.from_settings(settings.matching)``) sets the bank-fee limit.
    """
    summary = CashApplicationSummary()
    load_ledger(engine, ledger_dir)
    read_statements(engine, statements_dir, summary.read)
    read_mailbox(engine, mail_source, summary=summary.read)
    summary.decided = decide_pending(engine, policy=policy, wait_days=remittance_wait_days)
    if mail_sender is not None:
        summary.remittance_requests = request_missing_remittances(
            engine, mail_sender, from_address=from_address,
            payment_ids=summary.decided.awaiting_advice)
    if post is not None:
        summary.posted, summary.posting_failed = post(engine)
    with read_transaction(engine) as session:
        summary.outbox = {state.value: n for state, n in count_postings(session).items()}
    return summary
