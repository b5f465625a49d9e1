"""What a flow run needs from its surroundings: settings, secrets, the ERP seats.

Settings come from ``O2C_*`` environment variables or a ``.env`` file on the worker
(:func:`shared.settings.load_settings`).  A secret may instead live in a Prefect
``Secret`` block: a deployment names it in the ``secret_blocks`` parameter
(``{"erp.password": "o2c-erp-password"}``) and the value is read at run time, never
written to a deployment, a parameter or a log.

ERP seats are a global concurrency limit (``erp-seats``) shared by every flow that
posts: create it once on the server (``prefect gcl create erp-seats --limit 2``) and no
two runs together open more ERP sessions than the team has licences for.  Without the
limit (the embedded default) posting is not throttled beyond ``erp.seats``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from shared.settings import Settings, load_settings
from shared.store import engine_from_settings, migrate

if TYPE_CHECKING:
    from bots.erp_poster import PostingReport

__all__ = [
    "ERP_SEATS_LIMIT",
    "SECRET_FIELDS",
    "erp_seats",
    "flow_engine",
    "flow_settings",
    "post_within_seats",
]

ERP_SEATS_LIMIT = "erp-seats"
SECRET_FIELDS = frozenset({"erp.password", "imap.password", "smtp.password", "store.password"})


def flow_settings(secret_blocks: Mapping[str, str] | None = None) -> Settings:
    """The settings of this run, with the named secrets read from Prefect Secret blocks."""
    settings = load_settings()
    updates: dict[str, dict[str, SecretStr]] = {}
    for field, block in (secret_blocks or {}).items():
        if field not in SECRET_FIELDS:
            raise ValueError(f"secret_blocks: {field!r} is not a secret setting; one of "
                             + ", ".join(sorted(SECRET_FIELDS)))
        from prefect.blocks.system import Secret

        section, name = field.split(".")
        secret: Any = Secret.load(block)  # sync context: the block itself, not a coroutine
        updates.setdefault(section, {})[name] = SecretStr(str(secret.get()))
    if not updates:
        return settings
    return settings.model_copy(update={
        section: getattr(settings, section).model_copy(update=values)
        for section, values in updates.items()})


@contextmanager
def erp_seats(seats: int) -> Iterator[None]:
    """Hold ``seats`` slots of the ``erp-seats`` limit while posting (see the docstring)."""
    from prefect.concurrency.sync import concurrency

    with concurrency(ERP_SEATS_LIMIT, occupy=seats, strict=False):
        yield


def flow_engine(settings: Settings) -> Engine:
    """The store of this run.  The embedded SQLite store is brought up to date first (a
    fresh clone runs without ``o2c db upgrade``); a team's PostgreSQL store is migrated
    once by its operator (``o2c db upgrade``), never by two workers at once."""
    url = settings.store.connection_url()
    if make_url(url).get_backend_name() == "sqlite":
        migrate.upgrade(url)
    return engine_from_settings(settings.store)


def post_within_seats(engine: Engine, settings: Settings, seats: int) -> PostingReport:
    """Post the outbox with ``seats`` ERP sessions, holding that many ``erp-seats`` slots."""
    from bots.erp_poster import evidence_dir, post_outbox

    with erp_seats(seats):
        return post_outbox(engine, settings.erp, evidence=evidence_dir(settings), seats=seats)
