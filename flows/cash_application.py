"""Cash application, end to end: statements and mail in, decisions, ERP postings, review.

The pipeline (:func:`run_cash_application`) is wiring only: each step is a bot entry or a
shared service, each writes to the store before the next step reads, so a rerun after a
crash picks up where the last one stopped and repeats nothing.  It is written once and
run two ways (:mod:`flows.steps`): step by step in place (the benchmark, the tests), or
as the Prefect flow :func:`cash_application`, each step a task with its own retries and
timeout, publishing a summary and a table of what became of each payment.

A failure inside one document or one posting never fails the run: the reader files a
bad mail as a review item, the matcher sends a payment it cannot decide to review, the
poster turns a refused posting into a review item.  What does fail a step (the mail
server or the ERP unreachable after the retries) leaves the store consistent for the
next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from prefect import flow
from sqlalchemy import Engine

from bots.remittance_reader import ReadSummary, read_mailbox, read_statements
from bots.remittance_reader.remittance_request import RequestSummary, request_missing_remittances
from flows.steps import StepRunner, call_step
from shared.errors import ConfigurationError
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

__all__ = ["CashApplicationSummary", "Poster", "cash_application", "run_cash_application"]


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
    for name in ("customers.csv", "open_items.csv"):
        if not (ledger_dir / name).is_file():
            raise ConfigurationError(f"no ledger export {ledger_dir / name} (settings: "
                                     "inputs.ledger_folder, or --ledger)")
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
    step: StepRunner = call_step,
) -> CashApplicationSummary:
    """One cash-application run; ``post=None`` decides but leaves postings queued.

    ``remittance_wait_days`` (settings: ``matching.remittance_wait_days``) keeps payments
    whose advice is announced but not yet read undecided for that long; ``policy``
    (``MatchingPolicy.from_settings(settings.matching)``) sets the bank-fee limit.  With
    a ``mail_sender``, customers are asked for the advice of payments that went to
    review for want of it (once per payment).  ``step`` runs each step (see
    :mod:`flows.steps`).
    """
    summary = CashApplicationSummary()
    step("load-ledger", load_ledger, engine, ledger_dir)
    # Steps return what they counted (a task's arguments may reach it as copies).
    summary.read = step("read-statements", read_statements, engine, statements_dir)
    summary.read = step("read-mailbox", read_mailbox, engine, mail_source, summary=summary.read)
    summary.decided = step("decide", decide_pending, engine, policy=policy,
                           wait_days=remittance_wait_days)
    if mail_sender is not None:
        summary.remittance_requests = step(
            "request-remittances", request_missing_remittances, engine, mail_sender,
            from_address=from_address, payment_ids=summary.decided.awaiting_advice)
    if post is not None:
        summary.posted, summary.posting_failed = step("post-to-erp", post, engine)
    with read_transaction(engine) as session:
        summary.outbox = {state.value: n for state, n in count_postings(session).items()}
    return summary


@flow(name="cash-application", log_prints=True, timeout_seconds=4 * 3600)
def cash_application(
    ledger_dir: str | None = None,
    statements_dir: str | None = None,
    post: bool = True,
    seats: int | None = None,
    request_remittances: bool = True,
    secret_blocks: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Read statements and mail, decide every payment, post to the ERP, publish a summary.

    Folders default to ``settings.inputs``; mail, the ERP, the store and the policy come
    from the settings of the worker (``O2C_*``), secrets optionally from Prefect Secret
    blocks (``secret_blocks``, see :mod:`flows.environment`).  ``seats`` (default
    ``erp.seats``) ERP sessions post in parallel, inside the ``erp-seats`` limit.
    """
    from flows.artifacts import publish_run
    from flows.environment import flow_engine, flow_settings, post_within_seats
    from flows.steps import prefect_steps
    from shared.mail.outgoing import mail_sender_from_settings
    from shared.mail.sources import mail_source_from_settings
    from shared.store.types import utcnow

    settings = flow_settings(secret_blocks)
    engine = flow_engine(settings)
    started = utcnow()
    count = seats or settings.erp.seats

    def post_to_erp(engine: Engine) -> tuple[int, int]:
        report = post_within_seats(engine, settings, count)
        return report.posted + report.recovered, report.to_review

    source = mail_source_from_settings(settings.imap)
    try:
        summary = run_cash_application(
            engine,
            ledger_dir=Path(ledger_dir) if ledger_dir else settings.inputs.ledger_folder,
            statements_dir=(Path(statements_dir) if statements_dir
                            else settings.inputs.statements_folder),
            mail_source=source,
            post=post_to_erp if post else None,
            remittance_wait_days=settings.matching.remittance_wait_days,
            policy=MatchingPolicy.from_settings(settings.matching),
            mail_sender=mail_sender_from_settings(settings.smtp) if request_remittances else None,
            from_address=settings.smtp.from_address,
            step=prefect_steps(),
        )
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    counts = {
        "statements: payments seen": summary.read.payments_seen,
        "mails read": summary.read.mails_read,
        "remittances read": summary.read.remittances,
        "decided automatically": summary.decided.auto,
        "sent to review": summary.decided.review,
        "waiting for their advice": summary.decided.waiting,
        "remittance advices requested": summary.remittance_requests.sent,
        "posted in the ERP": summary.posted,
        "postings refused (to review)": summary.posting_failed,
    }
    publish_run(engine, key="cash-application", title="Cash application", counts=counts,
                since=started,
                description="What this run read, decided and posted; the cash position after it.")
    engine.dispose()
    return {"counts": counts, "outbox": summary.outbox}
