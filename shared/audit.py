"""The append-only audit log: who did what to which record, when, and why.

Every action a person or a bot takes on the review queue or the outbox is appended here
in the same transaction as the change itself, so the log and the data never disagree.
An entry holds ``actor`` (``"jane@ar-team"``, ``"bot:erp_poster"``), ``at`` (UTC),
``action`` (``"review.claim"``), the entity (``"review_item"``, ``"42"``), JSON snapshots
``before`` and ``after``, and an optional free-text ``reason``.

Append-only for real: this module has no update or delete function, and the migration
installs triggers on ``audit_log`` that make the database itself refuse UPDATE and
DELETE (SQLite ``RAISE(ABORT)``, a PostgreSQL ``BEFORE UPDATE OR DELETE`` and ``BEFORE
TRUNCATE`` trigger).  Auditors can rely on the table, not on our good manners.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shared.store.tables import AuditRow
from shared.store.types import utcnow

__all__ = ["AuditEntry", "append", "history", "recent", "snapshot"]

Snapshot = BaseModel | Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit log entry as stored."""

    entry_id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


def snapshot(value: Snapshot) -> dict[str, Any] | None:
    """A JSON-safe copy of a model or mapping (``Decimal`` and dates become strings)."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    # A JSON round trip both validates and detaches the copy from the caller's objects.
    copied: dict[str, Any] = json.loads(json.dumps(dict(value), default=str))
    return copied


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: Snapshot = None,
    after: Snapshot = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> int:
    """Append one entry in the caller's transaction and return its id.

    ``before``/``after`` are snapshots of the entity (models or mappings); pass
    identifiers and amounts, never secrets or whole document bodies.
    """
    if not actor.strip() or not action.strip():
        raise ValueError("an audit entry needs an actor and an action")
    statement = (
        insert(AuditRow)
        .values(
            at=at or utcnow(),
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            before=snapshot(before),
            after=snapshot(after),
            reason=reason,
        )
        .returning(AuditRow.id)
    )
    return int(session.execute(statement).scalar_one())


def history(session: Session, *, entity_type: str, entity_id: str | int) -> list[AuditEntry]:
    """Every entry about one entity, oldest first."""
    rows = session.scalars(
        select(AuditRow)
        .where(AuditRow.entity_type == entity_type, AuditRow.entity_id == str(entity_id))
        .order_by(AuditRow.id)
    )
    return [_entry(row) for row in rows]


def recent(session: Session, *, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
    """The newest entries first, optionally of one actor."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(AuditRow.actor == actor)
    return [_entry(row) for row in session.scalars(query)]


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        entry_id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        before=row.before,
        after=row.after,
        reason=row.reason,
    )
