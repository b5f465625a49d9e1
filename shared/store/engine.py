"""Engines and transactions for the two backends: SQLite (embedded) and PostgreSQL (team).

:func:`make_engine` sets each backend up the way it was seen to work with several
concurrent workers:

* **SQLite**: WAL journal (readers never block the writer), ``synchronous=NORMAL`` (safe
  in WAL, much faster than FULL), ``busy_timeout`` (a writer waits for the lock instead
  of failing), foreign keys on, and **every transaction starts with BEGIN IMMEDIATE**.
  A deferred BEGIN takes the write lock only at the first write; two workers that both
  read and then write lost updates that way even with a busy timeout.  IMMEDIATE takes
  the lock up front, so read-then-write is serialised.  Pure readers can opt out with
  :func:`read_transaction` (plain BEGIN: a snapshot, no lock).
* **PostgreSQL** through psycopg 3 (``postgresql+psycopg://``; a bare ``postgresql://``
  is read as that), READ COMMITTED; repositories that hand out work use
  ``FOR UPDATE SKIP LOCKED`` and compare-and-set updates.

Repository functions take a ``Session`` and never commit: the caller owns the
transaction, so several steps (store a remittance *and* mark its mail processed) commit
together or not at all::

    with write_transaction(engine) as session:
        upsert_payment(session, payment=payment)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Engine, Table, Update, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import StaticPool

from shared.errors import ConfigurationError
from shared.settings import StoreSettings

__all__ = [
    "backend_name",
    "engine_from_settings",
    "insert_new",
    "make_engine",
    "read_transaction",
    "rows_changed",
    "write_transaction",
]

# Execution option marking connections of read_transaction(): they BEGIN deferred.
_READ_ONLY = "o2c_read_only"


def make_engine(
    url: str | URL,
    *,
    echo: bool = False,
    busy_timeout_ms: int = 10_000,
    pool_size: int = 5,
) -> Engine:
    """Create the engine for a store URL (``sqlite:///path`` or ``postgresql+psycopg://``).

    For a SQLite file the parent directory is created.  Raises
    :class:`~shared.errors.ConfigurationError` for other databases or drivers.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, echo=echo, busy_timeout_ms=busy_timeout_ms)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername != "postgresql+psycopg":
            raise ConfigurationError(
                f"PostgreSQL store needs the psycopg 3 driver (postgresql+psycopg://), "
                f"not {parsed.drivername}"
            )
        return create_engine(
            parsed,
            echo=echo,
            pool_size=pool_size,
            # Connections idle across a server restart fail once; check before use.
            pool_pre_ping=True,
        )
    raise ConfigurationError(f"unsupported store backend {backend!r}: use sqlite or postgresql")


def engine_from_settings(store: StoreSettings) -> Engine:
    """The engine for the ``store`` section of the settings (password filled in)."""
    return make_engine(
        store.connection_url(),
        echo=store.echo,
        busy_timeout_ms=store.busy_timeout_ms,
        pool_size=store.pool_size,
    )


def _sqlite_engine(url: URL, *, echo: bool, busy_timeout_ms: int) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in str(url)
    if in_memory:
        # One shared connection, or every connection would see its own empty database.
        engine = create_engine(
            url,
            echo=echo,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves: the sqlite3 module would otherwise open
        # transactions implicitly (deferred) before DML.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_READ_ONLY, False):
            # query_only turns an accidental write into an error instead of a lost update.
            connection.exec_driver_sql("PRAGMA query_only=ON")
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("PRAGMA query_only=OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def backend_name(session_or_connection: Session | Connection) -> str:
    """``"sqlite"`` or ``"postgresql"`` for the database behind a session or connection."""
    bind = (
        session_or_connection.get_bind()
        if isinstance(session_or_connection, Session)
        else (session_or_connection)
    )
    return bind.dialect.name


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """A session in one write transaction: committed on success, rolled back on error.

    On SQLite the transaction starts with BEGIN IMMEDIATE (waits up to the busy timeout
    for another writer).  Objects stay readable after the commit.
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Session]:
    """A session for reading only: one consistent snapshot, no write lock on SQLite.

    Writes in it fail (SQLite ``query_only``, a PostgreSQL READ ONLY transaction), and
    the transaction ends with a rollback.
    """
    reader = engine.execution_options(**{_READ_ONLY: True, "postgresql_readonly": True})
    with Session(reader, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def insert_new(
    session: Session,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    *,
    key: tuple[str, ...],
) -> bool:
    """Insert one row unless a row with the same ``key`` columns exists.

    Returns True when the row was inserted.  Uses ``INSERT ... ON CONFLICT DO NOTHING
    RETURNING``: the rowcount of such an insert is -1 on both backends, so RETURNING is
    what tells whether a row went in.
    """
    table = cast(Table, model.__table__)
    insert = postgresql.insert if backend_name(session) == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(*[table.c[name] for name in key])
    )
    return session.execute(statement).first() is not None


def rows_changed(session: Session, statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE in the session and return how many rows it changed.

    Compare-and-set updates (``... WHERE version = :seen``) read this to know whether
    they won.
    """
    # No ORM session synchronisation: callers re-read what they need, fresh.
    options = {"synchronize_session": False}
    result = cast(CursorResult[Any], session.execute(statement, execution_options=options))
    return result.rowcount
