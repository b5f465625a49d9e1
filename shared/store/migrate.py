"""Run the store's Alembic migrations from code (what ``o2c db upgrade`` calls).

Alembic is configured here rather than in an alembic.ini: the migrations live inside the
package (``shared/store/migrations``), so an installed suite can migrate its database
without a checkout.  For development (a new revision after changing ``tables.py``)::

    from shared.store.migrate import revision, upgrade
    upgrade("sqlite:///var/dev.sqlite3")
    revision("sqlite:///var/dev.sqlite3", "add x")
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from shared.store.engine import make_engine

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current",
    "downgrade",
    "head",
    "revision",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations and at ``url``.

    The URL travels in ``config.attributes`` rather than in the ini options, where a
    ``%`` in an encoded password would be read as interpolation.  Without a URL the
    migrations' env.py falls back to the settings (``O2C_STORE__URL``).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["url"] = (
            url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        )
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Take the database back to ``revision`` (``"base"`` drops every table)."""
    command.downgrade(alembic_config(url), revision)


def current(url: str | URL) -> str | None:
    """The revision the database is at, or None for an empty (unmigrated) database."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str | None:
    """The newest revision the packaged migrations know."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revision(url: str | URL, message: str, *, autogenerate: bool = True) -> None:
    """Write a new revision file comparing ``tables.py`` with the database at ``url``.

    A development tool: review the generated file (types are rendered from the
    application's column types; spell them out as in ``0001_initial.py``).
    """
    command.revision(alembic_config(url), message=message, autogenerate=autogenerate)
