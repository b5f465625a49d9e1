"""Mail seen in a mailbox, so each message is processed exactly once.

IMAP names a message by (mailbox, UIDVALIDITY, UID).  The reader's loop, per message:

1. :func:`record_message` (new: status ``received``; known: its stored status);
2. if the status is final (``processed``, ``failed``, ``ignored``), only move the mail
   on the server (a crash hit between the commit and the MOVE last time) and go on;
3. otherwise process it and, **in the same transaction** as the remittance it yields,
   :func:`set_message_status` to ``processed``; commit; then MOVE it on the server.

A crash anywhere repeats at most the MOVE, never the processing.  When UIDVALIDITY
changes the UIDs restart; :func:`find_by_message_id` recognises mail seen before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from shared.errors import RecordNotFoundError
from shared.store.engine import insert_new, rows_changed
from shared.store.tables import MailMessageRow
from shared.store.types import utcnow

__all__ = [
    "MailMessage",
    "MessageStatus",
    "find_by_message_id",
    "list_messages",
    "record_message",
    "set_message_status",
]


class MessageStatus(StrEnum):
    """Where a mail is in its processing; all but ``received`` are final."""

    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    IGNORED = "ignored"

    @property
    def final(self) -> bool:
        """True when the mail needs no more processing, only filing."""
        return self is not MessageStatus.RECEIVED


@dataclass(frozen=True, slots=True)
class MailMessage:
    """A mail as the store remembers it."""

    source: str
    uidvalidity: int
    uid: int
    message_id: str | None
    status: MessageStatus
    kind: str | None
    error: str | None
    first_seen_at: datetime
    updated_at: datetime


def record_message(
    session: Session,
    *,
    source: str,
    uidvalidity: int,
    uid: int,
    message_id: str | None,
    now: datetime | None = None,
) -> MailMessage:
    """Remember a message (once) and return what the store knows about it.

    ``source`` names the mailbox without credentials (``imap://ar@host/INBOX``); a
    folder adapter may use ``uidvalidity=0`` and the file number as ``uid``.
    """
    stamp = now or utcnow()
    insert_new(
        session,
        MailMessageRow,
        {
            "source": source,
            "uidvalidity": uidvalidity,
            "uid": uid,
            "message_id": message_id,
            "status": MessageStatus.RECEIVED.value,
            "first_seen_at": stamp,
            "updated_at": stamp,
        },
        key=("source", "uidvalidity", "uid"),
    )
    row = session.scalars(_by_uid(source, uidvalidity, uid)).one()
    return _message(row)


def set_message_status(
    session: Session,
    *,
    source: str,
    uidvalidity: int,
    uid: int,
    status: MessageStatus,
    kind: str | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """Set the status of a recorded message (commit it with the work it stands for).

    ``kind`` is what the reader read it as (remittance, dispute, promise_to_pay, other).
    """
    changed = rows_changed(
        session,
        update(MailMessageRow)
        .where(
            MailMessageRow.source == source,
            MailMessageRow.uidvalidity == uidvalidity,
            MailMessageRow.uid == uid,
        )
        .values(status=status.value, kind=kind, error=error, updated_at=now or utcnow()),
    )
    if changed != 1:
        raise RecordNotFoundError("mail message", (source, uidvalidity, uid))


def find_by_message_id(session: Session, *, message_id: str) -> list[MailMessage]:
    """Every recorded copy of a Message-ID (resends, or the same mail after a UID reset)."""
    rows = session.scalars(
        select(MailMessageRow)
        .where(MailMessageRow.message_id == message_id)
        .order_by(MailMessageRow.id)
    )
    return [_message(row) for row in rows]


def list_messages(session: Session, *, source: str | None = None) -> list[MailMessage]:
    """Every recorded message (of one source, if given), in the order first seen."""
    query = select(MailMessageRow).order_by(MailMessageRow.id)
    if source is not None:
        query = query.where(MailMessageRow.source == source)
    return [_message(row) for row in session.scalars(query)]


def _by_uid(source: str, uidvalidity: int, uid: int) -> Select[tuple[MailMessageRow]]:
    return select(MailMessageRow).where(
        MailMessageRow.source == source,
        MailMessageRow.uidvalidity == uidvalidity,
        MailMessageRow.uid == uid,
    )


def _message(row: MailMessageRow) -> MailMessage:
    return MailMessage(
        source=row.source,
        uidvalidity=row.uidvalidity,
        uid=row.uid,
        message_id=row.message_id,
        status=MessageStatus(row.status),
        kind=row.kind,
        error=row.error,
        first_seen_at=row.first_seen_at,
        updated_at=row.updated_at,
    )
