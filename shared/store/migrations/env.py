"""Alembic environment of the store; run through :mod:`shared.store.migrate`.

The database comes, in this order, from a connection or URL handed in by
``shared.store.migrate`` (``config.attributes``), from ``sqlalchemy.url`` if an
alembic.ini sets one, or from the settings (``O2C_STORE__URL``), like the full-stack
FastAPI template.  Engines are made by :func:`shared.store.make_engine`, so migrations
run with the same SQLite set-up (WAL, BEGIN IMMEDIATE) as the application.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from shared.settings import load_settings
from shared.store.engine import make_engine
from shared.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    return str(url) if url else load_settings().store.connection_url()


def _configure(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: later migrations use batch (copy-and-move).
        render_as_batch=sqlite,
        # SQLite runs DDL in transactions too; one transaction makes an upgrade atomic.
        transactional_ddl=True,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on a new engine for the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
