"""The reader bot's entry points: statements and mail into the store, exactly once.

Invariants:

* a payment is stored once per ``payment_id`` (the bank's reference), however often
  the statement is read;
* a mail is recorded by ``(source, uidvalidity, uid)`` before it is read, its results
  are committed with its final status in one transaction, and only then is it moved
  to ``Processed``/``Failed`` in the mailbox: a crash anywhere re-reads at most the
  message in hand, and the store turns that second read into a no-op;
* anything a person must look at (a remittance that cannot be read, a dispute, a
  promise to pay, a statement that cannot be parsed) becomes a review item with the
  reason, and the batch goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bots.remittance_reader.bank.entry import StatementEntry, StatementError
from bots.remittance_reader.bank.formats import read_statement
from bots.remittance_reader.context import ReadingContext
from bots.remittance_reader.mail.remittance import MailReading, read_mail
from shared.domain import Payment, ReviewKind
from shared.errors import ApplicationError, BusinessError, ConfigurationError
from shared.mail.sources import MailSource, RawMessage
from shared.store import (
    MessageStatus,
    get_customers,
    get_open_items,
    open_review_item,
    read_transaction,
    record_message,
    save_remittance,
    set_message_status,
    upsert_payment,
    write_transaction,
)
from shared.store.review_queue import attach_review_document, list_review_documents

__all__ = ["ReadSummary", "load_context", "message_uid", "read_mailbox", "read_statements"]

log = logging.getLogger(__name__)
_ACTOR = "bot:remittance_reader"


@dataclass
class ReadSummary:
    """Counts of one reading run, for the run summary."""

    payments_new: int = 0
    payments_seen: int = 0
    mails_read: int = 0
    remittances: int = 0
    review_items: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _payment(entry: StatementEntry) -> Payment:
    text = entry.free_text
    if entry.structured_ref and entry.structured_ref not in text:
        text = f"{text} {entry.structured_ref}".strip()
    return Payment(
        payment_id=entry.payment_id, amount=entry.amount, currency=entry.currency,
        value_date=entry.value_date, payer_name=entry.payer_name or entry.ultimate_payer or None,
        payer_account=entry.payer_account or None, payer_bank=entry.payer_bank_id or None,
        text=text or None, receiving_account=entry.receiving_account or None,
        source=entry.source_file,
    )


def read_statements(
    engine: Engine, folder: Path, summary: ReadSummary | None = None
) -> ReadSummary:
    """Store every credit entry of every statement file in ``folder`` as a Payment."""
    summary = summary or ReadSummary()
    if not folder.is_dir():
        raise ConfigurationError(f"no statement folder {folder} (settings: "
                                 "inputs.statements_folder, or --statements)")
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            entries = read_statement(path)
        except StatementError as exc:
            log.warning("statement %s not readable: %s", path.name, exc)
            with write_transaction(engine) as session:
                item = open_review_item(session, kind=ReviewKind.BAD_DOCUMENT, actor=_ACTOR,
                                        title=f"Bank statement {path.name} cannot be read",
                                        payload={"file": path.name, "error": str(exc)},
                                        key=f"statement:{path.name}")
                _attach(session, item.item_id, path.name, "text/plain", path.read_bytes())
            summary.review_items += 1
            continue
        with write_transaction(engine) as session:
            for n, entry in enumerate(entries, start=1):
                if not entry.credit:
                    continue
                if not entry.payment_id:
                    # Without the bank's reference a credit has no key to be stored once by.
                    open_review_item(
                        session, kind=ReviewKind.BAD_DOCUMENT, actor=_ACTOR,
                        title=f"Credit {entry.amount} {entry.currency} in {path.name} has no "
                              "bank reference",
                        payload={"file": path.name, "entry": n, "amount": str(entry.amount),
                                 "currency": entry.currency, "payer": entry.payer_name,
                                 "text": entry.free_text},
                        key=f"statement:{path.name}:{n}")
                    summary.review_items += 1
                    continue
                summary.payments_seen += 1
                summary.payments_new += upsert_payment(session, payment=_payment(entry))
    return summary


def message_uid(message: RawMessage) -> tuple[int, int]:
    """The (uidvalidity, uid) a message is recorded under in the store."""
    if ":" in message.key:
        validity, _, uid = message.key.partition(":")
        return int(validity), int(uid)
    # A folder source: the file's number is its uid (0001.eml -> 1).
    return 0, int("".join(ch for ch in message.key if ch.isdigit()) or "0")


def _review_for(reading: MailReading) -> tuple[ReviewKind, str] | None:
    if reading.review_reason:
        return ReviewKind.EXTRACTION_FAILURE, f"Remittance not read: {reading.review_reason}"
    if reading.kind == "dispute":
        return ReviewKind.DISPUTE, f"Dispute from {reading.sender}: {reading.subject}"
    if reading.kind == "promise_to_pay":
        return ReviewKind.PROMISE_TO_PAY, f"Promise to pay from {reading.sender}"
    return None


def _review_payload(reading: MailReading, message: RawMessage) -> dict[str, object]:
    payload: dict[str, object] = {
        "message_id": reading.message_id, "sender": reading.sender,
        "subject": reading.subject, "source": message.source, "key": message.key,
    }
    if reading.problems:
        payload["problems"] = reading.problems
    if reading.referenced_docs:
        payload["documents"] = reading.referenced_docs
    if reading.promised_date is not None:
        payload["promised_date"] = reading.promised_date.isoformat()
    if reading.remittance is not None:
        payload["remittance_id"] = reading.remittance.remittance_id
    return payload


# Source documents kept with a review item (as the bot saw them) up to this size.
_MAX_ATTACHED_BYTES = 25 * 1024 * 1024


def _attach_mail(session: Session, item_id: int, message: RawMessage) -> None:
    _attach(session, item_id, f"{message.key}.eml", "message/rfc822", message.raw)


def _attach(session: Session, item_id: int, name: str, content_type: str,
            content: bytes) -> None:
    """Keep the document with the item, once (a rerun may find the item already open)."""
    if len(content) <= _MAX_ATTACHED_BYTES and not list_review_documents(session,
                                                                          item_id=item_id):
        attach_review_document(session, item_id=item_id, name=name,
                               content_type=content_type, content=content)


def load_context(engine: Engine) -> ReadingContext:
    """The customers and open items in the store, indexed for reading."""
    with read_transaction(engine) as session:
        return ReadingContext.build(get_customers(session), get_open_items(session))


def _commit_reading(engine: Engine, message: RawMessage, uid: tuple[int, int],
                    reading: MailReading, summary: ReadSummary) -> bool:
    """Store what one mail said and mark it done, in one transaction; True if it failed."""
    review = _review_for(reading)
    failed = reading.review_reason is not None
    with write_transaction(engine) as session:
        if reading.remittance is not None:
            save_remittance(session, remittance=reading.remittance)
            summary.remittances += 1
        if review is not None:
            kind, title = review
            item = open_review_item(session, kind=kind, title=title, actor=_ACTOR,
                                    payload=_review_payload(reading, message),
                                    key=f"mail:{message.source}:{message.key}")
            _attach_mail(session, item.item_id, message)
            summary.review_items += 1
        set_message_status(session, source=message.source, uidvalidity=uid[0], uid=uid[1],
                           status=MessageStatus.FAILED if failed else MessageStatus.PROCESSED,
                           kind=reading.kind, error=reading.review_reason)
    return failed


def _commit_failure(engine: Engine, message: RawMessage, uid: tuple[int, int],
                    error: str) -> bool:
    """Mark a mail failed with a review item saying why; the batch goes on."""
    with write_transaction(engine) as session:
        item = open_review_item(
            session, kind=ReviewKind.EXTRACTION_FAILURE, actor=_ACTOR,
            title=f"Mail {message.key} could not be read: {error}"[:300],
            payload={"source": message.source, "key": message.key, "error": error},
            key=f"mail:{message.source}:{message.key}")
        _attach_mail(session, item.item_id, message)
        set_message_status(session, source=message.source, uidvalidity=uid[0], uid=uid[1],
                           status=MessageStatus.FAILED, error=error)
    return True


def read_mailbox(
    engine: Engine, source: MailSource, context: ReadingContext | None = None,
    summary: ReadSummary | None = None,
) -> ReadSummary:
    """Read every new message of ``source`` into the store (see the module invariants).

    ``context`` defaults to the customers and open items in the store.
    """
    summary = summary or ReadSummary()
    context = context or load_context(engine)
    for message in source.fetch_new():
        validity, uid = message_uid(message)
        with write_transaction(engine) as session:
            seen = record_message(session, source=message.source, uidvalidity=validity, uid=uid,
                                  message_id=None)
        if seen.status.final:
            source.mark_processed(message, failed=seen.status is MessageStatus.FAILED)
            continue
        try:
            reading = read_mail(message.raw, context, source=message.key)
            failed = _commit_reading(engine, message, (validity, uid), reading, summary)
        except (ApplicationError, SQLAlchemyError):
            raise  # the store or a service is down: stop, and the next run resumes here
        except BusinessError as exc:
            # Data a person must look at (a Message-ID reused with other content...).
            failed = _commit_failure(engine, message, (validity, uid), str(exc))
            summary.review_items += 1
            reading = None
        except Exception as exc:
            log.exception("mail %s in %s could not be read", message.key, message.source)
            failed = _commit_failure(engine, message, (validity, uid),
                                     f"the reader failed on this mail ({type(exc).__name__}: "
                                     f"{str(exc)[:200]})")
            summary.review_items += 1
            reading = None
        source.mark_processed(message, failed=failed)
        summary.mails_read += 1
        kind = reading.kind if reading is not None else "unreadable"
        summary.by_kind[kind] = summary.by_kind.get(kind, 0) + 1
        log.info("mail %s read as %s", message.key, kind)
    return summary
