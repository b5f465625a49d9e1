"""People of the review page and their signed-in sessions.

A user has a role, one of :data:`ROLES` in rising order of power: ``viewer`` reads,
``handler`` works items, ``approver`` also confirms write-offs above the authority
threshold, ``admin`` also manages users.  The store keeps a password *hash* (made by
:mod:`shared.review.passwords`); it never sees a password.

A session is a random token in the browser's cookie; the store keeps only its SHA-256,
so reading the database does not let anyone sign in as someone else.  Each session has
its own CSRF token.  User changes go to the audit log (entity ``review_user``), without
the hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shared import audit
from shared.errors import ConflictingDataError, RecordNotFoundError
from shared.store.engine import insert_new, rows_changed
from shared.store.tables import ReviewSessionRow, ReviewUserRow
from shared.store.types import utcnow

__all__ = [
    "ROLES",
    "ReviewUser",
    "UserSession",
    "add_user",
    "end_session",
    "get_user",
    "list_users",
    "password_hash_of",
    "role_at_least",
    "session_user",
    "start_session",
    "token_digest",
    "update_user",
]

ROLES: tuple[str, ...] = ("viewer", "handler", "approver", "admin")
_ENTITY = "review_user"


def role_at_least(role: str, wanted: str) -> bool:
    """Whether ``role`` has at least the powers of ``wanted`` (admin > ... > viewer)."""
    return ROLES.index(role) >= ROLES.index(wanted)


@dataclass(frozen=True, slots=True)
class ReviewUser:
    """A user as stored, without the password hash (see :func:`get_user`)."""

    username: str
    display_name: str
    role: str
    active: bool
    created_at: datetime

    def can(self, wanted: str) -> bool:
        """True when this user's role is at least ``wanted``."""
        return self.active and role_at_least(self.role, wanted)


@dataclass(frozen=True, slots=True)
class UserSession:
    """A valid session: who is signed in, and the CSRF token their forms must carry."""

    user: ReviewUser
    csrf_token: str
    expires_at: datetime


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return role


def add_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    actor: str,
    now: datetime | None = None,
) -> ReviewUser:
    """Create a user; raises :class:`~shared.errors.ConflictingDataError` if it exists."""
    stamp = now or utcnow()
    username = username.strip()
    if not username or len(username) > 100:
        raise ValueError("a username has 1 to 100 characters")
    values = {
        "username": username,
        "display_name": display_name.strip() or username,
        "role": _check_role(role),
        "password_hash": password_hash,
        "active": True,
        "created_at": stamp,
        "updated_at": stamp,
    }
    if not insert_new(session, ReviewUserRow, values, key=("username",)):
        raise ConflictingDataError("user_exists", f"user {username!r} exists", username=username)
    user = _user(session.get_one(ReviewUserRow, username, populate_existing=True))
    audit.append(session, actor=actor, action="user.add", entity_type=_ENTITY,
                 entity_id=username, after=_public(user), at=stamp)
    return user


def update_user(
    session: Session,
    *,
    username: str,
    actor: str,
    role: str | None = None,
    display_name: str | None = None,
    password_hash: str | None = None,
    active: bool | None = None,
    now: datetime | None = None,
) -> ReviewUser:
    """Change a user's role, name, password or active flag (only what is given).

    A new password or deactivation ends the user's sessions.
    """
    stamp = now or utcnow()
    before = get_user(session, username=username)
    values: dict[str, object] = {"updated_at": stamp}
    if role is not None:
        values["role"] = _check_role(role)
    if display_name is not None:
        values["display_name"] = display_name.strip() or username
    if password_hash is not None:
        values["password_hash"] = password_hash
    if active is not None:
        values["active"] = active
    rows_changed(session, update(ReviewUserRow).where(ReviewUserRow.username == username)
                 .values(**values))
    if password_hash is not None or active is False:
        rows_changed(session, delete(ReviewSessionRow)
                     .where(ReviewSessionRow.username == username))
    after = get_user(session, username=username)
    audit.append(session, actor=actor, action="user.update", entity_type=_ENTITY,
                 entity_id=username, before=_public(before),
                 after={**_public(after), "password_changed": password_hash is not None},
                 at=stamp)
    return after


def get_user(session: Session, *, username: str) -> ReviewUser:
    """The user; raises :class:`~shared.errors.RecordNotFoundError`."""
    row = session.get(ReviewUserRow, username, populate_existing=True)
    if row is None:
        raise RecordNotFoundError(_ENTITY, username)
    return _user(row)


def password_hash_of(session: Session, *, username: str) -> str | None:
    """The stored hash of an active user, or None (unknown or inactive user)."""
    row = session.get(ReviewUserRow, username, populate_existing=True)
    return row.password_hash if row is not None and row.active else None


def list_users(session: Session, *, active_only: bool = False) -> list[ReviewUser]:
    """Every user, by username."""
    query = select(ReviewUserRow).order_by(ReviewUserRow.username)
    if active_only:
        query = query.where(ReviewUserRow.active.is_(True))
    return [_user(row) for row in session.scalars(query)]


def token_digest(token: str) -> str:
    """What the store keeps of a session token (hex SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session,
    *,
    username: str,
    token: str,
    csrf_token: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> None:
    """Record a signed-in browser; expired sessions of everyone are swept here too."""
    stamp = now or utcnow()
    rows_changed(session, delete(ReviewSessionRow).where(ReviewSessionRow.expires_at < stamp))
    session.add(ReviewSessionRow(token_hash=token_digest(token), username=username,
                                 csrf_token=csrf_token, created_at=stamp,
                                 expires_at=stamp + lifetime))
    session.flush()
    audit.append(session, actor=username, action="user.sign_in", entity_type=_ENTITY,
                 entity_id=username, at=stamp)


def session_user(
    session: Session, *, token: str, now: datetime | None = None
) -> UserSession | None:
    """The session of a cookie token, or None (unknown, expired, or user inactive)."""
    stamp = now or utcnow()
    row = session.get(ReviewSessionRow, token_digest(token), populate_existing=True)
    if row is None or row.expires_at <= stamp:
        return None
    user = session.get(ReviewUserRow, row.username, populate_existing=True)
    if user is None or not user.active:
        return None
    return UserSession(user=_user(user), csrf_token=row.csrf_token, expires_at=row.expires_at)


def end_session(session: Session, *, token: str) -> None:
    """Sign a browser out (forget its session)."""
    row = session.get(ReviewSessionRow, token_digest(token))
    if row is None:
        return
    username = row.username
    rows_changed(session, delete(ReviewSessionRow)
                 .where(ReviewSessionRow.token_hash == token_digest(token)))
    audit.append(session, actor=username, action="user.sign_out", entity_type=_ENTITY,
                 entity_id=username)


def _public(user: ReviewUser) -> dict[str, object]:
    return {"username": user.username, "display_name": user.display_name,
            "role": user.role, "active": user.active}


def _user(row: ReviewUserRow) -> ReviewUser:
    return ReviewUser(username=row.username, display_name=row.display_name, role=row.role,
                      active=row.active, created_at=row.created_at)
